"""The Lambda function that serves the API: its role, its log group and the Powertools layer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config.platform import LAMBDA_PYTHON_VERSION, powertools_layer_parameter
from infra.constructs.faces import FaceCollection, face_match_statements
from infra.constructs.storage import Retention, Storage, log_group
from liveness_api.contract import LAMBDA_HANDLER
from liveness_api.environment import EnvVar

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
# The Powertools layer parameter (powertools_layer_parameter) names arm64, so the function must be arm64.
ARCHITECTURE: Final = lambda_.Architecture.ARM_64
# The published version that SnapStart snapshots and API Gateway invokes.
LIVE_ALIAS: Final = "live"


def runtime() -> lambda_.Runtime:
    """The runtime whose version the Powertools layer parameter names (LAMBDA_PYTHON_VERSION)."""
    return getattr(lambda_.Runtime, "PYTHON_" + LAMBDA_PYTHON_VERSION.replace(".", "_"))  # type: ignore[no-any-return]


def own_logs_and_traces(group: logs.ILogGroup) -> list[iam.PolicyStatement]:
    """What every function of the stack needs to be observed: writing its own log group and sending traces."""
    return [
        iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            # The log group exists already (this stack creates it), so no logs:CreateLogGroup.
            resources=[group.log_group_arn],
        ),
        iam.PolicyStatement(
            sid="PublishTraces",
            actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            # X-Ray has no resource-level permissions for these actions.
            resources=["*"],
        ),
    ]


def stack_function(
    scope: Construct,
    *,
    description: str,
    handler: str,
    role: iam.Role,
    log_group: logs.ILogGroup,
    timeout_seconds: int,
    memory_mb: int,
    environment: Mapping[str, str],
    **extra: Any,
) -> lambda_.Function:
    """One of the stack's functions, as `scope`'s "Function": the runtime's code asset (lambda_src) and Powertools
    layer, arm64, active tracing, JSON logs into `log_group`, and `role` as it is (`extra`: what only it needs)."""
    return lambda_.Function(
        scope,
        "Function",
        description=description,
        runtime=runtime(),
        architecture=ARCHITECTURE,
        handler=handler,
        code=lambda_.Code.from_asset(str(LAMBDA_SRC), exclude=ASSET_EXCLUDES),
        # Immutable for CDK: the tracing and logging helpers, event sources and grants would otherwise append their
        # own statements (xray on `*`, logs:CreateLogGroup, ...) to the role; its policy is the complete list.
        role=role.without_policy_updates(),
        timeout=Duration.seconds(timeout_seconds),
        memory_size=memory_mb,
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        layers=[
            lambda_.LayerVersion.from_layer_version_arn(
                scope,
                "PowertoolsLayer",
                # A CloudFormation SSM parameter, resolved at deploy time: synth needs no AWS lookup.
                ssm.StringParameter.value_for_string_parameter(scope, powertools_layer_parameter()),
            )
        ],
        environment=dict(environment),
        **extra,
    )


@dataclass(frozen=True)
class FunctionProps:
    """The function's settings. `environment`: what the handler reads at run time (config.function_environment);
    `reserved_concurrency`: None for none; `image_key_prefix`: the only image keys the role may write and erase."""

    name: str
    retention: Retention
    timeout_seconds: int
    memory_mb: int
    snap_start: bool
    reserved_concurrency: int | None
    image_key_prefix: str
    environment: Mapping[str, str]


class LivenessFunction(Construct):
    """The handler of every route, with a role that can do exactly what the handler does and nothing else."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: FunctionProps,
        storage: Storage,
        collection: FaceCollection,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = log_group(self, "LogGroup", props.retention)

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{props.name}: the Face Liveness API handler",
        )
        self.policy = iam.Policy(
            self,
            "Policy",
            roles=[self.role],
            statements=self._statements(props.image_key_prefix, storage, collection),
        )

        self.function = stack_function(
            self,
            description="Face Liveness API: creates sessions, records verdicts and face matches, enrols, erases",
            handler=LAMBDA_HANDLER,
            role=self.role,
            log_group=self.log_group,
            timeout_seconds=props.timeout_seconds,
            memory_mb=props.memory_mb,
            environment=props.environment,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if props.snap_start else None,
            # With "auto", enough for everything the route throttles can admit within one timeout (Capacity's
            # throttled_concurrency), held for this function alone and never exceeded. Lambda keeps 100 of the
            # account's concurrency unreserved, so an account whose quota is below this + 100 refuses the deploy.
            reserved_concurrent_executions=props.reserved_concurrency,
        )
        # The role must hold its permissions before the function's first (SnapStart) initialisation.
        self.function.node.add_dependency(self.policy)

        # SnapStart only applies to published versions, so API Gateway must invoke one (through an alias).
        self.invoke_target: lambda_.IFunction = (
            lambda_.Alias(self, "LiveAlias", alias_name=LIVE_ALIAS, version=self.function.current_version)
            if props.snap_start
            else self.function
        )

    def accept_identity_pool(self, identity_pool_id: str) -> None:
        """Name the stack's identity pool to the handler, which then accepts only its identities. Set after the
        function is built: the pool comes after the API (its roles may invoke exactly the API's routes), and the
        API after the function it invokes."""
        self.function.add_environment(EnvVar.IDENTITY_POOL_ID, identity_pool_id)

    def _statements(
        self, image_key_prefix: str, storage: Storage, collection: FaceCollection
    ) -> list[iam.PolicyStatement]:
        """Every permission of the handler. Each statement has a Sid, which also keeps CDK's policy minimisation
        from merging statements that were written apart on purpose."""
        images = f"{storage.image_bucket.bucket_arn}/{image_key_prefix}*"
        return [
            iam.PolicyStatement(
                sid="RunFaceLivenessSessions",
                actions=["rekognition:CreateFaceLivenessSession", "rekognition:GetFaceLivenessSessionResults"],
                # Face Liveness sessions have no ARN; the service supports no resource-level permissions.
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="UseFaceCollection", actions=collection.actions, resources=[collection.collection_arn]
            ),
            *face_match_statements(images),
            # Rekognition writes the reference and audit images with the caller's (this role's) credentials, and
            # the ID photo's presigned POST is signed with them too (its key, `<prefix><sessionId>/document`, is
            # under the same prefix; the bucket policy insists on the stack's key for it).
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
                conditions={"StringLike": {"s3:prefix": f"{image_key_prefix}*"}},
            ),
            iam.PolicyStatement(
                sid="UseSessionLedger",
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
                resources=[storage.table.table_arn],
            ),
            storage.allow_key_use(self.role),
            *own_logs_and_traces(self.log_group),
        ]
