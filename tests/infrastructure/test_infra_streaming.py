"""`streamingCredentials=true`: a role that may only start Face Liveness streams, trusted by the function's role
alone; the function may assume exactly that role and is told its ARN; cdk-nag's findings all acknowledged, and each
acknowledgement needed; cfn-lint clean. Off by default, with none of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint_file

from infra.app_factory import build_app
from infra.nag import acknowledgements
from liveness_api.environment import EnvVar
from tests.infrastructure.conftest import Synth, synthesize

CONTEXT = {"streamingCredentials": True}


@pytest.fixture(scope="module")
def streaming(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(CONTEXT, Path(tmp_path_factory.mktemp("cdk-streaming")))


def statements_of(built: Synth, policy: Any) -> list[dict[str, Any]]:
    document = built.resources("AWS::IAM::Policy")[built.logical_id(policy)]["Properties"]["PolicyDocument"]
    return list(document["Statement"])


def actions_of(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return list(action) if isinstance(action, list) else [action]


def environment_of(built: Synth) -> dict[str, Any]:
    function = built.resources("AWS::Lambda::Function")[built.logical_id(built.stack.function.function)]
    return dict(function["Properties"]["Environment"]["Variables"])


def test_the_role_trusts_the_functions_role_alone(streaming: Synth) -> None:
    assert streaming.stack.streaming is not None
    role = streaming.resources("AWS::IAM::Role")[streaming.logical_id(streaming.stack.streaming.role)]

    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"AWS": streaming.arn(streaming.stack.function.role)},
        }
    ]
    assert role["Properties"]["MaxSessionDuration"] == 3600
    assert "ManagedPolicyArns" not in role["Properties"]


def test_the_role_may_only_start_face_liveness_streams(streaming: Synth) -> None:
    assert streaming.stack.streaming is not None
    role = streaming.ref(streaming.stack.streaming.role)
    attached = [p for p in streaming.resources("AWS::IAM::Policy").values() if role in p["Properties"]["Roles"]]

    assert [p["Properties"]["PolicyDocument"]["Statement"] for p in attached] == [
        [
            {
                "Action": "rekognition:StartFaceLivenessSession",
                "Effect": "Allow",
                "Resource": "*",
                "Sid": "StartFaceLivenessStreams",
            }
        ]
    ]


def test_the_function_may_assume_exactly_that_role_and_knows_its_arn(streaming: Synth) -> None:
    assert streaming.stack.streaming is not None
    role_arn = streaming.arn(streaming.stack.streaming.role)
    statements = statements_of(streaming, streaming.stack.function.policy)

    sts = [s for s in statements if any(action.startswith("sts:") for action in actions_of(s))]
    assert sts == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Resource": role_arn, "Sid": "IssueStreamingCredentials"}
    ]
    assert environment_of(streaming)[EnvVar.STREAMING_ROLE_ARN] == role_arn


def test_off_by_default(default: Synth) -> None:
    assert default.stack.streaming is None
    assert environment_of(default)[EnvVar.STREAMING_ROLE_ARN] == ""
    statements = statements_of(default, default.stack.function.policy)
    assert not [s for s in statements if any(action.startswith("sts:") for action in actions_of(s))]


def test_every_nag_finding_is_acknowledged_and_every_acknowledgement_needed(streaming: Synth) -> None:
    # The fixture's synth ran the plugin already, so an unacknowledged finding would have failed it.
    assert AwsSolutionsChecks().validate_scope(streaming.app).violations == []
    bare, _ = build_app(CONTEXT, acknowledge=False)
    reported = {violation.rule_name for violation in AwsSolutionsChecks().validate_scope(bare).violations}
    assert reported == {ack.finding_id for ack in acknowledgements(streaming.stack)}
    assert streaming.stack.streaming is not None
    assert [ack.scope for ack in acknowledgements(streaming.stack)].count(streaming.stack.streaming.policy) == 1


def test_cfn_lint_is_clean(streaming: Synth) -> None:
    matches = lint_file(
        streaming.template_path, config=ManualArgs(ignore_checks=["W3005"], regions=[streaming.config.region])
    )
    assert [str(match) for match in matches] == []
