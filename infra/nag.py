"""Every cdk-nag AwsSolutions finding this stack accepts, each on the narrowest construct and with its reason.

A finding not listed here fails `cdk synth`; an acknowledgement no finding needs fails the tests. Ids are the
exact ids cdk-nag prints; IAM5 ids name the offending resource, so they are computed from the constructs rather
than copied from a report.

Not acknowledged because cdk-nag does not raise them: S1 on the access-log bucket (the rule treats a bucket that
receives another bucket's access logs as compliant) and APIG4 on the CORS preflight methods (the rule skips
OPTIONS methods that only answer CORS headers).
"""

from __future__ import annotations

from typing import NamedTuple

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from infra.stack import FaceLivenessStack


class Acknowledgement(NamedTuple):
    scope: IConstruct
    finding_id: str
    reason: str


def _arn_of(bucket: s3.Bucket) -> str:
    """How cdk-nag renders the bucket's ARN in IAM5 finding ids."""
    return f"<{Stack.of(bucket).get_logical_id(bucket.node.default_child)}.Arn>"  # type: ignore[arg-type]


def acknowledgements(stack: FaceLivenessStack) -> list[Acknowledgement]:
    config = stack.config
    images = f"{_arn_of(stack.storage.image_bucket)}/{config.image_key_prefix}*"
    return [
        Acknowledgement(
            stack.function.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Rekognition Face Liveness sessions and X-Ray trace segments have no ARNs: "
            "CreateFaceLivenessSession, GetFaceLivenessSessionResults, PutTraceSegments and PutTelemetryRecords "
            "support no resource-level permissions, so `*` is the narrowest resource",
        ),
        Acknowledgement(
            stack.function.policy,
            f"AwsSolutions-IAM5[Resource::{images}]",
            "Rekognition names each session's image objects itself under the configured key prefix, so PutObject "
            "and erasure's DeleteObject/DeleteObjectVersion can only be scoped to that prefix, not to known keys",
        ),
        Acknowledgement(
            stack.api.rest_api,
            "AwsSolutions-APIG2",
            "The validator checks request parameters only: the handler validates JSON bodies itself so that a bad "
            "field gets a field-level 422 problem+json answer, which API Gateway's body validator cannot produce",
        ),
        Acknowledgement(
            stack.api.rest_api,
            "AwsSolutions-APIG3",
            "AWS WAF is a planned optional feature: every route already requires SigV4-signed IAM credentials and "
            "stage throttling bounds the rate, and a web ACL costs a fixed monthly fee per deployment",
        ),
        Acknowledgement(
            stack.api.rest_api,
            "AwsSolutions-APIG6",
            "Execution logs stay off: API Gateway writes them to a log group it creates itself, outside this stack's "
            "retention and removal settings, and can include request data; the JSON access log (no caller identity) "
            "and X-Ray traces record every request",
        ),
        Acknowledgement(
            stack.api.rest_api,
            "AwsSolutions-COG4",
            "Callers authenticate with AWS IAM (SigV4-signed requests, AuthorizationType AWS_IAM on every route), "
            "typically backend services or Cognito identity-pool credentials, not Cognito user-pool tokens",
        ),
    ]


def acknowledge_findings(stack: FaceLivenessStack) -> None:
    for ack in acknowledgements(stack):
        Validations.of(ack.scope).acknowledge(Acknowledgment(id=ack.finding_id, reason=ack.reason))
