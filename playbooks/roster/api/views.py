"""The roster API: people and departments, with the incident roles each can hold; team leads keep it."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from crisisdesk.api.viewsets import VisibleModelViewSet
from crisisdesk.review.api import ERRORS
from incidents.models import IncidentRole
from playbooks.roster import services as roster_services
from playbooks.roster.api import serializers as s
from playbooks.roster.filtersets import PersonFilterSet, WhoToCallFilterSet
from playbooks.roster.models import Department, Person, RoleCapability


def roster_schemas(read, create, update, create_summary, update_summary) -> dict:
    return {
        "create": extend_schema(summary=create_summary, request=create, responses={201: read, **ERRORS}),
        "partial_update": extend_schema(summary=update_summary, request=update, responses={200: read, **ERRORS}),
    }


@extend_schema_view(
    list=extend_schema(summary=_("The crisis roster")),
    retrieve=extend_schema(summary=_("One person on the roster")),
    **roster_schemas(
        s.PersonSerializer,
        s.PersonInputSerializer,
        s.PersonUpdateSerializer,
        _("Add someone to the roster (team leads)"),
        _("Change someone's roster entry; roles replace theirs (team leads)"),
    ),
)
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """People on the crisis roster, with the incident roles each can hold; team leads keep it."""

    queryset = Person.objects.select_related("department", "backup", "user").prefetch_related(
        Prefetch(
            "capabilities",
            queryset=RoleCapability.objects.select_related("role").order_by("priority", "role__position"),
        )
    )
    serializer_class = s.PersonSerializer
    filterset_class = PersonFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer_classes = {"create": s.PersonInputSerializer, "partial_update": s.PersonUpdateSerializer}

    def person_input(self) -> dict:
        data = dict(self.validated_input())
        if "roles" in data:
            data["roles"] = [(entry["role"], entry["priority"]) for entry in data["roles"]]
        return data

    def create(self, request, *args, **kwargs):
        person = roster_services.person_create(actor=request.user, **self.person_input())
        return self.read_response(self.get_queryset().get(pk=person.pk), status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        person = roster_services.person_update(actor=request.user, person=self.get_object(), **self.person_input())
        return self.read_response(self.get_queryset().get(pk=person.pk))


@extend_schema_view(
    list=extend_schema(summary=_("Departments the crisis team is drawn from")),
    retrieve=extend_schema(summary=_("One department")),
    **roster_schemas(
        s.DepartmentSerializer,
        s.DepartmentInputSerializer,
        s.DepartmentUpdateSerializer,
        _("Add a department (team leads)"),
        _("Rename a department or change its description (team leads)"),
    ),
)
class DepartmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VisibleModelViewSet):
    """Departments the crisis team is drawn from; team leads keep them."""

    queryset = Department.objects.all()
    serializer_class = s.DepartmentSerializer
    filter_backends = []
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_serializer_classes = {"create": s.DepartmentInputSerializer, "partial_update": s.DepartmentUpdateSerializer}

    def get_queryset(self):
        # No confidentiality: the roster's read permission decides (404 on a detail without it).
        if not self.request.user.has_perm("playbooks.view_department"):
            return Department.objects.none()
        return Department.objects.all()

    def create(self, request, *args, **kwargs):
        department = roster_services.department_create(actor=request.user, **self.validated_input())
        return self.read_response(department, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        department = roster_services.department_update(
            actor=request.user, department=self.get_object(), **self.validated_input()
        )
        return self.read_response(department)


@extend_schema_view(
    list=extend_schema(
        summary=_("Who to call: for each incident role, the first call and the backup, with their numbers"),
        description=_("The browser's ``/roster/who-to-call/``. ``?role=<code>`` (repeatable) narrows the roles."),
        responses={200: s.WhoToCallSerializer(many=True)},
    ),
)
class WhoToCallViewSet(mixins.ListModelMixin, VisibleModelViewSet):
    """``GET /api/v1/roster/who-to-call/``: everyone with a role reads it (``playbooks.view_person``)."""

    queryset = IncidentRole.objects.all()
    serializer_class = s.WhoToCallSerializer
    filterset_class = WhoToCallFilterSet
    pagination_class = None
    collection_permission = "playbooks.view_person"
    required_scopes = {"list": "read"}

    def get_queryset(self):
        # Reference data, no confidentiality: the collection permission decides.
        return IncidentRole.objects.all()

    def list(self, request, *args, **kwargs):
        roles = self.filter_queryset(self.get_queryset())
        contacts = roster_services.who_to_call(request.user, roles=roles)
        return Response(self.get_serializer(contacts, many=True).data)
