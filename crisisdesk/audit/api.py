"""``/api/v1/audit-records/``: the system audit trail, read-only, for superusers (403 for everyone else).

Records name objects of every app (confidential incidents among them) and the kernel cannot ask
those apps who may see them, so the whole trail is a superuser's: nobody else learns from it what
they could not see elsewhere. Filters: ``action``, ``actor`` (user id), ``target_type``
(``app_label.model``), ``target_id``, ``at_after``, ``at_before``.
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.routers import SimpleRouter

from crisisdesk.api.serializers import UserBriefSerializer
from crisisdesk.filters import StrictFilterSet

from .models import AuditRecord


class AuditRecordSerializer(serializers.ModelSerializer):
    actor = UserBriefSerializer(read_only=True)
    target_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditRecord
        fields = ["id", "at", "actor", "action", "target_type", "target_id", "target_repr", "from_state"]
        fields += ["to_state", "comment", "data"]
        read_only_fields = fields

    def get_target_type(self, record) -> str | None:
        return f"{record.target_type.app_label}.{record.target_type.model}" if record.target_type_id else None


class AuditRecordFilterSet(StrictFilterSet):
    action = django_filters.CharFilter(label=_("Action"))
    actor = django_filters.NumberFilter(label=_("Actor (user id)"), field_name="actor_id")
    target_type = django_filters.CharFilter(label=_("Target type (app_label.model)"), method="filter_target_type")
    target_id = django_filters.CharFilter(label=_("Target id"))
    at_after = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    at_before = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditRecord
        fields = ["action", "actor", "target_type", "target_id", "at_after", "at_before"]

    def filter_target_type(self, queryset, name, value):
        app_label, _sep, model = value.partition(".")
        return queryset.filter(target_type__app_label=app_label, target_type__model=model.lower())


class IsSuperuser(permissions.IsAuthenticated):
    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.user.is_superuser


@extend_schema_view(
    list=extend_schema(summary=_("The system audit trail, newest first (superusers)")),
    retrieve=extend_schema(summary=_("One audit record (superusers)")),
)
class AuditRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = AuditRecord.objects.select_related("actor", "target_type")
    serializer_class = AuditRecordSerializer
    permission_classes = [IsSuperuser]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = AuditRecordFilterSet
    ordering = ("-at", "-id")


router = SimpleRouter()
router.register("audit-records", AuditRecordViewSet, basename="auditrecord")
urlpatterns = router.urls
