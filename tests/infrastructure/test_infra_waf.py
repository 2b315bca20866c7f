"""AWS WAF: on by default in browser modes, off in plain IAM mode unless asked; the web ACL on the stage,
its rules, its problem+json blocks, its logs (blocked requests only, credentials redacted) and its alarm."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.app_factory import build_app
from infra.constructs.waf import MANAGED_RULE_GROUPS, RATE_LIMITED, REDACTED_HEADERS, TOO_LARGE
from infra.nag import acknowledgements
from infra.stack import FaceLivenessStack
from liveness_api import contract
from liveness_api.problems import problem_document

ORIGIN = "https://app.example.com"
CONTEXTS: dict[str, dict[str, Any]] = {
    "iam": {},
    "iam-waf": {"waf": True, "wafCreateSessionRatePer5Min": 40, "alarmWafBlockedRequestsPer5Min": 25},
    "cognito": {"authorization": "COGNITO", "corsAllowedOrigins": [ORIGIN]},
    "cognito-nowaf": {"authorization": "COGNITO", "corsAllowedOrigins": [ORIGIN], "waf": False},
    "guest": {"identityPool": "guest", "corsAllowedOrigins": [ORIGIN, "https://admin.example.com"]},
}


@pytest.fixture(scope="module")
def synths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[FaceLivenessStack, dict[str, Any]]]:
    built = {}
    for name, context in CONTEXTS.items():
        outdir: Path = tmp_path_factory.mktemp(name)
        app, stack = build_app(context, outdir=str(outdir))
        assembly = app.synth()
        template = json.loads((outdir / assembly.get_stack_artifact(stack.artifact_id).template_file).read_text())
        built[name] = (stack, template)
    return built


def of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    found = of_type(template, resource_type)
    assert len(found) == 1, resource_type
    ((logical_id, resource),) = found.items()
    return logical_id, resource["Properties"]


def web_acl(synths: dict[str, tuple[FaceLivenessStack, dict[str, Any]]], name: str) -> dict[str, Any]:
    return only(synths[name][1], "AWS::WAFv2::WebACL")[1]


@pytest.mark.parametrize(
    ("name", "on"), [("iam", False), ("iam-waf", True), ("cognito", True), ("cognito-nowaf", False), ("guest", True)]
)
def test_waf_is_on_in_browser_modes_and_on_request(synths: dict[str, Any], name: str, on: bool) -> None:
    stack, template = synths[name]
    waf_types = ("AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation", "AWS::WAFv2::LoggingConfiguration")
    assert [len(of_type(template, t)) for t in waf_types] == [int(on)] * 3
    # cdk-nag's APIG3 (no web ACL on the stage) is acknowledged exactly when WAF is off.
    assert ("AwsSolutions-APIG3" in {ack.finding_id for ack in acknowledgements(stack)}) is not on


def test_the_web_acl_is_regional_and_on_the_stage(synths: dict[str, Any]) -> None:
    stack, template = synths["cognito"]
    acl_id, acl = only(template, "AWS::WAFv2::WebACL")
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert acl["Name"] == "FaceLivenessApi-api"
    stage_id, stage = only(template, "AWS::ApiGateway::Stage")
    _, association = only(template, "AWS::WAFv2::WebACLAssociation")
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    joined = json.dumps(association["ResourceArn"])
    api_id = stack.get_logical_id(stack.api.rest_api.node.default_child)
    assert f'{{"Ref": "{api_id}"}}' in joined
    assert "/stages/" in joined
    assert f'{{"Ref": "{stage_id}"}}' in joined or stage["StageName"] in joined


def test_rules_in_order(synths: dict[str, Any]) -> None:
    rules = web_acl(synths, "cognito")["Rules"]
    assert [(rule["Name"], rule["Priority"]) for rule in rules] == [
        ("CreateSessionRatePerIp", 0),
        ("BodyTooLarge", 1),
        *((group, 2 + index) for index, group in enumerate(MANAGED_RULE_GROUPS)),
    ]
    assert MANAGED_RULE_GROUPS == (
        "AWSManagedRulesAmazonIpReputationList",
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
    )
    for rule in rules[2:]:
        assert rule["Statement"] == {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": rule["Name"]}}
        assert rule["OverrideAction"] == {"None": {}}
    for rule in rules:
        # Sampled requests keep unredacted headers for three hours: off. Metrics: on.
        assert rule["VisibilityConfig"] == {
            "CloudWatchMetricsEnabled": True,
            "MetricName": f"FaceLivenessApi-{rule['Name']}",
            "SampledRequestsEnabled": False,
        }


def test_post_sessions_is_rate_limited_per_client_address(synths: dict[str, Any]) -> None:
    for name, limit in (("cognito", 100), ("iam-waf", 40)):
        rate = web_acl(synths, name)["Rules"][0]
        statement = rate["Statement"]["RateBasedStatement"]
        assert (statement["AggregateKeyType"], statement["Limit"], statement["EvaluationWindowSec"]) == (
            "IP",
            limit,
            300,
        )
        method, path = statement["ScopeDownStatement"]["AndStatement"]["Statements"]
        assert method["ByteMatchStatement"]["FieldToMatch"] == {"Method": {}}
        assert method["ByteMatchStatement"]["SearchString"] == contract.Routes.CREATE_SESSION.method
        assert method["ByteMatchStatement"]["PositionalConstraint"] == "EXACTLY"
        assert path["ByteMatchStatement"]["FieldToMatch"] == {"UriPath": {}}
        assert path["ByteMatchStatement"]["SearchString"] == contract.Routes.CREATE_SESSION.path
        assert path["ByteMatchStatement"]["PositionalConstraint"] == "ENDS_WITH"
        assert "Block" in rate["Action"]


def test_bodies_over_the_api_limit_are_blocked_even_beyond_the_inspection_limit(synths: dict[str, Any]) -> None:
    size = web_acl(synths, "cognito")["Rules"][1]["Statement"]["SizeConstraintStatement"]
    assert size["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}
    assert (size["ComparisonOperator"], size["Size"]) == ("GT", contract.MAX_BODY_BYTES)


def test_own_blocks_answer_problem_json_readable_by_a_single_origin(synths: dict[str, Any]) -> None:
    for name, cors in (("cognito", [{"Name": "Access-Control-Allow-Origin", "Value": ORIGIN}]), ("guest", [])):
        acl = web_acl(synths, name)
        rules = {rule["Name"]: rule for rule in acl["Rules"]}
        for rule_name, answer in (("CreateSessionRatePerIp", RATE_LIMITED), ("BodyTooLarge", TOO_LARGE)):
            body = acl["CustomResponseBodies"][answer.kind.slug]
            assert body["ContentType"] == "APPLICATION_JSON"  # WAF cannot send application/problem+json
            assert json.loads(body["Content"]) == problem_document(answer.kind, answer.detail, "unavailable")
            response = rules[rule_name]["Action"]["Block"]["CustomResponse"]
            assert response["ResponseCode"] == answer.kind.status
            assert response["CustomResponseBodyKey"] == answer.kind.slug
            assert response.get("ResponseHeaders", []) == cors + [
                {"Name": header, "Value": value} for header, value in answer.headers
            ]
        assert set(acl["CustomResponseBodies"]) == {"address-rate-limited", "request-too-large"}


def test_the_rate_rule_answers_429_with_retry_after_and_the_size_rule_413(synths: dict[str, Any]) -> None:
    acl = web_acl(synths, "guest")
    responses = {rule["Name"]: rule["Action"]["Block"]["CustomResponse"] for rule in acl["Rules"][:2]}
    rate, size = responses["CreateSessionRatePerIp"], responses["BodyTooLarge"]

    assert rate["ResponseCode"] == 429
    assert rate["ResponseHeaders"] == [{"Name": "Retry-After", "Value": "300"}]  # the 5-minute evaluation window
    assert size["ResponseCode"] == 413
    assert "ResponseHeaders" not in size
    documents = {key: json.loads(body["Content"]) for key, body in acl["CustomResponseBodies"].items()}
    assert documents[rate["CustomResponseBodyKey"]]["status"] == 429
    assert documents[size["CustomResponseBodyKey"]]["status"] == 413
    assert documents[rate["CustomResponseBodyKey"]]["type"] != documents[size["CustomResponseBodyKey"]]["type"]


def test_logs_keep_only_blocked_requests_with_credentials_redacted(synths: dict[str, Any]) -> None:
    _, template = synths["cognito"]
    acl_id, _ = only(template, "AWS::WAFv2::WebACL")
    groups = {k: v for k, v in of_type(template, "AWS::Logs::LogGroup").items() if "Firewall" in k}
    ((_, group),) = groups.items()
    assert group["Properties"]["LogGroupName"] == "aws-waf-logs-FaceLivenessApi"
    assert group["Properties"]["RetentionInDays"] == 90
    _, logging = only(template, "AWS::WAFv2::LoggingConfiguration")
    assert logging["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (destination,) = logging["LogDestinationConfigs"]
    assert json.dumps(destination).endswith(':log-group:aws-waf-logs-FaceLivenessApi"]]}')
    assert logging["RedactedFields"] == [{"SingleHeader": {"Name": header}} for header in REDACTED_HEADERS]
    assert REDACTED_HEADERS == ("authorization", "x-amz-security-token", "x-forwarded-for", "x-end-user")
    assert logging["LoggingFilter"] == {
        "DefaultBehavior": "DROP",
        "Filters": [
            {"Behavior": "KEEP", "Requirement": "MEETS_ANY", "Conditions": [{"ActionCondition": {"Action": "BLOCK"}}]}
        ],
    }
    # The group's own delivery policy: the account id is a token, so read the document with it filled in.
    _, policy = only(template, "AWS::Logs::ResourcePolicy")
    assert policy["PolicyName"] == "FaceLivenessApi-waf-logs"
    parts = policy["PolicyDocument"]["Fn::Join"][1]
    document = json.loads("".join(part if isinstance(part, str) else "111122223333" for part in parts))
    assert document["Statement"] == [
        {
            "Sid": "WafLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:us-east-1:111122223333:log-group:aws-waf-logs-FaceLivenessApi:log-stream:*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": "111122223333"},
                "ArnLike": {"aws:SourceArn": "arn:aws:logs:us-east-1:111122223333:*"},
            },
        }
    ]


def test_blocked_requests_raise_an_alarm_in_the_composite(synths: dict[str, Any]) -> None:
    for name, threshold in (("cognito", 100), ("iam-waf", 25)):
        _, template = synths[name]
        alarms = of_type(template, "AWS::CloudWatch::Alarm")
        (alarm_id,) = [
            k for k, v in alarms.items() if v["Properties"]["AlarmName"] == "FaceLivenessApi-WafBlockedRequests"
        ]
        props = alarms[alarm_id]["Properties"]
        (query,) = props["Metrics"]
        stat = query["MetricStat"]
        assert (stat["Metric"]["Namespace"], stat["Metric"]["MetricName"], stat["Stat"], stat["Period"]) == (
            "AWS/WAFV2",
            "BlockedRequests",
            "Sum",
            300,
        )
        assert {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]} == {
            "WebACL": "FaceLivenessApi-api",
            "Region": "us-east-1",
            "Rule": "ALL",
        }
        assert (props["Threshold"], props["ComparisonOperator"]) == (threshold, "GreaterThanOrEqualToThreshold")
        assert props["TreatMissingData"] == "notBreaching"
        _, composite = only(template, "AWS::CloudWatch::CompositeAlarm")
        assert alarm_id in json.dumps(composite["AlarmRule"])
    _, plain = synths["iam"]
    names = [v["Properties"]["AlarmName"] for v in of_type(plain, "AWS::CloudWatch::Alarm").values()]
    assert "FaceLivenessApi-WafBlockedRequests" not in names
