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

from django.conf import settings
from django.template.loader import render_to_string

from postmortems.evidence.record import SCHEMA_VERSION, build_record

MANIFEST = "manifest.json"
__all__ = ["MANIFEST", "SCHEMA_VERSION", "build_pack", "build_record", "verify_pack"]


def _key() -> bytes:
    secret = getattr(settings, "CRISISDESK_EVIDENCE_KEY", "") or settings.SECRET_KEY
    return hashlib.sha256(b"crisisdesk-evidence-pack:" + secret.encode()).digest()


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


def build_pack(incident, *, viewer=None) -> tuple[bytes, str]:
    """The ZIP bytes and the manifest hash; ``viewer`` is who exports (``None``: the command line)."""
    record = build_record(incident, viewer=viewer)
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
        listed = archive.namelist()
        names = set(listed)
        # A second member under a known name would let a reader see other bytes than those verified.
        duplicated = sorted({name for name in listed if listed.count(name) > 1})
        if duplicated:
            return [f"{name}: stored twice in the ZIP" for name in duplicated]
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
