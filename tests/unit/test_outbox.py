"""What each change of the ledger publishes: once per change that other systems need, with no personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from liveness_api.metrics_catalogue import EventType
from liveness_api.outbox import Pseudonyms, UnpublishableChange, work_of

NOW = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
SESSION = "0b6c4a1e-2f3d-4c5b-8a9e-112233445566"
OWNER = "arn:aws:sts::123456789012:assumed-role/app/alice"
PSEUDONYMS = Pseudonyms(b"p" * 32)
VERDICT = {
    "sessionId": SESSION,
    "status": "SUCCEEDED",
    "decision": "LIVE",
    "confidence": 99.5,
    "threshold": 90.0,
    "referenceImage": {
        "boundingBox": {},
        "s3Object": {"bucket": "images", "name": f"liveness/{SESSION}/reference.jpg"},
    },
    "auditImages": [],
    "decidedAt": "2026-01-01T00:00:30Z",
}


def session_image(**extra: Any) -> dict[str, Any]:
    return {
        "pk": {"S": f"SESSION#{SESSION}"},
        "owner": {"S": OWNER},
        "createdAt": {"S": "2026-01-01T00:00:00+00:00"},
        "expiresAt": {"S": "2026-01-01T00:03:00+00:00"},
        **extra,
    }


def record(name: str, new: dict[str, Any] | None, old: dict[str, Any] | None, **extra: Any) -> dict[str, Any]:
    change: dict[str, Any] = {"SequenceNumber": "1", "ApproximateCreationDateTime": 1767225700.0}
    if new is not None:
        change["NewImage"] = new
    if old is not None:
        change["OldImage"] = old
    return {"eventName": name, "dynamodb": change, **extra}


def test_a_new_session_is_settled_later_and_publishes_nothing() -> None:
    work = work_of(record("INSERT", session_image(), None), PSEUDONYMS, NOW)
    assert work.events == []
    assert [(later.session_id, later.delay_seconds) for later in work.settle_later] == [(SESSION, 100)]


def test_a_recorded_verdict_publishes_one_event_without_images_keys_or_the_owner() -> None:
    verdict = {"verdict": {"S": json.dumps(VERDICT)}, "counted": {"BOOL": False}}
    work = work_of(record("MODIFY", session_image(**verdict), session_image()), PSEUDONYMS, NOW)
    assert [event.detail_type for event in work.events] == [EventType.VERDICT_RECORDED]
    detail = work.events[0].detail
    assert detail["sessionId"] == SESSION
    assert detail["decision"] == "LIVE"
    assert detail["owner"] == PSEUDONYMS.of(OWNER) != Pseudonyms(b"q" * 32).of(OWNER)
    text = json.dumps(detail)
    for private in (OWNER, "alice", "reference.jpg", "images", "s3Object", "referenceImage"):
        assert private not in text


def test_a_verdict_with_a_match_also_publishes_the_match() -> None:
    matched = {**VERDICT, "match": {"against": "DOCUMENT", "outcome": "MATCH", "similarity": 99.9, "threshold": 99.0}}
    work = work_of(
        record("MODIFY", session_image(verdict={"S": json.dumps(matched)}), session_image()), PSEUDONYMS, NOW
    )
    assert [event.detail_type for event in work.events] == [EventType.VERDICT_RECORDED, EventType.MATCH_DECIDED]
    assert work.events[1].detail["outcome"] == "MATCH"
    assert work.events[0].detail["eventId"] != work.events[1].detail["eventId"]


def test_changes_after_the_verdict_publish_nothing() -> None:
    verdict = {"verdict": {"S": json.dumps(VERDICT)}}
    counted = session_image(**verdict, counted={"BOOL": True})
    consumed = session_image(**verdict, counted={"BOOL": True}, consumedAt={"S": "2026-01-01T00:01:00+00:00"})
    assert work_of(record("MODIFY", counted, session_image(**verdict)), PSEUDONYMS, NOW).events == []
    assert work_of(record("MODIFY", consumed, counted), PSEUDONYMS, NOW).events == []


def test_an_erasure_publishes_but_a_ttl_expiry_does_not() -> None:
    erased = work_of(record("REMOVE", None, session_image()), PSEUDONYMS, NOW)
    assert [event.detail_type for event in erased.events] == [EventType.SESSION_ERASED]
    ttl = {"userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"}}
    assert work_of(record("REMOVE", None, session_image(), **ttl), PSEUDONYMS, NOW).events == []


def test_items_other_than_sessions_publish_nothing() -> None:
    caller = {"pk": {"S": "CALLER#abc"}, "failures": {"M": {}}}
    assert work_of(record("INSERT", caller, None), PSEUDONYMS, NOW).settle_later == []
    assert work_of(record("REMOVE", None, caller), PSEUDONYMS, NOW).events == []


def test_a_redelivered_record_publishes_the_same_event_id() -> None:
    verdict = {"verdict": {"S": json.dumps(VERDICT)}}
    change = record("MODIFY", session_image(**verdict), session_image())
    first, again = (work_of(change, PSEUDONYMS, NOW).events[0] for _ in range(2))
    assert first.detail["eventId"] == again.detail["eventId"]


def test_a_verdict_document_without_what_the_event_needs_is_not_published_half_made() -> None:
    broken = {"verdict": {"S": json.dumps({"decision": "LIVE"})}}
    with pytest.raises(UnpublishableChange):
        work_of(record("MODIFY", session_image(**broken), session_image()), PSEUDONYMS, NOW)
