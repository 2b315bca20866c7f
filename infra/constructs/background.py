"""What the settlement and events constructs share: a background function (the API's code asset and layer, another
handler, a role of its own with exactly the statements it is given) and a dead-letter queue with its alarm."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.function import own_logs_and_traces, stack_function
from infra.constructs.storage import Retention, log_group

# SQS keeps a message at most 14 days: what a dead-letter queue holds for an operator to redrive.
DEAD_LETTER_RETENTION = Duration.days(14)
# SQS's actions a Lambda event-source mapping uses to consume a queue, and the one a handler uses to time a retry.
CONSUME_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility")


@dataclass(frozen=True)
class BackgroundSettings:
    """What every background function shares with the API's: the stack's name and retention, its timeout and
    memory, and its environment (the background functions build the same settings from it)."""

    name: str
    retention: Retention
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, str]


class BackgroundFunction(Construct):
    """A function with a role that can do exactly what `statements` say, write its own logs and traces."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: BackgroundSettings,
        handler: str,
        description: str,
        statements: Sequence[iam.PolicyStatement],
        environment: Mapping[str, str],
        timeout_seconds: int | None = None,
    ) -> None:
        """`handler`: the entry module's; `environment`: added to the API's; `timeout_seconds`: the API's unless
        given."""
        super().__init__(scope, construct_id)
        description = f"{settings.name}: {description}"
        self.log_group = log_group(self, "LogGroup", settings.retention)
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description
        )
        self.policy = iam.Policy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                *statements,
                *own_logs_and_traces(self.log_group),
            ],
        )
        self.function = stack_function(
            self,
            description=description,
            handler=handler,
            role=self.role,
            log_group=self.log_group,
            timeout_seconds=timeout_seconds or settings.timeout_seconds,
            memory_mb=settings.memory_mb,
            environment={**settings.environment, **environment},
        )
        self.function.node.add_dependency(self.policy)


def encrypted_queue(scope: Construct, construct_id: str, **props: object) -> sqs.Queue:
    """A queue encrypted with SQS's own keys (EventBridge and S3 deliver to it without a KMS grant) that refuses
    requests without TLS."""
    return sqs.Queue(scope, construct_id, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True, **props)  # type: ignore[arg-type]


def dead_letter_alarm(scope: Construct, construct_id: str, queue: sqs.Queue, what: str, stack_name: str) -> cw.Alarm:
    """Raised as soon as one message is dead-lettered: each is a verdict, an event or a delivery given up on. Named
    `<stackName>-<construct id>`, like the service's alarms."""
    return cw.Alarm(
        scope,
        construct_id,
        alarm_name=f"{stack_name}-{construct_id.removesuffix('Alarm')}",
        alarm_description=f"{what} were dead-lettered: docs/events.md says how to inspect and redrive them",
        metric=queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), statistic="Maximum"),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
    )
