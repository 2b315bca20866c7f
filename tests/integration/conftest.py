"""The handler in-process on moto and the Face Liveness emulator, shared by the whole session (the handler
builds its clients once, like a Lambda container). Tests stay independent by using their own callers."""

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from infra.config import load_cdk_json_config
from liveness_local.backend import LocalBackend
from liveness_local.events import CallerIdentity, api_gateway_event


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


class Api:
    """Calls the handler as API Gateway would, as one caller."""

    def __init__(self, backend: LocalBackend, identity: CallerIdentity) -> None:
        self.backend = backend
        self.identity = identity

    def call(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, raw: str | None = None
    ) -> ApiResponse:
        payload = raw if raw is not None else (json.dumps(body) if body is not None else None)
        response = self.backend.invoke(self.event(method, path, payload, headers))
        text = response.get("body") or ""
        headers_out = {**(response.get("headers") or {})}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers_out[name] = values[-1]
        return ApiResponse(response["statusCode"], headers_out, json.loads(text) if text else None)

    def event(self, method: str, path: str, body: str | None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """The proxy event API Gateway would send for this caller's request."""
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return api_gateway_event(method, path, body=body, headers=all_headers, identity=self.identity)

    def create(self, body: Any = None, **kwargs: Any) -> ApiResponse:
        return self.call("POST", "/sessions", body, **kwargs)

    def results(self, session_id: str) -> ApiResponse:
        return self.call("GET", f"/sessions/{session_id}/results")

    def erase(self, session_id: str) -> ApiResponse:
        return self.call("DELETE", f"/sessions/{session_id}")


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
