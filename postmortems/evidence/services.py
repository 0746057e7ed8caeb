"""Exporting an evidence pack is audited: who, when, which manifest hash."""

from django.db import transaction

from crisisdesk.audit.services import audit_record
from postmortems.evidence.pack import build_pack


def evidence_pack_export(*, actor, incident) -> tuple[bytes, str]:
    with transaction.atomic():
        data, manifest_hash = build_pack(incident)
        audit_record(
            actor=actor,
            action="incident.evidence_pack_exported",
            target=incident,
            data={"manifest_sha256": manifest_hash},
        )
    return data, manifest_hash
