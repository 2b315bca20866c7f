"""The REST API in front of the function: IAM-signed routes from the contract, access logs without personal
data, throttling, and problem+json answers for everything API Gateway rejects on its own."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.config.capacity import Throttle
from infra.constructs.storage import Retention, log_group
from liveness_api import contract
from liveness_api.problems import (
    GATEWAY_ERRORS,
    GATEWAY_RETRY_AFTER_SECONDS,
    PROBLEM_CONTENT_TYPE,
    ProblemKind,
    problem_document,
)

STAGE_NAME: Final = "api"
# The strictest security policy API Gateway offers a REGIONAL REST API: TLS 1.3 only, with its three AEAD ciphers
# ("Supported security policies", API Gateway developer guide). An enhanced (SecurityPolicy_*) policy needs an endpoint
# access mode; STRICT also refuses requests that arrive through another endpoint type or with a mismatched SNI host.
SECURITY_POLICY: Final = "SecurityPolicy_TLS13_1_3_2025_09"
ENDPOINT_ACCESS_MODE: Final = "STRICT"
INVOKE: Final = "execute-api:Invoke"
# API Gateway's shorthand for this API's own ARN in its resource policy (the API cannot reference its own id there).
ANY_METHOD: Final = "execute-api:/*"
PREFLIGHT: Final = "execute-api:/*/OPTIONS/*"

# Access-log fields. Deliberately absent: $context.identity.sourceIp, .caller, .user, .userArn, .userAgent and the
# request path (resourcePath is the route template): no personal data reaches the logs.
ACCESS_LOG_FIELDS: Final = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency",
    "responseLatency": "$context.responseLatency",
    "errorMessage": "$context.error.message",
    # THROTTLED when API Gateway's own throttle answered 429 (the handler's 429s leave it empty).
    "errorResponseType": "$context.error.responseType",
    "xrayTraceId": "$context.xrayTraceId",
}
ERROR_MESSAGE: Final = "$context.error.messageString"
# Headers a SigV4-signing browser client sends; preflight must allow them.
CORS_ALLOWED_HEADERS: Final = (
    "Authorization",
    "Content-Type",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
    contract.IDEMPOTENCY_HEADER,
)


@dataclass(frozen=True)
class ApiProps:
    """`name` (the stack's) names the REST API, which is API Gateway's ApiName metric dimension. Empty
    `allowed_principal_arns`: any principal of the account; empty `cors_allowed_origins`: no CORS at all."""

    name: str
    retention: Retention
    allowed_principal_arns: tuple[str, ...]
    cors_allowed_origins: tuple[str, ...]
    default_throttle: Throttle
    route_throttles: Mapping[contract.Route, Throttle]


def problem_template(kind: ProblemKind) -> str:
    """The problem+json body as a gateway-response template. `detail` is inserted unquoted:
    $context.error.messageString is already a JSON string literal."""
    placeholder = "@@detail@@"
    body = problem_document(kind, placeholder, "$context.requestId")
    return json.dumps(body, separators=(",", ":")).replace(json.dumps(placeholder), ERROR_MESSAGE)


def path_parameters(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def method_options_path(route: contract.Route) -> str:
    """A route as StageOptions.method_options names it: `{resource path}/{HTTP method}` (CDK writes the
    MethodSetting's ResourcePath with `/` escaped as `~1`, e.g. `/~1sessions~1{sessionId}~1results`)."""
    return f"{route.path}/{route.method}"


def method_options(route_throttles: Mapping[contract.Route, Throttle]) -> dict[str, apigw.MethodDeploymentOptions]:
    """Each route's own throttle. A method setting replaces the stage default for its method; metrics and data
    tracing are repeated so that an override never changes them."""
    return {
        method_options_path(route): apigw.MethodDeploymentOptions(
            throttling_rate_limit=throttle.rate_limit,
            throttling_burst_limit=throttle.burst_limit,
            metrics_enabled=True,
            data_trace_enabled=False,
        )
        for route, throttle in route_throttles.items()
    }


def execute_api_resource(route: contract.Route) -> str:
    """The route in resource-policy form, any stage: `execute-api:/*/GET/sessions/*/results`."""
    path = re.sub(r"{\w+}", "*", route.path)
    return f"execute-api:/*/{route.method}{path}"


def resource_policy(props: ApiProps, *, user_pool_tokens: bool) -> iam.PolicyDocument:
    """Who may invoke the API, on top of SigV4: with no `allowedPrincipalArns`, principals of this account only (the
    account as principal delegates to IAM, so each still needs its own execute-api:Invoke allow; another account's
    callers need this policy's allow too, which they never get). With a list, only those users and roles: an allow
    for them and an explicit deny for every other principal, which no identity policy can override. Unsigned CORS
    preflight, when origins are configured, is allowed (it never reaches the function)."""
    statements = []
    if user_pool_tokens:
        # A user-pool token is no IAM principal, and with a Cognito authorizer API Gateway admits a request only if
        # the resource policy explicitly allows it ("How API Gateway resource policies affect authorization
        # workflow"): allow anyone, on exactly the contract's routes, whom the authorizer then admits or refuses.
        statements.append(
            iam.PolicyStatement(
                sid="InvokeRoutesWithUserPoolTokens",
                principals=[iam.AnyPrincipal()],
                actions=[INVOKE],
                resources=[execute_api_resource(route) for route in contract.Routes.ALL],
            )
        )
    elif props.allowed_principal_arns:
        principals = list(props.allowed_principal_arns)
        statements += [
            iam.PolicyStatement(
                sid="InvokeOnlyAsListedPrincipals",
                principals=[iam.ArnPrincipal(arn) for arn in principals],
                actions=[INVOKE],
                resources=[ANY_METHOD],
            ),
            iam.PolicyStatement(
                sid="DenyEveryOtherPrincipal",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=[INVOKE],
                resources=[execute_api_resource(route) for route in contract.Routes.ALL],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": principals}},
            ),
        ]
    else:
        statements.append(
            iam.PolicyStatement(
                sid="InvokeOnlyFromThisAccount",
                principals=[iam.AccountRootPrincipal()],
                actions=[INVOKE],
                resources=[ANY_METHOD],
            )
        )
    if props.cors_allowed_origins:
        statements.append(
            iam.PolicyStatement(
                sid="AllowUnsignedCorsPreflight",
                principals=[iam.AnyPrincipal()],
                actions=[INVOKE],
                resources=[PREFLIGHT],
            )
        )
    return iam.PolicyDocument(statements=statements)


class LivenessApi(Construct):
    """A regional REST API whose every route is signed with SigV4 (IAM), or carries a user-pool ID token
    (COGNITO), and is proxied to the function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: ApiProps,
        handler: lambda_.IFunction,
        user_pool: cognito.IUserPool | None = None,
    ) -> None:
        """`user_pool`: with authorization=COGNITO, the pool whose ID tokens every route's authorizer accepts;
        without one, every route is signed with SigV4."""
        super().__init__(scope, construct_id)
        self.access_log_group = log_group(self, "AccessLogs", props.retention)
        origins = list(props.cors_allowed_origins)
        self.authorizer: apigw.CognitoUserPoolsAuthorizer | None = None
        authorization_type = apigw.AuthorizationType.IAM
        if user_pool is not None:
            authorization_type = apigw.AuthorizationType.COGNITO
            # ID tokens (no OAuth scopes on the methods): the `sub` claim becomes the session owner.
            self.authorizer = apigw.CognitoUserPoolsAuthorizer(
                self,
                "UserPoolAuthorizer",
                cognito_user_pools=[user_pool],
                identity_source=apigw.IdentitySource.header("Authorization"),
                results_cache_ttl=Duration.minutes(5),
            )

        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=props.name,
            description="Face Liveness API: sessions, verdicts and erasure, signed with SigV4",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            policy=resource_policy(props, user_pool_tokens=user_pool is not None),
            # The API Gateway CloudWatch Logs role is an account-wide, per-region setting (AWS::ApiGateway::Account)
            # that one stack must not own or overwrite. Access logging needs it to be set once per account and
            # region before the first deploy.
            cloud_watch_role=False,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
                tracing_enabled=True,
                metrics_enabled=True,
                data_trace_enabled=False,
                # Every method without a setting of its own gets a bucket of this size (MethodSettings `/*/*`);
                # each route has its own. API Gateway keeps one bucket per method, never one for the whole stage:
                # https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html
                throttling_rate_limit=props.default_throttle.rate_limit,
                throttling_burst_limit=props.default_throttle.burst_limit,
                method_options=method_options(props.route_throttles),
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=authorization_type, authorizer=self.authorizer
            ),
            # Browsers send preflight unsigned, so OPTIONS (and only OPTIONS) is unauthenticated, and only
            # when the deployment names the origins allowed to call it.
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=origins,
                allow_methods=sorted({route.method for route in contract.Routes.ALL}),
                allow_headers=list(CORS_ALLOWED_HEADERS),
            )
            if origins
            else None,
        )

        # Request parameters are checked here, before the function runs. Bodies are not: the handler validates
        # them to answer with field-level 422 problem+json errors, which API Gateway's validator cannot produce
        # (it only returns one generic BAD_REQUEST_BODY message).
        self.request_validator = self.rest_api.add_request_validator(
            "ParameterValidator", validate_request_parameters=True, validate_request_body=False
        )
        integration = apigw.LambdaIntegration(handler, proxy=True, allow_test_invoke=False)
        self.methods: list[apigw.Method] = [
            self.rest_api.root.resource_for_path(route.path).add_method(
                route.method,
                integration,
                authorization_type=authorization_type,
                authorizer=self.authorizer,
                request_validator=self.request_validator,
                request_parameters={f"method.request.path.{name}": True for name in path_parameters(route.path)}
                or None,
            )
            for route in contract.Routes.ALL
        ]
        # The L2 RestApi has no security policy or endpoint access mode (CDK 2.275): set them on the L1.
        cfn_api: apigw.CfnRestApi = self.rest_api.node.default_child  # type: ignore[assignment]
        cfn_api.security_policy = SECURITY_POLICY
        cfn_api.endpoint_access_mode = ENDPOINT_ACCESS_MODE
        # RestApi adds its own URL output; the stack exports the same URL as ApiUrl.
        self.rest_api.node.try_remove_child("Endpoint")
        self._add_gateway_responses(origins)

    def _add_gateway_responses(self, origins: list[str]) -> None:
        headers = {"Content-Type": f"'{PROBLEM_CONTENT_TYPE}'"}
        # A static header can name one origin only; with several, browsers see gateway errors as CORS failures.
        if len(origins) == 1:
            headers |= {"Access-Control-Allow-Origin": f"'{origins[0]}'", "Vary": "'Origin'"}
        for response_type, kind in GATEWAY_ERRORS.items():
            retry_after = GATEWAY_RETRY_AFTER_SECONDS.get(response_type)
            self.rest_api.add_gateway_response(
                kind.slug,
                type=getattr(apigw.ResponseType, response_type),
                status_code=str(kind.status),
                response_headers=headers if retry_after is None else {**headers, "Retry-After": f"'{retry_after}'"},
                templates={"application/json": problem_template(kind)},
            )

    @property
    def url(self) -> str:
        return self.rest_api.url
