"""The evidence pack: one incident's record as a ZIP with a SHA-256 manifest.

It lives in ``postmortems`` (the top layer) because the record reads every domain: incidents,
statements and their revisions, the audit trail, and later the post-crisis review.

Tamper-evidence: ``manifest.json`` lists SHA-256 and size of every other file; its hash is
HMAC-signed with a key derived from ``CRISISDESK_EVIDENCE_KEY`` (else ``SECRET_KEY``). A changed,
removed or added file is detected; replacing the manifest without the key is detected. Anyone holding
the key can forge a pack; the pack does not prove *when* it was made (no external timestamp).
"""

import hashlib
import hmac
import io
import json
import zipfile
from datetime import UTC

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from crisisdesk.audit.models import AuditRecord

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"


def _key() -> bytes:
    secret = getattr(settings, "CRISISDESK_EVIDENCE_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(b"crisisdesk-evidence-pack:" + secret.encode()).digest()


def _time(value):
    return value.astimezone(UTC).isoformat() if value else None


def _user(user):
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": user.get_full_name()}


def _factor(data) -> str:
    """Which authentication factor approved: recorded by the audit trail when available."""
    return str(data["factor"]) if isinstance(data, dict) and data.get("factor") else "not recorded"


def build_record(incident) -> dict:
    statements = []
    for statement in incident.statements.order_by("pk"):
        statements.append(
            {
                "id": statement.pk,
                "status": getattr(statement, "status", ""),
                "revisions": [
                    {
                        "number": revision.number,
                        "content": revision.content,
                        "content_hash": revision.content_hash,
                        "created_by": _user(revision.created_by),
                        "created_at": _time(revision.created_at),
                    }
                    for revision in statement.revisions().select_related("created_by").order_by("number")
                ],
                "review_events": [
                    {
                        "at": _time(event.created_at),
                        "actor": _user(event.actor),
                        "action": event.action,
                        "from": event.from_state,
                        "to": event.to_state,
                        "revision": event.revision.number if event.revision_id else None,
                        "comment": event.comment,
                        "factor": _factor(event.data),
                    }
                    for event in statement.audit_events()
                    .select_related("actor", "revision")
                    .order_by("created_at", "pk")
                ],
                "publications": [
                    {"id": pub.pk, "recorded_by": _user(pub.recorded_by)}
                    for pub in statement.publications.select_related("recorded_by").order_by("pk")
                ],
            }
        )
    targets = Q(target_type=ContentType.objects.get_for_model(type(incident)), target_id=str(incident.pk))
    if statements:
        targets |= Q(
            target_type=ContentType.objects.get_for_model(incident.statements.model),
            target_id__in=[str(s["id"]) for s in statements],
        )
    audit = [
        {
            "at": _time(row.at),
            "actor": _user(row.actor),
            "action": row.action,
            "target": row.target_repr,
            "from": row.from_state,
            "to": row.to_state,
            "comment": row.comment,
            "factor": _factor(row.data),
            "data": row.data,
        }
        for row in AuditRecord.objects.filter(targets).select_related("actor").order_by("at", "pk")
    ]
    return {
        "schema": "crisisdesk.evidence-pack",
        "schema_version": SCHEMA_VERSION,
        "exported_at": _time(timezone.now()),
        "incident": {
            "reference": incident.reference,
            "title": incident.title,
            "summary": incident.summary,
            "status": incident.status,
            "confidential": incident.confidential,
            "is_exercise": incident.is_exercise,
            "lead": _user(incident.lead),
            "detected_at": _time(incident.detected_at),
            "created_at": _time(incident.created_at),
        },
        "timeline": [
            {"at": _time(e.created_at), "kind": e.kind, "event": e.event, "body": e.body, "author": _user(e.author)}
            for e in incident.timeline.select_related("author").order_by("created_at", "pk")
        ],
        "facts": [
            {
                "claim": f.claim,
                "source": f.source,
                "status": f.status,
                "created_by": _user(f.created_by),
                "verified_by": _user(f.verified_by),
                "verified_at": _time(f.verified_at),
                "verification_note": f.verification_note,
            }
            for f in incident.facts.select_related("created_by", "verified_by").order_by("pk")
        ],
        "statements": statements,
        "audit": audit,
    }


def _pdf(record) -> bytes:
    import weasyprint  # heavy: loaded only when a pack is built

    html = render_to_string("postmortems/evidence/record.html", {"record": record})
    return weasyprint.HTML(string=html).write_pdf()


def _manifest(files: dict[str, bytes]) -> dict:
    entries = {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)} for name, data in files.items()}
    canonical = json.dumps(entries, sort_keys=True, separators=(",", ":")).encode()
    digest = hashlib.sha256(canonical).hexdigest()
    return {
        "files": entries,
        "manifest_sha256": digest,
        "hmac_sha256": hmac.new(_key(), digest.encode(), hashlib.sha256).hexdigest(),
    }


def build_pack(incident) -> tuple[bytes, str]:
    """The ZIP bytes and the manifest hash."""
    record = build_record(incident)
    files = {
        "record.json": json.dumps(record, indent=2, ensure_ascii=False).encode(),
        "record.pdf": _pdf(record),
    }
    manifest = _manifest(files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    return buffer.getvalue(), manifest["manifest_sha256"]


def verify_pack(path) -> list[str]:
    """Problems found, one per failing file; empty when the pack is intact."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: not a readable ZIP ({exc})"]
    with archive:
        names = set(archive.namelist())
        if MANIFEST not in names:
            return [f"{MANIFEST}: missing"]
        try:
            manifest = json.loads(archive.read(MANIFEST))
            entries = manifest["files"]
        except (ValueError, KeyError, TypeError):
            return [f"{MANIFEST}: malformed"]
        problems = []
        canonical = json.dumps(entries, sort_keys=True, separators=(",", ":")).encode()
        digest = hashlib.sha256(canonical).hexdigest()
        expected = hmac.new(_key(), digest.encode(), hashlib.sha256).hexdigest()
        if digest != manifest.get("manifest_sha256") or not hmac.compare_digest(
            expected, str(manifest.get("hmac_sha256", ""))
        ):
            problems.append(f"{MANIFEST}: hash or signature does not match")
        for name in sorted(entries):
            if name not in names:
                problems.append(f"{name}: missing")
                continue
            data = archive.read(name)
            if hashlib.sha256(data).hexdigest() != entries[name].get("sha256") or len(data) != entries[name].get(
                "size"
            ):
                problems.append(f"{name}: altered (SHA-256 or size differs)")
        for name in sorted(names - set(entries) - {MANIFEST}):
            problems.append(f"{name}: not in the manifest (added)")
        return problems
