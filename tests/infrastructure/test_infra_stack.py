"""The stack composes constructs and exports what clients need."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CfnResource

from infra.constructs.api import LivenessApi
from infra.constructs.events import Events
from infra.constructs.function import LivenessFunction
from infra.constructs.observability import Observability
from infra.constructs.settlement import Settlement
from infra.constructs.storage import Storage

if TYPE_CHECKING:
    from tests.infrastructure.conftest import Synth

OUTPUTS = {
    "ApiUrl",
    "ImageBucketName",
    "ImageKeyArn",
    "Region",
    "SessionTableName",
    "AlarmTopicArn",
    "DashboardName",
    "EventBusName",
}


def test_stack_only_composes_constructs(default: Synth) -> None:
    composed = (Storage, LivenessFunction, Settlement, Events, LivenessApi, Observability)
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


def test_summary_counts_resources_by_type(default: Synth) -> None:
    from tools.summary import summarize

    text = summarize(default.template_path)
    assert str(default.template_path) in text
    functions = len(default.resources("AWS::Lambda::Function"))
    assert any(line.split() == ["AWS::Lambda::Function", str(functions)] for line in text.splitlines())
    total = len(default.json["Resources"])
    assert f"Resources: {total}" in text
