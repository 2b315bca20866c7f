"""The function in-process on moto and the Face Liveness emulator (`LocalBackend`), shared by the whole session as
a Lambda container is by its invocations. Tests stay independent by using their own callers; a test that needs
other settings deploys a function of its own on the same backend (`backend.deploy`, `backend.function_in_mode`)."""

import io
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import pytest

from infra.config import load_cdk_json_config
from liveness_api.identity import resolve_caller
from liveness_api.settings import Settings
from liveness_local.backend import LocalBackend
from liveness_local.events import CallerIdentity, api_gateway_event
from liveness_local.faults import DependencyFaults


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def problem(self) -> dict[str, Any]:
        assert self.headers.get("Content-Type") == "application/problem+json"
        assert set(self.body) >= {"type", "title", "status", "detail", "requestId"}
        assert self.body["status"] == self.status
        return dict(self.body)


class Function(Protocol):
    """A function to invoke: the backend's configured one, or another deployment (`liveness_local.LocalFunction`)."""

    def invoke(self, event: dict[str, Any], remaining_ms: int | None = None) -> dict[str, Any]: ...


class Api:
    """Calls a function as API Gateway would, as one caller."""

    def __init__(self, function: Function, identity: CallerIdentity) -> None:
        self.function = function
        self.identity = identity

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: str | None = None
    ) -> ApiResponse:
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self.function.invoke(self.event(method, path, payload, headers))
        text = response.get("body") or ""
        headers_out = {**(response.get("headers") or {})}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers_out[name] = values[-1]
        return ApiResponse(response["statusCode"], headers_out, json.loads(text) if text else None)

    def event(self, method: str, path: str, body: str | None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """The proxy event API Gateway would send for this caller's request."""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return api_gateway_event(method, path, body=body, headers=all_headers, identity=self.identity)

    def owner(self, settings: Settings) -> str:
        """The owner this caller's sessions are bound to by a function with `settings`, as it resolves it."""
        context = self.event("GET", "/", None)["requestContext"]
        return resolve_caller(context, settings.caller_mode, identity_pool_id=settings.identity_pool_id).owner

    def create(self, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.call("POST", "/sessions", body, **kwargs)

    def results(self, session_id: str) -> ApiResponse:
        return self.call("GET", f"/sessions/{session_id}/results")

    def erase(self, session_id: str) -> ApiResponse:
        return self.call("DELETE", f"/sessions/{session_id}")

    def consume(self, session_id: str) -> ApiResponse:
        return self.call("POST", f"/sessions/{session_id}/consume")


T = TypeVar("T")


def race(calls: list[Callable[[], T]]) -> list[T]:
    """Every call at once, each on a thread of its own released together; the results in the calls' order.

    The function serves one event at a time, as a Lambda environment does, so races between requests happen
    between environments, which share only the AWS services: a test races the domain's calls directly."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture(scope="session")
def backend() -> Iterator[LocalBackend]:
    local = LocalBackend(load_cdk_json_config())
    yield local
    local.stop()


@pytest.fixture
def emulator(backend: LocalBackend) -> Iterator[Any]:
    # The faults a test injects and leaves pending are forgotten with the emulator's sessions.
    backend.faults.reset()
    backend.emulator.reset()
    yield backend.emulator
    backend.faults.reset()
    backend.emulator.reset()


@pytest.fixture
def api(backend: LocalBackend, emulator: Any) -> Api:
    return Api(backend, CallerIdentity.iam(f"alice-{uuid.uuid4().hex[:8]}"))


@pytest.fixture
def other_api(backend: LocalBackend, emulator: Any) -> Api:
    return Api(backend, CallerIdentity.iam(f"mallory-{uuid.uuid4().hex[:8]}"))


@dataclass(frozen=True)
class EmittedMetric:
    name: str
    value: float
    dimensions: dict[str, str]


def emitted_metrics(output: str) -> list[EmittedMetric]:
    """Every metric in the EMF lines Powertools printed, with the dimensions it was published under."""
    found = []
    for line in output.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            dimensions = {name: blob[name] for name in directive["Dimensions"][0]}
            for metric in directive["Metrics"]:
                values = blob[metric["Name"]]
                for value in values if isinstance(values, list) else [values]:
                    found.append(EmittedMetric(metric["Name"], value, dimensions))
    return found


def log_records(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"level"' in line]


@pytest.fixture
def log_output(backend: LocalBackend) -> Iterator[io.StringIO]:
    """What the handler's Powertools logger writes (its stream was bound when the handler was imported)."""
    from liveness_api.observability import logger

    stream = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    yield stream
    handler.setStream(previous)  # type: ignore[attr-defined]


@pytest.fixture
def faults(backend: LocalBackend, emulator: Any) -> DependencyFaults:
    """The twin's one fault injector, on the function's own clients (emptied around each test by `emulator`)."""
    return backend.faults
