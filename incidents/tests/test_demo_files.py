"""The demo's YAML scenarios: the shipped ones load, and a malformed one fails naming its file and scenario."""

import textwrap
from datetime import timedelta

import pytest

from crisisdesk.demo import DemoDataError, parse_duration
from incidents.demo.loader import load_incidents, load_mentions
from incidents.models import Severity, TimelineKind

GOOD = """
title: Broken script
summary: Something happened.
category: other
severity: low
source: A post
channels: [x]
detected_ago: 2h
opened_after: 5m
opened_by: comms
steps:
  - {at: 10m, by: comms, fact: claim, claim: It happened.}
  - {at: 20m, by: lead, verify: claim, verdict: confirmed, comment: Checked.}
  - {at: 30m, by: comms, note: A note.}
statements:
  - {at: 40m, by: comms, draft: reply, channels: [x], title: Reply, body: Sorry., cites: [claim]}
  - {at: 45m, by: comms, submit: reply}
"""


def scenarios(tmp_path, text: str, language: str = "en", name: str = "broken"):
    folder = tmp_path / language
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_incidents(tmp_path)


def test_the_shipped_scenarios_load_in_both_languages():
    specs = load_incidents()
    assert 8 <= len(specs) <= 12
    assert {spec.language for spec in specs} == {"en", "fr"}
    assert len({spec.key for spec in specs}) == len({spec.title for spec in specs}) == len(specs)
    mentions = load_mentions()
    assert mentions.quiet_count + mentions.burst_count == 360 and "Acme" in mentions.watch_terms


def test_the_shipped_statements_start_from_key_messages_that_playbooks_ships():
    from playbooks.demo.loader import load_key_messages

    keys = {spec.key for spec in load_key_messages()}
    used = {
        step.args["from_key_message"]
        for spec in load_incidents()
        for step in spec.statements
        if step.action == "draft" and step.args["from_key_message"]
    }
    assert used and used <= keys


def test_a_well_formed_file_becomes_a_scenario(tmp_path):
    (spec,) = scenarios(tmp_path, GOOD, language="fr")
    assert spec.key == "broken" and spec.language == "fr" and spec.severity == Severity.LOW
    assert spec.detected_ago == timedelta(hours=2) and spec.opened_after == timedelta(minutes=5)
    assert [step.action for step in spec.steps] == ["fact", "verify", "note"]
    assert spec.steps[1].args == {"key": "claim", "status": "confirmed", "note": "Checked."}
    assert spec.steps[2].args == {"body": "A note.", "kind": TimelineKind.NOTE}
    assert spec.statements[0].args["cites"] == ["claim"] and spec.statements[0].args["from_key_message"] is None


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (
            "  - {at: 30m, by: comms, note: A note.}",
            "  - {at: 30m, by: comms, shout: A note.}",
            r"step 3: .*found none",
        ),
        (
            "  - {at: 30m, by: comms, note: A note.}",
            "  - {at: 30m, by: comms, note: A, status: closed}",
            r"step 3: .*found",
        ),
        ("title: Broken script\n", "", r"'title' is missing"),
        ("detected_ago: 2h", "detected_ago: two hours", r"'detected_ago': 'two hours' is not a duration"),
        ("severity: low", "severity: 5", r"'severity' is 5, expected one of: critical"),
        ("opened_by: comms", "opened_by: nobody", r"'opened_by' is 'nobody'"),
        ("channels: [x]", "channels: [x, carrier_pigeon]", r"unknown channel\(s\) carrier_pigeon"),
        ("verify: claim,", "verify: rumour,", r"verifies fact 'rumour' before it is added"),
        (
            "{at: 45m, by: comms, submit: reply}",
            "{at: 45m, by: comms, submit: answer}",
            r"submit of statement 'answer'",
        ),
        ("  - {at: 30m, by: comms, note: A note.}", "  - {at: 3h, by: comms, note: A note.}", r"out of order or in"),
        ("source: A post", "source: A post\nsorce: typo", r"unknown field\(s\): sorce"),
        ("source: A post", "source: A post\nsource: Another", r"not valid YAML: .*'source' is given twice"),
        ("summary: Something happened.", "summary: [unclosed", r"(?s)not valid YAML: .*line 3"),
    ],
)
def test_a_malformed_scenario_names_its_file_and_what_is_wrong(tmp_path, old, new, error):
    assert old in GOOD
    with pytest.raises(DemoDataError, match=error) as raised:
        scenarios(tmp_path, GOOD.replace(old, new, 1))
    assert "en/broken.yaml" in str(raised.value)
    if "not valid YAML" not in str(raised.value):
        assert "scenario 'broken'" in str(raised.value)


def test_scenarios_live_in_a_language_directory_with_unique_keys(tmp_path):
    scenarios(tmp_path, GOOD, language="en", name="same")
    with pytest.raises(DemoDataError, match="scenario key\\(s\\) used in two languages: same"):
        scenarios(tmp_path, GOOD, language="fr", name="same")
    (tmp_path / "fr" / "same.yaml").unlink()
    with pytest.raises(DemoDataError, match="scenarios go in a language directory"):
        scenarios(tmp_path, GOOD, language="de")


def test_a_malformed_key_message_names_its_file_and_key(tmp_path):
    from playbooks.demo.loader import load_key_messages

    for language in ("en", "fr"):
        (tmp_path / language).mkdir()
        (tmp_path / language / "key_messages.yaml").write_text("{}\n", encoding="utf-8")
    (tmp_path / "fr" / "key_messages.yaml").write_text(
        "late:\n  order: 1\n  kind: qa\n  topic: T\n  title: T\n  body: B\n  author: comms\n"
        "  created_ago: 1d\n  submitted_after: 5h\n",
        encoding="utf-8",
    )
    with pytest.raises(DemoDataError, match=r"fr/key_messages.yaml, key message 'late': approved before it was"):
        load_key_messages(tmp_path)


def test_durations():
    assert parse_duration("1d 2h 30m") == timedelta(days=1, hours=2, minutes=30)
    assert parse_duration("2.5h") == timedelta(hours=2, minutes=30)
    assert parse_duration("-12d") == -timedelta(days=12)
    for bad in ("", "5", "2m 1h", "soon"):
        with pytest.raises(ValueError, match="not a duration"):
            parse_duration(bad)
