"""POST /sessions through the real handler, boto3 client and emulator: every branch of the error table."""

import re
from datetime import datetime, timedelta

import pytest
from botocore.exceptions import ReadTimeoutError

from liveness_api.vocabulary import LivenessOperation
from liveness_local.emulated_session import RecordedCall
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.events import api_gateway_event
from liveness_local.faults import DependencyFaults
from tests.integration.conftest import Api, emitted_metrics, log_records

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def create_calls(emulator: FaceLivenessEmulator) -> list[RecordedCall]:
    return [call for call in emulator.calls if call.operation == LivenessOperation.CREATE_SESSION]


def test_creates_a_session_in_the_stacks_bucket_and_key(api: Api, emulator, backend) -> None:
    response = api.create()

    assert response.status == 201
    assert UUID.match(response.body["sessionId"])
    assert response.body["region"] == "us-east-1"
    expires_at = datetime.fromisoformat(response.body["expiresAt"])
    assert expires_at.utcoffset() == timedelta(0)
    created_at = emulator.session(response.body["sessionId"]).created_at
    assert expires_at - created_at == pytest.approx(timedelta(minutes=3), abs=timedelta(seconds=2))
    [call] = create_calls(emulator)
    assert call.params["Settings"]["OutputConfig"] == {
        "S3Bucket": backend.resources.bucket,
        "S3KeyPrefix": backend.config.image_key_prefix,
    }
    assert call.params["KmsKeyId"] == backend.resources.key_arn
    assert call.params["Settings"]["AuditImagesLimit"] == 0
    assert "ChallengePreferences" not in call.params["Settings"]
    assert re.fullmatch(r"[a-f0-9]{64}", call.params["ClientRequestToken"])


def test_passes_audit_images_and_challenge_preferences_in_rekognitions_shape(api: Api, emulator) -> None:
    response = api.create(
        {
            "auditImagesLimit": 3,
            "challengePreferences": [
                {"type": "FaceMovementChallenge", "versions": {"minimum": "1.0.0", "maximum": "2.10.0"}},
                {"type": "FaceMovementAndLightChallenge"},
            ],
        }
    )

    assert response.status == 201
    [call] = create_calls(emulator)
    assert call.params["Settings"]["AuditImagesLimit"] == 3
    assert call.params["Settings"]["ChallengePreferences"] == [
        {"Type": "FaceMovementChallenge", "Versions": {"Minimum": "1.0.0", "Maximum": "2.10.0"}},
        {"Type": "FaceMovementAndLightChallenge"},
    ]


@pytest.mark.parametrize("raw", [None, "", "{}", "null"])
def test_an_absent_or_empty_body_means_defaults(api: Api, raw) -> None:
    assert api.call("POST", "/sessions", raw=raw).status == 201


def test_malformed_json_is_400_problem(api: Api, emulator) -> None:
    response = api.call("POST", "/sessions", raw='{"auditImagesLimit": ')

    assert response.status == 400
    assert response.problem["type"].endswith("malformed-json")
    assert not create_calls(emulator)


@pytest.mark.parametrize(
    ("body", "headers", "field"),
    [
        ({"auditImagesLimit": 5}, {}, "auditImagesLimit"),
        ({"auditImagesLimit": -1}, {}, "auditImagesLimit"),
        ({"auditImagesLimit": "two"}, {}, "auditImagesLimit"),
        ({"unknown": True}, {}, "unknown"),
        ({"challengePreferences": [{"type": "Smile"}]}, {}, "challengePreferences.0.type"),
        (
            {"challengePreferences": [{"type": "FaceMovementChallenge", "versions": {"minimum": "01.0.0"}}]},
            {},
            "challengePreferences.0.versions.minimum",
        ),
        (
            {
                "challengePreferences": [
                    {"type": "FaceMovementChallenge", "versions": {"minimum": "2.0.0", "maximum": "1.0.0"}}
                ]
            },
            {},
            "challengePreferences.0.versions",
        ),
        ({"challengePreferences": []}, {}, "challengePreferences"),
        ([1, 2], {}, "body"),
        (None, {"Idempotency-Key": "has spaces"}, "Idempotency-Key"),
        (None, {"Idempotency-Key": "k" * 65}, "Idempotency-Key"),
    ],
)
def test_schema_violations_are_422_with_field_errors(api: Api, emulator, body, headers, field) -> None:
    response = api.create(body, headers=headers)

    assert response.status == 422
    problem = response.problem
    assert problem["type"].endswith("validation-error")
    assert any(error["field"].lower() == field.lower() for error in problem["errors"]), problem["errors"]
    assert not create_calls(emulator)


