"""The REST API: routes from the contract, IAM everywhere, validation, stage settings, problem+json errors."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from aws_cdk import aws_apigateway as apigw

from infra.constructs.api import ACCESS_LOG_FIELDS
from liveness_api import contract
from liveness_api.problems import GATEWAY_ERRORS, PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE

if TYPE_CHECKING:
    from tests.infrastructure.conftest import Synth

PERSONAL_CONTEXT_VARIABLES = ("identity", "sourceIp", "caller", "user", "userAgent", "$context.path")
EXPLICIT_RESPONSE_STATUSES = {
    "ACCESS_DENIED": 403,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "INVALID_SIGNATURE": 403,
    "EXPIRED_TOKEN": 403,
    "UNAUTHORIZED": 401,
    "THROTTLED": 429,
    "QUOTA_EXCEEDED": 429,
    "BAD_REQUEST_PARAMETERS": 400,
    "BAD_REQUEST_BODY": 400,
    "REQUEST_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "INTEGRATION_TIMEOUT": 504,
    "INTEGRATION_FAILURE": 502,
    "DEFAULT_4XX": 400,
    "DEFAULT_5XX": 500,
}


def resource_paths(synth: Synth) -> dict[str, str]:
    """Logical id of every API Gateway resource (and of the root) -> its full path."""
    resources = synth.resources("AWS::ApiGateway::Resource")
    root = synth.logical_id(synth.stack.api.rest_api)

    def path_of(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = "" if parent == {"Fn::GetAtt": [root, "RootResourceId"]} else path_of(parent["Ref"])
        return f"{prefix}/{props['PathPart']}"

    paths = {logical_id: path_of(logical_id) for logical_id in resources}
    paths[root] = "/"
    return paths


def methods(synth: Synth) -> list[tuple[str, str, dict[str, Any]]]:
    paths = resource_paths(synth)
    found = []
    for method in synth.resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"]
        logical_id = resource["Ref"] if "Ref" in resource else resource["Fn::GetAtt"][0]
        found.append((props["HttpMethod"], paths[logical_id], props))
    return found


def test_api_is_regional_without_account_level_logging_role(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["REGIONAL"]}}
    )
    synth.template.resource_count_is("AWS::ApiGateway::Account", 0)
    assert len(synth.resources("AWS::IAM::Role")) == 1  # the function's only


def test_routes_are_exactly_the_contract(synth: Synth) -> None:
    routes = {(method, path) for method, path, _ in methods(synth) if method != "OPTIONS"}
    assert routes == {(route.method, route.path) for route in contract.Routes.ALL}


def test_no_local_only_route_is_deployed(synth: Synth) -> None:
    assert not [path for path in resource_paths(synth).values() if "_local" in path]


def test_every_route_requires_iam_and_proxies_to_lambda(synth: Synth) -> None:
    for method, path, props in methods(synth):
        if method == "OPTIONS":
            continue
        assert props["AuthorizationType"] == "AWS_IAM", (method, path)
        assert props["Integration"]["Type"] == "AWS_PROXY"
        assert props["Integration"]["IntegrationHttpMethod"] == "POST"


def test_without_origins_there_is_no_unauthenticated_method(default: Synth) -> None:
    assert {props["AuthorizationType"] for _, _, props in methods(default)} == {"AWS_IAM"}


def test_with_origins_only_preflight_is_unauthenticated(variant: Synth) -> None:
    origin = variant.config.cors_allowed_origins[0]
    preflight = [(path, props) for method, path, props in methods(variant) if method == "OPTIONS"]
    assert {path for path, _ in preflight} == set(resource_paths(variant).values())
    for _, props in preflight:
        assert props["AuthorizationType"] == "NONE"
        assert props["Integration"]["Type"] == "MOCK"
        headers = props["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{origin}'"
        assert "'*'" not in headers.values()
    unauthenticated = {method for method, _, props in methods(variant) if props["AuthorizationType"] != "AWS_IAM"}
    assert unauthenticated == {"OPTIONS"}


def test_path_parameters_are_required_and_validated(synth: Synth) -> None:
    validator = synth.only("AWS::ApiGateway::RequestValidator")["Properties"]
    assert validator["ValidateRequestParameters"] is True
    # Bodies are validated by the handler (field-level 422 problem+json).
    assert validator["ValidateRequestBody"] is False
    validator_ref = synth.ref(synth.stack.api.request_validator)
    for method, path, props in methods(synth):
        if method == "OPTIONS":
            continue
        assert props["RequestValidatorId"] == validator_ref
        expected = {"method.request.path.sessionId": True} if "{sessionId}" in path else None
        assert props.get("RequestParameters") == expected, (method, path)


def stage(synth: Synth) -> dict[str, Any]:
    return synth.only("AWS::ApiGateway::Stage")["Properties"]  # type: ignore[no-any-return]


def test_stage_settings(synth: Synth) -> None:
    props = stage(synth)
    assert props["StageName"] == "api"
    assert props["TracingEnabled"] is True
    assert props["MethodSettings"] == [
        {
            "DataTraceEnabled": False,
            "HttpMethod": "*",
            "MetricsEnabled": True,
            "ResourcePath": "/*",
            "ThrottlingBurstLimit": synth.config.api_throttle_burst_limit,
            "ThrottlingRateLimit": synth.config.api_throttle_rate_limit,
        }
    ]


def test_access_logs_are_json_without_personal_data(synth: Synth) -> None:
    setting = stage(synth)["AccessLogSetting"]
    assert setting["DestinationArn"] == synth.arn(synth.stack.api.access_log_group)
    log_format = setting["Format"]
    assert json.loads(log_format) == ACCESS_LOG_FIELDS
    assert list(ACCESS_LOG_FIELDS) == [
        "requestId",
        "requestTime",
        "httpMethod",
        "resourcePath",
        "status",
        "responseLength",
        "integrationLatency",
        "responseLatency",
        "errorMessage",
        "xrayTraceId",
    ]
    for variable in PERSONAL_CONTEXT_VARIABLES:
        assert variable not in log_format
    log_group = synth.json["Resources"][synth.logical_id(synth.stack.api.access_log_group)]
    assert log_group["Properties"] == {"RetentionInDays": synth.config.log_retention_days}


def gateway_responses(synth: Synth) -> dict[str, dict[str, Any]]:
    return {
        resource["Properties"]["ResponseType"]: resource["Properties"]
        for resource in synth.resources("AWS::ApiGateway::GatewayResponse").values()
    }


def test_gateway_responses_cover_every_listed_type(synth: Synth) -> None:
    responses = gateway_responses(synth)
    assert len(responses) == len(GATEWAY_ERRORS)
    for response_type, status in EXPLICIT_RESPONSE_STATUSES.items():
        assert responses[response_type]["StatusCode"] == str(status), response_type
    assert len({problem.slug for problem in GATEWAY_ERRORS.values()}) == len(GATEWAY_ERRORS)


@pytest.mark.parametrize(("response_type", "problem"), GATEWAY_ERRORS.items(), ids=list(GATEWAY_ERRORS))
def test_gateway_response_is_problem_json(default: Synth, response_type: str, problem: Any) -> None:
    props = gateway_responses(default)[getattr(apigw.ResponseType, response_type).response_type]
    assert props["StatusCode"] == str(problem.status)
    assert props["ResponseParameters"] == {"gatewayresponse.header.Content-Type": f"'{PROBLEM_CONTENT_TYPE}'"}
    template = props["ResponseTemplates"]["application/json"]
    # Render as API Gateway would: messageString is a JSON string literal, requestId a bare value.
    rendered = template.replace("$context.error.messageString", json.dumps('Say "hi"')).replace(
        "$context.requestId", "c0ffee-1"
    )
    assert json.loads(rendered) == {
        "type": PROBLEM_TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": 'Say "hi"',
        "requestId": "c0ffee-1",
    }


def test_with_one_origin_gateway_errors_are_readable_by_that_origin(variant: Synth) -> None:
    origin = variant.config.cors_allowed_origins[0]
    for props in gateway_responses(variant).values():
        assert props["ResponseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{origin}'"
        assert props["ResponseParameters"]["gatewayresponse.header.Vary"] == "'Origin'"
