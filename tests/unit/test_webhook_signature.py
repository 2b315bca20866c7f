"""The webhook's signature, as a receiver checks it, and the delivery's retries."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest

from liveness_api.metrics_catalogue import DeliveryOutcome
from liveness_api.webhook import (
    BACKOFF_MAX_SECONDS,
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TOLERANCE_SECONDS,
    DeliveryFailed,
    WebhookSender,
    backoff_seconds,
    sign,
    verify,
)

SECRET = b"k" * 64
NOW = 1_800_000_000
EVENT = {
    "id": "eventbridge-id",
    "detail-type": "Liveness Verdict Recorded",
    "time": "2026-01-01T00:00:00Z",
    "account": "123456789012",
    "region": "eu-west-1",
    "detail": {"eventId": "abc123", "sessionId": "s", "decision": "LIVE"},
}


class Recorder:
    def __init__(self, answer: int | OSError) -> None:
        self.answer = answer
        self.sent: list[tuple[bytes, Mapping[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        self.sent.append((body, headers))
        if isinstance(self.answer, OSError):
            raise self.answer
        return self.answer


def test_a_delivery_verifies_with_the_shared_secret_only() -> None:
    post = Recorder(204)
    assert WebhookSender("https://r.example/hook", SECRET, post=post, now=lambda: NOW).deliver(EVENT) == "abc123"
    body, headers = post.sent[0]
    assert headers[DELIVERY_HEADER] == "abc123"  # the event's own id: the same on every retry
    assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], now=NOW)
    assert not verify(b"x" * 64, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], now=NOW)
    assert not verify(SECRET, headers[TIMESTAMP_HEADER], body + b" ", headers[SIGNATURE_HEADER], now=NOW)
    assert not verify(SECRET, str(NOW + 1), body, headers[SIGNATURE_HEADER], now=NOW)
    # A captured delivery replayed later than the tolerance is refused.
    assert not verify(
        SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER], now=NOW + TOLERANCE_SECONDS + 1
    )
    document = json.loads(body)
    assert document == {"id": "abc123", "type": EVENT["detail-type"], "time": EVENT["time"], "data": EVENT["detail"]}


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    # A receiver's own computation, with the standard library, as docs/events.md shows it.
    import hashlib
    import hmac

    expected = hmac.new(SECRET, b"1800000000.{}", hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, b"{}") == f"v1={expected}"


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (500, DeliveryOutcome.REJECTED),
        (301, DeliveryOutcome.REJECTED),
        (ConnectionRefusedError(), DeliveryOutcome.UNREACHABLE),
    ],
)
def test_a_delivery_not_accepted_fails(answer: int | OSError, outcome: str) -> None:
    sender = WebhookSender("https://r.example/hook", SECRET, post=Recorder(answer), now=lambda: NOW)
    with pytest.raises(DeliveryFailed) as failed:
        sender.deliver(EVENT)
    assert failed.value.outcome == outcome


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    waits = [backoff_seconds(n) for n in range(1, 12)]
    assert waits[:4] == [10, 20, 40, 80]
    assert waits == sorted(waits)
    assert max(waits) == BACKOFF_MAX_SECONDS
