"""The stack composes constructs and exports what clients need."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aws_cdk import CfnResource

from infra.constructs.api import LivenessApi
from infra.constructs.events import Events
from infra.constructs.faces import FaceCollection
from infra.constructs.function import LivenessFunction
from infra.constructs.observability import Observability
from infra.constructs.settlement import Settlement
from infra.constructs.storage import Storage

if TYPE_CHECKING:
    from tests.infrastructure.conftest import Synth

OUTPUTS = {
    "ApiUrl",
    "Authorization",
    "ImageBucketName",
    "ImageKeyArn",
    "Region",
    "SessionTableName",
    "AlarmTopicArn",
    "DashboardName",
    "EventBusName",
}


def test_stack_only_composes_constructs(default: Synth) -> None:
    composed = (Storage, FaceCollection, LivenessFunction, Settlement, Events, LivenessApi, Observability)
    children = default.stack.node.children
    # Outside the constructs there are only outputs, parameters and CDK's references (such as the SSM import).
    built_directly = [
        element.node.path
        for child in children
        if not isinstance(child, composed)
        for element in child.node.find_all()
        if isinstance(element, CfnResource)
    ]
    assert built_directly == []
    assert {type(child) for child in children} >= set(composed)


def test_outputs_are_exactly_the_documented_ones(synth: Synth) -> None:
    # Also proves RestApi's own duplicate URL output is gone.
    assert set(synth.json["Outputs"]) == OUTPUTS


def test_outputs_point_at_the_resources(default: Synth) -> None:
    outputs = default.json["Outputs"]
    storage = default.stack.storage
    assert outputs["ImageBucketName"]["Value"] == default.ref(storage.image_bucket)
    assert outputs["ImageKeyArn"]["Value"] == default.arn(storage.key)
    assert outputs["SessionTableName"]["Value"] == default.ref(storage.table)
    # The region is a literal (env is pinned), so clients can read it without resolving anything.
    assert outputs["Region"]["Value"] == default.config.region == "us-east-1"
    api_url = outputs["ApiUrl"]["Value"]["Fn::Join"][1]
    assert default.ref(default.stack.api.rest_api) in api_url
    assert ".execute-api.us-east-1." in api_url


def test_stack_name_and_region_come_from_config(synth: Synth) -> None:
    assert synth.stack.stack_name == synth.config.stack_name
    assert synth.stack.region == synth.config.region


def test_summary_names_the_mode_region_and_both_checks_and_counts_resources(default: Synth) -> None:
    from infra.nag import acknowledgements
    from tools.summary import summarize

    text, clean = summarize(default.outdir, lint=lambda path, region: [])

    lines = text.splitlines()
    assert clean
    assert lines[0] == f"Stack: {default.stack.stack_name}  mode: iam  region: us-east-1  WAF: off"
    assert str(default.template_path) in lines[1]
    acknowledged = len(acknowledgements(default.stack))
    assert f"cdk-nag (AwsSolutions): no unacknowledged findings; {acknowledged} acknowledged" in text
    assert "cfn-lint: no findings" in lines
    functions = len(default.resources("AWS::Lambda::Function"))
    assert any(line.split() == ["AWS::Lambda::Function", str(functions)] for line in lines)
    assert f"Resources: {len(default.json['Resources'])}" in lines


def test_summary_shows_cfn_lint_findings_and_fails(default: Synth) -> None:
    from tools.summary import summarize

    seen: list[tuple[str, str]] = []

    def lint(path: Path, region: str) -> list[str]:
        seen.append((path.name, region))
        return ["E3012 Property should be of type Integer"]

    text, clean = summarize(default.outdir, lint=lint)

    assert not clean
    assert seen == [(default.template_path.name, "us-east-1")]
    assert "  E3012 Property should be of type Integer" in text.splitlines()
