"""The image key, the image and access-log buckets, and the session ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from aws_cdk.assertions import Match

from infra.constructs.storage import KEY_ADMIN_ACTIONS, KEY_USE_ACTIONS

if TYPE_CHECKING:
    from tests.infrastructure.conftest import Synth

CRYPTO_ACTIONS = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey"}


def key_statements(synth: Synth) -> dict[str, dict[str, Any]]:
    """The image key's policy, by statement id (the alarm topic has a key of its own)."""
    key = synth.json["Resources"][synth.logical_id(synth.stack.storage.key)]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    return {statement["Sid"]: statement for statement in statements}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_key_is_customer_managed_with_rotation_and_alias(synth: Synth) -> None:
    synth.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    synth.template.has_resource_properties(
        "AWS::KMS::Alias",
        {
            "AliasName": f"alias/{synth.config.stack_name.lower()}-images",
            "TargetKeyId": synth.arn(synth.stack.storage.key),
        },
    )


def test_account_administers_the_key_but_cannot_use_it(synth: Synth) -> None:
    statements = key_statements(synth)
    assert set(statements) == {
        "AdministerKeyThroughIam",
        "LetDeployerGrantDynamoDbUseOfKey",
        "UseImageKeyThroughS3AndDynamoDb",
    }
    admin = statements["AdministerKeyThroughIam"]
    assert admin["Principal"]["AWS"]["Fn::Join"][1][-1] == ":root"
    actions = set(as_list(admin["Action"]))
    assert actions == set(KEY_ADMIN_ACTIONS)
    assert not actions & CRYPTO_ACTIONS
    assert not [action for action in actions if "*" in action], "wildcards would include kms:CreateGrant"
    assert "Condition" not in admin


def test_the_image_key_policy_names_no_service_principal(synth: Synth) -> None:
    # CloudWatch publishes to the alarm topic, which is encrypted with a key of its own.
    principals = [statement["Principal"] for statement in key_statements(synth).values()]
    assert [p for p in principals if "Service" in p] == []
    assert "cloudwatch" not in str(principals)


def test_account_may_only_create_grants_for_dynamodb(synth: Synth) -> None:
    grant = key_statements(synth)["LetDeployerGrantDynamoDbUseOfKey"]
    assert grant["Action"] == "kms:CreateGrant"
    assert grant["Condition"] == {
        "StringEquals": {"kms:ViaService": f"dynamodb.{synth.config.region}.amazonaws.com"},
        "Bool": {"kms:GrantIsForAWSResource": "true"},
    }


def test_function_role_uses_the_key_only_through_s3_dynamodb_and_rekognition(synth: Synth) -> None:
    use = key_statements(synth)["UseImageKeyThroughS3AndDynamoDb"]
    region = synth.config.region
    # The API function's role, and the roles of the functions that read the ledger too (settlement, the outbox).
    roles = [synth.stack.function.role, synth.stack.settlement.worker.role, synth.stack.events.forwarder.role]
    assert sorted(use["Principal"]["AWS"], key=str) == sorted((synth.arn(role) for role in roles), key=str)
    assert sorted(as_list(use["Action"])) == sorted(KEY_USE_ACTIONS)
    assert {"kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"} == set(KEY_USE_ACTIONS)
    assert use["Resource"] == "*"
    assert use["Condition"] == {
        "StringEquals": {
            "kms:ViaService": [
                f"s3.{region}.amazonaws.com",
                f"dynamodb.{region}.amazonaws.com",
                f"rekognition.{region}.amazonaws.com",
            ]
        }
    }


def test_nothing_grants_kms_star(synth: Synth) -> None:
    text = str(synth.json)
    assert "'kms:*'" not in text


@pytest.mark.parametrize(
    ("fixture", "policy", "protected"), [("default", "Retain", True), ("variant", "Delete", False)]
)
def test_removal_policy_follows_config(
    request: pytest.FixtureRequest, fixture: str, policy: str, protected: bool
) -> None:
    synth: Synth = request.getfixturevalue(fixture)
    for resource_type in (
        "AWS::KMS::Key",
        "AWS::S3::Bucket",
        "AWS::DynamoDB::Table",
        "AWS::Logs::LogGroup",
        "AWS::Rekognition::Collection",
    ):
        assert synth.resources(resource_type), resource_type
        for logical_id, resource in synth.resources(resource_type).items():
            assert resource.get("DeletionPolicy") == policy, logical_id
            assert resource.get("UpdateReplacePolicy") == policy, logical_id
    synth.template.has_resource_properties("AWS::DynamoDB::Table", {"DeletionProtectionEnabled": protected})


