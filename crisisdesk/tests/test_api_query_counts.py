"""SQL per API request (issue 15): list ≤ 5 and detail ≤ 4, flat in page size, per way of signing in.

A personal token (``Authorization: Token``) and an integration key (``Authorization: Api-Key``)
each read their user and that user's permissions in one query (crisisdesk.userperms); nothing is
kept across requests, so a revoked credential is refused on the very next request.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crisisdesk.apikeys.services import apikey_create, apikey_revoke
from crisisdesk.testing.factories import IncidentFactory, MembershipFactory, role
from incidents.listening.models import Mention, MentionTerm, WatchTerm
from incidents.listening.tests.test_views import make_mentions

pytestmark = pytest.mark.django_db

LIST_BUDGET, DETAIL_BUDGET = 5, 4


def sql_of(client, path, status=200) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == status, (response.status_code, response.content[:300])
    return [query["sql"] for query in ctx.captured_queries]


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def key_client(admin_user, user, scopes=("read",)):
    key, raw = apikey_create(actor=admin_user, name="Monitoring", scopes=list(scopes), user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client, key


def _incidents(team_lead, communicator, n):
    for incident in IncidentFactory.create_batch(n, lead=team_lead):
        MembershipFactory(incident=incident, user=communicator, role=role("communications"))


@pytest.mark.parametrize("persona", ["communicator", "team_lead", "observer"])
def test_incident_list_and_detail_with_a_token_are_within_budget_and_flat(personas, team_lead, persona):
    communicator = personas["communicator"]
    _incidents(team_lead, communicator, 50)
    confidential = IncidentFactory(lead=team_lead, confidential=True)
    MembershipFactory(incident=confidential, user=communicator, role=role("communications"))
    client = token_client(personas[persona])
    five = sql_of(client, "/api/v1/incidents/?page_size=5")
    fifty = sql_of(client, "/api/v1/incidents/?page_size=50")
    assert len(five) == len(fifty) <= LIST_BUDGET
    reference = IncidentFactory(lead=team_lead).reference
    detail = sql_of(client, f"/api/v1/incidents/{reference}/")
    assert len(detail) <= DETAIL_BUDGET, "\n".join(detail)
    # The token, its user and the user's permissions: one query.
    assert sum('FROM "auth_permission"' in sql for sql in five) == 1


def test_mention_list_and_detail_with_an_integration_key_are_within_budget_and_flat(admin_user, communicator):
    WatchTerm.objects.create(term="jar")
    make_mentions(50)
    assert MentionTerm.objects.count() == 50  # each row carries its matched term (a prefetch)
    client, _ = key_client(admin_user, communicator)
    sql_of(client, "/api/v1/mentions/?page_size=5")  # the once-a-minute last-used stamp
    five = sql_of(client, "/api/v1/mentions/?page_size=5")
    fifty = sql_of(client, "/api/v1/mentions/?page_size=50")
    assert len(five) == len(fifty) <= LIST_BUDGET
    assert len(sql_of(client, f"/api/v1/mentions/{Mention.objects.first().pk}/")) <= DETAIL_BUDGET


def test_a_deleted_token_is_refused_on_the_next_request(communicator):
    client = token_client(communicator)
    assert client.get("/api/v1/incidents/").status_code == 200
    Token.objects.filter(user=communicator).delete()
    assert client.get("/api/v1/incidents/").status_code == 401


def test_a_role_taken_away_counts_on_the_next_token_request(communicator):
    client = token_client(communicator)
    assert client.get("/api/v1/mentions/").status_code == 200
    communicator.groups.clear()
    assert client.get("/api/v1/mentions/").status_code == 403


def test_a_disabled_account_is_refused_with_its_token(communicator):
    client = token_client(communicator)
    communicator.is_active = False
    communicator.save(update_fields=["is_active"])
    assert client.get("/api/v1/incidents/").status_code == 401


def test_a_revoked_key_is_refused_on_the_next_request(admin_user, communicator):
    client, key = key_client(admin_user, communicator)
    assert client.get("/api/v1/mentions/").status_code == 200
    apikey_revoke(actor=admin_user, key=key)
    assert client.get("/api/v1/mentions/").status_code == 401


def test_a_keys_user_losing_a_role_loses_it_on_the_next_request(admin_user, communicator):
    client, _ = key_client(admin_user, communicator)
    assert client.get("/api/v1/mentions/").status_code == 200
    communicator.groups.clear()
    assert client.get("/api/v1/mentions/").status_code == 403


def test_a_tokens_user_has_exactly_djangos_permissions_from_one_query(communicator, admin_user):
    from django.contrib.auth.backends import ModelBackend

    from crisisdesk.api.authentication import TokenAuthentication

    for user in (communicator, admin_user):
        key = Token.objects.create(user=user).key
        with CaptureQueriesContext(connection) as ctx:
            found, token = TokenAuthentication().authenticate_credentials(key)
            permissions = found.get_all_permissions()
        fresh = type(user).objects.get(pk=user.pk)
        assert (found.pk, token.key) == (user.pk, key)
        assert permissions == ModelBackend().get_all_permissions(fresh)
        if not user.is_superuser:  # (a superuser's list is Django's own: every permission, read then)
            assert len(ctx.captured_queries) == 1
