"""Admin of social listening: every page opens, writes go through the services, confidentiality holds."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from crisisdesk.roles import TEAM_LEAD
from crisisdesk.testing.factories import UserFactory
from incidents.listening import services as mention_services
from incidents.listening.models import Alert, Mention, MentionStatus, PrivateFollowUp, SpikeRule, WatchTerm

POSTED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
MODELS = ["watchterm", "spikerule", "alert", "mention", "privatefollowup"]


def staff_reader(user):
    """Staff with the admin's view permission on follow-ups (the roles reach them through the inbox)."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(Permission.objects.get(codename="view_privatefollowup"))
    return get_user_model().objects.get(pk=user.pk)  # a fresh instance: permissions are cached


@pytest.fixture
def listening(db, admin_user, team_lead, confidential_incident, monkeypatch):
    """One of each: term, rule, alert, feed, mention (on the confidential incident) and its private follow-up."""
    term = mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")
    rule = mention_services.spike_rule_save(actor=team_lead, data={"name": "Acme spike", "watch_term": term})
    alert = Alert.objects.create(
        rule=rule,
        watch_term=term,
        fired_at=POSTED,
        window_start=POSTED,
        window_end=POSTED,
        count=40,
        baseline=3.0,
        negative_share=0.7,
        baseline_negative_share=0.1,
        incident=confidential_incident,
    )
    mention = Mention(platform="x", external_id="1", text="Acme jar cracked", posted_at=POSTED)
    mention_services.mentions_ingest(mentions=[mention], source="api")
    follow_up = mention_services.mention_answer_privately(
        actor=team_lead, mention=mention, incident=confidential_incident, channel="email", outcome="Refund agreed"
    )
    return {
        "watchterm": term,
        "spikerule": rule,
        "alert": alert,
        "mention": Mention.objects.get(pk=mention.pk),
        "privatefollowup": follow_up,
    }


@pytest.mark.parametrize("model", MODELS)
def test_every_page_loads_for_a_superuser(model, listening, admin_user, client_for):
    client = client_for(admin_user)
    changelist = client.get(reverse(f"admin:incidents_{model}_changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 1
    assert client.get(reverse(f"admin:incidents_{model}_change", args=[listening[model].pk])).status_code == 200
    add = client.get(reverse(f"admin:incidents_{model}_add"))
    # Mentions arrive through ingest and alerts from spike rules: no add page for them.
    assert add.status_code == (403 if model in ("mention", "alert") else 200)


def test_non_member_staff_does_not_see_the_confidential_follow_up(listening, client_for):
    # A team lead with every social-listening permission, but not on the confidential incident's team.
    other_lead = staff_reader(UserFactory(username="lead2", role=TEAM_LEAD))
    client = client_for(other_lead)
    changelist = client.get(reverse("admin:incidents_privatefollowup_changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 0
    assert "Refund agreed" not in changelist.content.decode()
    follow_up = listening["privatefollowup"]
    change = client.get(reverse("admin:incidents_privatefollowup_change", args=[follow_up.pk]))
    assert change.status_code == 302  # the admin's "does not exist" redirect, never the record
    assert "Refund agreed" not in client.get(change.url).content.decode()
    # The mention and the alert on that incident stay hidden too.
    assert client.get(reverse("admin:incidents_mention_changelist")).context["cl"].result_count == 0
    assert client.get(reverse("admin:incidents_alert_changelist")).context["cl"].result_count == 0


def test_the_team_lead_on_the_incident_sees_it(listening, team_lead, client_for):
    changelist = client_for(staff_reader(team_lead)).get(reverse("admin:incidents_privatefollowup_changelist"))
    assert changelist.context["cl"].result_count == 1


def test_watch_term_added_through_the_service(admin_user, client_for):
    client = client_for(admin_user)
    response = client.post(reverse("admin:incidents_watchterm_add"), {"term": "Acme", "kind": "brand"})
    assert response.status_code == 302
    term = WatchTerm.objects.get()
    assert term.created_by == admin_user  # set by watch_term_add
    response = client.post(reverse("admin:incidents_watchterm_add"), {"term": "ACME", "kind": "brand"})
    assert response.status_code == 200
    assert "already watched" in response.content.decode()
    assert WatchTerm.objects.count() == 1


def test_mention_triage_goes_through_the_services(listening, admin_user, incident, client_for):
    mention = Mention.objects.create(platform="x", external_id="2", text="Acme", posted_at=POSTED)
    client = client_for(admin_user)
    url = reverse("admin:incidents_mention_change", args=[mention.pk])
    inline = {"term_matches-TOTAL_FORMS": "0", "term_matches-INITIAL_FORMS": "0"}
    response = client.post(url, {"triage_status": "escalated", "incident": incident.pk, "reply_url": "", **inline})
    assert response.status_code == 302
    mention.refresh_from_db()
    assert mention.status == MentionStatus.ESCALATED and mention.incident == incident
    # "Answered privately" needs a follow-up: the service refuses it and the form says so.
    response = client.post(
        url, {"triage_status": "answered_privately", "incident": incident.pk, "reply_url": "", **inline}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["triage_status"]
    mention.refresh_from_db()
    assert mention.status == MentionStatus.ESCALATED


def test_mention_bulk_action_calls_the_triage_service(listening, admin_user, client_for):
    mention = listening["mention"]
    response = client_for(admin_user).post(
        reverse("admin:incidents_mention_changelist"), {"action": "mark_ignored", "_selected_action": [mention.pk]}
    )
    assert response.status_code == 302
    mention.refresh_from_db()
    assert mention.status == MentionStatus.IGNORED


def test_spike_rule_edited_through_the_service(listening, admin_user, client_for):
    rule = listening["spikerule"]
    client = client_for(admin_user)
    url = reverse("admin:incidents_spikerule_change", args=[rule.pk])
    data = {
        "name": "Acme spike",
        "watch_term": rule.watch_term_id,
        "window_minutes": 30,
        "baseline_days": 7,
        "min_count": 10,
        "volume_factor": 3.0,
        "negative_share_rise": 0.3,
        "recent_windows": 2,
        "cooldown_minutes": 120,
        "action": "attach",
        "attach_to": "",
        "default_category": "viral_complaint",
        "default_severity": 3,
        "active": "on",
    }
    response = client.post(url, data)
    assert response.status_code == 200  # attaching needs an incident
    assert "Choose the incident" in response.content.decode()
    data["action"] = "notify"
    assert client.post(url, data).status_code == 302
    rule.refresh_from_db()
    assert rule.window_minutes == 30 and rule.min_count == 10 and rule.recent_windows == 2
    assert SpikeRule.objects.count() == 1


def test_feed_follow_up_and_alert_cannot_be_changed_or_deleted(listening, admin_user, client_for):
    client = client_for(admin_user)
    for model in ("privatefollowup", "alert", "mention", "spikerule", "watchterm"):
        obj = listening[model]
        assert (
            client.post(reverse(f"admin:incidents_{model}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
        )
    assert PrivateFollowUp.objects.count() == 1
