"""The signed webhook: each event on the stack's bus POSTed to one URL the deployer names, off by default.

Every delivery carries, in headers, the time it was signed, an HMAC-SHA256 signature over `{timestamp}.{body}` with
a secret only the stack and the receiver hold, and the event's id, stable across retries, for deduplication. A
delivery that fails (no answer, or an answer that is not 2xx) is retried with exponential backoff (the message's
visibility on the webhook queue), then dead-lettered after the queue's last receive. docs/events.md shows how a
receiver verifies a delivery (`verify` here is the same check).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from liveness_api.event_contract import DELIVERY_TIMEOUT_SECONDS
from liveness_api.metrics_catalogue import WEBHOOK_DELIVERY, DeliveryOutcome
from liveness_api.observability import logger, record_metric

SIGNATURE_HEADER: Final = "X-Liveness-Signature"
TIMESTAMP_HEADER: Final = "X-Liveness-Timestamp"
DELIVERY_HEADER: Final = "X-Liveness-Delivery"
SIGNATURE_SCHEME: Final = "v1"
# How old a signed timestamp a receiver should still accept, against replays of captured deliveries.
TOLERANCE_SECONDS: Final = 300
BACKOFF_BASE_SECONDS: Final = 10
# SQS's longest visibility timeout is 12 hours; retries never wait more than 15 minutes each.
BACKOFF_MAX_SECONDS: Final = 900


class DeliveryFailed(Exception):
    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


class Poster(Protocol):
    def __call__(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        """POST `body`; the HTTP status, or OSError when no answer came."""
        ...


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_SCHEME}={digest}"


def verify(secret: bytes, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """The receiver's check: a fresh timestamp, and the signature over it and the body (compared in constant time)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def backoff_seconds(receive_count: int) -> int:
    """How long a failed delivery waits before its next attempt: doubling from BACKOFF_BASE_SECONDS."""
    return int(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, receive_count - 1)))


def urllib_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310 - https only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the URL knob is checked
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def delivery_body(event: Mapping[str, Any]) -> tuple[str, bytes]:
    """The delivery id and the body POSTed for one EventBridge event: its type, time and detail, never the
    account or region it came from."""
    detail = event["detail"]
    delivery_id = str(detail.get("eventId") or event["id"])
    body = {"id": delivery_id, "type": event["detail-type"], "time": event["time"], "data": detail}
    return delivery_id, json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


class WebhookSender:
    def __init__(self, url: str, secret: bytes, *, post: Poster = urllib_post, now: Callable[[], float]) -> None:
        self._url = url
        self._secret = secret
        self._post = post
        self._now = now

    def deliver(self, event: Mapping[str, Any]) -> str:
        """Deliver one event; its delivery id. Raises DeliveryFailed when the receiver did not accept it."""
        delivery_id, body = delivery_body(event)
        timestamp = int(self._now())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
            TIMESTAMP_HEADER: str(timestamp),
            DELIVERY_HEADER: delivery_id,
        }
        try:
            status = self._post(self._url, body, headers, DELIVERY_TIMEOUT_SECONDS)
        except OSError:
            outcome = DeliveryOutcome.UNREACHABLE
        else:
            outcome = DeliveryOutcome.DELIVERED if 200 <= status < 300 else DeliveryOutcome.REJECTED
        record_metric(WEBHOOK_DELIVERY, 1, outcome)
        logger.info("Webhook delivery", extra={"delivery_id": delivery_id, "outcome": outcome})
        if outcome != DeliveryOutcome.DELIVERED:
            raise DeliveryFailed(outcome)
        return delivery_id
