"""The fault matrix: every AWS call the handler makes x every way its dependency fails beyond botocore's retries.

For each case: the status, Retry-After, the metric and the log line of the failed request; then, once the
dependency has recovered, the same request again, and the ledger and S3 state it leaves: nothing lost, nothing
doubled. Faults are injected at botocore's before-send (liveness_local.faults), so botocore's retries run; its
backoff sleeps are skipped.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import botocore.endpoint
import pytest

from liveness_api.feedback import CLIENT_SDK_FIELD
from liveness_api.identity import CallerMode, resolve_caller
from liveness_api.vocabulary import LivenessOperation, Verdict
from liveness_local.emulated_session import SUCCESS
from liveness_local.faults import Fault
from liveness_local.vocabulary import EMULATED_SDK_TYPE
from tests.integration.conftest import Api, emitted_metrics, log_records

FAULTS = (Fault.THROTTLED, Fault.UNAVAILABLE, Fault.ACCESS_DENIED, Fault.TIMEOUT)
MAX_ATTEMPTS = 3  # every client's default in cdk.json
KEY = "retry-me-1"


@dataclass(frozen=True)
class Call:
    """One AWS call of one route: which request makes it, and how to pick it among the request's calls."""

    route: str  # create, results (of a LIVE or a NOT_LIVE check) or erase
    service: str
    operation: str
    body_contains: str | None = None

    @property
    def id(self) -> str:
        marker = f"[{self.body_contains}]" if self.body_contains else ""
        return f"{self.route}-{self.service}-{self.operation}{marker}"


CALLS = (
    Call("create", "dynamodb", "UpdateItem", "ADD #count"),  # the per-caller count, which reads the cool-down
    Call("create", "dynamodb", "UpdateItem", "#slots.#held = if_not_exists"),  # the open-session slot
    Call("create", "rekognition", LivenessOperation.CREATE_SESSION),
    Call("create", "dynamodb", "PutItem"),  # the ledger write, after Rekognition created the session
    Call("results-live", "dynamodb", "UpdateItem", "ADD #count"),
    Call("results-live", "dynamodb", "GetItem"),
    Call("results-live", "rekognition", LivenessOperation.GET_RESULTS),
    Call("results-live", "dynamodb", "UpdateItem", "SET verdict"),
    Call("results-live", "dynamodb", "UpdateItem", "REMOVE #slots.#held"),  # decided: the slot is freed
    Call("results-live", "dynamodb", "UpdateItem", "SET counted"),
    Call("results-not-live", "dynamodb", "UpdateItem", "#failures.#session"),  # the abuse-limit count
    Call("results-not-live", "dynamodb", "UpdateItem", "SET counted"),
    Call("erase", "dynamodb", "UpdateItem", "ADD #count"),
    Call("erase", "dynamodb", "GetItem"),
    Call("erase", "s3", "ListObjectVersions"),
    Call("erase", "s3", "DeleteObjects"),
    Call("erase", "dynamodb", "DeleteItem"),
)


@dataclass(frozen=True)
class Expected:
    status: int
    retry_after: str | None
    metric: str
    dimensions: dict[str, str]
    level: str
    message: str


