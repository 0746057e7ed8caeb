"""Property test of mention validation (issue 13): whatever JSON arrives, ``parse_mention`` either
refuses it with a field error or returns a mention that the database stores and the inbox reads back.

Runs on SQLite and PostgreSQL (NUL, lone surrogates, year-1 times and bigint overflows failed only
on one or the other before)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.listening import parsing
from incidents.listening import services as mention_services
from incidents.listening.models import Mention

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=5)), timezone(timedelta(hours=-5, minutes=-30))])
times = st.builds(
    lambda moment, tz: moment.replace(tzinfo=tz).isoformat(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    offsets,
)
hostile_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60) | st.sampled_from(
    ["a\x00b", "bad \ud800 here", '=HYPERLINK("x")', "<img src=x onerror=alert(1)>", "a" * 20_001]
)
fields = {
    "platform": st.sampled_from(["x", "facebook", "X Y", ""]) | json_values,
    "external_id": st.integers(min_value=-(2**64), max_value=2**64) | hostile_text | json_values,
    "text": hostile_text | json_values,
    "posted_at": times | json_values,
    "edited_at": times | json_values,
    "url": st.sampled_from(["https://example.org/p", "javascript:alert(1)", "https://a\x00b.org"]) | json_values,
    "author": hostile_text | json_values,
    "audience": st.integers(min_value=-(2**64), max_value=2**64) | json_values,
    "language": st.sampled_from(["en", "fr", "EN-gb-toolong"]) | json_values,
    "sentiment": st.floats() | json_values,
}
items = st.fixed_dictionaries({}, optional=fields) | json_values


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(item=items)
def test_any_input_is_refused_with_a_field_error_or_stored_and_readable(item):
    try:
        mention = parsing.parse_mention(item)
    except parsing.ItemError as exc:
        assert isinstance(exc.field, str) and exc.field
        assert isinstance(exc.message, str) and exc.message
        return
    result = mention_services.mentions_ingest(mentions=[mention], source="api")
    stored = Mention.objects.get(pk=result.mentions[0].pk)
    assert stored.text == mention.text
    assert datetime(1970, 1, 1, tzinfo=UTC) <= stored.posted_at < datetime(2100, 1, 1, tzinfo=UTC)
    assert 0 <= stored.audience <= 2**53


@pytest.mark.django_db
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    item=st.fixed_dictionaries(
        {
            "platform": st.just("x"),
            "external_id": st.integers(min_value=0, max_value=10**6),
            "text": st.text(min_size=1, max_size=30).filter(str.strip),
            "posted_at": times,
        },
        optional={"audience": st.integers(min_value=0, max_value=2**53), "edited_at": times},
    )
)
def test_well_formed_items_in_range_are_accepted(item):
    try:
        mention = parsing.parse_mention(item)
    except parsing.ItemError as exc:
        # Only the bounds may refuse a well-formed item.
        assert exc.field in ("posted_at", "edited_at", "text"), (exc.field, exc.message)
        return
    mention_services.mentions_ingest(mentions=[mention], source="api")
