import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import call_command

from crisisdesk.audit.models import AuditRecord
from incidents.listening.tests.alert_helpers import make_alert, make_rule
from postmortems.evidence.pack import build_record
from postmortems.evidence.tests.conftest import T0
from postmortems.tests.helpers import play_crisis

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(crisis, tmp_path):
    path = tmp_path / "pack.zip"
    call_command("export_evidence_pack", crisis.reference, output=str(path))
    return path


def rewrite(path, *, change=None, drop=None, add=None):
    """Copy the ZIP with one member changed, dropped or added."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    if change:
        data = bytearray(members[change])
        data[len(data) // 2] ^= 0x01
        members[change] = bytes(data)
    if drop:
        del members[drop]
    if add:
        members[add] = b"extra"
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)


def edit_manifest(path, edit):
    """Rewrite the ZIP with ``edit(manifest, members)`` applied to its parsed manifest."""
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    manifest = json.loads(members["manifest.json"])
    edit(manifest, members)
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, content in members.items():
            target.writestr(name, content)


def verify(path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_evidence_pack", str(path))
    return exit_info.value.code, capsys.readouterr()


def test_record_holds_revisions_approval_publication_and_audit(crisis, legal, communicator):
    record = build_record(crisis)
    assert record["schema_version"] == 2
    assert record["incident"]["reference"] == crisis.reference
    [statement] = record["statements"]
    assert [r["number"] for r in statement["revisions"]] == [1]
    assert statement["revisions"][0]["content"]["body"] == "We are aware and investigating."
    assert statement["revisions"][0]["created_by"]["username"] == communicator.username
    events = {(e["action"], e["actor"]["username"], e["revision"]) for e in statement["review_events"]}
    assert any("approv" in action and who == legal.username and rev == 1 for action, who, rev in events), events
    assert any("publish" in action for action, _who, _rev in events), events
    assert all(e["factor"] is None for e in statement["review_events"])  # no factor recorded by this crisis
    assert record["timeline"]
    assert record["exported_at"].endswith("+00:00")


def test_untouched_pack_verifies(pack, capsys):
    call_command("verify_evidence_pack", str(pack))
    assert "OK" in capsys.readouterr().out


def test_export_is_audited_with_the_manifest_hash(pack, crisis):
    manifest = json.loads(zipfile.ZipFile(pack).read("manifest.json"))
    row = AuditRecord.objects.get(action="incident.evidence_pack_exported", target_id=str(crisis.pk))
    assert row.data["manifest_sha256"] == manifest["manifest_sha256"]


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        ({"change": "record.json"}, "record.json: altered (SHA-256 or size differs)"),
        ({"change": "record.pdf"}, "record.pdf: altered (SHA-256 or size differs)"),
        ({"drop": "record.json"}, "record.json: missing"),
        ({"add": "attachments/planted.txt"}, "attachments/planted.txt: not in the manifest (added)"),
        ({"drop": "manifest.json"}, "manifest.json: missing"),
        ({"change": "manifest.json"}, "manifest.json: "),  # malformed, or hash mismatch, by the flipped byte
    ],
    ids=["changed-json-byte", "changed-pdf-byte", "removed-file", "added-file", "removed-manifest", "garbled-manifest"],
)
def test_tampered_pack_fails_naming_the_file(pack, capsys, tamper, message):
    rewrite(pack, **tamper)
    code, out = verify(pack, capsys)
    assert code == 1
    assert message in out.err
    assert "FAILED:" in out.err


def test_rewritten_manifest_without_the_key_fails(pack, capsys):
    """The forger changes a file and re-hashes the manifest, but cannot sign it."""
    rewrite(pack, change="record.json")

    def rehash(manifest, members):
        data = members["record.json"]
        manifest["files"]["record.json"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        canonical = json.dumps(manifest["files"], sort_keys=True, separators=(",", ":")).encode()
        manifest["manifest_sha256"] = hashlib.sha256(canonical).hexdigest()

    edit_manifest(pack, rehash)
    code, out = verify(pack, capsys)
    assert code == 1
    assert "manifest.json: hash or signature does not match" in out.err
    assert "record.json" not in out.err


def test_not_a_zip_fails(tmp_path, capsys):
    path = tmp_path / "junk.zip"
    path.write_bytes(b"not a zip")
    code, out = verify(path, capsys)
    assert code == 1
    assert "not a readable ZIP" in out.err


def test_exercise_label_on_every_pdf_page(team_lead, communicator, legal):
    import pypdf

    from crisisdesk.testing.factories import TimelineEntryFactory
    from postmortems.evidence.pack import build_pack

    drill = play_crisis(lead=team_lead, communicator=communicator, legal=legal, detected=T0, is_exercise=True)
    for n in range(120):
        TimelineEntryFactory(incident=drill, body=f"note {n}")
    data, _hash = build_pack(drill)
    pdf = pypdf.PdfReader(io.BytesIO(zipfile.ZipFile(io.BytesIO(data)).read("record.pdf")))
    assert len(pdf.pages) > 1
    assert all("EXERCISE" in page.extract_text() for page in pdf.pages)


def pdf_text(data: bytes) -> str:
    import pypdf

    pdf = pypdf.PdfReader(io.BytesIO(zipfile.ZipFile(io.BytesIO(data)).read("record.pdf")))
    return "\n".join(page.extract_text() for page in pdf.pages)


def test_pdf_prints_the_diff_the_decision_and_the_publication(team_lead, communicator, legal, incident):
    from crisisdesk.review import services as review
    from incidents.statements.services import statement_create, statement_record_url, statement_update
    from postmortems.evidence.pack import build_pack

    statement = statement_create(
        actor=communicator, incident=incident, title="Holding line", body="We are investigating.", channels=["x"]
    )
    statement = statement_update(actor=communicator, statement=statement, body="Refunds start today.")
    review.review_submit(actor=communicator, item=statement)
    statement.refresh_from_db()
    review.review_approve(actor=legal, item=statement, revision=statement.current_revision)
    review.review_publish(actor=communicator, item=statement)
    statement_record_url(actor=communicator, statement=statement, channel="x", url="https://x.example/live/1")
    alert = make_alert(make_rule(team_lead), mentions=1, incident=incident)
    data, _hash = build_pack(incident)
    text = pdf_text(data)
    assert "- We are investigating." in text
    assert "+ Refunds start today." in text
    assert f"approve r2 {legal.username}" in text
    assert "factor: not recorded" in text
    assert "https://x.example/live/1" in text
    assert "CrisisDesk stores no attachments" in text
    assert "mentions in window: 42" in text
    assert f"#{alert.evidence['mention_ids'][0]} x" in text and "Acme jar cracked 0" in text
    assert "EXERCISE" not in text


def test_changed_manifest_signature_fails(pack, capsys):
    def flip(manifest, _members):
        signature = manifest["hmac_sha256"]
        manifest["hmac_sha256"] = ("0" if signature[0] != "0" else "1") + signature[1:]

    edit_manifest(pack, flip)
    code, out = verify(pack, capsys)
    assert code == 1
    assert "manifest.json: hash or signature does not match" in out.err


def test_a_second_member_with_a_known_name_fails(pack, capsys):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate name
        with zipfile.ZipFile(pack, "a") as archive:
            archive.writestr("record.json", b"{}")
    code, out = verify(pack, capsys)
    assert code == 1
    assert "record.json: stored twice in the ZIP" in out.err


def test_command_line_export_as_a_user_is_audited_with_them(crisis, team_lead, tmp_path):
    path = tmp_path / "as-lead.zip"
    call_command("export_evidence_pack", crisis.reference, output=str(path), actor=team_lead.username)
    row = AuditRecord.objects.get(action="incident.evidence_pack_exported")
    assert row.actor == team_lead
    assert row.data["manifest_sha256"] == json.loads(zipfile.ZipFile(path).read("manifest.json"))["manifest_sha256"]


def test_command_line_export_refuses_a_hidden_incident_or_unknown_user(confidential_incident, communicator, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="that .* may export"):
        call_command("export_evidence_pack", confidential_incident.reference, actor=communicator.username)
    with pytest.raises(CommandError, match="No user nobody"):
        call_command("export_evidence_pack", confidential_incident.reference, actor="nobody")
    assert not AuditRecord.objects.filter(action="incident.evidence_pack_exported").exists()


def test_pdf_prints_the_tasks_and_the_post_crisis_review(crisis, team_lead):
    from incidents.checklist.services import playbook_activate
    from playbooks.tests.playbook_helpers import active_playbook, second_team_lead
    from postmortems.evidence.pack import build_pack
    from postmortems.tests.helpers import published_review

    approver = second_team_lead()
    playbook_activate(actor=team_lead, incident=crisis, playbook=active_playbook(author=approver, approver=team_lead))
    item = published_review(author=team_lead, approver=approver, incident=crisis, lessons="Pre-approve a holding line.")
    text = pdf_text(build_pack(crisis)[0])
    assert "1. Confirm the facts with the product team — open" in text
    assert "Pre-approve a holding line." in text
    assert f"approve r{item.published_revision.number} {approver.username}" in text
