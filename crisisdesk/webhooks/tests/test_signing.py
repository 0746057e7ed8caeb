"""Signatures: ours must verify with an independent Standard Webhooks verifier, and nothing else must."""

import base64
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import transaction

from crisisdesk.webhooks import emit, signing
from crisisdesk.webhooks.models import SECRET_PREFIX, Delivery, DeliveryStatus, OutboxEvent, generate_secret

from .receiver import SignatureError, verify

SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_published_specification_vector_is_reproduced():
    # The vector the Standard Webhooks reference libraries test against: receivers using them accept ours.
    assert signing.sign(secret=SPEC_SECRET, msg_id=SPEC_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY) == SPEC_SIGNATURE


def test_the_reference_verifier_accepts_our_headers():
    secret = generate_secret()
    body = json.dumps({"id": "evt", "type": "incident.opened", "data": {"a": "é"}}).encode()
    headers = signing.headers(secret=secret, msg_id="evt", timestamp=1_800_000_000, body=body)
    assert verify(secret=secret, headers=headers, body=body, now=1_800_000_010)["data"] == {"a": "é"}
    assert set(headers) >= {"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"}


@pytest.mark.parametrize(
    "tamper",
    ["body", "secret", "id", "timestamp", "stale"],
)
def test_the_reference_verifier_refuses_anything_altered(tamper):
    secret = generate_secret()
    body = b'{"id":"evt","type":"statement.published","data":{}}'
    headers = signing.headers(secret=secret, msg_id="evt", timestamp=1_800_000_000, body=body)
    now = 1_800_000_000
    if tamper == "body":
        body = body.replace(b"published", b"withdrawn")
    elif tamper == "secret":
        secret = generate_secret()
    elif tamper == "id":
        headers["webhook-id"] = "evt2"
    elif tamper == "timestamp":
        headers["webhook-timestamp"] = "1800000001"
    else:
        now += 3600  # a replay an hour later
    with pytest.raises(SignatureError):
        verify(secret=secret, headers=headers, body=body, now=now)


def test_generated_secrets_are_32_random_bytes_in_the_whsec_format():
    secrets = {generate_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith(SECRET_PREFIX)
        assert len(base64.b64decode(secret.removeprefix(SECRET_PREFIX))) == 32


@pytest.mark.django_db
def test_a_delivered_request_is_signed_with_the_time_of_the_attempt(
    subscription, receiver, django_capture_on_commit_callbacks
):
    moment = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    with (
        time_machine.travel(moment, tick=False),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        event = emit(event_type="incident.opened", payload={"incident": {"reference": "CD-2026-0042"}})

    [request] = receiver.accepted()
    assert request.headers["webhook-timestamp"] == str(int(moment.timestamp()))
    body = verify(secret=subscription.secret, headers=request.headers, body=request.body, now=int(moment.timestamp()))
    assert body["id"] == str(event.id)
    assert body["created_at"] == "2026-03-04T05:06:07Z"
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert OutboxEvent.objects.count() == 1