def expected(call: Call, fault: Fault) -> Expected:
    if call.service == "rekognition":
        error_type = {
            Fault.THROTTLED: "Throttled",
            Fault.UNAVAILABLE: "ServiceUnavailable",
            Fault.TIMEOUT: "ServiceUnavailable",
            Fault.ACCESS_DENIED: "AccessDenied",
        }[fault]
        status, retry_after = {
            Fault.THROTTLED: (429, "1"),
            Fault.UNAVAILABLE: (503, "5"),
            Fault.TIMEOUT: (503, "5"),
            Fault.ACCESS_DENIED: (500, None),
        }[fault]
        level, message = (
            ("ERROR", "AccessDenied from Rekognition") if fault is Fault.ACCESS_DENIED else ("WARNING", "Rekognition")
        )
        return Expected(status, retry_after, "RekognitionError", {"ErrorType": error_type}, level, message)
    dependency = {"dynamodb": "DynamoDB", "s3": "S3"}[call.service]
    resource = {"dynamodb": "DynamoDB session table", "s3": "S3 image bucket"}[call.service]
    error_type, status, retry_after = {
        Fault.THROTTLED: ("Throttled", 503, "1"),
        Fault.UNAVAILABLE: ("ServiceUnavailable", 503, "5"),
        Fault.TIMEOUT: ("Timeout", 503, "5"),
        Fault.ACCESS_DENIED: ("AccessDenied", 500, None),
    }[fault]
    level, message = (
        ("ERROR", f"is the function's role allowed this action on the {resource}?")
        if fault is Fault.ACCESS_DENIED
        else ("WARNING", f"{dependency} call failed after retries")
    )
    return Expected(
        status, retry_after, "DependencyError", {"Dependency": dependency, "ErrorType": error_type}, level, message
    )


@pytest.fixture
def faults(backend: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=lambda _seconds: None))
    backend.faults.reset()
    yield backend.faults
    assert backend.faults.pending == 0, "an injected fault was never reached: the call it names was not made"
    backend.faults.reset()


def owner_of(api: Api) -> str:
    return resolve_caller({"identity": {"userArn": api.identity.user_arn}}, CallerMode.IAM).owner


