"""The REST API: routes from the contract, IAM everywhere, validation, stage settings, problem+json errors."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from aws_cdk import aws_apigateway as apigw

from infra.constructs.api import ACCESS_LOG_FIELDS
from liveness_api import contract
from liveness_api.problems import GATEWAY_ERRORS, GATEWAY_RETRY_AFTER_SECONDS, PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE

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
    assert len(synth.api_resources("AWS::IAM::Role")) == 1  # the function's only


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


# MethodSettings' ResourcePath: the resource path with every `/` after the first written `~1`.
ESCAPED_RESOURCE_PATHS = {
    contract.Routes.CREATE_SESSION: "/~1sessions",
    contract.Routes.GET_RESULTS: "/~1sessions~1{sessionId}~1results",
    contract.Routes.ERASE_SESSION: "/~1sessions~1{sessionId}",
    contract.Routes.CONSUME_VERDICT: "/~1sessions~1{sessionId}~1consume",
    contract.Routes.ENROL_PERSON: "/~1enrolment",
    contract.Routes.ERASE_ENROLMENT: "/~1enrolment",
}
CAPACITY_CONTEXT = {
    "stackName": "FaceLivenessCapacity",
    "region": "eu-west-1",
    "apiThrottleRateLimit": 1,
    "apiThrottleBurstLimit": 2,
    "createSessionRateLimit": 3,
    "getResultsQuotaTps": 12,
    "getResultsBurstLimit": 12,
    "eraseSessionRateLimit": 2,
    "eraseSessionBurstLimit": 3,
    "consumeVerdictRateLimit": 1.5,
    "consumeVerdictBurstLimit": 4,
    "enrolmentRateLimit": 0.5,
    "enrolmentBurstLimit": 3,
}


@pytest.fixture(scope="module")
def capacity(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    from tests.infrastructure.conftest import synthesize

    return synthesize(CAPACITY_CONTEXT, tmp_path_factory.mktemp("cdk-capacity"))


def method_setting(resource_path: str, http_method: str, rate: float, burst: int) -> dict[str, Any]:
    return {
        "DataTraceEnabled": False,
        "HttpMethod": http_method,
        "MetricsEnabled": True,
        "ResourcePath": resource_path,
        "ThrottlingBurstLimit": burst,
        "ThrottlingRateLimit": rate,
    }


def test_stage_settings(synth: Synth) -> None:
    props = stage(synth)
    assert props["StageName"] == "api"
    assert props["TracingEnabled"] is True
    config = synth.config
    assert props["MethodSettings"] == [
        method_setting("/*", "*", config.api_throttle_rate_limit, config.api_throttle_burst_limit),
        *(
            method_setting(ESCAPED_RESOURCE_PATHS[route], route.method, throttle.rate_limit, throttle.burst_limit)
            for route, throttle in config.route_throttles.items()
        ),
    ]


def test_every_route_has_its_own_throttle_below_the_regions_quota(default: Synth) -> None:
    settings = {(s["HttpMethod"], s["ResourcePath"]): s for s in stage(default)["MethodSettings"]}
    route_settings = {route: settings[(route.method, ESCAPED_RESOURCE_PATHS[route])] for route in contract.Routes.ALL}
    # us-east-1: 80 % of the 25 TPS quotas, a second's worth of burst; erasure has no Rekognition quota; enrolment is
    # rare (once per person) and each route has its own small bucket.
    assert {route: (s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"]) for route, s in route_settings.items()} == {
        contract.Routes.CREATE_SESSION: (20, 20),
        contract.Routes.GET_RESULTS: (20, 20),
        contract.Routes.ERASE_SESSION: (5, 5),
        contract.Routes.CONSUME_VERDICT: (2, 2),
        contract.Routes.ENROL_PERSON: (1, 2),
        contract.Routes.ERASE_ENROLMENT: (1, 2),
    }
    assert len(settings) == len(contract.Routes.ALL) + 1


def test_route_throttles_follow_their_knobs_and_the_region(capacity: Synth) -> None:
    assert stage(capacity)["MethodSettings"] == [
        method_setting("/*", "*", 1, 2),
        method_setting("/~1sessions", "POST", 3, 3),
        method_setting("/~1sessions~1{sessionId}~1results", "GET", 9.6, 12),
        method_setting("/~1sessions~1{sessionId}", "DELETE", 2, 3),
        method_setting("/~1sessions~1{sessionId}~1consume", "POST", 1.5, 4),
        method_setting("/~1enrolment", "POST", 0.5, 3),
        method_setting("/~1enrolment", "DELETE", 0.5, 3),
    ]


def resource_policy(synth: Synth) -> dict[str, Any]:
    return synth.only("AWS::ApiGateway::RestApi")["Properties"]["Policy"]  # type: ignore[no-any-return]


def test_only_this_accounts_principals_may_invoke_by_default(default: Synth) -> None:
    assert resource_policy(default) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeOnlyFromThisAccount",
                "Effect": "Allow",
                "Principal": {"AWS": {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "AWS::AccountId"}, ":root"]]}},
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
            }
        ],
    }


def test_with_an_allow_list_only_those_principals_may_invoke_and_preflight_stays_open(variant: Synth) -> None:
    principals = list(variant.config.allowed_principal_arns)
    assert resource_policy(variant) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeOnlyAsListedPrincipals",
                "Effect": "Allow",
                "Principal": {"AWS": principals},
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
            },
            {
                "Sid": "DenyEveryOtherPrincipal",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "execute-api:Invoke",
                "Resource": [
                    "execute-api:/*/DELETE/enrolment",
                    "execute-api:/*/DELETE/sessions/*",
                    "execute-api:/*/GET/sessions/*/results",
                    "execute-api:/*/POST/enrolment",
                    "execute-api:/*/POST/sessions",
                    "execute-api:/*/POST/sessions/*/consume",
                ],
                "Condition": {"ArnNotEquals": {"aws:PrincipalArn": principals}},
            },
            {
                "Sid": "AllowUnsignedCorsPreflight",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*/OPTIONS/*",
            },
        ],
    }


def test_tls_is_1_3_only_with_strict_endpoint_access(synth: Synth) -> None:
    props = synth.only("AWS::ApiGateway::RestApi")["Properties"]
    assert props["SecurityPolicy"] == "SecurityPolicy_TLS13_1_3_2025_09"
    assert props["EndpointAccessMode"] == "STRICT"


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
        "errorResponseType",
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
    retry_after = GATEWAY_RETRY_AFTER_SECONDS.get(response_type)
    assert props["ResponseParameters"] == {
        "gatewayresponse.header.Content-Type": f"'{PROBLEM_CONTENT_TYPE}'",
        **({} if retry_after is None else {"gatewayresponse.header.Retry-After": f"'{retry_after}'"}),
    }
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


def test_the_consume_route_is_a_signed_proxy_method_with_its_own_throttle(synth: Synth) -> None:
    # Spelled out rather than derived from the contract: the single-use verdict route must exist as documented.
    (consume,) = [
        props
        for method, path, props in methods(synth)
        if path == "/sessions/{sessionId}/consume" and method != "OPTIONS"
    ]
    assert consume["HttpMethod"] == "POST"
    assert consume["AuthorizationType"] == "AWS_IAM"
    assert consume["Integration"]["Type"] == "AWS_PROXY"
    assert consume["RequestParameters"] == {"method.request.path.sessionId": True}
    settings = {(s["HttpMethod"], s["ResourcePath"]): s for s in stage(synth)["MethodSettings"]}
    own = settings[("POST", "/~1sessions~1{sessionId}~1consume")]
    assert (own["ThrottlingRateLimit"], own["ThrottlingBurstLimit"]) == (
        synth.config.consume_verdict_rate_limit,
        synth.config.consume_verdict_burst_limit,
    )
