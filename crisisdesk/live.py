"""Live pages by conditional-GET polling: topics, their versions in the shared cache, signed watch tokens.

A change calls ``touch("incident:7", "reviews")`` inside its transaction; *on commit* each
topic's version in the shared Django cache (Redis in production, the database cache
otherwise) gets a new random value, so a rolled-back change bumps nothing. A page names
the topics it watches (the view's ``live_topics`` context, plus ``user:<pk>`` for the bell
on every page); ``{% live_watch %}`` renders them as a token signed with a salt holding
the user id, and the ETag of their current versions.

``static/js/live.js`` polls ``/live/?t=<token>`` with ``If-None-Match``: 304 while no topic
moved, 200 with the new ETag when one did, and then the script re-fetches the page and
swaps its ``data-live-region`` elements. The token was signed when the page was rendered
for this user, who could see those topics then: the poll endpoint checks the signature
against the session's user and reads the cache, nothing else (no incident lookup).

Why polling rather than server-sent events or Channels: docs/architecture.md, "Live pages".
"""

import hashlib
import logging
import secrets

from django.contrib.auth import SESSION_KEY
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

SALT = "crisisdesk.live"
KEY_PREFIX = "live:"
# A version outlives any page left open; when it expires, pages watching it refresh once.
VERSION_TIMEOUT = 7 * 24 * 60 * 60
# A token older than this is refused (the page is reloaded by the script, which issues a new one).
TOKEN_MAX_AGE = 24 * 60 * 60
MAX_TOPICS = 20


def incident_topic(incident_or_pk) -> str:
    return f"incident:{getattr(incident_or_pk, 'pk', incident_or_pk)}"


def user_topic(user_or_pk) -> str:
    return f"user:{getattr(user_or_pk, 'pk', user_or_pk)}"


REVIEWS = "reviews"
ALERTS = "alerts"
# Any incident opened or changed (each timeline entry): the dashboard.
INCIDENTS = "incidents"


def touch(*topics: str) -> None:
    """Give each topic a new version once the current transaction commits (at once outside one)."""
    topics = tuple(sorted({topic for topic in topics if topic}))
    if topics:
        transaction.on_commit(lambda: bump(topics))


def bump(topics) -> None:
    """A fresh random version per topic: no read-modify-write, so concurrent bumps cannot lose one."""
    try:
        cache.set_many({KEY_PREFIX + topic: secrets.token_hex(8) for topic in topics}, timeout=VERSION_TIMEOUT)
    except Exception:  # a cache outage must not fail a change that already committed
        logger.warning("Could not bump live topics %s", topics, exc_info=True)


def etag(topics) -> str:
    """The quoted ETag of the topics' current versions (one cache read)."""
    keys = [KEY_PREFIX + topic for topic in topics]
    versions = cache.get_many(keys)
    digest = hashlib.sha256("|".join(f"{key}={versions.get(key, '0')}" for key in keys).encode()).hexdigest()
    return f'"{digest[:32]}"'


def _salt(user_pk) -> str:
    return f"{SALT}:{user_pk}"


def sign(*, user, topics) -> str:
    """A token naming ``topics`` that only ``user``'s session can poll."""
    ordered = sorted({str(topic) for topic in topics})[:MAX_TOPICS]
    return signing.dumps(ordered, salt=_salt(user.pk), compress=True)


def unsign(*, user_pk, token: str) -> list[str]:
    """The topics of a token signed for ``user_pk``; ``signing.BadSignature`` otherwise (expired included)."""
    topics = signing.loads(token, salt=_salt(user_pk), max_age=TOKEN_MAX_AGE)
    if not isinstance(topics, list) or not all(isinstance(topic, str) for topic in topics):
        raise signing.BadSignature("Not a list of topics.")
    return topics[:MAX_TOPICS]


@require_GET
def poll(request):
    """``GET /live/?t=<token>``: 304 while the watched topics keep the ETag sent in ``If-None-Match``, else 200.

    Reads the signed-in user's id from the session and the topics' versions from the cache:
    no other query. A token of another user, or one tampered with, is a 403.
    """
    token = request.GET.get("t", "")
    if not token or len(token) > 4096:
        return HttpResponseBadRequest("Missing token.", content_type="text/plain")
    user_pk = request.session.get(SESSION_KEY)
    if user_pk is None:
        return HttpResponseForbidden("Not signed in.", content_type="text/plain")
    try:
        topics = unsign(user_pk=user_pk, token=token)
    except signing.BadSignature:
        return HttpResponseForbidden("Bad token.", content_type="text/plain")
    current = etag(topics)
    if request.headers.get("If-None-Match") == current:
        response = HttpResponse(status=304)
    else:
        response = JsonResponse({"etag": current})
    response["ETag"] = current
    response["Cache-Control"] = "no-cache, private"
    return response