def session_item(backend: Any, session_id: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = backend.dynamodb.get_item(
        TableName=backend.resources.table, Key={"pk": {"S": f"SESSION#{session_id}"}}, ConsistentRead=True
    ).get("Item")
    return item


def caller_item(backend: Any, api: Api) -> dict[str, Any]:
    key = "CALLER#" + hashlib.sha256(owner_of(api).encode()).hexdigest()
    item: dict[str, Any] = backend.dynamodb.get_item(
        TableName=backend.resources.table, Key={"pk": {"S": key}}, ConsistentRead=True
    ).get("Item", {})
    return item


def image_versions(backend: Any, session_id: str) -> list[dict[str, Any]]:
    listed = backend.s3.list_object_versions(
        Bucket=backend.resources.bucket, Prefix=f"{backend.config.image_key_prefix}{session_id}/"
    )
    return list(listed.get("Versions", [])) + list(listed.get("DeleteMarkers", []))


def created_sessions(emulator: Any) -> list[str]:
    return [
        call.params.get("ClientRequestToken", "")
        for call in emulator.calls
        if call.operation == LivenessOperation.CREATE_SESSION and call.outcome == SUCCESS
    ]


@dataclass
class Scenario:
    """Sets up the state a route needs, sends its request, and checks the state after the repeat."""

    send: Callable[[], Any]
    after_recovery: Callable[[Any, Any], None]


def scenario(route: str, api: Api, emulator: Any, backend: Any) -> Scenario:
    if route == "create":

        def send_create() -> Any:
            return api.create({"auditImagesLimit": 1}, headers={"Idempotency-Key": KEY})

        def created_once(failed: Any, repeated: Any) -> None:
            assert repeated.status == 201, repeated.body
            session_id = repeated.body["sessionId"]
            # One Rekognition session for the key, however many times it was asked for, and it is the caller's.
            assert len(set(created_sessions(emulator))) == 1
            assert session_item(backend, session_id)["owner"]["S"] == owner_of(api)  # type: ignore[index]

        return Scenario(send_create, created_once)

    session_id = api.create({"auditImagesLimit": 1}).body["sessionId"]
    if route == "erase":
        emulator.complete(session_id, confidence=99.0)
        assert image_versions(backend, session_id)

        def erased(failed: Any, repeated: Any) -> None:
            assert repeated.status == 204, repeated.body
            assert image_versions(backend, session_id) == []
            assert session_item(backend, session_id) is None

        return Scenario(lambda: api.erase(session_id), erased)

    live = route == "results-live"
    emulator.complete(session_id, confidence=99.0 if live else 5.0)

    def recorded_and_counted_once(failed: Any, repeated: Any) -> None:
        assert repeated.status == 200, repeated.body
        assert repeated.body["decision"] == (Verdict.LIVE if live else Verdict.NOT_LIVE)
        item = session_item(backend, session_id)
        assert item is not None
        assert item["counted"] == {"BOOL": True}
        # The recorded document is the answer without what each read adds (the session's and the moment's), with
        # the client's SDK type that only operators read.
        per_read = {"createdAt", "stale", "consumed", "consumedAt"}
        answered = {k: v for k, v in repeated.body.items() if k not in per_read}
        assert json.loads(item["verdict"]["S"]) == {**answered, CLIENT_SDK_FIELD: EMULATED_SDK_TYPE}
        if not live:
            assert list(caller_item(backend, api)["failures"]["M"]) == [session_id]

    return Scenario(lambda: api.results(session_id), recorded_and_counted_once)


@pytest.mark.parametrize("fault", FAULTS, ids=[f.value for f in FAULTS])
@pytest.mark.parametrize("call", CALLS, ids=[c.id for c in CALLS])
def test_a_fault_is_answered_and_nothing_is_lost_or_doubled_after_recovery(
    call: Call,
    fault: Fault,
    api: Api,
    emulator: Any,
    backend: Any,
    faults: Any,
    log_output: io.StringIO,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # Given the state the request needs, and its call failing beyond botocore's retries
    current = scenario(call.route, api, emulator, backend)
    retried = fault is not Fault.ACCESS_DENIED
    faults.inject(call.service, call.operation, fault, MAX_ATTEMPTS if retried else 1, call.body_contains)
    capfd.readouterr()
    log_output.seek(0)
    log_output.truncate()

    # When the request is sent
    failed = current.send()

    # Then it is answered with the fault's status, Retry-After, metric and one log line
    want = expected(call, fault)
    assert failed.status == want.status, failed.body
    assert failed.problem["status"] == want.status
    assert failed.headers.get("Retry-After") == want.retry_after
    counted = [m for m in emitted_metrics(capfd.readouterr().out) if m.name == want.metric]
    assert [{k: v for k, v in m.dimensions.items() if k != "service"} for m in counted] == [want.dimensions]
    lines = [r for r in log_records(log_output.getvalue()) if r["level"] in ("WARNING", "ERROR")]
    assert [(r["level"], want.message in r["message"]) for r in lines] == [(want.level, True)], lines
    assert "Traceback" not in log_output.getvalue()
    if call.route == "create" and call.service == "dynamodb" and call.operation == "UpdateItem":
        assert created_sessions(emulator) == []  # refused before Rekognition: no session created

    # And when the dependency has recovered, the same request completes, with nothing lost and nothing doubled
    assert faults.pending == 0
    capfd.readouterr()
    repeated = current.send()
    metrics = emitted_metrics(capfd.readouterr().out)
    current.after_recovery(failed, repeated)
    if call.route.startswith("results"):
        # Counted once over both requests: the failed one never got as far as emitting it.
        completed = [m for m in metrics if m.name == "LivenessCheckCompleted"]
        assert len(completed) == 1, "the verdict is counted once, by the request that settled it"


def test_a_verdict_recorded_but_not_counted_is_counted_by_the_next_read_only(
    api: Api, emulator: Any, backend: Any, faults: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    session_id = api.create().body["sessionId"]
    emulator.complete(session_id, confidence=5.0)
    faults.inject("dynamodb", "UpdateItem", Fault.ACCESS_DENIED, 1, "SET counted")
    capfd.readouterr()
    assert api.results(session_id).status == 500

    reads = [api.results(session_id) for _ in range(3)]

    completed = [m for m in emitted_metrics(capfd.readouterr().out) if m.name == "LivenessCheckCompleted"]
    assert [r.status for r in reads] == [200, 200, 200]
    assert len(completed) == 1
    assert list(caller_item(backend, api)["failures"]["M"]) == [session_id]


def test_a_repeated_create_without_an_idempotency_key_is_a_new_session(api: Api, emulator: Any, faults: Any) -> None:
    # Without the header, the token derives from API Gateway's request id, which every retry changes: the README
    # says so, and tells clients to send Idempotency-Key.
    faults.inject("dynamodb", "PutItem", Fault.THROTTLED, MAX_ATTEMPTS)
    assert api.create().status == 503
    assert api.create().status == 201
    assert len(set(created_sessions(emulator))) == 2


def test_an_unknown_error_code_is_a_plain_500_counted_as_unexpected(
    api: Api, backend: Any, faults: Any, log_output: io.StringIO, capfd: pytest.CaptureFixture[str]
) -> None:
    faults.inject("s3", "ListObjectVersions", Fault.UNKNOWN, 1)
    session_id = api.create().body["sessionId"]
    capfd.readouterr()

    response = api.erase(session_id)

    assert response.status == 500
    assert "Retry-After" not in response.headers
    errors = [m for m in emitted_metrics(capfd.readouterr().out) if m.name == "DependencyError"]
    assert [m.dimensions["ErrorType"] for m in errors] == ["Unexpected"]
    assert session_item(backend, session_id) is not None  # nothing erased, so a repeat can finish


@pytest.mark.parametrize(
    ("service", "operation", "error_type"),
    [("dynamodb", "GetItem", "KmsKeyUnusable"), ("s3", "ListObjectVersions", "KmsKeyUnusable")],
)
def test_a_kms_key_the_dependency_cannot_use_names_the_key(
    api: Api,
    faults: Any,
    log_output: io.StringIO,
    capfd: pytest.CaptureFixture[str],
    service: str,
    operation: str,
    error_type: str,
) -> None:
    session_id = api.create().body["sessionId"]
    faults.inject(service, operation, Fault.KMS_KEY_UNUSABLE, 1)
    capfd.readouterr()

    response = api.erase(session_id)

    assert response.status == 500
    errors = [m for m in emitted_metrics(capfd.readouterr().out) if m.name == "DependencyError"]
    assert [m.dimensions["ErrorType"] for m in errors] == [error_type]
    assert "KMS key" in log_output.getvalue()


def test_a_request_out_of_time_answers_503_before_the_function_times_out(
    api: Api, backend: Any, emulator: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    from liveness_local.events import api_gateway_event

    # Less time left than one Rekognition attempt's connect plus read timeout (1 + 2 s), plus the answer reserve.
    event = api_gateway_event("POST", "/sessions", body="{}", headers={"Content-Type": "application/json"},
                              identity=api.identity)  # fmt: skip
    capfd.readouterr()

    response = backend.invoke(event, remaining_ms=3000)

    headers = {**response.get("headers", {}), **{k: v[-1] for k, v in response.get("multiValueHeaders", {}).items()}}
    assert response["statusCode"] == 503
    assert headers["Retry-After"] == "5"
    assert json.loads(response["body"])["type"].endswith(":deadline-exceeded")
    assert [m.name for m in emitted_metrics(capfd.readouterr().out) if m.name == "RequestDeadlineExceeded"] == [
        "RequestDeadlineExceeded"
    ]
    assert created_sessions(emulator) == []


def test_each_fault_answers_as_the_service_does(backend: Any, faults: Any) -> None:
    # The injected answers parse, through botocore, into the error codes the services document.
    from botocore.exceptions import ClientError, ReadTimeoutError

    table = backend.resources.table
    for fault, code in [
        (Fault.THROTTLED, "ProvisionedThroughputExceededException"),
        (Fault.MISSING, "ResourceNotFoundException"),
    ]:
        faults.inject("dynamodb", "GetItem", fault, MAX_ATTEMPTS)
        with pytest.raises(ClientError) as raised:
            backend.function.client("dynamodb").get_item(TableName=table, Key={"pk": {"S": str(uuid.uuid4())}})
        assert raised.value.response["Error"]["Code"] == code
        faults.reset()
    faults.inject("s3", "ListObjectVersions", Fault.TIMEOUT, MAX_ATTEMPTS)
    with pytest.raises(ReadTimeoutError):
        backend.function.client("s3").list_object_versions(Bucket=backend.resources.bucket)
