"""Reads of incidents that every browser view shares.

Visibility itself is decided once, by ``Incident.objects.visible_to(user)`` (``incidents/models.py``):
a confidential incident is seen only by its crisis team and superusers. Views look incidents up
through ``visible_incident_or_404`` so that a hidden incident answers exactly like a missing one.
"""

from dataclasses import dataclass

from django.db.models import Q, Subquery
from django.shortcuts import get_object_or_404

from incidents.models import Incident, TimelineEntry

# The war room shows the newest entries of the timeline; "Older entries" pages back from there.
TIMELINE_WINDOW = 50


def visible_incident_or_404(request, reference: str, queryset=None) -> Incident:
    """The incident ``reference`` as this request's user sees it: 404 when it does not exist or is hidden."""
    queryset = queryset if queryset is not None else Incident.objects.all()
    return get_object_or_404(queryset.visible_to(request.user), reference=reference)


def visible_incidents(request):
    """The incidents this request's user may see (admin lists and choices use it)."""
    return Incident.objects.visible_to(request.user)


@dataclass(frozen=True)
class TimelineWindow:
    """One window of an incident's timeline, newest first, and the cursor of the window before it."""

    entries: list[TimelineEntry]
    older_cursor: int | None  # ``?before=`` of the next older window; None when this one reaches the start
    is_newest: bool  # the window starts at the newest entry (no ``before`` given)


def timeline_window(incident: Incident, *, before: int | None = None, size: int = TIMELINE_WINDOW) -> TimelineWindow:
    """The ``size`` entries before entry ``before`` (the newest ones without it), in one query.

    Keyset, not OFFSET: entries older than the cursor entry on (created_at, id), the order of the
    timeline's index (incident, -created_at, -id), so the thousandth window costs what the first
    one does. The cursor entry is looked up inside the query and only among this incident's
    entries: an unknown cursor (or another incident's entry) gives an empty window.
    """
    entries = incident.timeline.select_related("author").order_by("-created_at", "-id")
    if before is not None:
        cursor = TimelineEntry.objects.filter(pk=before, incident=incident).values("created_at")
        entries = entries.filter(Q(created_at__lt=Subquery(cursor)) | Q(created_at=Subquery(cursor), id__lt=before))
    rows = list(entries[: size + 1])
    older = rows[size - 1].pk if len(rows) > size else None
    return TimelineWindow(entries=rows[:size], older_cursor=older, is_newest=before is None)
