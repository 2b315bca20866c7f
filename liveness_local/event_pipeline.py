"""Settlement and events in the twin: the stack's queues, bus and rules recreated on moto, and the three
background functions (`liveness_api.workers`) run on them as Lambda's event sources would run them.

What moto does itself, as AWS does: S3 sends each new image to EventBridge, the default bus's rule puts reference
images on the settlement queue, the stack's bus routes every published event to its targets, SQS holds delayed
messages back. What `pump` plays: Lambda's event-source mappings (the ledger stream -> the outbox forwarder, the
settlement queue -> the settlement worker, the webhook queue -> the webhook sender), with partial batch failures
left on their queue for redelivery. A local-only queue on the bus keeps what was published (`published`, served at
`GET /_local/events`, and logged).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsContext

from infra.config.events import (
    SETTLEMENT_MAX_RECEIVES,
    STREAM_RETRIES,
    events_environment,
    object_created_pattern,
    published_events_pattern,
)
from liveness_api.settings import Settings
from liveness_api.webhook import backoff_seconds
from liveness_api.workers import (
    EventSettings,
    build_outbox_handler,
    build_settlement,
    build_webhook_handler,
    settlement_handler,
)
from liveness_local.backend import _ONE_EVENT_AT_A_TIME as ONE_EVENT_AT_A_TIME
from liveness_local.backend import LambdaContext, LocalClients
from liveness_local.gateway import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from liveness_local.backend import LocalBackend

LOCAL_SETTLEMENT_QUEUE: Final = "face-liveness-settlement-local"
LOCAL_WEBHOOK_QUEUE: Final = "face-liveness-webhook-local"
LOCAL_OBSERVED_QUEUE: Final = "face-liveness-events-observed-local"
LOCAL_BUS: Final = "face-liveness-events-local"
LOCAL_PSEUDONYM_SECRET: Final = "face-liveness-pseudonym-key-local"  # noqa: S105 - the secret's name
LOCAL_WEBHOOK_SECRET: Final = "face-liveness-webhook-secret-local"  # noqa: S105 - the secret's name
# The local-only route listing what was published (never part of the deployed API).
EVENTS_PATH: Final = "/_local/events"
# How many published events `published` keeps (the oldest go first).
KEPT_EVENTS: Final = 500
_BATCH: Final = 10


class _BotoClients:
    """The background functions' clients of the services the twin has no stand-in for: moto's, through boto3."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def __call__(self, service: str, *, region: str, config: Any) -> Any:
        return self._session.client(service, region_name=region, config=config)


