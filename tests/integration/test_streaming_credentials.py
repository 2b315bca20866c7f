"""Streaming credentials for apps with their own sign-in, through the real handler on moto's STS: where the stack
hands them out, each create answers credentials assumed from the streaming role with the one-action session policy
and STS's shortest duration; nowhere else does a create carry any, and no log line or metric ever does."""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from liveness_api.adapters.streaming_credentials import SESSION_POLICY, SHORTEST_DURATION_SECONDS
from liveness_local.backend import LocalBackend, LocalFunction
from liveness_local.events import CallerIdentity
from tests.integration.conftest import Api, emitted_metrics


@pytest.fixture(scope="module")
def streaming(backend: LocalBackend) -> LocalFunction:
    """The function deployed with `streamingCredentials=true`: the stack names its streaming role."""
    return backend.deploy(
        backend.settings.model_copy(update={"streaming_role_arn": backend.resources.streaming_role_arn})
    )


@pytest.fixture
def assume_role_calls(streaming: LocalFunction) -> Iterator[list[dict[str, Any]]]:
    """The parameters of every AssumeRole the function's own STS client makes during the test."""
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    events = streaming.client("sts").meta.events
    events.register("provide-client-params.sts.AssumeRole", record)
    yield calls
    events.unregister("provide-client-params.sts.AssumeRole", record)


def caller(function: LocalFunction) -> Api:
    return Api(function, CallerIdentity.iam(f"app-backend-{uuid.uuid4().hex[:8]}"))


def test_a_create_answers_credentials_assumed_from_the_streaming_role(
    backend: LocalBackend, streaming: LocalFunction, emulator: Any, assume_role_calls: list[dict[str, Any]]
) -> None:
    before = datetime.now(UTC)
    created = caller(streaming).create()

    assert created.status == 201
    credentials = created.body["streamingCredentials"]
    session_id = created.body["sessionId"]
    [call] = assume_role_calls
    assert call["RoleArn"] == backend.resources.streaming_role_arn
    assert call["DurationSeconds"] == SHORTEST_DURATION_SECONDS == 900
    assert call["Policy"] == SESSION_POLICY
    [statement] = json.loads(call["Policy"])["Statement"]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "rekognition:StartFaceLivenessSession")
    assert call["RoleSessionName"] == f"liveness-{session_id}"
    expires = datetime.fromisoformat(credentials["expiration"])
    assert expires - before == pytest.approx(timedelta(seconds=900), abs=timedelta(seconds=5))
    # STS itself knows these keys as the streaming role's session for this Face Liveness session.
    as_issued = boto3.client(
        "sts",
        region_name=backend.config.region,
        aws_access_key_id=credentials["accessKeyId"],
        aws_secret_access_key=credentials["secretAccessKey"],
        aws_session_token=credentials["sessionToken"],
    )
    role_name = backend.resources.streaming_role_arn.rpartition("/")[2]
    assert as_issued.get_caller_identity()["Arn"].endswith(f":assumed-role/{role_name}/liveness-{session_id}")


def test_a_replayed_create_answers_fresh_credentials_for_the_same_session(
    streaming: LocalFunction, emulator: Any, assume_role_calls: list[dict[str, Any]]
) -> None:
    api = caller(streaming)
    first = api.create(headers={"Idempotency-Key": "retry-after-a-lost-answer"})
    second = api.create(headers={"Idempotency-Key": "retry-after-a-lost-answer"})

    assert first.body["sessionId"] == second.body["sessionId"]
    assert second.body["streamingCredentials"]["accessKeyId"] != first.body["streamingCredentials"]["accessKeyId"]
    assert len(assume_role_calls) == 2


def test_without_the_knob_a_create_carries_no_credentials_and_makes_no_sts_call(
    backend: LocalBackend, emulator: Any
) -> None:
    assert not backend.settings.streaming_role_arn
    created = caller(backend.function).create()

    assert created.status == 201
    assert "streamingCredentials" not in created.body


def test_the_credentials_never_reach_a_log_line_or_a_metric(
    streaming: LocalFunction, emulator: Any, capfd: pytest.CaptureFixture[str], log_output: Any
) -> None:
    capfd.readouterr()
    credentials = caller(streaming).create().body["streamingCredentials"]

    printed = capfd.readouterr()
    assert emitted_metrics(printed.out)  # the metrics were captured, and hold no credential
    for secret in (credentials["accessKeyId"], credentials["secretAccessKey"], credentials["sessionToken"]):
        assert secret not in printed.out + printed.err
        assert secret not in log_output.getvalue()


def test_an_sts_failure_is_a_503_to_retry_with_the_same_key(
    streaming: LocalFunction, emulator: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    from botocore.exceptions import ClientError

    def throttle(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "AssumeRole")

    events = streaming.client("sts").meta.events
    events.register("before-call.sts.AssumeRole", throttle)
    api = caller(streaming)
    capfd.readouterr()
    try:
        refused = api.create(headers={"Idempotency-Key": "sts-busy"})
    finally:
        events.unregister("before-call.sts.AssumeRole", throttle)
    failed = [m for m in emitted_metrics(capfd.readouterr().out) if m.name == "StreamingCredentialsFailed"]
    retried = api.create(headers={"Idempotency-Key": "sts-busy"})

    assert refused.status == 503
    assert refused.headers["Retry-After"] == "1"
    assert len(failed) == 1
    assert retried.status == 201
    assert retried.body["streamingCredentials"]["accessKeyId"]
