"""Reads of incidents that every browser view shares.

Visibility itself is decided once, by ``Incident.objects.visible_to(user)`` (``incidents/models.py``):
a confidential incident is seen only by its crisis team and superusers. Views look incidents up
through ``visible_incident_or_404`` so that a hidden incident answers exactly like a missing one.
"""

from django.shortcuts import get_object_or_404

from incidents.models import Incident


def visible_incident_or_404(request, reference: str, queryset=None) -> Incident:
    """The incident ``reference`` as this request's user sees it: 404 when it does not exist or is hidden."""
    queryset = queryset if queryset is not None else Incident.objects.all()
    return get_object_or_404(queryset.visible_to(request.user), reference=reference)


def visible_incidents(request):
    """The incidents this request's user may see (admin lists and choices use it)."""
    return Incident.objects.visible_to(request.user)
