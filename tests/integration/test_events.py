"""Events on the twin: what the outbox publishes for each change of the ledger, checked against the committed
schemas, and the webhook as a receiver sees it (signature, deduplication id, retries)."""

from __future__ import annotations

import json
import time
from typing import Any

import jsonschema_rs
import pytest

from infra.config.events import event_schemas
from liveness_api.metrics_catalogue import EventType
from liveness_api.vocabulary import Verdict
from liveness_api.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from liveness_local.backend import LocalBackend
from liveness_local.event_pipeline import LocalEventPipeline
from tests.integration.conftest import Api
from tests.integration.event_fixtures import Receiver, pipeline, receiver

__all__ = ["pipeline", "receiver"]  # fixtures, used by name


def published(pipeline: LocalEventPipeline, session_id: str) -> list[dict[str, Any]]:
    return [event for event in pipeline.published if event["detail"]["sessionId"] == session_id]


def conforms(event: dict[str, Any]) -> None:
    schema = json.loads(event_schemas()[event["detail-type"]])
    jsonschema_rs.Draft4Validator(schema).validate(event["detail"])


def live_session(api: Api, emulator: Any, pipeline: LocalEventPipeline) -> str:
    response = api.create()
    assert response.status == 201, response.body
    session_id = str(response.body["sessionId"])
    emulator.complete(session_id, confidence=99.0)
    pipeline.pump()
    return session_id


def test_a_recorded_verdict_publishes_one_event_that_conforms_to_its_schema(
    api: Api, emulator: Any, backend: LocalBackend, pipeline: LocalEventPipeline
) -> None:
    session_id = live_session(api, emulator, pipeline)
    (event,) = published(pipeline, session_id)
    assert event["source"] == "face-liveness-api"
    assert event["detail-type"] == EventType.VERDICT_RECORDED
    conforms(event)
    detail = event["detail"]
    assert detail["decision"] == Verdict.LIVE
    owner = api.owner(backend.settings)
    assert detail["owner"] != owner
    assert owner not in json.dumps(event)
    assert backend.resources.bucket not in json.dumps(event)
    # Reading the verdict, consuming it: the ledger changes, but nothing new is published.
    assert api.results(session_id).status == 200
    assert api.consume(session_id).status == 200
    pipeline.pump()
    assert len(published(pipeline, session_id)) == 1


def test_an_erasure_publishes_its_event(api: Api, emulator: Any, pipeline: LocalEventPipeline) -> None:
    session_id = live_session(api, emulator, pipeline)
    assert api.erase(session_id).status == 204
    pipeline.pump()
    events = published(pipeline, session_id)
    assert [event["detail-type"] for event in events] == [EventType.VERDICT_RECORDED, EventType.SESSION_ERASED]
    conforms(events[1])
    assert events[1]["detail"]["owner"] == events[0]["detail"]["owner"]


def test_the_webhook_receives_each_event_signed(
    api: Api, emulator: Any, pipeline: LocalEventPipeline, receiver: Receiver
) -> None:
    session_id = live_session(api, emulator, pipeline)
    (delivery,) = receiver.of_session(session_id)
    (event,) = published(pipeline, session_id)
    assert delivery.headers[DELIVERY_HEADER] == event["detail"]["eventId"]
    secret = pipeline.webhook_secret()
    timestamp, signature = delivery.headers[TIMESTAMP_HEADER], delivery.headers[SIGNATURE_HEADER]
    assert verify(secret, timestamp, delivery.body, signature, now=float(timestamp))
    assert not verify(b"another secret of enough length........", timestamp, delivery.body, signature, now=time.time())
    assert delivery.json == {
        "id": event["detail"]["eventId"],
        "type": EventType.VERDICT_RECORDED,
        "time": event["time"],
        "data": event["detail"],
    }


@pytest.mark.parametrize("failures", [1, 3])
def test_a_delivery_the_receiver_refuses_is_retried_with_the_same_id(
    api: Api, emulator: Any, pipeline: LocalEventPipeline, receiver: Receiver, failures: int
) -> None:
    pipeline.pump()
    receiver.statuses.extend([503] * failures)
    session_id = live_session(api, emulator, pipeline)
    for _ in range(failures):
        pipeline.pump()  # redelivered (the twin's backoff is zero), and refused until the receiver recovers
    deliveries = receiver.of_session(session_id)
    assert len(deliveries) == failures + 1
    assert len({d.headers[DELIVERY_HEADER] for d in deliveries}) == 1


def test_a_change_the_outbox_cannot_publish_is_dead_lettered_and_the_stream_goes_on(
    api: Api, emulator: Any, backend: LocalBackend, pipeline: LocalEventPipeline
) -> None:
    pipeline.pump()
    response = api.create()
    assert response.status == 201
    broken = str(response.body["sessionId"])
    backend.dynamodb.update_item(
        TableName=backend.resources.table,
        Key={"pk": {"S": f"SESSION#{broken}"}},
        UpdateExpression="SET verdict = :v",
        ExpressionAttributeValues={":v": {"S": json.dumps({"decision": "LIVE"})}},
    )
    later = live_session(api, emulator, pipeline)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in pipeline.stream_dead_letters][-1:] == [f"SESSION#{broken}"]
    assert published(pipeline, broken) == []
    assert [event["detail-type"] for event in published(pipeline, later)] == [EventType.VERDICT_RECORDED]
