"""Validation of incoming mentions, shared by the API, CSV import and feeds.

Items are validated by plain functions (``parse_mention``) rather than a DRF serializer per item:
ingest is the hot path (≥ 10,000 mentions/s through the bulk API). ``services.mentions_ingest``
stores what these functions return.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from incidents.listening import sentiment
from incidents.listening.models import (
    AUDIENCE_MAX,
    MENTION_TEXT_MAX,
    POSTED_AT_MAX,
    POSTED_AT_MIN,
    Mention,
    MentionStatus,
)

MAX_BATCH = 1000


PLATFORM_RE = re.compile(r"^[-a-z0-9_]{1,32}$")
# Plain ASCII digits: int() alone would also take "1_000", " 12 " and Arabic-Indic digits.
_DIGITS_RE = re.compile(r"^[0-9]{1,16}$")


# Whitespace and control characters: never part of a link back to a post.
_SPACE_RE = re.compile(r"[\s\x00-\x1f\x7f]")

# Every field an item may carry; anything else is refused by name (a typo must not be dropped silently).
MENTION_FIELDS = frozenset(
    ("platform", "external_id", "text", "posted_at", "edited_at", "url", "author", "audience", "language", "sentiment")
)
# Bounds per field, those of the model's columns (text has no column limit: 20,000 characters).
MAX_LENGTHS = {"platform": 32, "external_id": 200, "text": MENTION_TEXT_MAX, "url": 1000, "author": 200, "language": 8}


# Fields a redelivery refreshes; status, incident and reply_url belong to triage.
SOURCE_FIELDS = (
    "url",
    "author",
    "audience",
    "text",
    "language",
    "posted_at",
    "edited_at",
    "sentiment",
    "sentiment_label",
    "sentiment_source",
    "updated_at",
)
# What tells a same-version redelivery that changed something from a plain resend (see ``is_newer``).
COMPARED_FIELDS = tuple(f for f in SOURCE_FIELDS if f != "updated_at")


class ItemError(ValueError):
    """One bad field of one item: where (index or CSV line), which field, why."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


def clean_string(value: str, name: str) -> str:
    """Refuse what no column can store: NUL (PostgreSQL text) and lone surrogates (not encodable as UTF-8)."""
    if "\x00" in value:
        raise ItemError(name, _("Contains a NUL character."))
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ItemError(name, _("Contains an invalid character (a lone surrogate).")) from None
    return value


def _text(item: dict, name: str, *, required: bool = False) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise ItemError(name, _("This field is required."))
        return ""
    if not isinstance(value, str):
        raise ItemError(name, _("Expected a string."))
    max_length = MAX_LENGTHS[name]
    if len(value) > max_length:
        raise ItemError(name, _("At most %(n)d characters.") % {"n": max_length})
    return clean_string(value, name)


def parse_datetime(value, name: str, *, required: bool = True) -> datetime | None:
    """An ISO 8601 date and time with its time zone, between 1970-01-01 and 2100-01-01 (UTC)."""
    if value is None or value == "":
        if required:
            raise ItemError(name, _("This field is required (ISO 8601 date and time)."))
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise ItemError(name, _("Not an ISO 8601 date and time."))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ItemError(name, _("Not an ISO 8601 date and time.")) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ItemError(name, _("Give the time zone (e.g. 2026-11-20T10:00:00Z or +01:00)."))
    try:
        in_range = POSTED_AT_MIN <= parsed < POSTED_AT_MAX
        parsed = parsed.astimezone(UTC)
    except OverflowError:
        in_range = False
    if not in_range:
        raise ItemError(name, _("Must be between 1970-01-01 and 2100-01-01."))
    return parsed


