"""The background handlers' batch contracts: what a failure leaves for redelivery."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import botocore.session
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.stub import Stubber

from liveness_api.adapters.outbox_targets import EventBridgeBus, EventPublishFailed
from liveness_api.outbox import OutboxEvent, Pseudonyms
from liveness_api.webhook import DeliveryFailed
from liveness_api.workers import outbox_handler, webhook_handler

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SESSIONS = ["0b6c4a1e-2f3d-4c5b-8a9e-11223344556" + str(n) for n in range(3)]


class Context:
    function_name = "test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    memory_limit_in_mb = 128
    aws_request_id = "request"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


CONTEXT = cast(LambdaContext, Context())


def erased(session_id: str, sequence: str) -> dict[str, Any]:
    image = {"pk": {"S": f"SESSION#{session_id}"}, "owner": {"S": "owner"}}
    return {"eventName": "REMOVE", "dynamodb": {"SequenceNumber": sequence, "OldImage": image}}


class Bus:
    def __init__(self, fail_on: str) -> None:
        self.fail_on = fail_on
        self.published: list[str] = []

    def publish(self, events: Sequence[OutboxEvent]) -> None:
        for event in events:
            if event.detail["sessionId"] == self.fail_on:
                raise EventPublishFailed("throttled")
            self.published.append(str(event.detail["sessionId"]))


class Queue:
    def settle_later(self, session_id: str, delay_seconds: int) -> None:
        raise AssertionError("no session was recorded")


def test_the_outbox_stops_at_the_first_record_it_cannot_publish_and_reports_it() -> None:
    bus = Bus(fail_on=SESSIONS[1])
    handle = outbox_handler(Pseudonyms(b"k" * 32), bus, Queue(), lambda: NOW)
    records = [erased(session, str(index)) for index, session in enumerate(SESSIONS)]
    answer = handle({"Records": records}, CONTEXT)
    # Lambda retries from the reported record on: the third is not skipped, the first not repeated.
    assert answer == {"batchItemFailures": [{"itemIdentifier": "1"}]}
    assert bus.published == [SESSIONS[0]]


def test_a_refused_put_events_entry_fails_the_record() -> None:
    client = botocore.session.get_session().create_client(
        "events", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        stubber.add_response(
            "put_events",
            {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}]},
        )
        with pytest.raises(EventPublishFailed):
            EventBridgeBus(client, "bus").publish([OutboxEvent("Session Erased", {"sessionId": SESSIONS[0]})])


class Sender:
    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse

    def deliver(self, event: dict[str, Any]) -> str:
        if event["id"] in self.refuse:
            raise DeliveryFailed("Rejected")
        return str(event["id"])


class Sqs:
    def __init__(self) -> None:
        self.visibility: list[tuple[str, int]] = []

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> None:  # noqa: N803 - botocore's names
        self.visibility.append((ReceiptHandle, VisibilityTimeout))


def test_a_refused_delivery_is_retried_later_with_backoff_and_the_others_are_done() -> None:
    sqs = Sqs()
    handle = webhook_handler(Sender(refuse={"b"}), sqs, "queue", backoff=lambda receives: 10 * receives)  # type: ignore[arg-type]
    messages = [
        {
            "messageId": name,
            "receiptHandle": f"r-{name}",
            "body": json.dumps({"id": name}),
            "attributes": {"ApproximateReceiveCount": "3"},
        }
        for name in ("a", "b", "c")
    ]
    answer = handle({"Records": messages}, CONTEXT)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "b"}]}
    assert sqs.visibility == [("r-b", 30)]
