"""Events for other systems: the stack's own EventBridge bus, its archive, the schema registry of its events, the
outbox forwarder that publishes them from the ledger's stream, and the optional signed webhook.

The outbox: the ledger table's stream (NEW_AND_OLD_IMAGES) -> the forwarder (liveness_api.outbox) -> the bus, and
each new session's delayed expiry message -> the settlement queue. A stream record the forwarder cannot handle is
retried (bisected, in order) and then sent to a dead-letter queue, with an alarm. The request path is unchanged: it
writes the ledger as before and publishes nothing itself.

The webhook, with `webhookUrl` only: a rule sends every published event to the webhook queue, whose consumer signs
and POSTs it (liveness_api.webhook), retried with backoff, then dead-lettered, with an alarm.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_eventschemas as eventschemas
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config.events import STREAM_RETRIES, event_schemas, events_environment, published_events_pattern
from infra.constructs.background import (
    CONSUME_ACTIONS,
    DEAD_LETTER_RETENTION,
    BackgroundFunction,
    BackgroundSettings,
    dead_letter_alarm,
    encrypted_queue,
)
from infra.constructs.settlement import Settlement
from infra.constructs.storage import Storage
from liveness_api.event_contract import DELIVERY_TIMEOUT_SECONDS, EVENT_SOURCE

OUTBOX_HANDLER: Final = "liveness_api.outbox_entry.lambda_handler"
WEBHOOK_HANDLER: Final = "liveness_api.webhook_entry.lambda_handler"
STREAM_BATCH_SIZE: Final = 100
# Webhook deliveries: attempts before the delivery is dead-lettered (the sender backs off between them, up to
# 15 minutes: about an hour in all).
WEBHOOK_MAX_RECEIVES: Final = 8
WEBHOOK_BATCH_SIZE: Final = 5
# Every delivery of a batch may wait for its receiver's whole timeout: the sender's own timeout covers that.
WEBHOOK_TIMEOUT_SECONDS: Final = int(WEBHOOK_BATCH_SIZE * DELIVERY_TIMEOUT_SECONDS) + 5
PSEUDONYM_KEY_LENGTH: Final = 64


@dataclass(frozen=True)
class EventsProps:
    background: BackgroundSettings
    archive_retention_days: int
    webhook_url: str
    webhook_secret_arn: str | None


class Events(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: EventsProps, storage: Storage, settlement: Settlement
    ) -> None:
        super().__init__(scope, construct_id)
        name, retention = props.background.name, props.background.retention
        self.bus = events.EventBus(self, "Bus", event_bus_name=f"{name}-events")
        pattern = published_events_pattern()
        self.archive = self.bus.archive(
            "Archive",
            description=f"{name}: every published event, for replay",
            event_pattern=events.EventPattern(source=pattern["source"]),
            retention=Duration.days(props.archive_retention_days),
        )
        self.registry = eventschemas.CfnRegistry(
            self, "Registry", registry_name=f"{name}-events", description=f"{name}: published events"
        )
        self.schemas = [
            eventschemas.CfnSchema(
                self,
                f"Schema{index}",
                registry_name=self.registry.attr_registry_name,
                # EventBridge's own naming: the source, then the detail type.
                schema_name=f"{EVENT_SOURCE}@{event_type.replace(' ', '')}",
                type="JSONSchemaDraft4",
                content=content,
                description=f"detail of {event_type}",
            )
            for index, (event_type, content) in enumerate(event_schemas().items())
        ]
        # Generated at deploy, never in the template: the key of the owners' pseudonyms in events.
        self.pseudonym_key = secretsmanager.Secret(
            self,
            "PseudonymKey",
            description=f"{name}: the key of owners' pseudonymous ids in published events",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=PSEUDONYM_KEY_LENGTH, exclude_punctuation=True
            ),
            removal_policy=retention.removal_policy,
        )
        self.webhook_queue: sqs.Queue | None = None
        self.webhook_secret: secretsmanager.ISecret | None = None
        if props.webhook_url:
            self.webhook_queue = self._webhook_queue()
            self.webhook_secret = self._webhook_secret(props)
        environment = events_environment(
            settlement_queue_url=settlement.queue.queue_url,
            event_bus_name=self.bus.event_bus_name,
            pseudonym_key_secret=self.pseudonym_key.secret_arn,
            webhook_url=props.webhook_url,
            webhook_secret=self.webhook_secret.secret_arn if self.webhook_secret else "",
            webhook_queue_url=self.webhook_queue.queue_url if self.webhook_queue else "",
        )
        self.alarms: list[cw.Alarm] = []
        self.forwarder = self._forwarder(props, environment, storage, settlement)
        self.webhook: BackgroundFunction | None = None
        if self.webhook_queue is not None and self.webhook_secret is not None:
            self.webhook = self._webhook(props, environment, self.webhook_queue, self.webhook_secret)

    def _forwarder(
        self, props: EventsProps, environment: Mapping[str, str], storage: Storage, settlement: Settlement
    ) -> BackgroundFunction:
        stream_arn = storage.table.table_stream_arn
        if stream_arn is None:
            raise ValueError("the ledger table has no stream: the outbox reads it")
        self.stream_dead_letters = encrypted_queue(self, "OutboxDeadLetters", retention_period=DEAD_LETTER_RETENTION)
        forwarder = BackgroundFunction(
            self,
            "Forwarder",
            settings=props.background,
            handler=OUTBOX_HANDLER,
            description="publishes the ledger's changes (the outbox: its stream's consumer)",
            environment=environment,
            statements=[
                iam.PolicyStatement(
                    sid="ReadLedgerStream",
                    actions=["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                    resources=[stream_arn],
                ),
                iam.PolicyStatement(
                    sid="ListLedgerStreams",
                    actions=["dynamodb:ListStreams"],
                    # ListStreams supports no resource-level permissions.
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="PublishEvents", actions=["events:PutEvents"], resources=[self.bus.event_bus_arn]
                ),
                iam.PolicyStatement(
                    sid="SendExpiryMessages", actions=["sqs:SendMessage"], resources=[settlement.queue.queue_arn]
                ),
                iam.PolicyStatement(
                    sid="DeadLetterStreamRecords",
                    actions=["sqs:SendMessage"],
                    resources=[self.stream_dead_letters.queue_arn],
                ),
                iam.PolicyStatement(
                    sid="ReadPseudonymKey",
                    actions=["secretsmanager:GetSecretValue"],
                    resources=[self.pseudonym_key.secret_arn],
                ),
            ],
        )
        # The stream carries the ledger's items, encrypted with the image key: its use through DynamoDB.
        forwarder.policy.add_statements(storage.allow_key_use(forwarder.role))
        lambda_.EventSourceMapping(
            self,
            "FromLedgerStream",
            target=forwarder.function,
            event_source_arn=stream_arn,
            starting_position=lambda_.StartingPosition.TRIM_HORIZON,
            batch_size=STREAM_BATCH_SIZE,
            bisect_batch_on_error=True,
            report_batch_item_failures=True,
            retry_attempts=STREAM_RETRIES,
            # SqsDlq's grant finds the role immutable and adds nothing: the policy above lists the send.
            on_failure=sources.SqsDlq(self.stream_dead_letters),
        )
        self.alarms.append(
            dead_letter_alarm(
                self,
                "OutboxDeadLettersAlarm",
                self.stream_dead_letters,
                "Ledger changes not published",
                props.background.name,
            )
        )
        return forwarder

    def _webhook_queue(self) -> sqs.Queue:
        self.webhook_dead_letters = encrypted_queue(self, "WebhookDeadLetters", retention_period=DEAD_LETTER_RETENTION)
        queue = encrypted_queue(
            self,
            "WebhookQueue",
            # Lambda's advice for a queue it consumes: at least six times the function's timeout.
            visibility_timeout=Duration.seconds(6 * WEBHOOK_TIMEOUT_SECONDS),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.webhook_dead_letters, max_receive_count=WEBHOOK_MAX_RECEIVES
            ),
        )
        pattern = published_events_pattern()
        events.Rule(
            self,
            "ToWebhook",
            description="every published event -> the webhook",
            event_bus=self.bus,
            event_pattern=events.EventPattern(source=pattern["source"]),
            targets=[targets.SqsQueue(queue)],
        )
        return queue

    def _webhook_secret(self, props: EventsProps) -> secretsmanager.ISecret:
        if props.webhook_secret_arn is not None:
            return secretsmanager.Secret.from_secret_complete_arn(self, "WebhookSecret", props.webhook_secret_arn)
        return secretsmanager.Secret(
            self,
            "WebhookSecret",
            description=f"{props.background.name}: signs webhook deliveries (give its value to the receiver)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=PSEUDONYM_KEY_LENGTH, exclude_punctuation=True
            ),
            removal_policy=props.background.retention.removal_policy,
        )

    def _webhook(
        self,
        props: EventsProps,
        environment: Mapping[str, str],
        queue: sqs.Queue,
        secret: secretsmanager.ISecret,
    ) -> BackgroundFunction:
        sender = BackgroundFunction(
            self,
            "WebhookSender",
            settings=props.background,
            handler=WEBHOOK_HANDLER,
            description="signs and delivers published events to the webhook",
            environment=environment,
            timeout_seconds=WEBHOOK_TIMEOUT_SECONDS,
            statements=[
                iam.PolicyStatement(
                    sid="ConsumeWebhookQueue", actions=list(CONSUME_ACTIONS), resources=[queue.queue_arn]
                ),
                iam.PolicyStatement(
                    sid="ReadWebhookSecret", actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn]
                ),
            ],
        )
        lambda_.EventSourceMapping(
            self,
            "FromWebhookQueue",
            target=sender.function,
            event_source_arn=queue.queue_arn,
            batch_size=WEBHOOK_BATCH_SIZE,
            report_batch_item_failures=True,
        )
        self.alarms.append(
            dead_letter_alarm(
                self, "WebhookDeadLettersAlarm", self.webhook_dead_letters, "Webhook deliveries", props.background.name
            )
        )
        return sender

    def add_environment(self, name: str, value: str) -> None:
        """A variable the API's function gets after it is built (the identity pool's id, the address key's ARN), so
        that the background functions' settings validate as the function's do."""
        for function in (self.forwarder, self.webhook):
            if function is not None:
                function.function.add_environment(name, value)
