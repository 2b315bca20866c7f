"""The stack's AWS resources, recreated in-process on moto with the stack's settings, for `make local` and
the integration tests. Names differ from a deployment's; settings do not."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infra.config import StackConfig, function_environment
from liveness_api.adapters.streaming_credentials import SESSION_POLICY
from liveness_api.contract import LEDGER_PARTITION_KEY, LEDGER_TTL_ATTRIBUTE
from liveness_api.settings import Settings
from liveness_local.events import local_identity_pool_id

LOCAL_BUCKET = "face-liveness-images-local"
LOCAL_TABLE = "face-liveness-sessions-local"
LOCAL_COLLECTION = "face-liveness-faces-local"
LOCAL_ADDRESS_KEY_SECRET = "face-liveness-address-key-local"  # noqa: S105 - the secret's name
LOCAL_FUNCTION_ROLE = "face-liveness-function-local"
LOCAL_STREAMING_ROLE = "face-liveness-streaming-local"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@dataclass(frozen=True)
class LocalResources:
    region: str
    bucket: str
    key_arn: str
    table: str
    # The stack's Rekognition collection, created in the emulator (make local and the twin).
    collection: str = LOCAL_COLLECTION
    # The address-key secret, as the stack's generated one (always made locally; passed on only in guest mode).
    address_key_secret: str = ""
    # The identity pool the local callers' identities belong to (passed on only where callers are its identities).
    identity_pool_id: str = ""
    # The role streaming credentials are assumed from (always made locally; passed on only with the knob on).
    streaming_role_arn: str = ""


def provision(config: StackConfig, session: Any) -> LocalResources:
    """Create the key, the image bucket and the session ledger the way the stack configures them."""
    kms = session.client("kms")
    key_arn = kms.create_key(Description="Face Liveness images (local)", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"][
        "Arn"
    ]
    kms.enable_key_rotation(KeyId=key_arn)
    kms.create_alias(AliasName=f"alias/{config.stack_name.lower()}-images", TargetKeyId=key_arn)

    s3 = session.client("s3")
    bucket_args: dict[str, Any] = {"Bucket": LOCAL_BUCKET}
    if config.region != "us-east-1":
        bucket_args["CreateBucketConfiguration"] = {"LocationConstraint": config.region}
    s3.create_bucket(**bucket_args)
    s3.put_bucket_versioning(Bucket=LOCAL_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=LOCAL_BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket=LOCAL_BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket=LOCAL_BUCKET,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "ExpireImages",
                    "Status": "Enabled",
                    "Filter": {"Prefix": config.image_key_prefix},
                    "Expiration": {"Days": config.image_retention_days},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": config.image_retention_days},
                }
            ]
        },
    )

    dynamodb = session.client("dynamodb")
    dynamodb.create_table(
        TableName=LOCAL_TABLE,
        AttributeDefinitions=[{"AttributeName": LEDGER_PARTITION_KEY, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": LEDGER_PARTITION_KEY, "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key_arn},
    )
    dynamodb.update_time_to_live(
        TableName=LOCAL_TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": LEDGER_TTL_ATTRIBUTE}
    )
    dynamodb.update_continuous_backups(
        TableName=LOCAL_TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    # As GenerateSecretString makes it: 64 characters, no punctuation, never in the environment or the template;
    # encrypted, like the stack's, with a rotating key of its own.
    secret_key_arn = kms.create_key(Description="Face Liveness address-key secret (local)")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=secret_key_arn)
    secrets = session.client("secretsmanager")
    secret_arn = secrets.create_secret(
        Name=LOCAL_ADDRESS_KEY_SECRET,
        Description="Face Liveness client-address key (local)",
        KmsKeyId=secret_key_arn,
        SecretString=secrets.get_random_password(PasswordLength=64, ExcludePunctuation=True)["RandomPassword"],
    )["ARN"]
    return LocalResources(
        region=config.region,
        bucket=LOCAL_BUCKET,
        key_arn=key_arn,
        table=LOCAL_TABLE,
        address_key_secret=secret_arn,
        identity_pool_id=local_identity_pool_id(config.region),
        streaming_role_arn=_streaming_role(session),
    )


def _streaming_role(session: Any) -> str:
    """The stack's streaming role: only StartFaceLivenessSession, trusted by the function's role alone."""
    iam = session.client("iam")
    function_role = iam.create_role(
        RoleName=LOCAL_FUNCTION_ROLE, AssumeRolePolicyDocument=_trust("Service", "lambda.amazonaws.com")
    )
    role = iam.create_role(
        RoleName=LOCAL_STREAMING_ROLE, AssumeRolePolicyDocument=_trust("AWS", function_role["Role"]["Arn"])
    )
    iam.put_role_policy(
        RoleName=LOCAL_STREAMING_ROLE, PolicyName="StartFaceLivenessStreams", PolicyDocument=SESSION_POLICY
    )
    return str(role["Role"]["Arn"])


def _trust(kind: str, principal: str) -> str:
    statement = {"Effect": "Allow", "Principal": {kind: principal}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def provision_collection(rekognition: Any, collection_id: str) -> None:
    """The stack's Rekognition collection (its `AWS::Rekognition::Collection`), made as CloudFormation makes one:
    CreateCollection, here answered by the emulator attached to `rekognition`, since moto has no users."""
    rekognition.create_collection(CollectionId=collection_id)


def handler_environment(config: StackConfig, resources: LocalResources) -> dict[str, str]:
    """What the handler's process needs: the function's environment plus what Lambda itself provides."""
    return {
        **FAKE_CREDENTIALS,
        "AWS_REGION": resources.region,
        "AWS_DEFAULT_REGION": resources.region,
        **function_environment(
            config,
            bucket=resources.bucket,
            key_arn=resources.key_arn,
            table=resources.table,
            collection=resources.collection,
            address_key_secret=resources.address_key_secret if config.caller_mode.limits_addresses else "",
            identity_pool_id=resources.identity_pool_id if config.caller_mode.identity_pool_callers else "",
            streaming_role_arn=resources.streaming_role_arn if config.streaming_credentials else "",
        ),
    }


def function_settings(config: StackConfig, resources: LocalResources) -> Settings:
    """The function's settings, read from the environment the stack would give it on these resources."""
    return Settings.from_environ(handler_environment(config, resources))
