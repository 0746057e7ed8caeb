"""Who may export an incident's evidence pack, and the export itself, audited: who, when, which manifest hash."""

from django.db import transaction

from crisisdesk.audit.services import audit_record
from incidents.models import Incident
from incidents.permissions import can_view
from postmortems.evidence.pack import build_pack


def exportable_incident(*, user, reference: str) -> Incident | None:
    """The incident ``user`` may export: one they may view (a confidential one: its team and superusers).

    ``None`` when it does not exist or is hidden, so callers answer both with the same 404.
    """
    incident = Incident.objects.visible_to(user).filter(reference=reference).first()
    return incident if incident is not None and can_view(user, incident) else None


def evidence_pack_export(*, actor, incident) -> tuple[bytes, str]:
    with transaction.atomic():
        data, manifest_hash = build_pack(incident, viewer=actor)
        audit_record(
            actor=actor,
            action="incident.evidence_pack_exported",
            target=incident,
            data={"manifest_sha256": manifest_hash},
        )
    return data, manifest_hash
