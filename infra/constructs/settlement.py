"""Settlement on the server: the settlement queue (and its dead-letter queue and alarm), what puts sessions on it,
and the worker that settles them with the API's own domain code (liveness_api.settlement).

Two producers: S3 sends the image bucket's events to the account's default EventBridge bus (the bucket's
EventBridge notifications), where a rule puts each reference image's event on the queue; the outbox forwarder
(infra.constructs.events) sends each new session's delayed expiry message. A message the worker cannot settle yet
(pending, throttled) returns to the queue; after MAX_RECEIVES it is dead-lettered and the alarm is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config.events import SETTLEMENT_MAX_RECEIVES, object_created_pattern
from infra.constructs.auth import GuestAddressKey
from infra.constructs.background import (
    CONSUME_ACTIONS,
    DEAD_LETTER_RETENTION,
    BackgroundFunction,
    BackgroundSettings,
    dead_letter_alarm,
    encrypted_queue,
)
from infra.constructs.faces import FaceCollection, face_match_statements
from infra.constructs.storage import Storage
from liveness_api.environment import EnvVar

SETTLEMENT_HANDLER: Final = "liveness_api.settlement_entry.lambda_handler"
MAX_RECEIVES: Final = SETTLEMENT_MAX_RECEIVES
# Lambda's advice for a queue it consumes: a visibility timeout of at least six times the function's timeout.
VISIBILITY_TIMEOUTS_PER_FUNCTION_TIMEOUT: Final = 6
# At most this many workers at once, so that settlement never takes the API's share of Rekognition's quota for
# GetFaceLivenessSessionResults (settlement can wait; a client's read cannot).
MAX_CONCURRENT_WORKERS: Final = 5
BATCH_SIZE: Final = 10


@dataclass(frozen=True)
class SettlementProps:
    background: BackgroundSettings
    image_key_prefix: str


class Settlement(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: SettlementProps,
        storage: Storage,
        collection: FaceCollection,
    ) -> None:
        super().__init__(scope, construct_id)
        name, timeout_seconds = props.background.name, props.background.timeout_seconds
        self.dead_letters = encrypted_queue(self, "DeadLetters", retention_period=DEAD_LETTER_RETENTION)
        self.queue = encrypted_queue(
            self,
            "Queue",
            visibility_timeout=Duration.seconds(timeout_seconds * VISIBILITY_TIMEOUTS_PER_FUNCTION_TIMEOUT),
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letters, max_receive_count=MAX_RECEIVES),
        )
        # S3 -> EventBridge, set on the bucket resource itself: the L2 `event_bridge_enabled` would add a custom
        # resource (a Lambda function) to write the bucket's notification configuration.
        bucket = storage.image_bucket.node.default_child
        assert isinstance(bucket, s3.CfnBucket)
        bucket.add_property_override("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True)
        pattern = object_created_pattern(storage.image_bucket.bucket_name, props.image_key_prefix)
        self.rule = events.Rule(
            self,
            "OnReferenceImage",
            description=f"{name}: a completed check's reference image -> settle its session",
            event_pattern=events.EventPattern(
                source=pattern["source"], detail_type=pattern["detail-type"], detail=pattern["detail"]
            ),
            # The target adds the queue policy letting this rule (aws:SourceArn) send to the queue.
            targets=[targets.SqsQueue(self.queue)],
        )
        self.worker = BackgroundFunction(
            self,
            "Worker",
            settings=props.background,
            handler=SETTLEMENT_HANDLER,
            description="settles sessions no client read (the settlement queue's consumer)",
            statements=self._statements(storage, props.image_key_prefix, collection),
            environment={EnvVar.SETTLEMENT_QUEUE_URL: self.queue.queue_url},
        )
        # The ledger is encrypted with the image key: its use through DynamoDB, in the key policy and the role's.
        self.worker.policy.add_statements(storage.allow_key_use(self.worker.role))
        lambda_.EventSourceMapping(
            self,
            "FromQueue",
            target=self.worker.function,
            event_source_arn=self.queue.queue_arn,
            batch_size=BATCH_SIZE,
            report_batch_item_failures=True,
            max_concurrency=MAX_CONCURRENT_WORKERS,
        )
        self.alarm = dead_letter_alarm(
            self, "SettlementDeadLettersAlarm", self.dead_letters, "Sessions the worker could not settle", name
        )

    def _statements(
        self, storage: Storage, image_key_prefix: str, collection: FaceCollection
    ) -> list[iam.PolicyStatement]:
        """Exactly what deciding and recording a verdict and its face match takes (LivenessSessions.settle), and
        consuming the queue."""
        images = f"{storage.image_bucket.bucket_arn}/{image_key_prefix}*"
        return [
            *face_match_statements(images, search=collection),
            iam.PolicyStatement(
                sid="ReadFaceLivenessResults",
                actions=["rekognition:GetFaceLivenessSessionResults"],
                # Face Liveness sessions have no ARN; the service supports no resource-level permissions.
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="RecordVerdicts",
                # Read the session; record its verdict, count it, free its slot and count a failure (updates only).
                actions=["dynamodb:GetItem", "dynamodb:UpdateItem"],
                resources=[storage.table.table_arn],
            ),
            iam.PolicyStatement(
                sid="ConsumeSettlementQueue", actions=list(CONSUME_ACTIONS), resources=[self.queue.queue_arn]
            ),
        ]

    def accept_address_key(self, address_key: GuestAddressKey) -> None:
        """Guest mode: the worker builds the domain as the API's function does, which reads the address key once per
        container (a failure it counts goes to the address the session recorded, already hashed)."""
        secret, key = address_key.secret, address_key.key
        self.worker.function.add_environment(EnvVar.ADDRESS_KEY_SECRET, secret.secret_arn)
        self.worker.policy.add_statements(
            iam.PolicyStatement(
                sid="ReadTheAddressKey", actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn]
            ),
            iam.PolicyStatement(
                sid="DecryptTheAddressKeyThroughSecretsManager",
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"secretsmanager.{Stack.of(self).region}.amazonaws.com",
                        "kms:EncryptionContext:SecretARN": secret.secret_arn,
                    }
                },
            ),
        )

    def add_environment(self, name: str, value: str) -> None:
        """A variable the API's function gets after it is built (the identity pool's id), so the worker's settings
        validate as the function's do."""
        self.worker.function.add_environment(name, value)
