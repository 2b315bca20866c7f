"""One e2e suite, two targets: real HTTP against the local server (default), or a deployed API.

- Local (default): each pytest process starts `python -m liveness_local --port 0` once, as a subprocess. A
  subprocess, not a thread: moto keeps one state per process, which the integration tests' backend may already
  own in the same xdist worker, and each caller mode needs a server with its own config. The server runs with a generous
  throttle (`--throttle-rate/--throttle-burst`), because a suite (and above all the fuzzer) sends far more than
  the stage's 4 requests per second; tests/unit/test_gateway.py covers the throttle itself.
- Deployed: with `API_URL` (the stack's ApiUrl output) set, every request is signed with SigV4 (service
  `execute-api`) using the caller's own AWS credentials (the environment or profile they ran pytest with).
  `API_URL_SECOND_PROFILE` names an AWS profile for a second identity, for the ownership tests. Tests that need
  the local control routes skip.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.config import load_cdk_json_config
from liveness_api.problems import PROBLEM_CONTENT_TYPE

ROOT = Path(__file__).resolve().parents[2]
# Generous enough that neither the suite nor the fuzzer is throttled by the local gateway.
E2E_THROTTLE = ("1000", "1000")
STARTUP_TIMEOUT_SECONDS = 60
NEEDS_CONTROL = "needs the local control routes, which a deployed API never has"
NEEDS_SECOND_IDENTITY = "needs a second identity: set API_URL_SECOND_PROFILE to an AWS profile with access to the API"
PROBLEM_FIELDS = {"type", "title", "status", "detail", "requestId"}


@contextlib.contextmanager
def _callers_own_aws_environ(original: dict[str, str]) -> Iterator[None]:
    """The AWS_* variables pytest was started with (tests/conftest.py replaces them with fakes)."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}
    for name in saved:
        del os.environ[name]
    os.environ.update(original)
    try:
        yield
    finally:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            del os.environ[name]
        os.environ.update(saved)


def _credentials(original: dict[str, str], profile: str | None = None) -> Any:
    import botocore.session

    with _callers_own_aws_environ(original):
        credentials = botocore.session.Session(profile=profile).get_credentials()
    if credentials is None:
        raise pytest.UsageError("API_URL is set but no AWS credentials were found to sign requests with")
    return credentials


