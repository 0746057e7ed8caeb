"""Builders for post-crisis review tests: crises played through the services at chosen times (time-machine)."""

from datetime import UTC, datetime, timedelta

import time_machine

from crisisdesk.review import services as review
from crisisdesk.roles import TEAM_LEAD
from crisisdesk.testing.factories import UserFactory
from incidents import services as incident_services
from incidents.statements.services import statement_create
from postmortems import services
from postmortems.models import PostmortemReview


def at(moment: datetime):
    """Freeze the clock at ``moment`` (services stamp their times with it)."""
    return time_machine.travel(moment, tick=False)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def second_team_lead():
    return UserFactory(username="lead2", role=TEAM_LEAD)


def play_crisis(
    *,
    lead,
    communicator,
    legal,
    detected: datetime,
    severity: int = 2,
    ack: float | None = None,
    submit: float | None = None,
    approve: float | None = None,
    publish: float | None = None,
    resolve: float | None = None,
    is_exercise: bool = False,
    confidential: bool = False,
    title: str = "Viral complaint about a refund",
):
    """Open a crisis at ``detected`` and move its clocks at the given minutes after detection."""
    with at(detected):
        incident = incident_services.incident_open(
            actor=lead,
            title=title,
            severity=severity,
            detected_at=detected,
            is_exercise=is_exercise,
            confidential=confidential,
            category="viral_complaint",
        )
    if ack is not None:
        with at(detected + minutes(ack)):
            incident_services.incident_change_status(actor=lead, incident=incident, to_status="investigating")
    if submit is not None:
        with at(detected + minutes(submit)):
            statement = statement_create(
                actor=communicator,
                incident=incident,
                title="We are looking into it",
                body="We are aware and investigating.",
                channels=["x"],
            )
            review.review_submit(actor=communicator, item=statement)
        with at(detected + minutes(approve)):
            statement.refresh_from_db()
            review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
        with at(detected + minutes(publish)):
            review.review_publish(actor=communicator, item=statement)
    if resolve is not None:
        with at(detected + minutes(resolve)):
            incident_services.incident_change_status(actor=lead, incident=incident, to_status="resolved")
    incident.refresh_from_db()
    return incident


def resolved_review(*, lead, incident) -> PostmortemReview:
    """Resolve ``incident`` (as ``lead``) and return the review drafted for it."""
    if incident.status != "resolved":
        if incident.status == "detected":
            incident_services.incident_change_status(actor=lead, incident=incident, to_status="investigating")
            incident.refresh_from_db()
        incident_services.incident_change_status(actor=lead, incident=incident, to_status="resolved")
    return PostmortemReview.objects.get(incident=incident)


def published_review(*, author, approver, incident, **sections) -> PostmortemReview:
    """A review written by ``author``, approved by ``approver`` and published by ``author``."""
    item = resolved_review(lead=author, incident=incident)
    if sections:
        item = services.postmortem_update(actor=author, review_item=item, **sections)
    review.review_submit(actor=author, item=item)
    item.refresh_from_db()
    review.review_approve(actor=approver, item=item, revision=item.current_revision)
    review.review_publish(actor=author, item=item)
    item.refresh_from_db()
    return item


T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
