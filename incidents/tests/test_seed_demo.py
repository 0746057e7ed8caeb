"""``manage.py seed_demo``: logins that work, incidents in every state, confidentiality, idempotence."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from incidents import demo_data
from incidents.models import Fact, FactStatus, Incident, Membership, Severity, Status, TimelineEntry, TimelineKind


@pytest.fixture
def fast_passwords(settings):
    # The default PBKDF2 hasher costs about 0.3 s per user; the behaviour under test does not depend on it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db, fast_passwords) -> str:
    return seed()


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "incidents": Incident.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "facts": Fact.objects.count(),
        "memberships": Membership.objects.count(),
    }


def test_one_login_per_role_in_its_group(seeded, client):
    User = get_user_model()
    for spec in demo_data.DEMO_USERS:
        user = User.objects.get(username=spec.username)
        groups = list(user.groups.values_list("name", flat=True))
        if spec.role is None:
            assert user.is_superuser and user.is_staff and groups == []
        else:
            assert groups == [spec.role] and not user.is_superuser
        assert user.first_name and user.last_name and user.email.endswith("@example.org")
        assert client.login(username=spec.username, password=spec.password), spec.username
        client.logout()
        assert f"{spec.username}  " in seeded and spec.password in seeded


def test_output_tells_where_to_go_and_how_to_get_a_token(seeded):
    assert "http://127.0.0.1:8000/" in seeded
    assert "POST /api/v1/auth/token/" in seeded
    assert "curl -s -X POST -d username=comms -d password=crisis-comms" in seeded
    for incident in Incident.objects.all():
        assert incident.reference in seeded


def test_incidents_cover_every_status_severity_and_several_categories(seeded):
    incidents = Incident.objects.all()
    assert 8 <= incidents.count() <= 12
    assert set(incidents.values_list("status", flat=True)) == set(Status.values)
    assert set(incidents.values_list("severity", flat=True)) == set(Severity.values)
    assert incidents.values("category").distinct().count() >= 6
    assert incidents.filter(is_exercise=True).exists()
    assert set(Fact.objects.values_list("status", flat=True)) == set(FactStatus.values)


def test_confidential_incident_is_hidden_from_the_observer_and_the_outsider(seeded, outsider):
    observer = get_user_model().objects.get(username="observer")
    admin = get_user_model().objects.get(username="admin")
    confidential = Incident.objects.filter(confidential=True)
    assert confidential.exists()
    visible_to_observer = Incident.objects.visible_to(observer)
    assert not visible_to_observer.filter(confidential=True).exists()
    assert visible_to_observer.count() == Incident.objects.filter(confidential=False).count()
    assert Incident.objects.visible_to(admin).count() == Incident.objects.count()
    assert not Incident.objects.visible_to(outsider).exists()
    for incident in confidential:
        # Whoever works on it must still see it.
        for membership in incident.memberships.select_related("user"):
            assert Incident.objects.visible_to(membership.user).filter(pk=incident.pk).exists()


def test_french_incidents_are_written_in_french(seeded):
    french = [spec for spec in demo_data.DEMO_INCIDENTS if spec.language == "fr"]
    assert french
    for spec in french:
        incident = Incident.objects.get(title=spec.title)
        first_note = next(step.args["body"] for step in spec.steps if step.action == "note")
        assert incident.timeline.filter(body=first_note).exists()
    assert Fact.objects.filter(claim__contains="Les biscuits Petit Bonheur").exists()


def test_every_incident_has_a_team_a_timeline_and_consistent_clocks(seeded):
    now = timezone.now()
    for incident in Incident.objects.all():
        assert incident.memberships.exists(), incident.reference
        kinds = set(incident.timeline.values_list("kind", flat=True))
        assert TimelineKind.OPENED in kinds and len(kinds) > 1, incident.reference
        for entry in incident.timeline.all():
            assert incident.detected_at <= entry.created_at <= now, (incident.reference, entry.body)
        assert incident.detected_at <= now
        assert incident.first_public_response_at is None
        if incident.status == Status.DETECTED:
            assert incident.acknowledged_at is None
        else:
            assert incident.detected_at <= incident.acknowledged_at
        if incident.status in (Status.RESOLVED, Status.CLOSED):
            assert incident.acknowledged_at <= incident.resolved_at
        else:
            assert incident.resolved_at is None
        if incident.status == Status.CLOSED:
            assert incident.resolved_at <= incident.closed_at <= now
        else:
            assert incident.closed_at is None
    # Clocks are spread out: the oldest crisis was detected weeks ago, the newest minutes ago.
    detected = Incident.objects.order_by("detected_at").values_list("detected_at", flat=True)
    assert now - detected.first() > timedelta(days=7)
    assert now - detected.last() < timedelta(hours=1)


def test_running_twice_adds_nothing_and_reprints_the_logins(seeded):
    before = counts()
    output = seed()
    assert counts() == before
    assert "nothing added" in output
    assert "crisis-observer" in output


def test_reset_rebuilds_the_same_demo(seeded):
    references = sorted(Incident.objects.values_list("reference", flat=True))
    before = counts()
    output = seed("--reset")
    assert counts() == before
    assert sorted(Incident.objects.values_list("reference", flat=True)) == references
    assert f"Deleted {before['incidents']} demo incidents." in output


def test_existing_user_with_a_demo_name_gets_the_demo_role_and_password(db, fast_passwords, observer, client):
    observer.groups.clear()
    seed()
    assert list(observer.groups.values_list("name", flat=True)) == ["Observer"]
    assert client.login(username="observer", password="crisis-observer")


def test_a_script_step_in_the_future_is_refused(db, fast_passwords):
    users = demo_data.ensure_users()
    spec = demo_data.DemoIncident(
        title="Broken script",
        summary="",
        category="other",
        severity=Severity.LOW,
        source="",
        channels=[],
        detected_ago=demo_data.minutes(10),
        opened_after=demo_data.minutes(1),
        opened_by="comms",
        steps=[demo_data.note(demo_data.minutes(20), "comms", "Written after now.")],
    )
    clock = demo_data._Clock(timezone.now())
    with pytest.raises(ValueError, match="out of order or in the future"):
        demo_data._seed_incident(spec, users, {}, clock, timezone.now())
    assert not Incident.objects.exists()
