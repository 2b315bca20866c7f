"""API Gateway, locally: an HTTP request in, a REST proxy event to the handler, the handler's result out as HTTP.

The same rules as the deployed stage, read from the same `StackConfig`:
- only the routes in `contract.Routes.ALL` reach the handler; any other path or method gets API Gateway's own
  403 MISSING_AUTHENTICATION_TOKEN answer, in the problem+json shape the stack's gateway responses give it;
- a body larger than `contract.MAX_BODY_BYTES` is refused with 413;
- every method has a token bucket of its own, exactly as API Gateway keeps one per method and none shared by the
  stage ("Throttle requests to your REST APIs for better throughput in API Gateway",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html: stage settings
  are "default per-method limits and individual per-method limits"): each route's bucket has the route's own rate and
  burst (`StackConfig.route_throttles`), any other method (CORS preflight) one of the stage default's size. A bucket
  that runs dry answers 429 with Retry-After, and only its own method is refused. The account-level limit (10,000
  requests a second, shared by every API of the account and region) is not modelled.

Pure: no sockets, no AWS. `LocalGateway.handle` takes an `HttpRequest` and returns an `HttpResponse`, so the unit
tests drive it with a fake handler.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

from infra.config import StackConfig, Throttle
from liveness_api.contract import MAX_BODY_BYTES, Route, Routes
from liveness_api.problems import (
    GATEWAY_ERRORS,
    GATEWAY_RETRY_AFTER_SECONDS,
    PROBLEM_CONTENT_TYPE,
    ProblemKind,
    problem_document,
)
from liveness_local.events import CallerIdentity, api_gateway_event, match_route

Invoke = Callable[[dict[str, Any]], dict[str, Any]]

# API Gateway's message for a route it does not have (and for an unsigned request), as $context.error.messageString.
MISSING_AUTHENTICATION_TOKEN: Final = "Missing Authentication Token"  # noqa: S105 - not a secret
# Headers that describe one HTTP hop, never forwarded to the handler or copied from its answer.
_HOP_BY_HOP: Final = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection", "content-length"}
)


def last_header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    """The last value of a header, matched case-insensitively, as API Gateway's single-value map keeps it."""
    values = [value for key, value in headers if key.lower() == name.lower()]
    return values[-1] if values else None


@dataclass(frozen=True)
class HttpRequest:
    method: str
    # As on the request line: the path, with its query string if any.
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return last_header(self.headers, name)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return last_header(self.headers, name)

    def json(self) -> Any:
        return json.loads(self.body)

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        """Write this response on a local server's connection (no body for HEAD)."""
        handler.send_response(self.status)
        for name, value in self.headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        if handler.command != "HEAD" and self.body:
            handler.wfile.write(self.body)


# The local gateway answers like API Gateway, with the same problem types the stack configures.
MISSING_AUTHENTICATION: Final = GATEWAY_ERRORS["MISSING_AUTHENTICATION_TOKEN"]
REQUEST_TOO_LARGE: Final = GATEWAY_ERRORS["REQUEST_TOO_LARGE"]
THROTTLED: Final = GATEWAY_ERRORS["THROTTLED"]


def problem_response(
    kind: ProblemKind, detail: str, request_id: str, extra_headers: Iterable[tuple[str, str]] = ()
) -> HttpResponse:
    body = problem_document(kind, detail, request_id)
    headers = (("Content-Type", PROBLEM_CONTENT_TYPE), ("x-amzn-RequestId", request_id), *extra_headers)
    return HttpResponse(kind.status, headers, json.dumps(body, separators=(",", ":")).encode())


@dataclass
class TokenBucket:
    """One method's throttle in API Gateway: `burst` tokens, refilled at `rate` per second."""

    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _tokens: float = field(init=False)
    _updated: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.rate <= 0 or self.burst < 1:
            raise ValueError(f"rate must be positive and burst at least 1, got {self.rate} and {self.burst}")
        self._tokens = float(self.burst)
        self._updated = self.clock()

    def take(self) -> float | None:
        """Take a token: None when there was one, else the seconds until there will be."""
        with self._lock:
            now = self.clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                return None
            return (1 - self._tokens) / self.rate


