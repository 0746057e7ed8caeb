"""The words of chat messages: a renderer for every registered event type, and only public-safe words in it."""

import pytest
from django.test import override_settings

from crisisdesk.chat import messages
from crisisdesk.webhooks import events

SECRETS = ["FREE_TEXT_TITLE", "DRAFT_BODY", "WITHDRAWAL_REASON", "REVIEW_COMMENT", "RULE_NAME", "WATCH_TERM", "alice"]


def payload_for(event_type: str, *, statement_status: str = "published") -> dict:
    """Every field any event carries, free text set to markers that must never reach a message."""
    return {
        "incident": {
            "reference": "CD-2026-0042",
            "title": "FREE_TEXT_TITLE",
            "severity": 2,
            "status": "responding",
            "lead": "alice",
        },
        "statement": {
            "id": 7,
            "incident": "CD-2026-0042",
            "title": "Reviewed headline",
            "status": statement_status,
            "body": "DRAFT_BODY",
            "withdrawal_reason": "WITHDRAWAL_REASON",
        },
        "actor": "alice",
        "comment": "REVIEW_COMMENT",
        "from": "investigating",
        "to": "responding",
        "clock": "first_response",
        "stage": "due_soon",
        "due_at": "2026-12-02T05:00:00+00:00",
        "rule": "RULE_NAME",
        "watch_term": "WATCH_TERM",
        "count": 120,
        "baseline": 10.5,
    }


def test_every_registered_event_type_has_a_renderer():
    missing = sorted(set(events.EVENT_TYPES) - set(messages.RENDERERS))
    assert missing == [], f"Add a renderer to crisisdesk/chat/messages.py for: {missing}"


@pytest.mark.parametrize("event_type", sorted(events.EVENT_TYPES))
@override_settings(CRISISDESK_SITE_URL="https://crisis.example.org", LANGUAGE_CODE="en")
def test_each_message_holds_only_identifiers_links_and_reviewed_words(event_type):
    message = messages.render(event_type=event_type, payload=payload_for(event_type))
    text = message.title + "\n" + message.body
    assert message.title and message.body
    for marker in SECRETS:
        assert marker not in text, f"{event_type} leaks {marker}"
    assert "CD-2026-0042" in text
    assert "https://crisis.example.org/" in message.body


def test_only_a_published_statement_shows_its_title():
    published = messages.render(event_type="statement.published", payload=payload_for("statement.published"))
    assert "Reviewed headline" in published.body
    unpublished = messages.render(
        event_type="statement.published", payload=payload_for("statement.published", statement_status="approved")
    )
    assert "Reviewed headline" not in unpublished.body
    for event_type in ("statement.submitted", "statement.approved", "statement.withdrawn"):
        assert "Reviewed headline" not in messages.render(event_type=event_type, payload=payload_for(event_type)).body


def test_exercise_prefix_and_no_link_without_a_site_url():
    with override_settings(CRISISDESK_SITE_URL=""):
        message = messages.render(event_type="incident.opened", payload=payload_for("incident.opened"), exercise=True)
    assert message.title == "[EXERCISE] Incident CD-2026-0042 opened"
    assert "http" not in message.body


def test_an_alert_without_incident_links_to_mentions():
    with override_settings(CRISISDESK_SITE_URL="https://crisis.example.org"):
        message = messages.render(event_type="alert.fired", payload={"incident": None, "count": 3, "baseline": 1})
    assert message.body.endswith("https://crisis.example.org/mentions/")


def test_messages_use_the_site_language_not_the_requests(monkeypatch):
    from django.utils import translation

    seen = []
    monkeypatch.setitem(
        messages.RENDERERS, "incident.opened", lambda payload: (seen.append(translation.get_language()) or "t", "b")
    )
    with override_settings(LANGUAGE_CODE="fr"), translation.override("en"):
        messages.render(event_type="incident.opened", payload={})
    assert seen == ["fr"]
