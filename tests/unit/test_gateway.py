"""The local gateway without sockets or AWS: routing, body limit, throttle, event and response translation."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from infra.config import StackConfig
from liveness_api.contract import MAX_BODY_BYTES, Route, Routes
from liveness_api.problems import PROBLEM_CONTENT_TYPE
from liveness_local.events import CallerIdentity
from liveness_local.gateway import HttpRequest, LocalGateway, TokenBucket, http_response

CONFIG = StackConfig()
SESSION_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeHandler:
    def __init__(self, result: dict[str, Any] | None = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.result = result or {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        return self.result


def gateway(handler: FakeHandler | None = None, **kwargs: Any) -> tuple[LocalGateway, FakeHandler]:
    fake = handler or FakeHandler()
    kwargs.setdefault("rate_limit", 1000)
    kwargs.setdefault("burst_limit", 1000)
    return LocalGateway(fake, CONFIG, **kwargs), fake


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status == status
    assert response.header("Content-Type") == PROBLEM_CONTENT_TYPE
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:face-liveness-api:problem:{slug}"
    assert body["status"] == status
    assert body["requestId"] == response.header("x-amzn-RequestId")
    assert body["title"]
    assert body["detail"]
    return body


def test_a_route_becomes_a_rest_proxy_event() -> None:
    api, handler = gateway()
    request = HttpRequest(
        "POST",
        "/sessions?a=1&a=2&b=",
        (("Content-Type", "application/json"), ("X-Multi", "1"), ("x-multi", "2"), ("X-Local-Caller", "bob")),
        b'{"auditImagesLimit": 1}',
    )

    api.handle(request, CallerIdentity.iam("bob"))

    [event] = handler.events
    assert event["resource"] == "/sessions"
    assert event["httpMethod"] == "POST"
    assert event["body"] == '{"auditImagesLimit": 1}'
    assert event["isBase64Encoded"] is False
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["headers"]["X-Multi"] == "2"
    assert "X-Local-Caller" not in event["headers"]
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["requestContext"]["identity"]["userArn"].endswith(":assumed-role/bob/session")


def test_path_parameters_come_from_the_route_template() -> None:
    api, handler = gateway()

    api.handle(HttpRequest("GET", f"/sessions/{SESSION_ID}/results"))

    [event] = handler.events
    assert event["resource"] == "/sessions/{sessionId}/results"
    assert event["pathParameters"] == {"sessionId": SESSION_ID}
    assert event["body"] is None


@pytest.mark.parametrize(
    ("method", "target"),
    [
        ("GET", "/"),
        ("GET", "/sessions"),
        ("PATCH", "/sessions"),
        ("TRACE", f"/sessions/{SESSION_ID}"),
        ("GET", "/sessions//results"),
        ("GET", "/_local/faults"),
    ],
)
def test_anything_else_gets_api_gateways_missing_authentication_token(method: str, target: str) -> None:
    api, handler = gateway()

    body = problem(api.handle(HttpRequest(method, target)), 403, "missing-authentication")

    assert body["detail"] == "Missing Authentication Token"
    assert handler.events == []


def test_a_body_over_the_limit_is_413_and_never_reaches_the_handler() -> None:
    api, handler = gateway()

    assert api.handle(HttpRequest("POST", "/sessions", body=b"x" * MAX_BODY_BYTES)).status == 200
    problem(api.handle(HttpRequest("POST", "/sessions", body=b"x" * (MAX_BODY_BYTES + 1))), 413, "request-too-large")
    assert len(handler.events) == 1


def test_the_throttle_uses_the_routes_own_rate_and_burst() -> None:
    clock = FakeClock()
    api, handler = gateway(rate_limit=None, burst_limit=None, clock=clock)
    request = HttpRequest("GET", f"/sessions/{SESSION_ID}/results")
    throttle = CONFIG.route_throttles[Routes.GET_RESULTS]

    statuses = [api.handle(request).status for _ in range(throttle.burst_limit + 1)]

    assert statuses == [200] * throttle.burst_limit + [429]
    throttled = api.handle(request)
    problem(throttled, 429, "throttled")
    assert throttled.header("Retry-After") == "1"
    clock.now += 1.001 / throttle.rate_limit  # a token's worth of refill (and a hair for float rounding)
    assert api.handle(request).status == 200
    assert len(handler.events) == throttle.burst_limit + 1


@pytest.mark.parametrize("route", Routes.ALL, ids=[f"{r.method} {r.path}" for r in Routes.ALL])
def test_every_route_has_a_bucket_of_its_configured_size(route: Route) -> None:
    api, _ = gateway(rate_limit=None, burst_limit=None, clock=FakeClock())
    throttle = CONFIG.route_throttles[route]
    request = HttpRequest(route.method, route.path.replace("{sessionId}", SESSION_ID))

    statuses = [api.handle(request).status for _ in range(throttle.burst_limit + 1)]

    assert statuses == [200] * throttle.burst_limit + [429]
    bucket = api.buckets[(route.method, route.path)]
    assert (bucket.rate, bucket.burst) == throttle


def test_a_dry_bucket_refuses_only_its_own_method() -> None:
    # API Gateway keeps one bucket per method, none for the whole stage (api-gateway-request-throttling.html).
    api, handler = gateway(rate_limit=None, burst_limit=None, clock=FakeClock())
    results = HttpRequest("GET", f"/sessions/{SESSION_ID}/results")
    while api.handle(results).status != 429:
        pass

    assert api.handle(HttpRequest("POST", "/sessions")).status == 200
    assert api.handle(HttpRequest("DELETE", f"/sessions/{SESSION_ID}")).status == 200
    assert api.handle(results).status == 429
    assert [event["httpMethod"] for event in handler.events][-2:] == ["POST", "DELETE"]


def test_preflight_methods_get_buckets_of_the_stage_default() -> None:
    config = StackConfig.model_validate({"corsAllowedOrigins": ["https://app.example.com"]})
    api = LocalGateway(FakeHandler(), config, clock=FakeClock())
    default = config.default_method_throttle
    preflight = HttpRequest("OPTIONS", f"/sessions/{SESSION_ID}/results")

    statuses = [api.handle(preflight).status for _ in range(default.burst_limit + 1)]

    assert statuses == [200] * default.burst_limit + [429]
    # Another resource's OPTIONS is another method, and the route behind the dry preflight is unaffected.
    assert api.handle(HttpRequest("OPTIONS", "/sessions")).status == 200
    assert api.handle(HttpRequest("GET", f"/sessions/{SESSION_ID}/results")).status == 200
    bucket = api.buckets[("OPTIONS", Routes.GET_RESULTS.path)]
    assert (bucket.rate, bucket.burst) == default


def test_the_throttle_can_be_overridden() -> None:
    api, _ = gateway(rate_limit=0.5, burst_limit=1, clock=FakeClock())
    request = HttpRequest("GET", f"/sessions/{SESSION_ID}/results")

    assert api.handle(request).status == 200
    refused = api.handle(request)
    # Throttled, and told to wait what the deployed gateway response says: a static header, whatever the refill.
    assert refused.status == 429
    assert refused.header("Retry-After") == "1"


def test_the_override_applies_to_every_method_bucket_by_bucket() -> None:
    api, _ = gateway(rate_limit=0.5, burst_limit=1, clock=FakeClock())

    for route in Routes.ALL:
        request = HttpRequest(route.method, route.path.replace("{sessionId}", SESSION_ID))
        assert api.handle(request).status == 200, route
        assert api.handle(request).status == 429, route


def test_token_bucket_refills_up_to_its_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=2, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [None, None, None]
    assert bucket.take() == pytest.approx(0.5)
    clock.now += 100
    assert [bucket.take() for _ in range(4)][-1] == pytest.approx(0.5)


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (1, 0)])
def test_token_bucket_rejects_nonsense(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        TokenBucket(rate=rate, burst=burst)


def test_handler_results_merge_headers_and_multi_value_headers() -> None:
    response = http_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json", "Set-Cookie": "ignored"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "Vary": ["Origin"]},
            "body": '{"ok": true}',
            "isBase64Encoded": False,
        },
        "req-1",
    )

    assert response.status == 201
    assert [value for name, value in response.headers if name == "Set-Cookie"] == ["a=1", "b=2"]
    assert response.header("Vary") == "Origin"
    assert response.header("Content-Type") == "application/json"
    assert response.header("x-amzn-RequestId") == "req-1"
    assert response.json() == {"ok": True}


def test_base64_bodies_are_decoded() -> None:
    payload = bytes(range(256))
    response = http_response(
        {"statusCode": 200, "body": base64.b64encode(payload).decode(), "isBase64Encoded": True}, "req-2"
    )
    assert response.body == payload


def test_an_empty_result_body_is_empty() -> None:
    assert http_response({"statusCode": 204, "headers": None, "body": None}, "req-3").body == b""


def test_binary_request_bodies_reach_the_handler_base64_encoded() -> None:
    api, handler = gateway()

    api.handle(HttpRequest("POST", "/sessions", (("Content-Type", "application/json"),), b"\xff\xfe"))

    [event] = handler.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe"


def test_the_request_id_is_the_one_the_handler_sees() -> None:
    api, handler = gateway()

    response = api.handle(HttpRequest("GET", f"/sessions/{SESSION_ID}/results"))

    assert response.header("x-amzn-RequestId") == handler.events[0]["requestContext"]["requestId"]
    assert json.loads(response.body) == {}