def _audience(value) -> int:
    # Booleans are ints in Python and floats would be truncated: both are refused, as are
    # strings other than plain digits (CSV cells). 0..2^53, the integers JSON carries exactly.
    if value is None or value == "":
        return 0
    if type(value) is int:
        number = value
    elif isinstance(value, str) and _DIGITS_RE.match(value.strip()):
        number = int(value.strip())
    else:
        raise ItemError("audience", _("Expected a whole number."))
    if number < 0:
        raise ItemError("audience", _("Cannot be negative."))
    if number > AUDIENCE_MAX:
        raise ItemError("audience", _("At most %(n)d.") % {"n": AUDIENCE_MAX})
    return number


def _external_id(value) -> str:
    # A string or an integer (0 included); never a boolean, float, object or list, whose repr
    # would become an id nobody sent.
    if type(value) is int:
        value = str(value)
    elif value is None:
        value = ""
    elif not isinstance(value, str):
        raise ItemError("external_id", _("Expected a string or an integer."))
    value = value.strip()
    if not value:
        raise ItemError("external_id", _("This field is required."))
    if len(value) > MAX_LENGTHS["external_id"]:
        raise ItemError("external_id", _("At most %(n)d characters.") % {"n": MAX_LENGTHS["external_id"]})
    return clean_string(value, "external_id")


def _sentiment(value) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ItemError("sentiment", _("Expected a number between -1 and 1."))
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ItemError("sentiment", _("Expected a number between -1 and 1.")) from None
    if not -1 <= number <= 1:  # NaN compares false: refused too
        raise ItemError("sentiment", _("Expected a number between -1 and 1."))
    return number


def _looks_like_url(url: str) -> bool:
    # Django's URLValidator costs ~40 µs a URL, 40% of parsing a batch; an http(s) URL with a host
    # and no whitespace is all a link back to the post needs (it is shown escaped, with rel=noopener).
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not _SPACE_RE.search(url)


@dataclass(slots=True)
class IncomingMention:
    """A validated mention on its way to the table.

    Not a ``Mention`` instance: building 1,000 model instances cost ~38 ms per bulk request,
    a third of the budget. ``mentions_ingest`` accepts either (it only reads these attributes).
    """

    platform: str
    external_id: str
    url: str
    author: str
    audience: int
    text: str
    language: str
    posted_at: datetime
    sentiment: float | None
    sentiment_label: str
    sentiment_source: str
    edited_at: datetime | None = None
    status: str = MentionStatus.NEW
    reply_url: str = ""
    source: str = ""
    received_at: datetime | None = None
    updated_at: datetime | None = None
    origin_id: int | None = None
    pk: int | None = None
    index: int = 0  # position in the request (not stored)

    def to_model(self) -> Mention:
        return Mention(**{f: getattr(self, f) for f in self.__dataclass_fields__ if f not in ("pk", "index")})


def version_of(posted_at: datetime, edited_at: datetime | None) -> datetime:
    """Which copy of a mention is newer: the source's ``edited_at`` when later, else ``posted_at``."""
    return edited_at if edited_at is not None and edited_at > posted_at else posted_at


def is_newer(incoming, stored: dict) -> bool:
    """Whether a redelivery replaces the stored copy (``stored``: its ``COMPARED_FIELDS``).

    Decided by the version the source sends, never by arrival: a later version wins; an older
    one is ignored; the same version wins only when it changes something (a resend of the
    same copy is ``unchanged``). The PostgreSQL upsert applies the same rule in SQL.
    """
    mine = version_of(incoming.posted_at, incoming.edited_at)
    theirs = version_of(stored["posted_at"], stored["edited_at"])
    if mine != theirs:
        return mine > theirs
    return any(getattr(incoming, name) != stored[name] for name in COMPARED_FIELDS)


def parse_mention(item) -> IncomingMention:
    """Validate one incoming item (API JSON or CSV row) into an ``IncomingMention``; raises ``ItemError``."""
    mention, undetected = _parse_mention(item, detect=True)
    return mention


