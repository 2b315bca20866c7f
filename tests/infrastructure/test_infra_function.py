"""The handler function and its role: runtime, environment, SnapStart, and the complete IAM policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from infra.app_factory import build_app
from infra.config import LAMBDA_PYTHON_VERSION, ConfigError, function_environment

if TYPE_CHECKING:
    from tests.infrastructure.conftest import Synth


def function(synth: Synth) -> dict[str, Any]:
    return synth.only("AWS::Lambda::Function")["Properties"]  # type: ignore[no-any-return]


def test_function_settings_come_from_config(synth: Synth) -> None:
    props = function(synth)
    config = synth.config
    assert props["Runtime"] == f"python{LAMBDA_PYTHON_VERSION}" == "python3.14"
    assert props["Architectures"] == ["arm64"]
    assert props["Handler"] == "liveness_api.entry.lambda_handler"
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Timeout"] == config.lambda_timeout_seconds
    assert props["MemorySize"] == config.lambda_memory_mb
    assert props["Role"] == synth.arn(synth.stack.function.role)
    assert props["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": synth.ref(synth.stack.function.log_group)}


def test_reserved_concurrency_is_off_by_default_so_a_new_account_can_deploy(default: Synth) -> None:
    assert "ReservedConcurrentExecutions" not in function(default)


def test_reserved_concurrency_auto_covers_what_the_route_throttles_admit(variant: Synth) -> None:
    # reservedConcurrency=auto: each route's burst plus its rate for every second of the 20 s timeout,
    # (20 + 20 x 20) x 2 + (5 + 5 x 20) for erasure + (2 + 2 x 20) for consumption + (2 + 1 x 20) x 2 for enrolment.
    assert function(variant)["ReservedConcurrentExecutions"] == 1031


def test_a_reservation_the_declared_account_cannot_spare_stops_the_app_before_synth() -> None:
    with pytest.raises(ConfigError, match=r"reserves 786 executions, .* accountConcurrency=10 can reserve at most"):
        build_app({"reservedConcurrency": "auto", "accountConcurrency": 10})


def test_a_timeout_the_retries_do_not_fit_in_stops_the_app_before_synth() -> None:
    # Three Rekognition attempts of 1 s + 2 s, and backoffs of up to 1 s and 2 s: 12 s.
    with pytest.raises(ConfigError, match=r"Rekognition calls can take 12\.0s .* lambdaTimeoutSeconds=12"):
        build_app({"lambdaTimeoutSeconds": 12})


def test_function_has_its_own_log_group(synth: Synth) -> None:
    log_group = synth.json["Resources"][synth.logical_id(synth.stack.function.log_group)]
    assert log_group["Properties"] == {"RetentionInDays": synth.config.log_retention_days}


def test_environment_is_the_shared_function_environment(synth: Synth) -> None:
    storage = synth.stack.storage
    # The resources' names are tokens in the stack: as the template references them.
    references: dict[str, Any] = {
        "<bucket>": synth.ref(storage.image_bucket),
        "<key>": synth.arn(storage.key),
        "<table>": synth.ref(storage.table),
        "<collection>": synth.ref(synth.stack.faces.collection),
    }
    shared = function_environment(
        synth.config, bucket="<bucket>", key_arn="<key>", table="<table>", collection="<collection>"
    )
    expected = {name: references.get(value, value) for name, value in shared.items()}
    assert function(synth)["Environment"]["Variables"] == expected


def test_asset_leaves_out_caches_and_tests(default: Synth) -> None:
    assets = [path for path in default.outdir.glob("asset.*") if path.is_dir()]
    assert len(assets) == 1
    files = [path.relative_to(assets[0]) for path in assets[0].rglob("*")]
    assert any(path.parts[0] == "liveness_api" for path in files)
    assert not [p for p in files if "__pycache__" in p.parts or p.suffix == ".pyc" or "tests" in p.parts]


def test_without_snapstart_the_api_invokes_the_function(default: Synth) -> None:
    assert "SnapStart" not in function(default)
    default.template.resource_count_is("AWS::Lambda::Alias", 0)
    default.template.resource_count_is("AWS::Lambda::Version", 0)
    for method in default.resources("AWS::ApiGateway::Method").values():
        uri = method["Properties"]["Integration"]["Uri"]["Fn::Join"][1]
        assert default.arn(default.stack.function.function) in uri


def test_with_snapstart_the_api_invokes_the_live_alias(variant: Synth) -> None:
    assert function(variant)["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    alias = variant.only("AWS::Lambda::Alias")["Properties"]
    assert alias["Name"] == "live"
    [version] = variant.resources("AWS::Lambda::Version")
    assert alias["FunctionVersion"] == {"Fn::GetAtt": [version, "Version"]}
    alias_ref = variant.ref(variant.stack.function.invoke_target)
    for method in variant.resources("AWS::ApiGateway::Method").values():
        if method["Properties"]["HttpMethod"] == "OPTIONS":
            continue
        assert alias_ref in method["Properties"]["Integration"]["Uri"]["Fn::Join"][1]
    for permission in variant.resources("AWS::Lambda::Permission").values():
        assert permission["Properties"]["FunctionName"] == alias_ref


def test_role_is_the_functions_own_with_no_managed_policies(synth: Synth) -> None:
    role = synth.only("AWS::IAM::Role")["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role
    assert "Policies" not in role
    policy = synth.only("AWS::IAM::Policy")["Properties"]
    assert policy["Roles"] == [synth.ref(synth.stack.function.role)]
    # The role holds its permissions before the function is created (and SnapStart initialises it).
    depends_on = synth.json["Resources"][synth.logical_id(synth.stack.function.function)]["DependsOn"]
    assert synth.logical_id(synth.stack.function.policy) in depends_on


def test_role_policy_is_exactly_what_the_handler_needs(synth: Synth) -> None:
    storage = synth.stack.storage
    region = synth.config.region
    prefix = synth.config.image_key_prefix
    images = {"Fn::Join": ["", [synth.arn(storage.image_bucket), f"/{prefix}*"]]}
    expected = [
        {
            "Sid": "RunFaceLivenessSessions",
            "Action": ["rekognition:CreateFaceLivenessSession", "rekognition:GetFaceLivenessSessionResults"],
            "Effect": "Allow",
            "Resource": "*",
        },
        {
            "Sid": "UseFaceCollection",
            "Action": [
                "rekognition:AssociateFaces",
                "rekognition:CreateUser",
                "rekognition:DeleteFaces",
                "rekognition:DeleteUser",
                "rekognition:IndexFaces",
                "rekognition:SearchUsersByImage",
            ],
            "Effect": "Allow",
            "Resource": synth.arn(synth.stack.faces.collection),
        },
        {"Sid": "CompareSessionFaces", "Action": "rekognition:CompareFaces", "Effect": "Allow", "Resource": "*"},
        {
            "Sid": "ReadSessionFaces",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Effect": "Allow",
            # Each session's reference image and uploaded ID photo: no audit image, nothing outside the prefix.
            "Resource": [
                {"Fn::Join": ["", [synth.arn(storage.image_bucket), f"/{prefix}*/document"]]},
                {"Fn::Join": ["", [synth.arn(storage.image_bucket), f"/{prefix}*/reference.jpg"]]},
            ],
        },
        # Also what the ID photo's presigned POST is signed with: its key is under the prefix.
        {"Sid": "WriteSessionImages", "Action": "s3:PutObject", "Effect": "Allow", "Resource": images},
        {
            "Sid": "EraseSessionImages",
            "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
            "Effect": "Allow",
            "Resource": images,
        },
        {
            "Sid": "ListSessionImageVersions",
            "Action": "s3:ListBucketVersions",
            "Condition": {"StringLike": {"s3:prefix": f"{prefix}*"}},
            "Effect": "Allow",
            "Resource": synth.arn(storage.image_bucket),
        },
        {
            "Sid": "UseSessionLedger",
            "Action": ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Effect": "Allow",
            "Resource": synth.arn(storage.table),
        },
        {
            "Sid": "UseImageKeyThroughS3AndDynamoDb",
            "Action": ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"],
            "Condition": {
                "StringEquals": {
                    "kms:ViaService": [
                        f"s3.{region}.amazonaws.com",
                        f"dynamodb.{region}.amazonaws.com",
                        f"rekognition.{region}.amazonaws.com",
                    ]
                }
            },
            "Effect": "Allow",
            "Resource": synth.arn(storage.key),
        },
        {
            "Sid": "WriteOwnLogs",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            # A log group's Arn attribute ends with `:*`, which covers its streams.
            "Resource": synth.arn(synth.stack.function.log_group),
        },
        {
            "Sid": "PublishTraces",
            "Action": ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Effect": "Allow",
            "Resource": "*",
        },
    ]
    document = synth.only("AWS::IAM::Policy")["Properties"]["PolicyDocument"]
    assert document == {"Version": "2012-10-17", "Statement": expected}


def test_no_action_wildcards_anywhere(synth: Synth) -> None:
    for resource_type in ("AWS::IAM::Policy", "AWS::KMS::Key"):
        for resource in synth.resources(resource_type).values():
            props = resource["Properties"]
            document = props.get("PolicyDocument") or props["KeyPolicy"]
            for statement in document["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not [a for a in actions if "*" in a], statement