def test_audit_images_above_the_deployments_maximum_is_422(api: Api, backend, emulator) -> None:
    deployed = backend.deploy(backend.settings.model_copy(update={"max_audit_images_limit": 2}))

    response = Api(deployed, api.identity).create({"auditImagesLimit": 3})

    assert response.status == 422
    assert response.problem["errors"] == [
        {"field": "auditImagesLimit", "message": "must be at most 2 in this deployment"}
    ]
    assert not create_calls(emulator)


def test_idempotency_key_returns_the_same_session(api: Api) -> None:
    first = api.create(headers={"Idempotency-Key": "order-42_retry"})
    second = api.create(headers={"Idempotency-Key": "order-42_retry"})

    assert first.status == second.status == 201
    assert first.body == second.body


def test_a_replayed_create_is_counted_and_logged_as_a_replay_not_a_session(api: Api, capfd, log_output) -> None:
    capfd.readouterr()
    first = api.create(headers={"Idempotency-Key": "order-43"})
    created = capfd.readouterr().out
    created_log = log_output.getvalue()
    replayed = api.create(headers={"Idempotency-Key": "order-43"})

    assert replayed.body["sessionId"] == first.body["sessionId"]
    counts = [
        [m.name for m in emitted_metrics(out) if m.name.startswith("SessionCreate")]
        for out in (created, capfd.readouterr().out)
    ]
    assert counts == [["SessionCreated"], ["SessionCreateReplayed"]]
    messages = [
        [r["message"] for r in log_records(log) if r["message"].startswith("Session create")]
        for log in (created_log, log_output.getvalue()[len(created_log) :])
    ]
    assert messages == [["Session created"], ["Session create replayed"]]


def test_idempotency_keys_are_scoped_to_the_caller(api: Api, other_api: Api) -> None:
    mine = api.create(headers={"Idempotency-Key": "shared-key"})
    theirs = other_api.create(headers={"Idempotency-Key": "shared-key"})

    assert mine.body["sessionId"] != theirs.body["sessionId"]


def test_without_a_key_each_request_is_a_new_session(api: Api) -> None:
    assert api.create().body["sessionId"] != api.create().body["sessionId"]


def test_a_retried_throttle_reuses_the_same_token(api: Api, faults: DependencyFaults, emulator) -> None:
    faults.inject("rekognition", None, "ThrottlingException", times=2)

    response = api.create()

    assert response.status == 201
    attempts = create_calls(emulator)
    assert len(attempts) == 3
    assert len({call.params["ClientRequestToken"] for call in attempts}) == 1


@pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException"])
def test_throttling_that_outlasts_retries_is_429_with_retry_after(
    api: Api, faults: DependencyFaults, emulator, capfd, code
) -> None:
    faults.inject("rekognition", None, code, times=10)

    response = api.create()

    assert response.status == 429
    assert response.problem["type"].endswith("throttled")
    assert int(response.headers["Retry-After"]) >= 1
    failed = [m for m in emitted_metrics(capfd.readouterr().out) if m.name == "SessionCreateFailed"]
    assert [m.dimensions["ErrorType"] for m in failed] == ["Throttled"]


def test_access_denied_is_500_and_logs_the_hint(api: Api, faults: DependencyFaults, emulator, log_output) -> None:
    faults.inject("rekognition", None, "AccessDeniedException", times=1)

    response = api.create()

    assert response.status == 500
    assert "AccessDenied" not in str(response.body)
    logs = log_records(log_output.getvalue())
    assert any("is Face Liveness available in this region and is the role allowed?" in r["message"] for r in logs)