def _region(url: str, original: dict[str, str]) -> str:
    found = re.search(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com", url)
    if found:
        return found.group(1)
    return original.get("AWS_REGION") or original.get("AWS_DEFAULT_REGION") or "us-east-1"


@dataclass
class Target:
    base_url: str
    deployed: bool
    region: str
    http: requests.Session
    credentials: Any = None
    second_credentials: Any = None

    def require_local(self) -> None:
        if self.deployed:
            pytest.skip(NEEDS_CONTROL)


class Client:
    """One caller. Locally the caller is named with X-Local-Caller; deployed, it is whoever signs."""

    def __init__(self, target: Target, *, caller: str | None = None, credentials: Any = None) -> None:
        self.target = target
        self.caller = caller or f"e2e-{uuid.uuid4().hex[:10]}"
        self.credentials = credentials

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        url = self.target.base_url.rstrip("/") + path
        body: bytes | None = data.encode() if isinstance(data, str) else data
        all_headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
        if body is not None:
            all_headers.setdefault("Content-Type", "application/json")
        if not self.target.deployed:
            all_headers.setdefault("X-Local-Caller", self.caller)
        for attempt in range(5):
            response = self.target.http.request(
                method, url, data=body, headers=self._signed(method, url, body, all_headers), timeout=60
            )
            # Deployed, the stage's own throttle applies to the suite too: wait as told, a few times.
            if not (self.target.deployed and response.status_code == 429 and attempt < 4):
                return response
            time.sleep(float(response.headers.get("Retry-After") or 1))
        return response

    def _signed(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> dict[str, str]:
        if self.credentials is None:
            return headers
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        aws_request = AWSRequest(method=method, url=url, data=body or b"", headers=headers)
        SigV4Auth(self.credentials, "execute-api", self.target.region).add_auth(aws_request)
        return dict(aws_request.headers.items())

    def create(self, body: Any = None, *, idempotency_key: str | None = None) -> requests.Response:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.request("POST", "/sessions", json_body=body, headers=headers)

    def new_session(self, body: Any = None) -> str:
        response = self.create(body)
        assert response.status_code == 201, response.text
        return str(response.json()["sessionId"])

    def results(self, session_id: str) -> requests.Response:
        return self.request("GET", f"/sessions/{session_id}/results")

    def consume(self, session_id: str) -> requests.Response:
        return self.request("POST", f"/sessions/{session_id}/consume")

    def erase(self, session_id: str) -> requests.Response:
        return self.request("DELETE", f"/sessions/{session_id}")

    def control(self, path: str, payload: Any = None) -> requests.Response:
        self.target.require_local()
        return self.request("POST", f"/_local{path}", json_body=payload)


def assert_problem(response: requests.Response, status: int, slug: str | None = None) -> dict[str, Any]:
    """A problem+json error with every required field, its status equal to the HTTP one, and no traceback."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith(PROBLEM_CONTENT_TYPE), response.headers
    assert "Traceback" not in response.text
    assert 'File "' not in response.text
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_FIELDS, body
    assert body["status"] == status
    assert body["type"].startswith("urn:face-liveness-api:problem:")
    assert body["title"]
    assert body["detail"]
    assert body["requestId"]
    if slug is not None:
        assert body["type"] == f"urn:face-liveness-api:problem:{slug}", body
    return body


@contextlib.contextmanager
def local_target(log_path: Path, http: requests.Session, *context: str) -> Iterator[Target]:
    """A local server (with `-c KEY=VALUE` overrides in `context`) for the time of the block, as a Target."""
    arguments = ("--throttle-rate", E2E_THROTTLE[0], "--throttle-burst", E2E_THROTTLE[1])
    overrides = tuple(argument for knob in context for argument in ("-c", knob))
    try:
        with local_server(log_path, *arguments, *overrides) as (base_url,):
            yield Target(base_url, deployed=False, region=load_cdk_json_config().region, http=http)
    finally:
        http.close()


@contextlib.contextmanager
def local_server(
    log_path: Path,
    *arguments: str,
    ready: tuple[str, ...] = (r"listening on (http://\S+)",),
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, ...]]:
    """`python -m liveness_local --port 0 *arguments` for the time of the block, its output in `log_path`. Yields
    the first group of each `ready` pattern, once the output has matched them all; stops the server after."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "liveness_local", "--port", "0", *arguments],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        try:
            yield _wait_until_ready(process, log_path, ready)
        finally:
            stop_local_server(process)


def _wait_until_ready(process: subprocess.Popen[bytes], log_path: Path, ready: tuple[str, ...]) -> tuple[str, ...]:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        output = log_path.read_text(errors="replace")
        found = [re.search(pattern, output) for pattern in ready]
        if all(found):
            return tuple(match.group(1) for match in found if match)
        time.sleep(0.05)
    raise RuntimeError(f"the local server did not start:\n{log_path.read_text(errors='replace')[-4000:]}")


def stop_local_server(process: subprocess.Popen[bytes]) -> None:
    """Stop a local server the way Ctrl-C would, and wait for it; kill it if it does not stop in 10 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def target(tmp_path_factory: pytest.TempPathFactory, original_aws_environ: dict[str, str]) -> Iterator[Target]:
    http = requests.Session()
    api_url = os.environ.get("API_URL")
    if api_url:
        second = os.environ.get("API_URL_SECOND_PROFILE")
        yield Target(
            api_url,
            deployed=True,
            region=_region(api_url, original_aws_environ),
            http=http,
            credentials=_credentials(original_aws_environ),
            second_credentials=_credentials(original_aws_environ, second) if second else None,
        )
        return
    with local_target(tmp_path_factory.mktemp("local-server") / "server.log", http) as local:
        yield local


@pytest.fixture
def client(target: Target) -> Client:
    return Client(target, credentials=target.credentials)


@pytest.fixture
def other_client(target: Target) -> Client:
    """A second identity: another X-Local-Caller locally; deployed, the API_URL_SECOND_PROFILE credentials."""
    if target.deployed and target.second_credentials is None:
        pytest.skip(NEEDS_SECOND_IDENTITY)
    return Client(target, credentials=target.second_credentials)
