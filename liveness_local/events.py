"""API Gateway REST proxy events, built the way API Gateway builds them for a Lambda proxy integration.

Shared by the local gateway, the integration tests and the benchmark, so all three feed the handler the
same shape of event.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from liveness_api.contract import Route, Routes
from liveness_api.identity import CallerMode

STAGE = "api"
LOCAL_ACCOUNT = "123456789012"


LOCAL_SOURCE_IP = "127.0.0.1"
# Stable ids for names: the same local caller name is the same identity, in every run.
_LOCAL_IDS = uuid.UUID("5f1c0a53-1d1e-4b7e-9f3a-6c0d2b8e4a71")
_ROLE_ID = "AROAEXAMPLELOCALROLE"


def _local_id(kind: str, name: str) -> str:
    return str(uuid.uuid5(_LOCAL_IDS, f"{kind}:{name}"))


def local_identity_pool_id(region: str) -> str:
    """The twin's identity pool in `region`, as Cognito writes pool ids (`<region>:<uuid>`): the pool the local
    callers' identities belong to and the one the local function is told is the stack's."""
    return f"{region}:{_local_id('identity-pool', 'local')}"


@dataclass(frozen=True)
class CallerIdentity:
    """Who API Gateway says is calling, field for field as it fills `requestContext.identity` and
    `requestContext.authorizer`; by default an IAM role, as with the stack's SigV4 authorization."""

    user_arn: str | None = f"arn:aws:sts::{LOCAL_ACCOUNT}:assumed-role/local-caller/session"
    caller: str | None = None
    account_id: str | None = LOCAL_ACCOUNT
    access_key: str | None = None
    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None
    cognito_authentication_type: str | None = None
    cognito_authentication_provider: str | None = None
    # A user-pool authorizer's verified token claims (`requestContext.authorizer.claims`), all strings.
    claims: Mapping[str, str] | None = None
    source_ip: str = LOCAL_SOURCE_IP

    @classmethod
    def iam(cls, name: str, *, source_ip: str = LOCAL_SOURCE_IP) -> CallerIdentity:
        """SigV4 with a role's credentials (AWS_IAM, no identity pool)."""
        return cls(
            user_arn=f"arn:aws:sts::{LOCAL_ACCOUNT}:assumed-role/{name}/session",
            caller=f"{_ROLE_ID}:session",
            access_key="ASIAEXAMPLELOCALKEY",
            source_ip=source_ip,
        )

    @classmethod
    def identity_pool(
        cls,
        name: str,
        *,
        guest: bool = False,
        region: str = "us-east-1",
        source_ip: str = LOCAL_SOURCE_IP,
        pool_id: str | None = None,
    ) -> CallerIdentity:
        """SigV4 with identity-pool credentials (the enhanced flow): the identity id is the user's own, the role
        ARN the pool role's, shared by every user of the pool. The pool is the twin's own unless `pool_id` names
        another."""
        pool_id = pool_id or local_identity_pool_id(region)
        user_pool = f"cognito-idp.{region}.amazonaws.com/{region}_LocalPool"
        role = "LocalUnauthenticatedRole" if guest else "LocalAuthenticatedRole"
        return cls(
            user_arn=f"arn:aws:sts::{LOCAL_ACCOUNT}:assumed-role/{role}/CognitoIdentityCredentials",
            caller=f"{_ROLE_ID}:CognitoIdentityCredentials",
            access_key="ASIAEXAMPLELOCALKEY",
            cognito_identity_id=f"{region}:{_local_id('identity', name)}",
            cognito_identity_pool_id=pool_id,
            cognito_authentication_type="unauthenticated" if guest else "authenticated",
            cognito_authentication_provider=None
            if guest
            else f"{user_pool},{user_pool}:CognitoSignIn:{_local_id('user', name)}",
            source_ip=source_ip,
        )

    @classmethod
    def user_pool(cls, name: str, *, region: str = "us-east-1", source_ip: str = LOCAL_SOURCE_IP) -> CallerIdentity:
        """A user-pool authorizer's caller: the ID token's claims, and no AWS identity at all."""
        now = int(datetime.now(UTC).timestamp())
        return cls(
            user_arn=None,
            account_id=None,
            claims={
                "sub": _local_id("user", name),
                "cognito:username": name,
                "iss": f"https://cognito-idp.{region}.amazonaws.com/{region}_LocalPool",
                "aud": "localappclient",
                "token_use": "id",
                "auth_time": str(now),
                "iat": str(now),
                "exp": str(now + 3600),
            },
            source_ip=source_ip,
        )

    @classmethod
    def for_mode(
        cls, mode: CallerMode, name: str, *, region: str = "us-east-1", source_ip: str = LOCAL_SOURCE_IP
    ) -> CallerIdentity:
        """The caller `name` as API Gateway presents it in `mode` (guests in guest mode)."""
        if mode is CallerMode.USER_POOL:
            return cls.user_pool(name, region=region, source_ip=source_ip)
        if mode is CallerMode.IAM:
            return cls.iam(name, source_ip=source_ip)
        guest = mode is CallerMode.IDENTITY_POOL_GUESTS
        return cls.identity_pool(name, guest=guest, region=region, source_ip=source_ip)


