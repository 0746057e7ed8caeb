"""Builders shared by the review, statement and key message tests: items in a given state, made through the services."""

from crisisdesk.review import services as review
from crisisdesk.review.models import ReviewStatus
from crisisdesk.roles import COMMUNICATOR, LEGAL, TEAM_LEAD
from crisisdesk.testing.factories import UserFactory
from incidents.statements.services import statement_create
from playbooks.keymessages.services import keymessage_create

HOLDING_TEXT = "We are aware of reports about cracked blender jars and are investigating with priority."


def second_legal():
    return UserFactory(username="legal2", role=LEGAL)


def second_communicator():
    return UserFactory(username="comms2", role=COMMUNICATOR)


def second_team_lead():
    return UserFactory(username="lead2", role=TEAM_LEAD)


def make_statement(*, author, incident, **kwargs):
    kwargs.setdefault("title", "About the cracked blender jars")
    kwargs.setdefault("body", HOLDING_TEXT)
    kwargs.setdefault("channels", ["x", "website"])
    return statement_create(actor=author, incident=incident, **kwargs)


def statement_in(status: str, *, author, reviewer, publisher, withdrawer, incident, **kwargs):
    """A statement brought to ``status`` through the engine, as people would."""
    statement = make_statement(author=author, incident=incident, **kwargs)
    if status == ReviewStatus.DRAFT:
        return statement
    review.review_submit(actor=author, item=statement)
    if status == ReviewStatus.IN_REVIEW:
        return _reload(statement)
    if status == ReviewStatus.REJECTED:
        review.review_reject(actor=reviewer, item=statement, comment="Never.")
        return _reload(statement)
    review.review_approve(actor=reviewer, item=statement, revision=_reload(statement).current_revision)
    if status == ReviewStatus.APPROVED:
        return _reload(statement)
    review.review_publish(actor=publisher, item=statement)
    if status == ReviewStatus.PUBLISHED:
        return _reload(statement)
    review.review_withdraw(actor=withdrawer, item=statement, reason="Superseded.")
    return _reload(statement)


def make_key_message(*, author, **kwargs):
    kwargs.setdefault("topic", "Product safety")
    kwargs.setdefault("title", "Holding statement: product safety")
    kwargs.setdefault("body", HOLDING_TEXT)
    return keymessage_create(actor=author, **kwargs)


def approved_key_message(*, author, reviewer, **kwargs):
    key_message = make_key_message(author=author, **kwargs)
    review.review_submit(actor=author, item=key_message)
    review.review_approve(actor=reviewer, item=key_message, revision=_reload(key_message).current_revision)
    return _reload(key_message)


def _reload(item):
    item.refresh_from_db()
    return item
