"""Where the stack keeps data: the image key, the image bucket and its access-log bucket, and the session ledger.

Also the retention rules every stateful resource of the stack follows (`Retention`, `log_group`), so that the
function's and the API's log groups are kept exactly like the rest of the data, and the administration statement
every KMS key of the stack starts its policy with (`key_admin_statement`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, cast

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from liveness_api import contract

# The ledger's item shape is shared with the handler's ledger code: one item per session, expired by DynamoDB TTL.
LEDGER_PARTITION_KEY: Final = contract.LEDGER_PARTITION_KEY
LEDGER_TTL_ATTRIBUTE: Final = contract.LEDGER_TTL_ATTRIBUTE

# What a key's administrators (the account, through IAM policies) may do: manage the key's lifecycle, policy,
# rotation, tags and aliases. No Encrypt, Decrypt or GenerateDataKey: using a key needs an explicit statement
# in its key policy, so an account-wide IAM policy such as AdministratorAccess cannot read the images (or the
# alarm notifications, whose topic has a key of its own).
# Written out rather than as `kms:Create*`-style wildcards, which would include kms:CreateGrant and with it a way
# to hand oneself the cryptographic operations.
KEY_ADMIN_ACTIONS: Final = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
# What the function needs from the key, always on behalf of S3 (SSE-KMS writes of the images, made with the
# caller's credentials) or DynamoDB (the ledger table is encrypted with this key).
KEY_USE_ACTIONS: Final = ("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey")
# Where the image bucket's server access logs go inside the access-log bucket.
ACCESS_LOG_PREFIX: Final = "image-bucket/"
# Nothing uploads in parts; an upload left incomplete for a day is debris that would otherwise be billed forever.
ABORT_INCOMPLETE_UPLOADS_AFTER: Final = Duration.days(1)
# The condition keys S3 sets from a PutObject's (or a POST upload's) encryption fields
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms).
SSE_CONDITION: Final = "s3:x-amz-server-side-encryption"
SSE_KEY_CONDITION: Final = "s3:x-amz-server-side-encryption-aws-kms-key-id"
# How long a browser may cache the answer to the upload's CORS preflight, when it sends one.
UPLOAD_CORS_MAX_AGE_SECONDS: Final = 600


@dataclass(frozen=True)
class Retention:
    """How the stack keeps its data: whether stateful resources outlive the stack, and how long logs are kept."""

    retain: bool
    log_retention_days: int

    @property
    def removal_policy(self) -> RemovalPolicy:
        return RemovalPolicy.RETAIN if self.retain else RemovalPolicy.DESTROY


@dataclass(frozen=True)
class StorageProps:
    """`name` (the stack's) describes the key and names its alias; images expire after `image_retention_days`."""

    name: str
    retention: Retention
    image_retention_days: int


def key_admin_statement() -> iam.PolicyStatement:
    """The key-policy statement that lets the account administer a key through IAM (KEY_ADMIN_ACTIONS) without
    using it. Every key of the stack starts its policy with it."""
    return iam.PolicyStatement(
        sid="AdministerKeyThroughIam",
        principals=[iam.AccountRootPrincipal()],
        actions=list(KEY_ADMIN_ACTIONS),
        resources=["*"],
    )


def log_group(scope: Construct, construct_id: str, retention: Retention) -> logs.LogGroup:
    """A log group kept for `logRetentionDays` and removed (or not) like the rest of the stack's data."""
    group = logs.LogGroup(scope, construct_id, removal_policy=retention.removal_policy)
    # RetentionDays is a named enum in Python; the config already holds one of the values CloudWatch accepts.
    cast(logs.CfnLogGroup, group.node.default_child).retention_in_days = retention.log_retention_days
    return group


class Storage(Construct):
    """The KMS key, the image bucket (plus its access-log bucket) and the session ledger table."""

    def __init__(self, scope: Construct, construct_id: str, *, props: StorageProps) -> None:
        super().__init__(scope, construct_id)
        self._region = Stack.of(self).region
        self._key_use: iam.PolicyStatement | None = None
        removal = props.retention.removal_policy

        self.key = kms.Key(
            self,
            "ImageKey",
            description=f"{props.name}: Face Liveness reference and audit images, and the session ledger",
            alias=f"alias/{props.name.lower()}-images",
            enable_key_rotation=True,
            # Passing a policy stops CDK from adding its default `kms:*` statement for the account.
            policy=iam.PolicyDocument(statements=self._key_admin_statements()),
            removal_policy=removal,
        )

        self.access_log_bucket = self._hardened_bucket(
            "AccessLogBucket",
            rule_id="ExpireAccessLogs",
            retention_days=props.retention.log_retention_days,
            removal=removal,
            # S3 server access logging cannot deliver to a bucket encrypted with a KMS key.
            encryption=s3.BucketEncryption.S3_MANAGED,
        )
        self.image_bucket = self._hardened_bucket(
            "ImageBucket",
            rule_id="ExpireFaceImages",
            retention_days=props.image_retention_days,
            removal=removal,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            # One data key per bucket rather than per object: fewer KMS calls from the function's role.
            bucket_key_enabled=True,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix=ACCESS_LOG_PREFIX,
        )

        self.table = dynamodb.Table(
            self,
            "SessionTable",
            partition_key=dynamodb.Attribute(name=LEDGER_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            time_to_live_attribute=LEDGER_TTL_ATTRIBUTE,
            # The outbox (infra.constructs.events) publishes the ledger's changes from its stream.
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            deletion_protection=props.retention.retain,
            removal_policy=removal,
        )

    def _hardened_bucket(
        self,
        construct_id: str,
        *,
        rule_id: str,
        retention_days: int,
        removal: RemovalPolicy,
        **encryption_and_logging: Any,
    ) -> s3.Bucket:
        """Private, TLS-only, owner-enforced and versioned, with every version expiring after `retention_days`.
        No auto_delete_objects: it adds a custom-resource Lambda. With `destroy`, empty the buckets first."""
        return s3.Bucket(
            self,
            construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # Log delivery is granted by a bucket policy (the serverAccessLogsUseBucketPolicy flag), not by ACLs.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id=rule_id,
                    expiration=Duration.days(retention_days),
                    noncurrent_version_expiration=Duration.days(retention_days),
                    abort_incomplete_multipart_upload_after=ABORT_INCOMPLETE_UPLOADS_AFTER,
                ),
                # S3 refuses ExpiredObjectDeleteMarker in a rule that also expires by age, hence its own rule.
                s3.LifecycleRule(id="RemoveExpiredDeleteMarkers", expired_object_delete_marker=True),
            ],
            removal_policy=removal,
            **encryption_and_logging,
        )

    def accept_document_uploads(self, document_keys: str, browser_origins: tuple[str, ...]) -> None:
        """The ID photos uploaded with the function's presigned POSTs, under `document_keys` (a key pattern such as
        `sessions/*/document`): the bucket refuses any such object not encrypted with the stack's key, named in the
        request (the POST policy's fields), whoever signs it. With `browser_origins`, those origins may POST the
        upload from a browser (CORS); nothing else of the bucket changes, and CORS grants no access by itself: the
        presigned policy still decides what may be uploaded."""
        documents = self.image_bucket.arn_for_objects(document_keys)
        # Two statements: the conditions of one statement must all match to deny, and each alone must deny.
        for sid, key, value in (
            ("DenyDocumentsWithoutKms", SSE_CONDITION, "aws:kms"),
            ("DenyDocumentsWithAnotherKey", SSE_KEY_CONDITION, self.key.key_arn),
        ):
            self.image_bucket.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["s3:PutObject"],
                    resources=[documents],
                    # An absent field makes StringNotEquals true as well, so the request must name both.
                    conditions={"StringNotEquals": {key: value}},
                )
            )
        if browser_origins:
            self.image_bucket.add_cors_rule(
                allowed_methods=[s3.HttpMethods.POST],
                allowed_origins=list(browser_origins),
                max_age=UPLOAD_CORS_MAX_AGE_SECONDS,
            )

    @property
    def via_services(self) -> list[str]:
        """The only services through which the key may be used by the function. Rekognition is listed because it
        receives the key id in CreateFaceLivenessSession; AWS does not document whether it calls KMS itself."""
        return [
            f"s3.{self._region}.amazonaws.com",
            f"dynamodb.{self._region}.amazonaws.com",
            f"rekognition.{self._region}.amazonaws.com",
        ]

    def allow_key_use(self, role: iam.IRole) -> iam.PolicyStatement:
        """Let `role` use the key through S3 and DynamoDB: adds the key-policy statement and returns the identity
        statement the role's own policy needs (both are required, since the key policy does not delegate usage to
        IAM)."""
        # One key-policy statement lists every such role: a key policy's statement ids must be unique.
        if self._key_use is None:
            self._key_use = self._key_use_statement(principal=role, resource="*")
            self.key.add_to_resource_policy(self._key_use)
        else:
            self._key_use.add_principals(role)
        return self._key_use_statement(principal=None, resource=self.key.key_arn)

    def _key_use_statement(self, *, principal: iam.IPrincipal | None, resource: str) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid="UseImageKeyThroughS3AndDynamoDb",
            actions=list(KEY_USE_ACTIONS),
            resources=[resource],
            principals=[principal] if principal else None,
            conditions={"StringEquals": {"kms:ViaService": self.via_services}},
        )

    def _key_admin_statements(self) -> list[iam.PolicyStatement]:
        return [
            key_admin_statement(),
            # Creating (or updating) a table encrypted with this key makes DynamoDB ask the deploying principal
            # for a grant to the DynamoDB service itself; nothing else may create grants.
            iam.PolicyStatement(
                sid="LetDeployerGrantDynamoDbUseOfKey",
                principals=[iam.AccountRootPrincipal()],
                actions=["kms:CreateGrant"],
                resources=["*"],
                conditions={
                    "StringEquals": {"kms:ViaService": f"dynamodb.{self._region}.amazonaws.com"},
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            ),
        ]
