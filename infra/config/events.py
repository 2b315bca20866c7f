"""Settlement and events, as the stack and the twin both need them: the background functions' environment and the
EventBridge patterns of their rules. Pure, like the rest of infra.config: no aws_cdk."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from liveness_api.contract import REFERENCE_OBJECT_NAME
from liveness_api.environment import EnvVar
from liveness_api.event_contract import EVENT_SOURCE
from liveness_api.metrics_catalogue import EventType

# How often a ledger stream record the outbox fails on is retried (each failure halves the batch) before it is
# dead-lettered (the stack's event-source mapping, and the twin's).
STREAM_RETRIES: Final = 10
# Deliveries of a settlement message before it is dead-lettered: a pending session's few redeliveries and
# throttling's, with room (the stack's queue and the twin's).
SETTLEMENT_MAX_RECEIVES: Final = 10


def events_environment(
    *,
    settlement_queue_url: str,
    event_bus_name: str,
    pseudonym_key_secret: str,
    webhook_url: str,
    webhook_secret: str,
    webhook_queue_url: str,
) -> dict[str, str]:
    """The variables the background functions read on top of the API function's (liveness_api.workers.EventSettings).
    Without a webhook, its three are empty."""
    return {
        EnvVar.SETTLEMENT_QUEUE_URL: settlement_queue_url,
        EnvVar.EVENT_BUS_NAME: event_bus_name,
        EnvVar.PSEUDONYM_KEY_SECRET: pseudonym_key_secret,
        EnvVar.WEBHOOK_URL: webhook_url,
        EnvVar.WEBHOOK_SECRET: webhook_secret,
        EnvVar.WEBHOOK_QUEUE_URL: webhook_queue_url,
    }


def object_created_pattern(bucket: str, key_prefix: str) -> dict[str, Any]:
    """S3's event for a session's reference image (`{prefix}{sessionId}/reference.jpg`) in the image bucket: one per
    completed check, none for the audit images or an uploaded ID photo."""
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [bucket]},
            "object": {"key": [{"wildcard": f"{key_prefix}*/{REFERENCE_OBJECT_NAME}"}]},
        },
    }


def published_events_pattern() -> dict[str, Any]:
    """Every event the stack publishes on its bus (the webhook's rule, and the archive's)."""
    return {"source": [EVENT_SOURCE]}


# The committed JSON Schemas (draft 4) of the events' details, one file per event type and version.
SCHEMAS_DIR: Final = Path(__file__).resolve().parents[2] / "events" / "schemas"


def schema_path(event_type: str, version: str = EventType.SCHEMA_VERSION) -> Path:
    """`Liveness Verdict Recorded`, version 1 -> events/schemas/liveness-verdict-recorded.v1.json."""
    return SCHEMAS_DIR / f"{event_type.lower().replace(' ', '-')}.v{version}.json"


def event_schemas() -> dict[str, str]:
    """Every event type's current schema, as committed (JSON text)."""
    return {event_type: schema_path(event_type).read_text() for event_type in EventType.ALL}
