"""The demo kernel: steps run in order, resets last step first, one-off steps skipped on a seeded desk."""

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured

from crisisdesk import demo


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(demo, "_STEPS", {})
    monkeypatch.setattr(demo, "_SUMMARIES", {})
    calls, seeded = [], []

    def step(name):
        return lambda context: calls.append(name)

    demo.register(30, "c", step("seed c"), once=True, reset=step("reset c"), is_seeded=lambda: bool(seeded))
    demo.register(10, "a", step("seed a"))
    demo.register(20, "b", step("seed b"), once=True, reset=step("reset b"))
    demo.register_summary(1, "s", step("summary"))
    return calls, seeded


def test_steps_run_in_order_and_resets_in_reverse(registry, db):
    calls, _seeded = registry
    demo.seed(demo.DemoContext(), reset=True)
    assert calls == ["reset c", "reset b", "seed a", "seed b", "seed c"]
    # The reset ran under the audited maintenance switch that lets it delete append-only rows.
    from crisisdesk.audit.models import AuditRecord

    assert AuditRecord.objects.get(action="maintenance.purge").comment.startswith("seed_demo --reset")


def test_one_off_steps_are_skipped_when_the_demo_is_there(registry):
    calls, seeded = registry
    seeded.append(True)
    out = StringIO()
    demo.seed(demo.DemoContext(stdout=out))
    assert calls == ["seed a"]
    assert "already there" in out.getvalue()
    demo.summarise(demo.DemoContext())
    assert calls[-1] == "summary"


def test_two_steps_may_not_share_an_order(registry):
    demo.register(10, "a", lambda context: None)  # the same name again replaces it
    with pytest.raises(ImproperlyConfigured, match="order 10 is already 'a'"):
        demo.register(10, "other", lambda context: None)


def test_the_apps_register_their_steps():
    names = [step.name for step in demo.steps()]
    assert names.index("incidents.users") < names.index("playbooks.key_messages") < names.index("incidents.incidents")
    assert names.index("incidents.incidents") < names.index("postmortems.reviews") < names.index("playbooks.playbooks")
