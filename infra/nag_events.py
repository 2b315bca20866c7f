"""The cdk-nag AwsSolutions findings the settlement and events constructs accept, each with its reason (infra.nag
lists them with the rest)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from infra.nag import Acknowledgement
    from infra.stack import FaceLivenessStack


def event_acknowledgements(stack: FaceLivenessStack) -> list[Acknowledgement]:
    from infra.nag import Acknowledgement

    events = stack.events
    acks = [
        Acknowledgement(
            stack.settlement.worker.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Rekognition Face Liveness sessions and X-Ray trace segments have no ARNs: GetFaceLivenessSessionResults, "
            "PutTraceSegments and PutTelemetryRecords support no resource-level permissions, and CompareFaces (a "
            "face match decided with the verdict) has no resource type: it reads two S3 images the role's S3 "
            "statement bounds",
        ),
        Acknowledgement(
            events.forwarder.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "dynamodb:ListStreams, which Lambda's stream event-source mapping uses, and X-Ray's PutTraceSegments and "
            "PutTelemetryRecords support no resource-level permissions; every stream read is scoped to the ledger's "
            "stream ARN",
        ),
        Acknowledgement(
            events.pseudonym_key,
            "AwsSolutions-SMG4",
            "The pseudonym key is no credential: it keys the HMACs that name owners in published events. Rotating it "
            "would change every owner's pseudonym and break consumers' correlation of one owner's events, so it is "
            "rotated only deliberately, by an operator (docs/events.md)",
        ),
        Acknowledgement(
            events.stream_dead_letters,
            "AwsSolutions-SQS3",
            "This queue is a dead-letter queue: the ledger stream's event-source mapping sends records it gave up on "
            "to it (its on-failure destination, which cdk-nag does not recognise as a redrive policy)",
        ),
    ]
    if events.webhook is not None:
        acks.append(
            Acknowledgement(
                events.webhook.policy,
                "AwsSolutions-IAM5[Resource::*]",
                "X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions",
            )
        )
    if events.webhook_secret is not None and stack.config.webhook_secret_arn is None:
        acks.append(
            Acknowledgement(
                events.webhook_secret,
                "AwsSolutions-SMG4",
                "The webhook's signing secret is shared with the receiver, which must change it at the same moment: "
                "an unattended rotation would make every delivery fail verification, so it is rotated by an operator "
                "(docs/events.md)",
            )
        )
    return acks
