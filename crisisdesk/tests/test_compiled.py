"""``CompiledLookup``: SQL compiled once per process, rows turned into the same instances the queryset gives."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import OuterRef, Q
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from crisisdesk.apikeys.authentication import KEY_WITH_USER
from crisisdesk.apikeys.models import APIKey
from crisisdesk.apikeys.services import apikey_create
from crisisdesk.compiled import CompiledLookup
from crisisdesk.userperms import ANNOTATION, permission_names

pytestmark = pytest.mark.django_db


def key_queryset(prefix):
    return (
        APIKey.objects.select_related("user")
        .annotate(**{ANNOTATION: permission_names(OuterRef(OuterRef("user_id")))})
        .filter(prefix=prefix)
    )


def fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_key_with_its_user_is_what_the_queryset_gives_in_one_query(admin_user, communicator):
    key, _ = apikey_create(actor=admin_user, name="Listening tool", scopes=["ingest"], user=communicator)
    expected = key_queryset(key.prefix).first()
    with CaptureQueriesContext(connection) as ctx:
        found = KEY_WITH_USER.first(prefix=key.prefix)
        user = found.user  # select_related: no query of its own
    assert len(ctx.captured_queries) == 1
    assert type(found) is APIKey and type(user) is type(expected.user)
    assert fields(found) == fields(expected) and fields(user) == fields(expected.user)
    assert found.created_at.tzinfo is not None  # the compiler's converters applied (SQLite's text dates)
    names = getattr(found, ANNOTATION)
    assert names and set(names.split()) == set(getattr(expected, ANNOTATION).split())
    assert not found._state.adding and found._state.db == "default"


def test_every_call_runs_the_same_statement_with_its_own_value(admin_user, communicator, legal):
    one, _ = apikey_create(actor=admin_user, name="One", scopes=["read"], user=communicator)
    two, _ = apikey_create(actor=admin_user, name="Two", scopes=["read"], user=legal)
    with CaptureQueriesContext(connection) as ctx:
        assert KEY_WITH_USER.first(prefix=one.prefix).user == communicator
        assert KEY_WITH_USER.first(prefix=two.prefix).user == legal
        assert KEY_WITH_USER.first(prefix="0" * 12) is None
    statements = {
        query["sql"].replace(one.prefix, "?").replace(two.prefix, "?").replace("0" * 12, "?")
        for query in ctx.captured_queries
    }
    assert len(ctx.captured_queries) == 3 and len(statements) == 1


def test_the_user_lookup_annotates_like_the_queryset(communicator):
    lookup = CompiledLookup(
        lambda pk: (
            get_user_model().objects.annotate(**{ANNOTATION: permission_names(OuterRef(OuterRef("pk")))}).filter(pk=pk)
        ),
        sentinels={"pk": -2_147_000_001},
    )
    expected = (
        get_user_model()
        .objects.annotate(**{ANNOTATION: permission_names(OuterRef(OuterRef("pk")))})
        .get(pk=communicator.pk)
    )
    found = lookup.first(pk=communicator.pk)
    assert fields(found) == fields(expected)
    assert set(getattr(found, ANNOTATION).split()) == set(getattr(expected, ANNOTATION).split())


def test_a_value_used_twice_is_filled_in_everywhere(admin_user, communicator):
    key, _ = apikey_create(actor=admin_user, name="Twice", scopes=["read"], user=communicator)
    lookup = CompiledLookup(
        lambda prefix, user: APIKey.objects.filter(Q(user=user) | Q(pk=user), prefix=prefix, user__is_active=True),
        sentinels={"prefix": "\x00p", "user": -2_147_000_003},
    )
    _, _, params, positions, *_ = lookup.compiled("default")
    assert sorted(name for _, name, _ in positions) == ["prefix", "user", "user"]
    assert lookup.first(prefix=key.prefix, user=communicator.pk) == key
    assert lookup.first(prefix=key.prefix, user=999_999) is None  # neither the key's user nor its id


def test_sentinels_are_checked():
    with pytest.raises(ValueError, match="of its own"):
        CompiledLookup(lambda a, b: APIKey.objects.filter(prefix=a, name=b), sentinels={"a": "\x00s", "b": "\x00s"})
    absent = CompiledLookup(lambda value: APIKey.objects.filter(prefix="abc"), sentinels={"value": "\x00s"})
    with pytest.raises(ValueError, match="'value' is not among"):
        absent.first(value="x")
    inlined = CompiledLookup(
        lambda value: APIKey.objects.extra(where=[f"name <> '{value}'"]).filter(prefix=value),
        sentinels={"value": "crisisdesk-sentinel"},
    )
    with pytest.raises(ValueError, match="in the SQL itself"):
        inlined.first(value="x")
    lookup = CompiledLookup(lambda value: APIKey.objects.filter(prefix=value), sentinels={"value": "\x00s"})
    with pytest.raises(TypeError, match="Expected the values"):
        lookup.first(other="x")


def test_values_and_prefetch_are_refused():
    for build in (
        lambda value: APIKey.objects.filter(prefix=value).values("name"),
        lambda value: APIKey.objects.filter(prefix=value).prefetch_related("approval_grants"),
    ):
        with pytest.raises(ValueError, match="model rows only"):
            CompiledLookup(build, sentinels={"value": "\x00s"}).first(value="x")


@pytest.mark.parametrize("raw", ["nothex-prefix.secret", "ABCDEF012345.secret", "abc\x00def01234.secret", "0123"])
def test_a_key_whose_prefix_no_key_can_have_is_refused_without_a_query(raw):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/mentions/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid API key."
    assert not [q for q in ctx.captured_queries if "apikey" in q["sql"].lower()]