def test_internal_server_error_that_outlasts_retries_is_503(api: Api, faults: DependencyFaults, emulator) -> None:
    faults.inject("rekognition", None, "InternalServerError", times=10)

    response = api.create()

    assert response.status == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert len(create_calls(emulator)) == 3


def test_timeouts_that_outlast_retries_are_503(api: Api, backend) -> None:
    events = backend.function.client("rekognition").meta.events
    attempts = []

    def time_out(request, **_):
        attempts.append(request)
        raise ReadTimeoutError(endpoint_url=request.url)

    events.register_first("before-send.rekognition", time_out, unique_id="test-timeout")
    try:
        response = api.create()
    finally:
        events.unregister("before-send.rekognition", unique_id="test-timeout")

    assert response.status == 503
    assert len(attempts) == 3


def test_anything_unexpected_is_500_without_internals(api: Api, backend, log_output) -> None:
    def explode(**_):
        raise RuntimeError("secret internal detail")

    # Storing the new session fails in a way no AWS error looks like: a bug, not a dependency's failure.
    events = backend.function.client("dynamodb").meta.events
    events.register_first("before-send.dynamodb.PutItem", explode, unique_id="test-explode")
    try:
        response = api.create()
    finally:
        events.unregister("before-send.dynamodb.PutItem", unique_id="test-explode")

    assert response.status == 500
    text = str(response.body)
    assert "secret internal detail" not in text
    assert "Traceback" not in text
    assert response.problem["requestId"]
    assert "secret internal detail" in log_output.getvalue()  # operators still see it in the logs


def test_success_emits_session_created_and_rekognition_latency(api: Api, capfd) -> None:
    capfd.readouterr()
    api.create()

    metrics = emitted_metrics(capfd.readouterr().out)
    names = {m.name for m in metrics}
    assert {"SessionCreated", "RekognitionLatency"} <= names
    [latency] = [m for m in metrics if m.name == "RekognitionLatency"]
    assert latency.dimensions == {"service": "face-liveness-api", "Operation": "CreateFaceLivenessSession"}
    assert latency.value >= 0


def test_no_identity_is_403(backend, emulator) -> None:
    from liveness_local.events import CallerIdentity

    api = Api(backend, CallerIdentity(user_arn=None))
    response = api.create()

    assert response.status == 403
    assert response.problem["type"].endswith("caller-identity-missing")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "text/plain; charset=utf-8",
        "application/ld+json",
        "Application/JSON",
    ],
)
def test_a_body_that_is_not_json_is_415_before_anything_else(api: Api, emulator, content_type) -> None:
    # curl -d sends form encoding by default: a JSON-looking form body must not be read as form fields.
    response = api.create(raw='{"auditImagesLimit": 2}', headers={"Content-Type": content_type})

    assert response.status == 415
    assert response.problem["type"].endswith("unsupported-media-type")
    assert not create_calls(emulator)


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_json_with_or_without_parameters_is_accepted(api: Api, content_type) -> None:
    assert api.create(raw="{}", headers={"Content-Type": content_type}).status == 201


def test_a_body_that_is_not_utf8_is_400(backend, api: Api) -> None:
    event = api_gateway_event(
        "POST", "/sessions", body=b"\xff\xfe{", headers={"Content-Type": "application/json"}, identity=api.identity
    )

    response = backend.invoke(event)

    assert response["statusCode"] == 400
    assert "malformed-json" in response["body"]


def test_log_lines_carry_the_request_id_as_correlation_id(api: Api, emulator, log_output) -> None:
    event = api.event("POST", "/sessions", "{}")

    response = api.function.invoke(event)

    assert response["statusCode"] == 201
    (created,) = [r for r in log_records(log_output.getvalue()) if r["message"] == "Session created"]
    assert created["correlation_id"] == event["requestContext"]["requestId"]
