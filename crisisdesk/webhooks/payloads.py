"""The ``data`` of each event, built in one place so every event about an incident or statement looks the same.

Only JSON types: timestamps are ISO 8601 strings in UTC. Users appear by username,
never by e-mail address.

The outbox stores one full payload per event (the truth, for staff and for subscriptions
flagged ``include_internal_drafts``). Every other subscription receives the event's
*redacted* payload, computed at send time by the redactor its event type registered
(``crisisdesk.webhooks.events``): unreviewed words — a statement's body before it is
published, a lead's withdrawal reason, reviewers' comments — never leave for an outside system.
"""

# What an outside system learns about a statement that has not gone out (yet): where it
# stands in review, never its words (Legal has not read them, or not approved them).
STATEMENT_METADATA_FIELDS = ("id", "incident", "title", "status", "revision", "content_hash", "api_url")
# Free text typed by staff, reviewed by nobody: internal subscriptions only.
INTERNAL_STATEMENT_FIELDS = ("withdrawal_reason",)
INTERNAL_EVENT_FIELDS = ("comment",)


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def incident_data(incident, **extra) -> dict:
    """An incident as receivers see it (plus event-specific fields such as ``from``/``to``)."""
    return {
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "category": incident.category,
            "severity": incident.severity,
            "status": incident.status,
            "confidential": incident.confidential,
            "affected_channels": list(incident.affected_channels or []),
            "lead": _username(incident.lead) if incident.lead_id else None,
            "detected_at": _iso(incident.detected_at),
            "acknowledged_at": _iso(incident.acknowledged_at),
            "first_public_response_at": _iso(incident.first_public_response_at),
            "resolved_at": _iso(incident.resolved_at),
            "closed_at": _iso(incident.closed_at),
            "api_url": f"/api/v1/incidents/{incident.reference}/",
        },
        **extra,
    }


def statement_data(statement, **extra) -> dict:
    """A statement with its words and where it stands in review (plus ``action``, ``actor``, …)."""
    revision = statement.current_revision
    return {
        "statement": {
            "id": statement.pk,
            "incident": statement.incident.reference,
            "title": statement.title,
            "status": statement.status,
            "channels": list(statement.channels or []),
            "language": statement.language,
            "audience": statement.audience,
            "body": statement.body,
            "body_format": statement.body_format,
            "revision": revision.number if revision is not None else None,
            "content_hash": revision.content_hash if revision is not None else None,
            "published_at": _iso(statement.published_at),
            "withdrawn_at": _iso(statement.withdrawn_at),
            "withdrawal_reason": statement.withdrawal_reason,
            "api_url": f"/api/v1/statements/{statement.pk}/",
        },
        **extra,
    }


def _without_internal_notes(data: dict) -> dict:
    redacted = {key: value for key, value in data.items() if key not in INTERNAL_EVENT_FIELDS}
    if isinstance(data.get("statement"), dict):
        redacted["statement"] = {
            key: value for key, value in data["statement"].items() if key not in INTERNAL_STATEMENT_FIELDS
        }
    return redacted


def statement_metadata_only(data: dict) -> dict:
    """A not-yet-published statement's event for outside systems: review metadata and links, no words.

    The redactor of ``statement.submitted`` and ``statement.approved``.
    """
    redacted = _without_internal_notes(data)
    if isinstance(data.get("statement"), dict):
        redacted["statement"] = {
            key: data["statement"][key] for key in STATEMENT_METADATA_FIELDS if key in data["statement"]
        }
    return redacted


def statement_without_internal_notes(data: dict) -> dict:
    """A published or withdrawn statement's event for outside systems: its approved words, no staff notes.

    The redactor of ``statement.published`` and ``statement.withdrawn``: the body is the approved
    one (a published statement cannot be edited), the withdrawal reason and comments stay inside.
    """
    return _without_internal_notes(data)