class LocalEventPipeline:
    def __init__(
        self,
        backend: LocalBackend,
        *,
        webhook_url: str | None = None,
        retry_after_seconds: int = 5,
        webhook_backoff: Callable[[int], int] = backoff_seconds,
    ) -> None:
        self._backend = backend
        self._session = backend.session
        self._sqs = self._session.client("sqs")
        self._retry_after = retry_after_seconds
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.published: list[dict[str, Any]] = []
        self._timed: set[str] = set()
        self._stream_failures: dict[str, int] = {}
        self.stream_dead_letters: list[dict[str, Any]] = []
        environment = self._provision(webhook_url)
        self.events_settings = EventSettings.from_environ(environment)
        settings: Settings = backend.settings
        clock = backend.clock
        boto = _BotoClients(self._session)
        # The worker's own clients, with the twin's faults and emulator, as a second Lambda function has its own.
        self.settlement = build_settlement(settings, LocalClients(backend.faults, backend.emulator), clock=clock)
        self._settle = settlement_handler(self.settlement, settings.image_key_prefix, self._redeliver_settlement)
        self._forward = build_outbox_handler(settings, self.events_settings, boto, clock=clock)
        self._deliver = (
            build_webhook_handler(
                settings,
                self.events_settings,
                boto,
                now=lambda: clock().timestamp(),
                backoff=webhook_backoff,
            )
            if webhook_url
            else None
        )

    def _provision(self, webhook_url: str | None) -> dict[str, str]:
        resources, region = self._backend.resources, self._backend.config.region
        dynamodb, events, s3 = (self._session.client(name) for name in ("dynamodb", "events", "s3"))
        stream = dynamodb.update_table(
            TableName=resources.table,
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]["LatestStreamArn"]
        # moto answers DynamoDB Streams at its classic endpoint only, not the one this botocore resolves.
        self._streams = self._session.client(
            "dynamodbstreams", endpoint_url=f"https://streams.dynamodb.{region}.amazonaws.com"
        )
        shard = self._streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]["ShardId"]
        self._iterator: str | None = self._streams.get_shard_iterator(
            StreamArn=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        self._stream_arn = stream
        self.settlement_dead_letters_url = self._queue(f"{LOCAL_SETTLEMENT_QUEUE}-dead-letters")
        dead_letters_arn = self._queue_arn(self.settlement_dead_letters_url)
        redrive = {"deadLetterTargetArn": dead_letters_arn, "maxReceiveCount": str(SETTLEMENT_MAX_RECEIVES)}
        self._settlement_url = self._queue(LOCAL_SETTLEMENT_QUEUE, RedrivePolicy=json.dumps(redrive))
        self._observed_url = self._queue(LOCAL_OBSERVED_QUEUE)
        self._webhook_url = self._queue(LOCAL_WEBHOOK_QUEUE)
        s3.put_bucket_notification_configuration(
            Bucket=resources.bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
        )
        pattern = object_created_pattern(resources.bucket, self._backend.config.image_key_prefix)
        self._rule(events, "default", "settle-on-reference-image", pattern, self._settlement_url)
        events.create_event_bus(Name=LOCAL_BUS)
        self._rule(events, LOCAL_BUS, "observe-published-events", published_events_pattern(), self._observed_url)
        if webhook_url:
            self._rule(events, LOCAL_BUS, "deliver-webhook", published_events_pattern(), self._webhook_url)
        secrets = self._session.client("secretsmanager")

        def secret(name: str) -> str:
            value = secrets.get_random_password(PasswordLength=64, ExcludePunctuation=True)["RandomPassword"]
            return str(secrets.create_secret(Name=name, SecretString=value)["ARN"])

        self.webhook_secret_arn = secret(LOCAL_WEBHOOK_SECRET)
        return events_environment(
            settlement_queue_url=self._settlement_url,
            event_bus_name=LOCAL_BUS,
            pseudonym_key_secret=secret(LOCAL_PSEUDONYM_SECRET),
            webhook_url=webhook_url or "",
            webhook_secret=self.webhook_secret_arn,
            webhook_queue_url=self._webhook_url,
        ) | {"AWS_REGION": region}

    def _queue(self, name: str, **attributes: str) -> str:
        return str(self._sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])

    def _queue_arn(self, url: str) -> str:
        return str(self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])

    def _rule(self, events: Any, bus: str, name: str, pattern: dict[str, Any], queue_url: str) -> None:
        arn = self._queue_arn(queue_url)
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern), State="ENABLED")
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])

    def webhook_secret(self) -> bytes:
        value = self._session.client("secretsmanager").get_secret_value(SecretId=self.webhook_secret_arn)
        return str(value["SecretString"]).encode()

    # What Lambda's event-source mappings do -------------------------------------------------------------------

    def pump(self) -> None:
        """One round of every event source, in the order a change travels: the stream, the settlement queue, the
        stream again (the verdicts just recorded), then the bus's queues."""
        with self._lock:
            self._pump_stream()
            self._pump_queue(self._settlement_url, self._settle)
            self._pump_stream()
            self._pump_observed()
            if self._deliver is not None:
                self._pump_queue(self._webhook_url, self._deliver)

    def _invoke(self, handler: Callable[[dict[str, Any], PowertoolsContext], dict[str, Any]], event: Any) -> Any:
        # One event at a time across all the twin's functions, as the API's are served: Powertools' logger and
        # metrics are one per process here, one per function deployed.
        with ONE_EVENT_AT_A_TIME:
            return handler(event, LambdaContext())  # type: ignore[arg-type]  # duck-typed, as Lambda's context is

    def _pump_stream(self) -> None:
        while self._iterator is not None:
            page = self._streams.get_records(ShardIterator=self._iterator, Limit=100)
            records = [_as_lambda_delivers(record) for record in page["Records"]]
            if not records:
                return
            answer = self._invoke(self._forward, {"Records": records})
            failed = [item["itemIdentifier"] for item in answer["batchItemFailures"]]
            if failed:
                # Lambda's retries, at once (the twin has no reason to wait): the same record again, until given up.
                self._retry_stream_from(failed[0], records)
                continue
            self._iterator = page.get("NextShardIterator")

    def _retry_stream_from(self, sequence: str, records: list[dict[str, Any]]) -> None:
        """Lambda retries from the failed record on, STREAM_RETRIES times, then sends it to the on-failure
        destination and goes on after it: the twin restarts there on the next round, and keeps what it gave up on
        in `stream_dead_letters`."""
        self._stream_failures[sequence] = self._stream_failures.get(sequence, 0) + 1
        position = "AT_SEQUENCE_NUMBER"
        if self._stream_failures[sequence] > STREAM_RETRIES:
            self.stream_dead_letters.extend(r for r in records if r["dynamodb"]["SequenceNumber"] == sequence)
            position = "AFTER_SEQUENCE_NUMBER"
        shard = self._streams.describe_stream(StreamArn=self._stream_arn)["StreamDescription"]["Shards"][0]
        self._iterator = self._streams.get_shard_iterator(
            StreamArn=self._stream_arn, ShardId=shard["ShardId"], ShardIteratorType=position, SequenceNumber=sequence
        )["ShardIterator"]

    def _receive(self, url: str) -> list[dict[str, Any]]:
        messages = self._sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=_BATCH, AttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        return [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
            }
            for message in messages
        ]

    def _pump_queue(self, url: str, handler: Callable[[dict[str, Any], PowertoolsContext], dict[str, Any]]) -> None:
        """Every message visible now, in batches, as Lambda's pollers drain a queue; a message redelivered within
        the round (the twin's retries may be immediate) waits for the next round."""
        seen: set[str] = set()
        while records := self._unseen(url, seen):
            seen.update(r["messageId"] for r in records)
            answer = self._invoke(handler, {"Records": records})
            failed = {item["itemIdentifier"] for item in answer["batchItemFailures"]}
            for record in records:
                if record["messageId"] not in failed:
                    self._sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
                elif url == self._settlement_url and record["receiptHandle"] not in self._timed:
                    # Failed without a time of its own (a throttled call): the queue's visibility timeout, the twin's.
                    self._redeliver_settlement(record["receiptHandle"], self._retry_after)
            self._timed.clear()

    def _unseen(self, url: str, seen: set[str]) -> list[dict[str, Any]]:
        """The messages received now that this round has not handled; those it has, it gives back at once."""
        records = self._receive(url)
        for record in records:
            if record["messageId"] in seen:
                self._sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=record["receiptHandle"], VisibilityTimeout=0
                )
        return [record for record in records if record["messageId"] not in seen]

    def _redeliver_settlement(self, receipt_handle: str, seconds: int) -> None:
        """The worker's redelivery: SQS's visibility, at most the twin's `retry_after_seconds` (the tests' clock
        moves on its own, SQS's does not)."""
        self._timed.add(receipt_handle)
        self._sqs.change_message_visibility(
            QueueUrl=self._settlement_url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=min(seconds, self._retry_after),
        )

    def _pump_observed(self) -> None:
        # Until the queue is empty: one receive returns at most a batch, and a burst (a test's, or many checks
        # settling at once) must all be observable after one pump, not trickle in over the next ones.
        while records := self._receive(self._observed_url):
            for record in records:
                event = json.loads(record["body"])
                self.published.append(event)
                del self.published[:-KEPT_EVENTS]
                print(json.dumps({"local_event": event["detail-type"], "detail": event["detail"]}), flush=True)
                self._sqs.delete_message(QueueUrl=self._observed_url, ReceiptHandle=record["receiptHandle"])

    # make local ------------------------------------------------------------------------------------------------

    def start(self, interval_seconds: float = 0.5) -> LocalEventPipeline:
        def run() -> None:
            while not self._stop.wait(interval_seconds):
                self.pump()

        threading.Thread(target=run, name="liveness-local-events", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()


def _as_lambda_delivers(record: dict[str, Any]) -> dict[str, Any]:
    """A GetRecords record as Lambda hands it to a function: the creation time in epoch seconds."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = created.astimezone(UTC).timestamp()
    return {**record, "dynamodb": change}


def published_events_response(request: HttpRequest, pipeline: LocalEventPipeline) -> HttpResponse:
    """`GET /_local/events`: every event published so far (the last KEPT_EVENTS), oldest first, as EventBridge
    delivered them."""
    if request.method != "GET":
        return HttpResponse(405, (("Allow", "GET"),), b"")
    body = json.dumps({"events": list(pipeline.published)}).encode()
    return HttpResponse(200, (("Content-Type", "application/json"),), body)


def events_banner(base_url: str, pipeline: LocalEventPipeline) -> str:
    webhook = pipeline.events_settings.webhook_url
    # The twin's secret, generated at start: printed so that the local receiver can verify (never done deployed).
    delivery = (
        f"; webhook deliveries go to {webhook}, signed with {pipeline.webhook_secret().decode()}" if webhook else ""
    )
    return (
        "Settlement runs without a client: a completed check within a second, any other session shortly before "
        f"its 3 minutes end. Published events: {base_url}{EVENTS_PATH} (and the log){delivery}"
    )