def test_no_custom_resources_and_no_auto_delete(synth: Synth) -> None:
    types = {resource["Type"] for resource in synth.json["Resources"].values()}
    assert not [t for t in types if t.startswith("Custom::") or t == "AWS::CloudFormation::CustomResource"]
    # The handler is the API's only function: no auto-delete-objects or log-retention helper Lambdas (settlement's
    # and events' functions are counted in test_infra_events.py).
    assert len(synth.api_resources("AWS::Lambda::Function")) == 1


def test_image_bucket(synth: Synth) -> None:
    storage = synth.stack.storage
    days = synth.config.image_retention_days
    bucket = synth.json["Resources"][synth.logical_id(storage.image_bucket)]["Properties"]
    assert bucket["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {
                "BucketKeyEnabled": True,
                "ServerSideEncryptionByDefault": {
                    "KMSMasterKeyID": synth.arn(storage.key),
                    "SSEAlgorithm": "aws:kms",
                },
            }
        ]
    }
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["LifecycleConfiguration"]["Rules"] == [
        {
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            "ExpirationInDays": days,
            "Id": "ExpireFaceImages",
            "NoncurrentVersionExpiration": {"NoncurrentDays": days},
            "Status": "Enabled",
        },
        {"ExpiredObjectDeleteMarker": True, "Id": "RemoveExpiredDeleteMarkers", "Status": "Enabled"},
    ]
    assert bucket["LoggingConfiguration"] == {
        "DestinationBucketName": synth.ref(storage.access_log_bucket),
        "LogFilePrefix": "image-bucket/",
    }


def bucket_policy(synth: Synth, bucket: Any) -> list[dict[str, Any]]:
    policies = [
        resource["Properties"]
        for resource in synth.resources("AWS::S3::BucketPolicy").values()
        if resource["Properties"]["Bucket"] == synth.ref(bucket)
    ]
    assert len(policies) == 1
    return policies[0]["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("bucket_name", ["image_bucket", "access_log_bucket"])
def test_buckets_refuse_plain_http(synth: Synth, bucket_name: str) -> None:
    bucket = getattr(synth.stack.storage, bucket_name)
    deny = [s for s in bucket_policy(synth, bucket) if s["Effect"] == "Deny" and s["Action"] == "s3:*"]
    assert deny == [
        {
            "Action": "s3:*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Resource": [synth.arn(bucket), {"Fn::Join": ["", [synth.arn(bucket), "/*"]]}],
        }
    ]


def test_access_log_bucket(synth: Synth) -> None:
    storage = synth.stack.storage
    days = synth.config.log_retention_days
    bucket = synth.json["Resources"][synth.logical_id(storage.access_log_bucket)]["Properties"]
    # S3 server access logging cannot deliver into an SSE-KMS bucket.
    assert bucket["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
    }
    assert bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["LifecycleConfiguration"]["Rules"][0] == {
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        "ExpirationInDays": days,
        "Id": "ExpireAccessLogs",
        "NoncurrentVersionExpiration": {"NoncurrentDays": days},
        "Status": "Enabled",
    }
    assert "LoggingConfiguration" not in bucket
    # Log delivery through the bucket policy, limited to the image bucket of this account.
    delivery = [s for s in bucket_policy(synth, storage.access_log_bucket) if s["Effect"] == "Allow"]
    assert delivery == [
        {
            "Action": "s3:PutObject",
            "Condition": {
                "ArnLike": {"aws:SourceArn": synth.arn(storage.image_bucket)},
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            },
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Resource": {"Fn::Join": ["", [synth.arn(storage.access_log_bucket), "/image-bucket/*"]]},
        }
    ]


def test_session_ledger(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": synth.arn(synth.stack.storage.key),
            },
            "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
            "ProvisionedThroughput": Match.absent(),
            "GlobalSecondaryIndexes": Match.absent(),
        },
    )
