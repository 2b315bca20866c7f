"""Where the outbox sends what the ledger's stream asks for: the stack's EventBridge bus, and the settlement queue."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from liveness_api.event_contract import EVENT_SOURCE
from liveness_api.metrics_catalogue import EVENT_PUBLISHED
from liveness_api.observability import logger, record_metric
from liveness_api.outbox import OutboxEvent
from liveness_api.settlement import settle_after_expiry_message

# PutEvents takes at most 10 entries per call (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html).
_PUT_EVENTS_BATCH: Final = 10


class EventPublishFailed(RuntimeError):
    """EventBridge refused some entries (throttled, or an internal failure): the stream record is retried."""


class EventBridgeBus:
    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus_name = bus_name

    def publish(self, events: Sequence[OutboxEvent]) -> None:
        for start in range(0, len(events), _PUT_EVENTS_BATCH):
            batch = events[start : start + _PUT_EVENTS_BATCH]
            response = self._client.put_events(
                Entries=[
                    {
                        "Source": EVENT_SOURCE,
                        "DetailType": event.detail_type,
                        "Detail": json.dumps(event.detail, separators=(",", ":")),
                        "EventBusName": self._bus_name,
                    }
                    for event in batch
                ]
            )
            if response.get("FailedEntryCount", 0):
                codes = sorted({entry.get("ErrorCode", "") for entry in response["Entries"] if "ErrorCode" in entry})
                raise EventPublishFailed(f"EventBridge refused {response['FailedEntryCount']} entries: {codes}")
            for event in batch:
                record_metric(EVENT_PUBLISHED, 1, event.detail_type)
                logger.info(
                    "Event published",
                    extra={"event_type": event.detail_type, "event_id": event.detail.get("eventId")},
                )


class SqsSettlementQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def settle_later(self, session_id: str, delay_seconds: int) -> None:
        self._client.send_message(
            QueueUrl=self._queue_url,
            MessageBody=settle_after_expiry_message(session_id),
            DelaySeconds=delay_seconds,
        )