def _parse_mention(item, *, detect: bool) -> tuple[IncomingMention, bool]:
    """The mention, and whether its language is still to be detected (only when ``detect`` is False).

    A batch defers detection so that it can detect every missing language in one call.
    """
    if not isinstance(item, dict):
        raise ItemError("non_field_errors", _("Expected an object."))
    if not MENTION_FIELDS.issuperset(item):
        # Names echoed back printable and encodable (a lone surrogate would break the JSON answer).
        unknown = sorted(ascii(name)[1:-1][:50] or '""' for name in set(item) - MENTION_FIELDS)
        names = ", ".join(unknown[:10]) + (", …" if len(unknown) > 10 else "")
        raise ItemError(names, _("Unknown field(s): %(names)s.") % {"names": names})
    platform = _text(item, "platform", required=True).strip().lower()
    if not PLATFORM_RE.match(platform):
        raise ItemError("platform", _("Use letters, digits, '-' or '_'."))
    external_id = _external_id(item.get("external_id"))
    text = _text(item, "text", required=True)
    url = _text(item, "url")
    if url and not _looks_like_url(url):
        raise ItemError("url", _("Enter a valid http(s) URL."))
    audience = _audience(item.get("audience"))
    supplied = _sentiment(item.get("sentiment"))
    language = _text(item, "language").lower()
    author = _text(item, "author")
    posted_at = parse_datetime(item.get("posted_at"), "posted_at")
    edited_at = parse_datetime(item.get("edited_at"), "edited_at", required=False)
    # Only when the source did not say (detection costs time at ingest); stored, so lists filter on it.
    undetected = not language and supplied is None
    if undetected and detect:
        language = sentiment.detect_language(text)
        undetected = False
    score, label, source = (None, "", "") if undetected else sentiment.analyse(text, language, supplied, detect=False)
    mention = IncomingMention(
        platform=platform,
        external_id=external_id,
        url=url,
        author=author,
        audience=audience,
        text=text,
        language=language,
        posted_at=posted_at,
        edited_at=edited_at,
        sentiment=score,
        sentiment_label=label,
        sentiment_source=source,
    )
    return mention, undetected


def _detect_and_score(mentions: list[IncomingMention]) -> None:
    """Detect the languages of these mentions in one call, then score them."""
    languages = sentiment.detect_languages([m.text for m in mentions])
    scores = sentiment.score_many(sentiment.get_analyser(), [m.text for m in mentions], languages)
    for mention, language, score in zip(mentions, languages, scores, strict=True):
        mention.language = language
        mention.sentiment, mention.sentiment_label, mention.sentiment_source = (
            score,
            sentiment.label_for(score),
            "builtin",
        )


def parse_batch(items) -> tuple[list[IncomingMention], list[dict]]:
    """Validate a batch; returns the good mentions (each with its ``index``) and per-item errors.

    Errors are ``{index, field, message}``. A second copy of the same (platform, external_id)
    in one batch is an error ("duplicate in this batch"): one statement cannot write a row
    twice, and which copy is meant is the sender's to say.
    """
    if not isinstance(items, list):
        raise ValidationError({"mentions": _("Expected a list of mentions.")})
    if not items:
        raise ValidationError({"mentions": _("The batch is empty.")})
    if len(items) > MAX_BATCH:
        raise ValidationError({"mentions": _("At most %(n)d mentions per request.") % {"n": MAX_BATCH}})
    mentions, errors, undetected = [], [], []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        try:
            mention, needs_language = _parse_mention(item, detect=False)
        except ItemError as exc:
            errors.append({"index": index, "field": exc.field, "message": exc.message})
            continue
        key = (mention.platform, mention.external_id)
        if key in seen:
            errors.append(
                {
                    "index": index,
                    "field": "external_id",
                    "message": _("Duplicate in this batch (same platform and external id as item %(n)d).")
                    % {"n": seen[key]},
                }
            )
            continue
        seen[key] = index
        mention.index = index
        mentions.append(mention)
        if needs_language:
            undetected.append(mention)
    if undetected:
        _detect_and_score(undetected)
    return mentions, errors