class LocalGateway:
    """The deployed stage's behaviour in front of `invoke` (the handler, or anything shaped like it).

    `rate_limit`/`burst_limit` override every method's rate or burst, for a fuzzer that must not be throttled;
    each method still has a bucket of its own.
    """

    def __init__(
        self,
        invoke: Invoke,
        config: StackConfig,
        *,
        rate_limit: float | None = None,
        burst_limit: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        routes: Iterable[Route] = Routes.ALL,
    ) -> None:
        self._invoke = invoke
        self.config = config
        self.routes = tuple(routes)
        self._rate_limit = rate_limit
        self._burst_limit = burst_limit
        self._clock = clock
        # One bucket per method, keyed as API Gateway names a method: HTTP method and resource path template.
        self.buckets: dict[tuple[str, str], TokenBucket] = {
            (route.method, route.path): self._bucket(config.route_throttles.get(route, config.default_method_throttle))
            for route in self.routes
        }
        self._buckets_lock = threading.Lock()

    def _bucket(self, throttle: Throttle) -> TokenBucket:
        return TokenBucket(
            rate=self._rate_limit if self._rate_limit is not None else throttle.rate_limit,
            burst=self._burst_limit if self._burst_limit is not None else throttle.burst_limit,
            clock=self._clock,
        )

    def bucket_for(self, method: str, resource: str) -> TokenBucket:
        """The bucket of one method; a method without a throttle of its own (preflight) gets the stage default."""
        with self._buckets_lock:
            key = (method, resource)
            if key not in self.buckets:
                self.buckets[key] = self._bucket(self.config.default_method_throttle)
            return self.buckets[key]

    def handle(self, request: HttpRequest, identity: CallerIdentity | None = None) -> HttpResponse:
        request_id = str(uuid.uuid4())
        split = urlsplit(request.target)
        path = unquote(split.path) or "/"
        method = request.method.upper()
        matched = match_route(method, path, self.routes)
        resource = matched[0].path if matched else self._preflight_resource(method, path)
        if resource is None:
            return problem_response(MISSING_AUTHENTICATION, MISSING_AUTHENTICATION_TOKEN, request_id)
        if len(request.body) > MAX_BODY_BYTES:
            return problem_response(REQUEST_TOO_LARGE, f"The request body exceeds {MAX_BODY_BYTES} bytes.", request_id)
        if self.bucket_for(method, resource).take() is not None:
            # The deployed gateway response's static Retry-After, whatever the bucket's refill time.
            retry_after = str(GATEWAY_RETRY_AFTER_SECONDS["THROTTLED"])
            return problem_response(THROTTLED, "Too Many Requests", request_id, [("Retry-After", retry_after)])
        path_parameters = matched[1] if matched else {}
        event = api_gateway_event(
            method,
            path,
            body=request.body if request.body else None,
            headers=_forwarded_headers(request.headers),
            query=parse_qs(split.query, keep_blank_values=True) if split.query else None,
            identity=identity or CallerIdentity(),
            request_id=request_id,
            resource=resource,
            path_parameters=path_parameters,
        )
        return http_response(self._invoke(event), request_id)

    def _preflight_resource(self, method: str, path: str) -> str | None:
        """The resource a CORS preflight is for, or None. With CORS origins configured the stack adds OPTIONS to
        every resource (each its own method, with its own bucket); the handler answers it here."""
        if method != "OPTIONS" or not self.config.cors_allowed_origins:
            return None
        return next((route.path for route in self.routes if match_route(route.method, path, [route])), None)


def _forwarded_headers(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    forwarded: dict[str, list[str]] = {}
    for name, value in headers:
        if name.lower() in _HOP_BY_HOP or name.lower() == "x-local-caller":
            continue
        # API Gateway keeps one spelling per header name: the first one seen.
        key = next((existing for existing in forwarded if existing.lower() == name.lower()), name)
        forwarded.setdefault(key, []).append(value)
    return forwarded


def http_response(result: Mapping[str, Any], request_id: str) -> HttpResponse:
    """A proxy integration's result as API Gateway sends it: `multiValueHeaders` and `headers` merged (a name
    in `multiValueHeaders` keeps all its values there), base64 bodies decoded."""
    merged: dict[str, list[str]] = {}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        merged[name] = [str(value) for value in values]
    for name, value in (result.get("headers") or {}).items():
        if not any(existing.lower() == name.lower() for existing in merged):
            merged[name] = [str(value)]
    headers = [(name, value) for name, values in merged.items() if name.lower() not in _HOP_BY_HOP for value in values]
    if not any(name.lower() == "x-amzn-requestid" for name, _ in headers):
        headers.append(("x-amzn-RequestId", request_id))
    raw_body = result.get("body") or ""
    body = base64.b64decode(raw_body) if result.get("isBase64Encoded") else str(raw_body).encode()
    return HttpResponse(int(result["statusCode"]), tuple(headers), body)
