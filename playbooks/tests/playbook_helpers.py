"""Builders for the playbook, task and exercise tests: playbooks in a given state, made through the services."""

from crisisdesk.review import services as review
from crisisdesk.roles import TEAM_LEAD
from crisisdesk.testing.factories import UserFactory, role
from playbooks.models import Playbook
from playbooks.services import playbook_create

STEPS = [
    ("Confirm the facts with the product team", "communications", 15),
    ("Publish the holding statement", "spokesperson", 30),
    ("Brief customer care with the lines to take", "customer_care", 60),
]


def second_team_lead():
    return UserFactory(username="lead2", role=TEAM_LEAD)


def make_playbook(*, author, **kwargs) -> Playbook:
    kwargs.setdefault("title", "Viral customer complaint")
    kwargs.setdefault("trigger_criteria", "A complaint passes 10,000 shares or a journalist asks about it.")
    kwargs.setdefault("scenario", "viral_complaint")
    kwargs.setdefault(
        "steps",
        [{"title": title, "role": role(code), "within_minutes": minutes} for title, code, minutes in STEPS],
    )
    return playbook_create(actor=author, **kwargs)


def approve(version, *, submitter, approver):
    review.review_submit(actor=submitter, item=version)
    version.refresh_from_db()
    review.review_approve(actor=approver, item=version, revision=version.current_revision)
    version.refresh_from_db()
    return version


def active_playbook(*, author, approver, **kwargs) -> Playbook:
    playbook = make_playbook(author=author, **kwargs)
    approve(playbook.versions.get(), submitter=author, approver=approver)
    playbook.refresh_from_db()
    return playbook
