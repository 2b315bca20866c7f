"""Streaming credentials for apps with their own sign-in (`streamingCredentials=true`): a role that may only start
Face Liveness streams, which the function alone may assume, once per create, to hand the app's detector
credentials (the handler's `adapters/streaming_credentials.py`)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.constructs.auth import START_STREAM
from infra.constructs.function import LivenessFunction
from liveness_api.environment import EnvVar


class StreamingCredentialsRole(Construct):
    """The role, trusted by the function's role alone, with one permission: StartFaceLivenessSession. The function
    may assume exactly this role, and learns its ARN from its environment."""

    def __init__(self, scope: Construct, construct_id: str, *, name: str, function: LivenessFunction) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            description=f"{name}: streaming credentials handed to apps with their own sign-in; starts Face Liveness "
            "streams only",
            # The trust policy names the function's role, and nothing else may assume it.
            assumed_by=iam.ArnPrincipal(function.role.role_arn),
            # IAM's floor for a role's maximum; each assumption asks for STS's shortest (15 minutes).
            max_session_duration=Duration.hours(1),
        )
        self.policy = iam.Policy(
            self,
            "Policy",
            roles=[self.role],
            statements=[
                # StartFaceLivenessSession has no resource-level permissions.
                iam.PolicyStatement(sid="StartFaceLivenessStreams", actions=[START_STREAM], resources=["*"])
            ],
        )
        function.policy.add_statements(
            iam.PolicyStatement(
                sid="IssueStreamingCredentials", actions=["sts:AssumeRole"], resources=[self.role.role_arn]
            )
        )
        function.function.add_environment(EnvVar.STREAMING_ROLE_ARN, self.role.role_arn)
