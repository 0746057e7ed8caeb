"""The generic inbound webhook: monitoring tools push mentions to one source, signed with its secret.

``POST /api/v1/sources/<id>/inbound/`` with the Standard Webhooks headers (the scheme our own
outbound webhooks use, ``crisisdesk.webhooks.signing``): ``webhook-id``, ``webhook-timestamp``
(unix seconds, within ``INBOUND_TOLERANCE_SECONDS``) and ``webhook-signature: v1,<base64
HMAC-SHA256 of "{id}.{timestamp}.{body}">`` keyed with the source's ``webhook_secret`` credential
(a ``whsec_`` base64 secret, or any other string used as UTF-8 bytes). Body::

    {"mentions": [{platform, external_id, text, posted_at, …}], "deleted": [{"platform": …, "external_id": …}]}

Answers: 202 with per-outcome counts; 401 for an unknown, disabled or non-webhook source and for a
missing or wrong signature alike (the sender learns nothing about which sources exist); 400 for a
signed but malformed body; 409 for a replayed ``webhook-id``. The secret is write-only.
"""

import base64
import binascii
import hashlib
import hmac
import json
import time

from django.core.cache import cache
from django.http import JsonResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from crisisdesk.secretbox import SecretUnavailable
from incidents.listening import parsing
from incidents.listening.sources import services
from incidents.listening.sources.models import Source, SourceKind

INBOUND_TOLERANCE_SECONDS = 300
MAX_BODY = 8 * 1024 * 1024


def _key(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret[len("whsec_") :], validate=True)
        except (binascii.Error, ValueError):
            pass
    return secret.encode("utf-8")


def signature(*, secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(_key(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def verify(*, secret: str, headers, body: bytes, now: float | None = None) -> bool:
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    offered = headers.get("webhook-signature", "")
    if not (secret and msg_id and timestamp.isdigit() and offered):
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > INBOUND_TOLERANCE_SECONDS:
        return False
    expected = signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body)
    # Several signatures may be sent (key rotation), space-separated.
    return any(hmac.compare_digest(expected, candidate) for candidate in offered.split())


def _unauthorized():
    return JsonResponse({"detail": _("Invalid or missing signature.")}, status=401)


@method_decorator(csrf_exempt, name="dispatch")
class InboundWebhookView(View):
    """Receive one signed push for an inbound-webhook source."""

    http_method_names = ["post"]

    def post(self, request, pk: int):
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
            return JsonResponse({"detail": _("Request body too large.")}, status=413)
        source = Source.objects.filter(pk=pk, kind=SourceKind.INBOUND_WEBHOOK, enabled=True).first()
        body = request.body
        try:
            secret = source.credential("webhook_secret") if source else ""
        except SecretUnavailable:
            secret = ""
        if not verify(secret=secret, headers=request.headers, body=body):
            return _unauthorized()
        if not cache.add(
            f"sources:inbound:{source.pk}:{request.headers['webhook-id']}", 1, INBOUND_TOLERANCE_SECONDS * 2
        ):
            return JsonResponse({"detail": _("This webhook-id was already received.")}, status=409)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return JsonResponse({"detail": _("The body is not JSON.")}, status=400)
        if not isinstance(payload, dict):
            return JsonResponse({"detail": _("Expected an object.")}, status=400)
        items = payload.get("mentions") or []
        deleted = payload.get("deleted") or []
        if not isinstance(items, list) or len(items) > parsing.MAX_BATCH:
            return JsonResponse({"mentions": [_("Expected a list of at most 1000 mentions.")]}, status=400)
        if not isinstance(deleted, list) or not all(
            isinstance(d, dict) and isinstance(d.get("platform"), str) and d.get("external_id") for d in deleted
        ):
            return JsonResponse({"deleted": [_("Expected a list of {platform, external_id}.")]}, status=400)
        result = services.source_record_batch(
            source=source, items=list(items), cursor={"last_webhook_id": request.headers["webhook-id"]}
        )
        marked = 0
        for platform in {d["platform"] for d in deleted}:
            marked += services.source_mark_deleted(
                source=source,
                platform=platform,
                external_ids=[str(d["external_id"]) for d in deleted if d["platform"] == platform],
            )
        return JsonResponse(
            {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "rejected": result.rejected,
                "errors": result.errors,
                "deleted": marked,
            },
            status=202,
        )
