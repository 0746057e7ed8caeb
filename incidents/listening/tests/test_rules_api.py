"""Listening API: watch terms, spike rules and alerts per persona, API key scopes, validation, confidentiality.

The rules live in ``mention_services`` (tested there); these tests prove that each endpoint
reaches the service, that every refusal arrives with the right code, and that a confidential
incident never shows through a rule or an alert.
"""

from datetime import timedelta

import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from crisisdesk.apikeys import services as key_services
from crisisdesk.testing.factories import IncidentFactory
from incidents.listening import parsing
from incidents.listening import services as mention_services
from incidents.listening.api.serializers import SpikeRuleInputSerializer, SpikeRuleSerializer
from incidents.listening.models import Alert, SpikeAction, SpikeRule, WatchTerm
from incidents.models import Status

pytestmark = pytest.mark.django_db

READERS = ["communicator", "legal", "observer"]
TERMS = "/api/v1/watch-terms/"
RULES = "/api/v1/spike-rules/"
ALERTS = "/api/v1/alerts/"


@pytest.fixture
def key_client(admin_user):
    """``key_client(user, "read")`` → a client authenticated by a new API key of that user with those scopes."""

    def make(user, *scopes) -> APIClient:
        _, raw_key = key_services.apikey_create(actor=admin_user, name="Integration", scopes=list(scopes), user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
        return client

    return make


@pytest.fixture
def acme(team_lead):
    return mention_services.watch_term_add(actor=team_lead, term="Acme", kind="brand")


@pytest.fixture
def rule(acme, team_lead):
    return mention_services.spike_rule_save(
        actor=team_lead, data={"name": "Acme spike", "watch_term": acme, "min_count": 20}
    )


@pytest.fixture
def hidden_rule(acme, team_lead, confidential_incident):
    """A rule attached to the confidential incident: only its team (the team lead) sees it."""
    return mention_services.spike_rule_save(
        actor=team_lead,
        data={
            "name": "Memo leak",
            "watch_term": acme,
            "action": SpikeAction.ATTACH,
            "attach_to": confidential_incident,
        },
    )


def make_alert(rule, *, incident=None, fired_at=None, count=42):
    fired_at = fired_at or timezone.now()
    return Alert.objects.create(
        rule=rule,
        watch_term=rule.watch_term,
        fired_at=fired_at,
        window_start=fired_at - timedelta(hours=1),
        window_end=fired_at,
        count=count,
        baseline=4.0,
        negative_share=0.6,
        baseline_negative_share=0.1,
        evidence={"mention_ids": [3, 1], "curve": [{"at": fired_at.isoformat(), "count": count, "negative": 25}]},
        incident=incident,
    )


def ingest(*items):
    mentions, errors = parsing.parse_batch(list(items))
    assert errors == []
    mention_services.mentions_ingest(mentions=mentions, source="api")


def mention(n, posted_at):
    return {"platform": "x", "external_id": f"m-{n}", "text": f"Acme blender {n}", "posted_at": posted_at.isoformat()}


# --- watch terms -------------------------------------------------------------------------------


def test_team_lead_adds_a_term(api):
    response = api("team_lead").post(TERMS, {"term": " #AcmeFail ", "kind": "hashtag"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("term", "kind", "active", "mentions_last_24h")} == {
        "term": "#AcmeFail",
        "kind": "hashtag",
        "active": True,
        "mentions_last_24h": 0,
    }
    term = WatchTerm.objects.get(pk=body["id"])
    assert term.created_by.username == "lead"


def test_kind_defaults_to_brand(api):
    response = api("team_lead").post(TERMS, {"term": "Acme"}, format="json")
    assert response.status_code == 201
    assert response.json()["kind"] == "brand"


@pytest.mark.parametrize("persona", READERS)
def test_readers_list_and_retrieve_terms_but_may_not_add_or_pause(api, persona, acme):
    client = api(persona)
    assert [t["term"] for t in client.get(TERMS).json()["results"]] == ["Acme"]
    assert client.get(f"{TERMS}{acme.pk}/").json()["term"] == "Acme"
    response = client.post(TERMS, {"term": "Other"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only team leads manage watch terms."
    assert client.patch(f"{TERMS}{acme.pk}/", {"active": False}, format="json").status_code == 403
    assert list(WatchTerm.objects.values_list("term", "active")) == [("Acme", True)]


def test_outsider_gets_403_on_the_list_and_404_on_a_term(api, acme):
    client = api("outsider")
    assert client.get(TERMS).status_code == 403
    assert client.post(TERMS, {"term": "Other"}, format="json").status_code == 403
    assert client.get(f"{TERMS}{acme.pk}/").status_code == 404
    assert client.patch(f"{TERMS}{acme.pk}/", {"active": False}, format="json").status_code == 404
    assert WatchTerm.objects.count() == 1


def test_anonymous_is_401():
    for url in (TERMS, RULES, ALERTS):
        assert APIClient().get(url).status_code == 401, url


def test_duplicate_term_is_400_on_term(api, acme):
    response = api("team_lead").post(TERMS, {"term": "ACME", "kind": "brand"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"term": ["This term is already watched."]}
    assert WatchTerm.objects.count() == 1


def test_bad_kind_and_missing_term_are_400(api):
    response = api("team_lead").post(TERMS, {"kind": "planet"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"term", "kind"}
    assert not WatchTerm.objects.exists()


def test_patch_deactivates_and_reactivates_a_term(api, acme):
    client = api("team_lead")
    response = client.patch(f"{TERMS}{acme.pk}/", {"active": False}, format="json")
    assert response.status_code == 200
    assert response.json()["active"] is False
    acme.refresh_from_db()
    assert acme.active is False
    assert client.patch(f"{TERMS}{acme.pk}/", {"active": True}, format="json").json()["active"] is True


def test_patch_refuses_any_field_but_active(api, acme):
    response = api("team_lead").patch(f"{TERMS}{acme.pk}/", {"term": "Acme Corp", "active": False}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["term"]
    acme.refresh_from_db()
    assert (acme.term, acme.active) == ("Acme", True)


def test_terms_cannot_be_deleted_or_replaced(api, acme):
    client = api("team_lead")
    assert client.delete(f"{TERMS}{acme.pk}/").status_code == 405
    assert client.put(f"{TERMS}{acme.pk}/", {"term": "X", "active": True}, format="json").status_code == 405
    assert WatchTerm.objects.filter(pk=acme.pk).exists()


def test_terms_filter_by_active_and_kind(api, team_lead, acme):
    mention_services.watch_term_add(actor=team_lead, term="#acmefail", kind="hashtag")
    blender = mention_services.watch_term_add(actor=team_lead, term="Blendo", kind="product")
    mention_services.watch_term_set_active(actor=team_lead, watch_term=blender, active=False)
    client = api("communicator")

    def terms(**params):
        return [t["term"] for t in client.get(TERMS, params).json()["results"]]

    assert terms(active="true") == ["#acmefail", "Acme"]
    assert terms(active="false") == ["Blendo"]
    assert terms(kind="hashtag") == ["#acmefail"]
    assert terms(kind=["brand", "product"]) == ["Acme", "Blendo"]
    assert client.get(TERMS, {"kind": "planet"}).status_code == 400


def test_mentions_last_24h_counts_only_recent_matches(api, team_lead, acme):
    other = mention_services.watch_term_add(actor=team_lead, term="Blendo", kind="product")
    now = timezone.now()
    ingest(
        mention(1, now - timedelta(hours=1)),
        mention(2, now - timedelta(hours=23)),
        mention(3, now - timedelta(hours=25)),
        mention(4, now - timedelta(days=3)),
    )
    client = api("observer")
    counts = {t["term"]: t["mentions_last_24h"] for t in client.get(TERMS).json()["results"]}
    assert counts == {"Acme": 2, "Blendo": 0}
    assert client.get(f"{TERMS}{acme.pk}/").json()["mentions_last_24h"] == 2
    assert client.get(f"{TERMS}{other.pk}/").json()["mentions_last_24h"] == 0


def test_term_list_query_count_is_flat(api, team_lead):
    client = api("communicator")
    mention_services.watch_term_add(actor=team_lead, term="term-0", kind="brand")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(TERMS).json()["results"]) == 1
    for n in range(1, 30):
        mention_services.watch_term_add(actor=team_lead, term=f"term-{n}", kind="brand")
    ingest(*[mention(n, timezone.now() - timedelta(hours=1)) for n in range(5)])
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(TERMS).json()["results"]) == 30
    assert len(many) == len(one)


# --- spike rules -------------------------------------------------------------------------------


def rule_payload(acme, **extra):
    return {"name": "Acme storm", "watch_term": acme.pk, "window_minutes": 30, "min_count": 10, **extra}


def test_team_lead_creates_a_rule(api, acme):
    response = api("team_lead").post(RULES, rule_payload(acme, volume_factor=2.5), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    rule = SpikeRule.objects.get(pk=body["id"])
    assert (rule.name, rule.watch_term, rule.window_minutes, rule.min_count, rule.volume_factor) == (
        "Acme storm",
        acme,
        30,
        10,
        2.5,
    )
    # Unsent settings keep the model's defaults.
    assert rule.baseline_days == 7
    assert body["created_by"] == "lead"
    assert body["last_fired_at"] is None
    assert body["action"] == "notify"
    assert body["attach_to"] is None
    assert {"id", "created_at", *mention_services.SPIKE_RULE_FIELDS} <= set(body)


def test_team_lead_creates_a_rule_attached_to_an_incident(api, acme, incident):
    payload = rule_payload(acme, action="attach", attach_to=incident.reference)
    response = api("team_lead").post(RULES, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["attach_to"] == incident.reference
    assert SpikeRule.objects.get().attach_to == incident


def test_attach_without_incident_is_400_on_attach_to(api, acme):
    response = api("team_lead").post(RULES, rule_payload(acme, action="attach"), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["attach_to"]
    assert not SpikeRule.objects.exists()


def test_attach_to_a_confidential_incident_the_user_cannot_see_is_400_and_stores_nothing(
    api, acme, confidential_incident
):
    # lead2 is a team lead, but not on the confidential incident's team.
    payload = rule_payload(acme, action="attach", attach_to=confidential_incident.reference)
    response = api("lead2").post(RULES, payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["attach_to"]
    # Told exactly as for a reference that does not exist: nothing leaks.
    missing = api("lead2").post(RULES, rule_payload(acme, action="attach", attach_to="CD-2099-9999"), format="json")
    assert missing.json()["attach_to"][0].replace("CD-2099-9999", "X") == response.json()["attach_to"][0].replace(
        confidential_incident.reference, "X"
    )
    assert "Leaked memo" not in response.content.decode()
    assert not SpikeRule.objects.exists()


def test_attach_to_a_closed_incident_is_400_on_attach_to(api, acme):
    now = timezone.now()
    closed = IncidentFactory(
        reference="CD-2026-0009", status=Status.CLOSED, acknowledged_at=now, resolved_at=now, closed_at=now
    )
    response = api("team_lead").post(
        RULES, rule_payload(acme, action="attach", attach_to=closed.reference), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"attach_to": ["Alerts can only be attached to an active incident."]}
    assert not SpikeRule.objects.exists()


def test_rule_validation_errors_name_their_fields(api, acme):
    client = api("team_lead")
    response = client.post(RULES, {"watch_term": 9999, "action": "explode", "min_count": -1}, format="json")
    assert response.status_code == 400
    assert {"name", "watch_term", "action", "min_count"} <= set(response.json())
    # A field the rule does not have (or that only the system writes) is refused, not ignored.
    response = client.post(RULES, rule_payload(acme, last_fired_at="2026-01-01T00:00:00Z"), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["last_fired_at"]
    assert not SpikeRule.objects.exists()


@pytest.mark.parametrize("persona", READERS)
def test_readers_list_and_retrieve_rules_but_may_not_write(api, persona, rule, acme):
    client = api(persona)
    assert [r["name"] for r in client.get(RULES).json()["results"]] == ["Acme spike"]
    assert client.get(f"{RULES}{rule.pk}/").json()["watch_term"] == acme.pk
    assert client.post(RULES, rule_payload(acme), format="json").status_code == 403
    response = client.patch(f"{RULES}{rule.pk}/", {"active": False}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only team leads manage spike rules."
    rule.refresh_from_db()
    assert rule.active is True
    assert SpikeRule.objects.count() == 1


def test_outsider_gets_403_on_rules_and_404_on_a_rule(api, rule, acme):
    client = api("outsider")
    assert client.get(RULES).status_code == 403
    assert client.post(RULES, rule_payload(acme), format="json").status_code == 403
    assert client.get(f"{RULES}{rule.pk}/").status_code == 404
    assert client.patch(f"{RULES}{rule.pk}/", {"active": False}, format="json").status_code == 404


def test_patch_deactivates_a_rule_and_changes_only_what_is_sent(api, rule):
    client = api("team_lead")
    response = client.patch(f"{RULES}{rule.pk}/", {"active": False}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["active"] is False
    response = client.patch(f"{RULES}{rule.pk}/", {"min_count": 50, "cooldown_minutes": 30}, format="json")
    assert response.status_code == 200
    rule.refresh_from_db()
    assert (rule.active, rule.min_count, rule.cooldown_minutes, rule.name) == (False, 50, 30, "Acme spike")


def test_patch_to_attach_without_incident_is_400(api, rule):
    response = api("team_lead").patch(f"{RULES}{rule.pk}/", {"action": "attach"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["attach_to"]
    rule.refresh_from_db()
    assert rule.action == SpikeAction.NOTIFY


def test_patch_attach_to_a_hidden_incident_is_400_and_changes_nothing(api, rule, confidential_incident):
    payload = {"action": "attach", "attach_to": confidential_incident.reference}
    response = api("lead2").patch(f"{RULES}{rule.pk}/", payload, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["attach_to"]
    rule.refresh_from_db()
    assert (rule.action, rule.attach_to) == (SpikeAction.NOTIFY, None)


def test_rule_attached_to_a_confidential_incident_is_hidden_from_non_members(api, rule, hidden_rule):
    for persona in ("communicator", "lead2", "observer"):
        client = api(persona)
        assert [r["name"] for r in client.get(RULES).json()["results"]] == ["Acme spike"]
        assert client.get(f"{RULES}{hidden_rule.pk}/").status_code == 404
        assert client.patch(f"{RULES}{hidden_rule.pk}/", {"active": False}, format="json").status_code == 404
    # Its team sees it, with the reference.
    member = api("team_lead")
    assert member.get(f"{RULES}{hidden_rule.pk}/").json()["attach_to"] == "CD-2026-0002"
    hidden_rule.refresh_from_db()
    assert hidden_rule.active is True


def test_rules_cannot_be_deleted(api, rule):
    assert api("team_lead").delete(f"{RULES}{rule.pk}/").status_code == 405
    assert SpikeRule.objects.filter(pk=rule.pk).exists()


def test_rules_filter_by_watch_term_and_active(api, team_lead, acme, rule):
    other = mention_services.watch_term_add(actor=team_lead, term="Blendo", kind="product")
    mention_services.spike_rule_save(actor=team_lead, data={"name": "Blendo", "watch_term": other, "active": False})
    client = api("communicator")

    def names(**params):
        return [r["name"] for r in client.get(RULES, params).json()["results"]]

    assert names() == ["Acme spike", "Blendo"]
    assert names(watch_term=acme.pk) == ["Acme spike"]
    assert names(active="false") == ["Blendo"]
    assert names(watch_term=other.pk, active="true") == []


def test_rule_list_query_count_is_flat(api, team_lead, acme, incident):
    client = api("communicator")
    mention_services.spike_rule_save(actor=team_lead, data={"name": "r-0", "watch_term": acme})
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(RULES).json()["results"]) == 1
    for n in range(1, 20):
        data = {"name": f"r-{n}", "watch_term": acme, "action": "attach", "attach_to": incident}
        mention_services.spike_rule_save(actor=team_lead, data=data)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(RULES).json()["results"]) == 20
    assert len(many) == len(one)


def test_rule_serializers_follow_spike_rule_fields():
    """A field the lead adds to ``SPIKE_RULE_FIELDS`` (and the model) is read and written without an edit here."""
    assert list(SpikeRuleInputSerializer().fields) == list(mention_services.SPIKE_RULE_FIELDS)
    read_fields = list(SpikeRuleSerializer().fields)
    assert read_fields == ["id", *mention_services.SPIKE_RULE_FIELDS, "last_fired_at", "created_by", "created_at"]


# --- alerts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", [*READERS, "team_lead"])
def test_readers_list_and_retrieve_alerts(api, persona, rule, incident):
    alert = make_alert(rule, incident=incident)
    client = api(persona)
    assert [a["id"] for a in client.get(ALERTS).json()["results"]] == [alert.pk]
    body = client.get(f"{ALERTS}{alert.pk}/").json()
    assert {k: body[k] for k in ("rule", "rule_name", "watch_term", "term", "count", "incident")} == {
        "rule": rule.pk,
        "rule_name": "Acme spike",
        "watch_term": rule.watch_term_id,
        "term": "Acme",
        "count": 42,
        "incident": incident.reference,
    }
    assert (body["baseline"], body["negative_share"], body["baseline_negative_share"]) == (4.0, 0.6, 0.1)
    assert body["window_start"] < body["window_end"]
    assert body["evidence"]["mention_ids"] == [3, 1]
    assert body["evidence"]["curve"][0]["count"] == 42


def test_alerts_are_read_only(api, rule):
    alert = make_alert(rule)
    client = api("team_lead")
    assert client.post(ALERTS, {}, format="json").status_code == 405
    assert client.patch(f"{ALERTS}{alert.pk}/", {"count": 1}, format="json").status_code == 405
    assert client.delete(f"{ALERTS}{alert.pk}/").status_code == 405
    alert.refresh_from_db()
    assert alert.count == 42


def test_outsider_gets_403_on_alerts_and_404_on_an_alert(api, rule):
    alert = make_alert(rule)
    client = api("outsider")
    assert client.get(ALERTS).status_code == 403
    assert client.get(f"{ALERTS}{alert.pk}/").status_code == 404


def test_alert_on_a_hidden_incident_is_absent_for_non_members(api, rule, confidential_incident):
    public = make_alert(rule)
    hidden = make_alert(rule, incident=confidential_incident)
    for persona in ("communicator", "lead2", "observer"):
        client = api(persona)
        assert [a["id"] for a in client.get(ALERTS).json()["results"]] == [public.pk]
        assert client.get(f"{ALERTS}{hidden.pk}/").status_code == 404
        assert client.get(ALERTS, {"incident": confidential_incident.reference}).json()["results"] == []
    member = api("team_lead")
    assert {a["id"] for a in member.get(ALERTS).json()["results"]} == {public.pk, hidden.pk}


def test_alerts_filter_by_term_rule_time_and_incident(api, team_lead, acme, rule, incident):
    other = mention_services.watch_term_add(actor=team_lead, term="Blendo", kind="product")
    other_rule = mention_services.spike_rule_save(actor=team_lead, data={"name": "Blendo", "watch_term": other})
    now = timezone.now()
    old = make_alert(rule, fired_at=now - timedelta(days=2))
    recent = make_alert(rule, fired_at=now - timedelta(hours=1), incident=incident)
    blendo = make_alert(other_rule, fired_at=now - timedelta(minutes=5))
    client = api("communicator")

    def ids(**params):
        response = client.get(ALERTS, params)
        assert response.status_code == 200, response.json()
        return [a["id"] for a in response.json()["results"]]

    assert ids() == [blendo.pk, recent.pk, old.pk]
    assert ids(watch_term=acme.pk) == [recent.pk, old.pk]
    assert ids(rule=other_rule.pk) == [blendo.pk]
    assert ids(fired_after=(now - timedelta(days=1)).isoformat()) == [blendo.pk, recent.pk]
    assert ids(fired_before=(now - timedelta(days=1)).isoformat()) == [old.pk]
    assert ids(incident=incident.reference) == [recent.pk]
    assert client.get(ALERTS, {"fired_after": "yesterday"}).status_code == 400


def test_alert_list_query_count_is_flat(api, rule, incident):
    client = api("communicator")
    make_alert(rule)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(ALERTS).json()["results"]) == 1
    for n in range(30):
        make_alert(rule, incident=incident if n % 2 else None, fired_at=timezone.now() - timedelta(minutes=n))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(ALERTS).json()["results"]) == 31
    assert len(many) == len(one)


def test_alert_with_empty_evidence_reads_as_empty_lists(api, rule):
    alert = make_alert(rule)
    Alert.objects.filter(pk=alert.pk).update(evidence={})
    assert api("observer").get(f"{ALERTS}{alert.pk}/").json()["evidence"] == {
        "mention_ids": [],
        "curve": [],
        "baseline_windows": [],
        # Not updated for late mentions: as fired.
        "late_mentions": 0,
        "recomputed_at": None,
        "fired_with": None,
    }


# --- API keys ----------------------------------------------------------------------------------


def test_read_key_lists_everything_but_cannot_create_or_patch(key_client, team_lead, acme, rule):
    # The key's user is a team lead: the refusal is the key's scope, not the role.
    client = key_client(team_lead, "read")
    for url in (TERMS, RULES, ALERTS):
        assert client.get(url).status_code == 200, url
    assert client.get(f"{RULES}{rule.pk}/").status_code == 200
    assert client.post(TERMS, {"term": "Other"}, format="json").status_code == 403
    assert client.post(RULES, rule_payload(acme), format="json").status_code == 403
    assert client.patch(f"{TERMS}{acme.pk}/", {"active": False}, format="json").status_code == 403
    assert client.patch(f"{RULES}{rule.pk}/", {"active": False}, format="json").status_code == 403
    assert WatchTerm.objects.count() == 1
    assert SpikeRule.objects.get().active is True


def test_ingest_key_cannot_list_rules_terms_or_alerts(key_client, team_lead, rule):
    client = key_client(team_lead, "ingest")
    for url in (TERMS, RULES, ALERTS, f"{RULES}{rule.pk}/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "read" in response.json()["detail"]


def test_write_key_of_a_team_lead_sets_up_listening(key_client, team_lead, incident):
    client = key_client(team_lead, "read", "write")
    term = client.post(TERMS, {"term": "Acme", "kind": "brand"}, format="json")
    assert term.status_code == 201
    payload = {"name": "Acme", "watch_term": term.json()["id"], "action": "attach", "attach_to": incident.reference}
    rule = client.post(RULES, payload, format="json")
    assert rule.status_code == 201, rule.json()
    assert client.patch(f"{RULES}{rule.json()['id']}/", {"active": False}, format="json").json()["active"] is False
    assert SpikeRule.objects.get().created_by == team_lead


def test_write_key_of_a_communicator_is_still_refused_by_the_service(key_client, communicator):
    client = key_client(communicator, "write")
    response = client.post(TERMS, {"term": "Acme"}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only team leads manage watch terms."
    assert not WatchTerm.objects.exists()


def test_revoked_key_is_401(admin_user, team_lead):
    key, raw_key = key_services.apikey_create(actor=admin_user, name="x", scopes=["read"], user=team_lead)
    key_services.apikey_revoke(actor=admin_user, key=key)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    assert client.get(ALERTS).status_code == 401


# --- schema ------------------------------------------------------------------------------------


def test_schema_describes_the_listening_endpoints_without_warnings(tmp_path):
    target = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    for path in (TERMS, f"{TERMS}{{id}}/", RULES, f"{RULES}{{id}}/", ALERTS, f"{ALERTS}{{id}}/"):
        assert path in paths, path
    assert set(paths[TERMS]) >= {"get", "post"}
    assert "delete" not in paths[f"{RULES}{{id}}/"]
    assert set(paths[f"{ALERTS}{{id}}/"]) == {"get"}
    components = schema["components"]["schemas"]
    assert set(components["SpikeRuleInputRequest"]["properties"]) == set(mention_services.SPIKE_RULE_FIELDS)
    params = {p["name"] for p in paths[ALERTS]["get"]["parameters"]}
    assert {"watch_term", "rule", "fired_after", "fired_before", "incident", "cursor"} <= params