def _template_regex(path: str) -> re.Pattern[str]:
    # A path parameter matches one segment, as in API Gateway.
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


_ROUTE_PATTERNS = [(route, _template_regex(route.path)) for route in Routes.ALL]


def match_route(method: str, path: str, routes: Iterable[Route] | None = None) -> tuple[Route, dict[str, str]] | None:
    """The deployed route this request would hit, and its path parameters; None where API Gateway has none."""
    candidates = _ROUTE_PATTERNS if routes is None else [(route, _template_regex(route.path)) for route in routes]
    for route, pattern in candidates:
        found = pattern.match(path)
        if found and route.method == method.upper():
            return route, found.groupdict()
    return None


def path_exists(path: str) -> bool:
    return any(pattern.match(path) for _, pattern in _ROUTE_PATTERNS)


def api_gateway_event(
    method: str,
    path: str,
    *,
    body: bytes | str | None = None,
    headers: Mapping[str, str | list[str]] | None = None,
    query: Mapping[str, str | list[str]] | None = None,
    identity: CallerIdentity | None = None,
    request_id: str | None = None,
    resource: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One REST proxy event. Multi-value headers and query parameters keep every value; the single-value
    maps keep the last one, as API Gateway does. Binary bodies are base64-encoded."""
    if resource is None:
        matched = match_route(method, path)
        resource, params = (matched[0].path, matched[1]) if matched else (path, {})
        path_parameters = path_parameters if path_parameters is not None else params
    multi_headers = _multi(headers)
    multi_query = _multi(query)
    is_base64, encoded_body = _encode_body(body, multi_headers)
    identity = identity or CallerIdentity()
    request_id = request_id or str(uuid.uuid4())
    now = datetime.now(UTC)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": {name: values[-1] for name, values in multi_headers.items()} or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "body": encoded_body,
        "isBase64Encoded": is_base64,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT,
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "path": f"/{STAGE}{path}",
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainName": "localhost",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "authorizer": {"claims": dict(identity.claims)} if identity.claims is not None else None,
            "identity": {
                "cognitoIdentityId": identity.cognito_identity_id,
                "cognitoIdentityPoolId": identity.cognito_identity_pool_id,
                "accountId": identity.account_id if identity.user_arn else None,
                "caller": identity.caller,
                "sourceIp": identity.source_ip,
                "principalOrgId": None,
                "accessKey": identity.access_key,
                "cognitoAuthenticationType": identity.cognito_authentication_type,
                "cognitoAuthenticationProvider": identity.cognito_authentication_provider,
                "userArn": identity.user_arn,
                "userAgent": next(
                    (values[-1] for name, values in multi_headers.items() if name.lower() == "user-agent"), None
                ),
                "user": identity.caller,
            },
        },
    }


def _multi(values: Mapping[str, str | list[str]] | None) -> dict[str, list[str]]:
    if not values:
        return {}
    return {name: ([value] if isinstance(value, str) else list(value)) for name, value in values.items()}


_TEXT_TYPES = ("application/json", "application/problem+json", "text/", "application/x-www-form-urlencoded")


def _encode_body(body: bytes | str | None, headers: Mapping[str, list[str]]) -> tuple[bool, str | None]:
    if body is None:
        return False, None
    if isinstance(body, str):
        return False, body
    content_type = next((values[-1] for name, values in headers.items() if name.lower() == "content-type"), "")
    if content_type.startswith(_TEXT_TYPES):
        try:
            return False, body.decode("utf-8")
        except UnicodeDecodeError:
            pass  # not text after all: send it the way API Gateway sends binary
    return True, base64.b64encode(body).decode("ascii")
