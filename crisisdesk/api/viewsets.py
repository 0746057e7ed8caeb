"""Base classes every API viewset builds on, so the viewsets themselves stay a few lines long.

The base does the common work once: the queryset is always narrowed to what the
requesting user may see (``visible_to``), collection endpoints need the model's
view permission, filters come from the app's FilterSet, and errors raised by
services are mapped by ``crisisdesk.api.exceptions``.
"""

from django.db.models import QuerySet
from rest_framework import permissions, status, viewsets
from rest_framework.response import Response

from crisisdesk.api.filtering import FilterBackend


class CollectionPermission(permissions.IsAuthenticated):
    """Collection endpoints (list, create) need the model's view permission: 403 without it.

    Object endpoints do not check it here: an object the user may not see is
    absent from the queryset and answers 404, so its existence does not leak.
    """

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if getattr(view, "detail", False):
            return True
        return request.user.has_perm(view.get_collection_permission())


class VisibleModelViewSet(viewsets.GenericViewSet):
    """A viewset whose queryset is always what the requesting user may see.

    Set ``queryset`` (with its ``select_related``), ``serializer_class`` (the
    read representation), ``input_serializer_classes`` (per write action) and,
    for a model that hangs off a confidential parent, ``visible_through``: the
    name of the foreign key whose model manager has ``visible_to(user)`` (e.g.
    ``"incident"``). Without it, the queryset itself must provide ``visible_to``.
    """

    permission_classes = [CollectionPermission]
    filter_backends = [FilterBackend]
    visible_through: str | None = None
    # Defaults to the model's view permission ("incidents.view_incident").
    collection_permission: str | None = None
    # Per action, the serializer that validates the request body; the service does the rest.
    input_serializer_classes: dict = {}

    def get_collection_permission(self) -> str:
        if self.collection_permission:
            return self.collection_permission
        opts = self.queryset.model._meta
        return f"{opts.app_label}.view_{opts.model_name}"

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        user = self.request.user
        if self.visible_through is None:
            return queryset.visible_to(user)
        parent = queryset.model._meta.get_field(self.visible_through).related_model
        return queryset.filter(**{f"{self.visible_through}__in": parent.objects.visible_to(user)})

    def get_serializer_class(self):
        # The browsable API builds its POST/PATCH forms from this (while showing the
        # list or detail page): offer the input serializer there, not the read one.
        if self.request is not None and self.request.method in ("POST", "PATCH"):
            action = {"list": "create", "retrieve": "partial_update"}.get(self.action, self.action)
            if action in self.input_serializer_classes:
                return self.input_serializer_classes[action]
        return self.get_read_serializer_class()

    def get_read_serializer_class(self):
        return self.serializer_class

    def validated_input(self) -> dict:
        """The request body, validated by this action's input serializer (400 with field errors if invalid)."""
        serializer = self.input_serializer_classes[self.action](
            data=self.request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def read_response(self, instance, *, serializer_class=None, status_code: int = status.HTTP_200_OK) -> Response:
        """Answer a write with the read representation of what the service returned."""
        serializer_class = serializer_class or self.get_read_serializer_class()
        serializer = serializer_class(instance, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)


class OpenModelViewSet(VisibleModelViewSet):
    """For reference data with no confidentiality (incident roles): only the collection permission applies."""

    def get_queryset(self) -> QuerySet:
        return viewsets.GenericViewSet.get_queryset(self)
