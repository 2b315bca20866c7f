"""The three background functions, built from their settings the way `dependencies.py` builds the API's:
- the settlement worker (the settlement queue's consumer): `build_settlement_handler`;
- the outbox forwarder (the ledger stream's consumer): `build_outbox_handler`;
- the webhook sender (the webhook queue's consumer): `build_webhook_handler`.

Each takes a `ClientFactory` and a clock, so the local twin runs exactly this code on its own clients. Each handler
reports partial batch failures: a failed message is redelivered (SQS), a failed stream record is retried with
every record after it (DynamoDB Streams), and what keeps failing ends in a dead-letter queue with an alarm.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import botocore.session
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel, ConfigDict, Field

from liveness_api import deadline
from liveness_api.adapters.outbox_targets import EventBridgeBus, SqsSettlementQueue
from liveness_api.dependencies import ClientFactory, KnownServicesLoader, build_dependencies, client_config
from liveness_api.environment import EnvVar
from liveness_api.errors import DomainError, SessionNotFound
from liveness_api.observability import logger, metrics
from liveness_api.outbox import EventBus, Pseudonyms, SettlementQueue, UnpublishableChange, work_of
from liveness_api.sessions import Clock, utc_now
from liveness_api.settings import Settings
from liveness_api.settlement import Settlement, SettlementDeferred, UnreadableMessage, parse_message
from liveness_api.webhook import DeliveryFailed, Poster, WebhookSender, backoff_seconds, urllib_post

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
# The services the forwarder and the webhook sender call (the settlement worker is the API's domain: its own).
WORKER_SERVICES = ("events", "sqs", "secretsmanager")


class EventSettings(BaseModel):
    """The background functions' own variables (infra.config.events_environment sets every one)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    settlement_queue_url: str = Field(alias=EnvVar.SETTLEMENT_QUEUE_URL)
    event_bus_name: str = Field(alias=EnvVar.EVENT_BUS_NAME)
    pseudonym_key_secret: str = Field(alias=EnvVar.PSEUDONYM_KEY_SECRET)
    webhook_url: str = Field(alias=EnvVar.WEBHOOK_URL)
    webhook_secret: str = Field(alias=EnvVar.WEBHOOK_SECRET)
    webhook_queue_url: str = Field(alias=EnvVar.WEBHOOK_QUEUE_URL)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> EventSettings:
        known = {field.alias for field in cls.model_fields.values()}
        return cls.model_validate({key: value for key, value in environ.items() if key in known})


class WorkerClients:
    """botocore's clients of WORKER_SERVICES, from one session told which services it serves."""

    def __init__(self) -> None:
        self._session = botocore.session.get_session()
        self._session.register_component("data_loader", KnownServicesLoader(WORKER_SERVICES))

    def __call__(self, service: str, *, region: str, config: Any) -> Any:
        return self._session.create_client(service, region_name=region, config=config)


def _client(make: ClientFactory, settings: Settings, service: str) -> Any:
    # Each call is as small as a DynamoDB call: the same timeouts and attempts.
    made = make(service, region=settings.region, config=client_config(settings, "dynamodb"))
    deadline.guard_client(made)
    return made


