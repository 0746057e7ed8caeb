"""The ``data`` of each event, built in one place so every event about an incident or statement looks the same.

Only JSON types: timestamps are ISO 8601 strings in UTC. Users appear by username,
never by e-mail address.
"""


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
        },
        **extra,
    }
