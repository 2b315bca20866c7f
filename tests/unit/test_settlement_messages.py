"""What the settlement worker reads from its queue, and when it asks for a session again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from liveness_api.contract import SESSION_LIFETIME_SECONDS
from liveness_api.metrics_catalogue import SettlementTrigger
from liveness_api.settlement import (
    EXPIRY_MARGIN,
    FIRST_ATTEMPT_BEFORE_EXPIRY,
    IMAGE_RETRY_SECONDS,
    UnreadableMessage,
    expiry_delay_seconds,
    parse_message,
    retry_in_seconds,
    session_of_key,
    settle_after_expiry_message,
)

SESSION = "0b6c4a1e-2f3d-4c5b-8a9e-112233445566"
PREFIX = "liveness/"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def object_created(key: str) -> str:
    # The shape EventBridge delivers to an SQS target for S3's Object Created event (fields trimmed).
    return json.dumps(
        {
            "version": "0",
            "id": "17793124-05d4-b198-2fde-7ededc63b103",
            "detail-type": "Object Created",
            "source": "aws.s3",
            "time": "2026-01-01T00:00:00Z",
            "detail": {"bucket": {"name": "images"}, "object": {"key": key, "size": 5}, "reason": "PutObject"},
        }
    )


def test_a_reference_image_names_its_session() -> None:
    assert parse_message(object_created(f"{PREFIX}{SESSION}/reference.jpg"), PREFIX) == (
        SESSION,
        SettlementTrigger.IMAGE_STORED,
    )


@pytest.mark.parametrize(
    "key",
    [
        f"{PREFIX}{SESSION}/audit_images/1.jpg",  # an audit image: the reference image's own event settles
        f"{PREFIX}{SESSION}/document",  # an uploaded ID photo
        f"other/{SESSION}/reference.jpg",  # outside the function's prefix
        f"{PREFIX}not-a-session/reference.jpg",
        f"{PREFIX}{SESSION}",
    ],
)
def test_any_other_object_names_no_session(key: str) -> None:
    assert session_of_key(key, PREFIX) is None
    assert parse_message(object_created(key), PREFIX) == (None, SettlementTrigger.IMAGE_STORED)


def test_the_expiry_message_round_trips() -> None:
    assert parse_message(settle_after_expiry_message(SESSION), PREFIX) == (SESSION, SettlementTrigger.EXPIRY)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        json.dumps({"sessionId": "../../etc"}),
        json.dumps({"detail-type": "Object Deleted", "source": "aws.s3", "detail": {}}),
        json.dumps({"detail-type": "Object Created", "source": "aws.s3", "detail": {"bucket": {"name": "b"}}}),
    ],
)
def test_an_unreadable_message_is_refused(body: str) -> None:
    with pytest.raises(UnreadableMessage):
        parse_message(body, PREFIX)


def test_the_first_attempt_comes_shortly_before_the_lifetime_ends() -> None:
    expires_at = NOW + timedelta(seconds=SESSION_LIFETIME_SECONDS)
    expected = SESSION_LIFETIME_SECONDS - FIRST_ATTEMPT_BEFORE_EXPIRY.total_seconds()
    assert expiry_delay_seconds(expires_at, NOW) == expected
    # A record read late (the stream lagged, or the forwarder retried) is due at once, never negative.
    assert expiry_delay_seconds(expires_at, NOW + timedelta(hours=1)) == 0
    # Never beyond SQS's 15 minutes.
    assert expiry_delay_seconds(NOW + timedelta(hours=1), NOW) == 900


def test_a_pending_session_is_asked_again_when_it_can_be_decided() -> None:
    expires_at = NOW + timedelta(seconds=SESSION_LIFETIME_SECONDS)
    at_first_attempt = expires_at - FIRST_ATTEMPT_BEFORE_EXPIRY
    assert retry_in_seconds(SettlementTrigger.EXPIRY, expires_at, at_first_attempt) == (
        (FIRST_ATTEMPT_BEFORE_EXPIRY + EXPIRY_MARGIN).total_seconds()
    )
    assert (
        retry_in_seconds(SettlementTrigger.EXPIRY, expires_at, expires_at + timedelta(hours=1)) == IMAGE_RETRY_SECONDS
    )
    assert retry_in_seconds(SettlementTrigger.IMAGE_STORED, expires_at, NOW) == IMAGE_RETRY_SECONDS