def _secret(make: ClientFactory, settings: Settings, secret_id: str) -> bytes:
    """A secret's value, read once at init."""
    return str(_client(make, settings, "secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]).encode()


def _decorated(handle: Handler) -> Handler:
    def invoke(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        with deadline.invocation(context.get_remaining_time_in_millis()):
            return handle(event, context)

    wrapped: Handler = logger.inject_lambda_context(log_event=False)(metrics.log_metrics(invoke))
    return wrapped


def _failed(item: str, reason: str) -> dict[str, str]:
    logger.warning("Batch item failed; it will be retried", extra={"reason": reason})
    return {"itemIdentifier": item}


class Redelivery(Protocol):
    def __call__(self, receipt_handle: str, seconds: int) -> None:
        """Deliver the message again in `seconds` (its visibility timeout from now)."""
        ...


def sqs_redelivery(sqs: Any, queue_url: str) -> Redelivery:
    def later(receipt_handle: str, seconds: int) -> None:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds)

    return later


def settlement_handler(settlement: Settlement, key_prefix: str, redeliver: Redelivery) -> Handler:
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        failures = []
        for message in event["Records"]:
            item = message["messageId"]
            try:
                session_id, trigger = parse_message(message["body"], key_prefix)
                if session_id is not None:
                    settlement.settle(session_id, trigger)
            except SessionNotFound:
                continue  # erased while it was being decided: nothing left to settle
            except SettlementDeferred as deferred:
                redeliver(message["receiptHandle"], deferred.retry_in_seconds)
                failures.append(_failed(item, "pending"))
            except UnreadableMessage as error:
                failures.append(_failed(item, f"unreadable message: {error}"))
            except (DomainError, ClientError, BotoCoreError, ValueError) as error:
                # Throttled or unavailable: the message returns after its visibility timeout. A recorded document
                # that does not parse (ValueError): this message alone fails, and is dead-lettered after its retries.
                failures.append(_failed(item, type(error).__name__))
        return {"batchItemFailures": failures}

    return _decorated(handle)


def build_settlement(settings: Settings, clients: ClientFactory | None = None, *, clock: Clock = utc_now) -> Settlement:
    """The settlement domain over the API's own domain service, built as the API's function builds it."""
    return Settlement(build_dependencies(settings, clients, clock=clock).sessions, clock)


def build_settlement_handler(
    settings: Settings,
    events: EventSettings,
    clients: ClientFactory | None = None,
    worker_clients: ClientFactory | None = None,
    *,
    clock: Clock = utc_now,
) -> Handler:
    """`clients`: the domain's (as the API's function makes them); `worker_clients`: SQS's, to time redeliveries."""
    sqs = _client(WorkerClients() if worker_clients is None else worker_clients, settings, "sqs")
    return settlement_handler(
        build_settlement(settings, clients, clock=clock),
        settings.image_key_prefix,
        sqs_redelivery(sqs, events.settlement_queue_url),
    )


def outbox_handler(pseudonyms: Pseudonyms, bus: EventBus, queue: SettlementQueue, clock: Clock) -> Handler:
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        for record in event["Records"]:
            try:
                work = work_of(record, pseudonyms, clock())
                for later in work.settle_later:
                    queue.settle_later(later.session_id, later.delay_seconds)
                bus.publish(work.events)
            except (ClientError, BotoCoreError, RuntimeError, UnpublishableChange) as error:
                # The stream retries from this record on, in order: nothing after it is skipped.
                return {"batchItemFailures": [_failed(record["dynamodb"]["SequenceNumber"], type(error).__name__)]}
        return {"batchItemFailures": []}

    return _decorated(handle)


def build_outbox_handler(
    settings: Settings, events: EventSettings, clients: ClientFactory | None = None, *, clock: Clock = utc_now
) -> Handler:
    make = WorkerClients() if clients is None else clients
    return outbox_handler(
        Pseudonyms(_secret(make, settings, events.pseudonym_key_secret)),
        EventBridgeBus(_client(make, settings, "events"), events.event_bus_name),
        SqsSettlementQueue(_client(make, settings, "sqs"), events.settlement_queue_url),
        clock,
    )


def webhook_handler(
    sender: WebhookSender, sqs: Any, queue_url: str, backoff: Callable[[int], int] = backoff_seconds
) -> Handler:
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        failures = []
        for message in event["Records"]:
            try:
                sender.deliver(json.loads(message["body"]))
            except (DeliveryFailed, ValueError, KeyError) as error:
                receives = int(message.get("attributes", {}).get("ApproximateReceiveCount", "1"))
                # Backoff: the next attempt waits longer after each failure, until the queue dead-letters it.
                sqs.change_message_visibility(
                    QueueUrl=queue_url,
                    ReceiptHandle=message["receiptHandle"],
                    VisibilityTimeout=backoff(receives),
                )
                failures.append(_failed(message["messageId"], type(error).__name__))
        return {"batchItemFailures": failures}

    return _decorated(handle)


def build_webhook_handler(
    settings: Settings,
    events: EventSettings,
    clients: ClientFactory | None = None,
    *,
    post: Poster = urllib_post,
    now: Callable[[], float] = time.time,
    backoff: Callable[[int], int] = backoff_seconds,
) -> Handler:
    if not events.webhook_url:
        raise ValueError(f"{EnvVar.WEBHOOK_URL} is empty: the webhook is off and its function is not deployed")
    make = WorkerClients() if clients is None else clients
    sender = WebhookSender(events.webhook_url, _secret(make, settings, events.webhook_secret), post=post, now=now)
    return webhook_handler(sender, _client(make, settings, "sqs"), events.webhook_queue_url, backoff)
