"""The Lambda function that serves the API: its role, its log group and the Powertools layer."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config import LAMBDA_PYTHON_VERSION, StackConfig, function_environment
from infra.constructs.storage import Storage, log_group
from liveness_api.contract import LAMBDA_HANDLER

LAMBDA_SRC: Final = Path(__file__).resolve().parents[2] / "lambda_src"
# Nothing that only serves development may reach the deployment package.
ASSET_EXCLUDES: Final = [
    "**/__pycache__",
    "**/*.pyc",
    "**/tests",
    "**/.pytest_cache",
    "**/.mypy_cache",
    "**/.ruff_cache",
]
# The Powertools layer parameter (config.powertools_layer_parameter) names arm64, so the function must be arm64.
ARCHITECTURE: Final = lambda_.Architecture.ARM_64
# The published version that SnapStart snapshots and API Gateway invokes.
LIVE_ALIAS: Final = "live"


def runtime() -> lambda_.Runtime:
    """The runtime whose version the Powertools layer parameter names (config.LAMBDA_PYTHON_VERSION)."""
    return getattr(lambda_.Runtime, "PYTHON_" + LAMBDA_PYTHON_VERSION.replace(".", "_"))  # type: ignore[no-any-return]


class LivenessFunction(Construct):
    """The handler of every route, with a role that can do exactly what the handler does and nothing else."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, storage: Storage) -> None:
        super().__init__(scope, construct_id)
        self.log_group = log_group(self, "LogGroup", config)

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{config.stack_name}: the Face Liveness API handler",
        )
        self.policy = iam.Policy(
            self,
            "Policy",
            roles=[self.role],
            statements=self._statements(config, storage),
        )

        self.function = lambda_.Function(
            self,
            "Function",
            description="Face Liveness API: creates sessions, records verdicts, erases sessions",
            runtime=runtime(),
            architecture=ARCHITECTURE,
            handler=LAMBDA_HANDLER,
            code=lambda_.Code.from_asset(str(LAMBDA_SRC), exclude=ASSET_EXCLUDES),
            # Immutable for CDK: the tracing and logging helpers would otherwise append their own statements
            # (xray on `*`, logs:CreateLogGroup) to the role; the policy above is the complete list.
            role=self.role.without_policy_updates(),
            timeout=Duration.seconds(config.lambda_timeout_seconds),
            memory_size=config.lambda_memory_mb,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            layers=[
                lambda_.LayerVersion.from_layer_version_arn(
                    self,
                    "PowertoolsLayer",
                    # A CloudFormation SSM parameter, resolved at deploy time: synth needs no AWS lookup.
                    ssm.StringParameter.value_for_string_parameter(self, config.powertools_layer_parameter),
                )
            ],
            environment=function_environment(
                config,
                bucket=storage.image_bucket.bucket_name,
                key_arn=storage.key.key_arn,
                table=storage.table.table_name,
            ),
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if config.snap_start else None,
            # Enough for everything the route throttles can admit within one timeout (config.throttled_concurrency),
            # held for this function alone and never exceeded. Lambda keeps 100 of the account's concurrency
            # unreserved, so an account whose quota is below this + 100 refuses the deploy: reservedConcurrency=off.
            reserved_concurrent_executions=config.reserved_concurrent_executions,
        )
        # The role must hold its permissions before the function's first (SnapStart) initialisation.
        self.function.node.add_dependency(self.policy)

        # SnapStart only applies to published versions, so API Gateway must invoke one (through an alias).
        self.invoke_target: lambda_.IFunction = (
            lambda_.Alias(self, "LiveAlias", alias_name=LIVE_ALIAS, version=self.function.current_version)
            if config.snap_start
            else self.function
        )

    def _statements(self, config: StackConfig, storage: Storage) -> list[iam.PolicyStatement]:
        """Every permission of the handler. Each statement has a Sid, which also keeps CDK's policy minimisation
        from merging statements that were written apart on purpose."""
        images = f"{storage.image_bucket.bucket_arn}/{config.image_key_prefix}*"
        return [
            iam.PolicyStatement(
                sid="RunFaceLivenessSessions",
                actions=["rekognition:CreateFaceLivenessSession", "rekognition:GetFaceLivenessSessionResults"],
                # Face Liveness sessions have no ARN; the service supports no resource-level permissions.
                resources=["*"],
            ),
            # Rekognition writes the reference and audit images with the caller's (this role's) credentials.
            iam.PolicyStatement(sid="WriteSessionImages", actions=["s3:PutObject"], resources=[images]),
            iam.PolicyStatement(
                sid="EraseSessionImages",
                actions=["s3:DeleteObject", "s3:DeleteObjectVersion"],
                resources=[images],
            ),
            # Erasure lists every version of a session's objects; ListObjectVersions is authorised by
            # s3:ListBucketVersions (not s3:ListBucket), on the bucket, narrowed by the listed prefix.
            iam.PolicyStatement(
                sid="ListSessionImageVersions",
                actions=["s3:ListBucketVersions"],
                resources=[storage.image_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": f"{config.image_key_prefix}*"}},
            ),
            iam.PolicyStatement(
                sid="UseSessionLedger",
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                resources=[storage.table.table_arn],
            ),
            storage.allow_key_use(self.role),
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                # The log group exists already (this stack creates it), so no logs:CreateLogGroup.
                resources=[self.log_group.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="PublishTraces",
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                # X-Ray has no resource-level permissions for these actions.
                resources=["*"],
            ),
        ]
