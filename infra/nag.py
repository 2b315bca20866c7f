"""Every cdk-nag AwsSolutions finding this stack accepts, each on the narrowest construct and with its reason.

A finding not listed here fails `cdk synth`; an acknowledgement no finding needs fails the tests. Ids are the
exact ids cdk-nag prints; IAM5 ids name the offending resource, so they are computed from the constructs rather
than copied from a report.

Not acknowledged because cdk-nag does not raise them: S1 on the access-log bucket (the rule treats a bucket that
receives another bucket's access logs as compliant) and APIG4 on the CORS preflight methods (the rule skips
OPTIONS methods that only answer CORS headers).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_s3 as s3
from constructs import IConstruct

from infra.constructs.api import STAGE_NAME
from infra.nag_events import event_acknowledgements
from infra.stack import FaceLivenessStack
from liveness_api.contract import DOCUMENT_OBJECT_NAME, REFERENCE_OBJECT_NAME, Route, Routes


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
    acks = [
        Acknowledgement(
            stack.function.policy,
            "AwsSolutions-IAM5[Resource::*]",
            "Rekognition Face Liveness sessions and X-Ray trace segments have no ARNs: "
            "CreateFaceLivenessSession, GetFaceLivenessSessionResults, PutTraceSegments and PutTelemetryRecords "
            "support no resource-level permissions, and CompareFaces has no resource type in the service "
            "authorization reference (it reads two S3 images, which the role's S3 statements bound), so `*` is the "
            "narrowest resource",
        ),
        # Both roles that decide face matches: the API's function, and the settlement worker (the same code).
        *(
            Acknowledgement(
                policy,
                f"AwsSolutions-IAM5[Resource::{images}/{name}]",
                f"Face matching ({who}) reads each session's `{name}` by Rekognition with the role's permissions; the "
                "session id is chosen at run time, so `*` stands for it alone, and no other object of the bucket is "
                "readable",
            )
            for policy, who in (
                (stack.function.policy, "the API's results"),
                (stack.settlement.worker.policy, "the settlement worker, deciding the same match"),
            )
            for name in (REFERENCE_OBJECT_NAME, DOCUMENT_OBJECT_NAME)
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
            "AwsSolutions-APIG6",
            "Execution logs stay off: API Gateway writes them to a log group it creates itself, outside this stack's "
            "retention and removal settings, and can include request data; the JSON access log (no caller identity) "
            "and X-Ray traces record every request",
        ),
    ]
    if not config.waf_enabled:
        acks.append(
            Acknowledgement(
                stack.api.rest_api,
                "AwsSolutions-APIG3",
                "AWS WAF is off in this deployment (waf=false, or waf=auto in plain IAM mode, where every route "
                "requires SigV4-signed IAM credentials and route throttles bound the rate); waf=true adds the web "
                "ACL, at a fixed monthly fee per deployment plus a fee per request",
            )
        )
    if config.authorization == "IAM":
        acks.append(
            Acknowledgement(
                stack.api.rest_api,
                "AwsSolutions-COG4",
                "Callers authenticate with AWS IAM (SigV4-signed requests, AuthorizationType AWS_IAM on every "
                "route): backend services or Cognito identity-pool credentials; authorization=COGNITO puts a "
                "user-pool authorizer on every route instead",
            )
        )
    if stack.user_pool is not None and stack.user_pool.created:
        pool = stack.user_pool.user_pool
        acks.append(
            Acknowledgement(
                pool,
                "AwsSolutions-COG8",
                "The pool uses Cognito's Essentials feature plan: Plus (threat protection) is billed per monthly "
                "active user, and abuse here is bounded by the per-user and per-address limits, WAF and the route "
                "throttles; an operator who wants adaptive authentication can raise the plan",
            )
        )
        if config.mfa == "optional":
            acks.append(
                Acknowledgement(
                    pool,
                    "AwsSolutions-COG2",
                    "MFA is optional by default (mfa=optional; TOTP only, no SMS) so that a liveness check, itself a "
                    "proof of presence, does not require every user to enrol an authenticator first; mfa=required "
                    "enforces it",
                )
            )
    if stack.address_key is not None:
        acks.append(
            Acknowledgement(
                stack.address_key.secret,
                "AwsSolutions-SMG4",
                "The address key is no credential: it only keys the HMACs of guests' client addresses. It is "
                "rotated by an operator, not by a scheduled rotation Lambda: the secret then holds the new key and "
                "the previous one, which must stay until every cool-down counted under it has ended "
                "(docs/security.md gives the procedure); a scheduled rotation that dropped the previous key would "
                "give every address in cool-down a free reset",
            )
        )
    if stack.streaming is not None:
        acks.append(
            Acknowledgement(
                stack.streaming.policy,
                "AwsSolutions-IAM5[Resource::*]",
                "The streaming role may call rekognition:StartFaceLivenessSession, which supports no resource-level "
                "permissions, so `*` is the narrowest resource for that one action",
            )
        )
    if stack.identity_pool is not None:
        ids = stack.identity_pool
        if config.identity_pool == "guest":
            acks.append(
                Acknowledgement(
                    ids.pool,
                    "AwsSolutions-COG7",
                    "identityPool=guest was chosen for apps without sign-in: unauthenticated identities are what it "
                    "means; their role may only start Face Liveness streams and invoke this API's routes, and synth "
                    "prints a warning saying what the mode trades away",
                )
            )
        for amr, policy in ids.policies.items():
            acks.append(
                Acknowledgement(
                    policy,
                    "AwsSolutions-IAM5[Resource::*]",
                    f"The {amr} identities' role may call rekognition:StartFaceLivenessSession, which supports no "
                    "resource-level permissions, so `*` is the narrowest resource for that one action",
                )
            )
            if config.authorization == "IAM":
                for route in _wildcard_routes():
                    acks.append(
                        Acknowledgement(
                            policy,
                            f"AwsSolutions-IAM5[Resource::{_execute_api_arn_of(stack, route)}]",
                            f"The {amr} identities' role may invoke {route.method} {route.path} on this API's stage "
                            "only; `*` stands for the session id path parameter, which is chosen per request",
                        )
                    )
    return acks + event_acknowledgements(stack)


def _wildcard_routes() -> list[Route]:
    return [route for route in Routes.ALL if "{" in route.path]


def _execute_api_arn_of(stack: FaceLivenessStack, route: Route) -> str:
    """How cdk-nag renders a route's execute-api ARN (auth.route_invoke_arns) in IAM5 finding ids."""
    partition = stack.resolve(stack.partition)
    partition = partition if isinstance(partition, str) else "<AWS::Partition>"
    region = stack.resolve(stack.region)
    region = region if isinstance(region, str) else "<AWS::Region>"
    api = stack.get_logical_id(stack.api.rest_api.node.default_child)  # type: ignore[arg-type]
    path = re.sub(r"{\w+}", "*", route.path)
    return f"arn:{partition}:execute-api:{region}:<AWS::AccountId>:<{api}>/{STAGE_NAME}/{route.method}{path}"


def acknowledge_findings(stack: FaceLivenessStack) -> None:
    for ack in acknowledgements(stack):
        Validations.of(ack.scope).acknowledge(Acknowledgment(id=ack.finding_id, reason=ack.reason))
