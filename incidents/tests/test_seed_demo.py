"""``manage.py seed_demo``: logins that work, incidents and statements in every state, confidentiality, idempotence."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from crisisdesk.review import selectors
from crisisdesk.review.models import AuditEvent, Decision, ReviewDecision, ReviewStatus, Revision
from incidents.demo import seed as demo_data
from incidents.models import Fact, FactStatus, Incident, Membership, Severity, Status, TimelineEntry, TimelineKind
from incidents.statements.models import Statement, StatementPublication
from playbooks.keymessages.models import KeyMessage, KeyMessageKind


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
        "statements": Statement.objects.count(),
        "key_messages": KeyMessage.objects.count(),
        "revisions": Revision.objects.count(),
        "decisions": ReviewDecision.objects.count(),
        "audit": AuditEvent.objects.count(),
        "live_urls": StatementPublication.objects.count(),
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
        # The first-public-response clock is the first statement that went out, if any did.
        published = incident.statements.exclude(published_at=None).order_by("published_at").first()
        assert incident.first_public_response_at == (published.published_at if published else None)
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


# --- statements and key messages --------------------------------------------------------------------------------


def test_statements_in_every_state(seeded):
    assert set(Statement.objects.values_list("status", flat=True)) == set(ReviewStatus.values)
    withdrawn = Statement.objects.filter(status=ReviewStatus.WITHDRAWN)
    assert withdrawn.exists() and all(s.withdrawal_reason and s.withdrawn_by for s in withdrawn)
    for statement in Statement.objects.filter(status__in=[ReviewStatus.PUBLISHED, ReviewStatus.WITHDRAWN]):
        assert statement.published_revision_id == statement.current_revision_id
        assert statement.incident.detected_at <= statement.published_at <= timezone.now()
    assert StatementPublication.objects.filter(statement__status=ReviewStatus.PUBLISHED).exists()
    assert Statement.objects.filter(language="fr", status=ReviewStatus.PUBLISHED).exists()
    # A draft that went back to its author with a request for changes.
    assert Statement.objects.filter(
        status=ReviewStatus.DRAFT,
        pk__in=ReviewDecision.objects.filter(decision=Decision.REQUEST_CHANGES).values("object_id"),
    ).exists()


def test_every_transition_went_through_the_engine(seeded):
    for statement in Statement.objects.all():
        events = list(statement.audit_events().order_by("created_at", "id").values_list("action", flat=True))
        assert events[0] == "create", statement.title
        timeline = TimelineEntry.objects.filter(incident=statement.incident, data__statement=statement.pk)
        assert timeline.count() == len(events), statement.title
        for entry in timeline:
            assert statement.incident.detected_at <= entry.created_at <= timezone.now()


def test_a_verbatim_key_message_went_out_without_a_new_review(seeded):
    verbatim = Statement.objects.filter(from_key_message__isnull=False, status=ReviewStatus.PUBLISHED)
    assert verbatim.exists()
    no_new_review = [
        s
        for s in verbatim
        if not s.decisions().filter(based_on__isnull=True).exists() and not s.audit_events().filter(action="submit")
    ]
    assert no_new_review, "one verbatim statement must be published on its key message's approval alone"
    statement = no_new_review[0]
    assert statement.current_revision.text_hash == statement.from_key_message.current_revision.text_hash
    assert statement.decisions().get().based_on.reviewer.username == "legal"


def test_a_severity_one_statement_approved_by_legal_and_the_lead(seeded):
    critical = Statement.objects.filter(incident__severity=Severity.CRITICAL, status=ReviewStatus.APPROVED)
    assert critical.exists()
    for statement in critical:
        roles = dict(
            statement.decisions()
            .filter(decision=Decision.APPROVE, revision=statement.current_revision)
            .values_list("role", "reviewer__username")
        )
        assert roles == {"legal": "legal", "incident_lead": statement.incident.lead.username}


def test_legal_has_a_queue_of_items_of_different_ages(seeded):
    legal = get_user_model().objects.get(username="legal")
    # Other demo items (post-crisis reviews) may wait for Legal too; these are the statements and key messages.
    entries = [entry for entry in selectors.waiting_for(legal) if entry.kind in ("statement", "keymessage")]
    assert 2 <= len(entries) <= 3
    ages = [entry.waiting_for for entry in entries]
    assert ages == sorted(ages, reverse=True)  # oldest first
    assert ages[0] > timedelta(days=1) and ages[-1] < timedelta(hours=1)
    assert {entry.kind for entry in entries} == {"statement", "keymessage"}


def test_key_messages_of_every_kind_in_both_languages(seeded):
    assert set(KeyMessage.objects.values_list("kind", flat=True)) == set(KeyMessageKind.values)
    assert set(KeyMessage.objects.values_list("language", flat=True)) == {"en", "fr"}
    usable = KeyMessage.objects.usable()
    assert usable.filter(language="en").exists() and usable.filter(language="fr").exists()
    expired = [k for k in KeyMessage.objects.filter(status=ReviewStatus.APPROVED) if k.is_expired()]
    assert len(expired) == 1
    assert KeyMessage.objects.filter(status=ReviewStatus.IN_REVIEW).count() == 1
    assert KeyMessage.objects.review_overdue().exists()


def test_newsroom_shows_published_and_withdrawn_statements_only_of_public_incidents(seeded):
    public = Statement.objects.public()
    assert set(public.values_list("status", flat=True)) == {ReviewStatus.PUBLISHED, ReviewStatus.WITHDRAWN}
    assert not public.filter(incident__confidential=True).exists()
    assert not public.filter(incident__is_exercise=True).exists()
    # Statements that went out but stay out of the newsroom: an exercise and a confidential incident.
    out = Statement.objects.filter(status=ReviewStatus.PUBLISHED).exclude(pk__in=public.values("pk"))
    assert out.filter(incident__is_exercise=True).exists() and out.filter(incident__confidential=True).exists()


# --- playbooks, roster, exercise (issue 4: playbooks/demo_data.py) ---------------------------------------------------


def playbook_counts() -> dict[str, int]:
    from incidents.checklist.models import IncidentTask
    from playbooks.models import Exercise, Playbook, PlaybookVersion
    from playbooks.roster.models import Person, RoleCapability

    return {
        "playbooks": Playbook.objects.count(),
        "versions": PlaybookVersion.objects.count(),
        "people": Person.objects.count(),
        "capabilities": RoleCapability.objects.count(),
        "exercises": Exercise.objects.count(),
        "tasks": IncidentTask.objects.count(),
    }


def test_playbooks_roster_exercise_and_an_activated_checklist(seeded):
    from crisisdesk.roles import TEAM_LEAD
    from incidents.checklist.models import IncidentTask, TaskStatus
    from playbooks.models import Exercise, Playbook
    from playbooks.roster.models import Person

    assert "4 playbooks" in seeded
    playbooks = {p.scenario: p for p in Playbook.objects.select_related("active_version")}
    assert {"viral_complaint", "product_defect", "data_breach", "executive_conduct"} <= set(playbooks)
    assert playbooks["executive_conduct"].language == "fr"
    assert "Vérifier les faits" in " ".join(
        playbooks["executive_conduct"].active_version.steps.values_list("title", flat=True)
    )
    for playbook in playbooks.values():
        version = playbook.active_version
        assert version.status == ReviewStatus.APPROVED
        # Four eyes: the approver wrote no revision of it.
        approver = version.decisions().get(decision=Decision.APPROVE).reviewer
        assert approver.groups.filter(name=TEAM_LEAD).exists()
        assert not version.revisions().filter(created_by=approver).exists()
        steps = list(version.steps.order_by("position"))
        assert len(steps) >= 5 and all(step.role_id for step in steps)
        assert [s.within_minutes for s in steps] == sorted(s.within_minutes for s in steps)
        assert version.channels and version.escalation_contacts and version.key_messages.exists()
        assert playbook.review_due is not None
    assert Playbook.objects.stale().count() == 1
    # A new version waits in the team leads' queue (not for its author).
    lead = get_user_model().objects.get(username="lead")
    assert any(entry.kind == "playbookversion" for entry in selectors.waiting_for(lead))

    people = Person.objects.select_related("department", "backup")
    departments = set(people.values_list("department__name", flat=True))
    assert {"Customer service", "Public relations", "Marketing"} <= departments
    for person in people:
        assert person.phone and person.responsibilities and person.capabilities.exists()
    assert all(p.backup_id for p in people if p.department.name != "Legal")

    exercise = Exercise.objects.get()
    assert exercise.status == "completed" and exercise.findings and exercise.follow_up_actions
    assert exercise.participants.count() == 4

    tasks = IncidentTask.objects.filter(activation__playbook=playbooks["viral_complaint"])
    assert tasks.filter(status=TaskStatus.DONE).count() == 4
    overdue = [task for task in tasks if task.is_overdue()]
    assert len(overdue) == 1
    assert tasks.filter(status=TaskStatus.OPEN).count() == 2
    incident = tasks.first().incident
    assert incident.timeline.filter(kind=TimelineKind.TASK).count() == 5  # activation + four done


def test_playbook_demo_is_idempotent_and_survives_a_reset(seeded):
    before = playbook_counts()
    seed()
    assert playbook_counts() == before
    seed("--reset")
    assert playbook_counts() == before


def test_the_newsroom_page_and_feed_show_the_demo_anonymously(seeded, client):
    page = client.get(reverse("newsroom:list"))
    assert page.status_code == 200
    html = page.content.decode()
    for statement in Statement.objects.public():
        assert escape(statement.published_revision.content["title"]) in html
    assert "cd-withdrawal-notice" in html
    for statement in Statement.objects.exclude(pk__in=Statement.objects.public().values("pk")):
        assert escape(statement.title) not in html, statement.title
    feed = client.get(reverse("newsroom:feed"))
    assert feed.status_code == 200 and b"<feed" in feed.content


# --- social listening (issue 7: demo_data.seed_mentions) -------------------------------------------------------------


def mention_counts() -> dict[str, int]:
    from incidents.listening.models import Mention, MentionTerm, SpikeRule, WatchTerm

    return {
        "mentions": Mention.objects.count(),
        "matches": MentionTerm.objects.count(),
        "terms": WatchTerm.objects.count(),
        "rules": SpikeRule.objects.count(),
    }


def test_demo_mentions_with_a_negative_burst_and_a_second_run_adds_none(seeded):
    from incidents.listening.models import Mention, Sentiment, SpikeRule, WatchTerm

    demo = Mention.objects.filter(platform=demo_data.DEMO_MENTION_PLATFORM)
    assert demo.count() >= 100
    assert f"{demo.count()} demo mentions" in seeded
    assert WatchTerm.objects.filter(term__iexact="Acme").exists() and SpikeRule.objects.exists()
    recent = demo.filter(posted_at__gte=timezone.now() - timedelta(hours=1))
    assert recent.filter(sentiment_label=Sentiment.NEGATIVE).count() > recent.count() / 2
    # Part of the burst is already triaged into a demo incident the observer may see.
    linked = demo.exclude(incident=None)
    assert linked.exists() and not linked.filter(incident__confidential=True).exists()
    before = mention_counts()
    seed()
    assert mention_counts() == before
    seed("--reset")
    assert mention_counts() == before


def test_the_printed_integration_key_ingests_and_a_second_run_revokes_it(seeded, fast_passwords):
    import json
    import re

    from rest_framework.test import APIClient

    def printed_key(output: str) -> str:
        return re.search(r"Api-Key ([0-9a-f]{12}\.[\w-]+)", output).group(1)

    first = printed_key(seeded)
    body = {
        "mentions": [{"platform": "x", "external_id": "k1", "text": "Acme jar", "posted_at": "2026-11-20T14:00:00Z"}]
    }

    def ingest(key):
        client = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")
        return client.post(reverse("api:mention-bulk"), json.dumps(body), content_type="application/json")

    assert ingest(first).status_code == 200
    out = StringIO()
    call_command("seed_demo", stdout=out)
    second = printed_key(out.getvalue())
    assert second != first
    assert ingest(first).status_code == 401
    assert ingest(second).status_code == 200


def test_the_demo_fires_one_alert_to_handle_on_the_dashboard(seeded, client):
    from incidents.listening.models import Alert, SpikeRule

    rule = SpikeRule.objects.get()
    assert (rule.default_category, rule.default_severity) == ("product_defect", 2)
    unhandled = Alert.objects.filter(rule=rule).unhandled()
    assert unhandled.count() == 1 and unhandled.get().incident is None
    lead = get_user_model().objects.get(username="lead")
    client.force_login(lead)
    body = client.get("/").content.decode()
    assert "cd-dashboard-alerts" in body and "Open incident and draft holding statement" in body
    seed()  # a second run inside the cool-down fires nothing new
    assert Alert.objects.filter(rule=rule).count() == 1


def test_the_demo_alert_drafts_the_approved_product_safety_holding_statement(seeded, client):
    """The demo's first minutes work as the click-budget test says: one click lands on an approved line."""
    from incidents.listening.models import Alert

    client.force_login(get_user_model().objects.get(username="comms"))
    alert = Alert.objects.unhandled().get()
    url = reverse("mentions:alert_open_incident", kwargs={"pk": alert.pk})
    response = client.post(url, {"then": "holding"}, follow=True)
    form = response.context["form"]
    holding = KeyMessage.objects.get(title="We are looking into reports about one of our products")
    assert form.initial["body"] == holding.body
    incident = Incident.objects.get(reference=response.context["incident"].reference)
    # The burst's platforms have no channel of their own here, so the website (the newsroom) is pre-set.
    assert form.initial["channels"] == incident.affected_channels == ["website"]
