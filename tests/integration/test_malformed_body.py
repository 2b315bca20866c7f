"""Bodies that cannot be read, through the real handler: each is a 400 malformed-json with one WARNING line and no
ERROR or traceback (nothing for the 5xx alarms to count), the body never in the log, and nothing created."""

import io
import json
import uuid
from typing import Any

import pytest

from liveness_api.contract import IDEMPOTENCY_HEADER
from liveness_api.identity import CallerMode
from liveness_api.json_body import MAX_DEPTH, Refusal
from liveness_api.vocabulary import LivenessOperation
from liveness_local.backend import LocalBackend, LocalFunction
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.events import CallerIdentity, api_gateway_event
from tests.integration.conftest import Api, ApiResponse, log_records

# In every body, so a test can tell whether the body reached the log.
MARKER = "Jane-Doe-1970"


def deep(opening: str, closing: str, depth: int) -> str:
    return opening * depth + "0" + closing * depth


def assert_refused_quietly(response: ApiResponse, output: str, emulator: FaceLivenessEmulator) -> list[dict[str, Any]]:
    """The request was answered 400 malformed-json and logged as one WARNING; returns the log's records."""
    assert response.status == 400
    problem = response.problem
    assert problem["type"] == "urn:face-liveness-api:problem:malformed-json"
    assert problem["title"] == "Malformed JSON"
    records = log_records(output)
    [warning] = [record for record in records if record["level"] == "WARNING"]
    assert warning["message"] == "Malformed request body"
    assert warning["reason"] in problem["detail"]
    assert not [record for record in records if record["level"] in {"ERROR", "CRITICAL"} or "exception" in record]
    assert "Traceback" not in output
    assert MARKER not in output
    assert not [call for call in emulator.calls if call.operation == LivenessOperation.CREATE_SESSION]
    return records


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        pytest.param(f'{{"{MARKER}": 1, "auditImagesLimit": ' + "9" * 5000 + "}", Refusal.OUT_OF_RANGE, id="huge-int"),
        pytest.param(f'{{"{MARKER}": 1, "auditImagesLimit": -' + "9" * 400 + "}", Refusal.OUT_OF_RANGE, id="long-int"),
        pytest.param(f'{{"{MARKER}": 1, "auditImagesLimit": 1e400}}', Refusal.OUT_OF_RANGE, id="huge-exponent"),
        pytest.param(f'{{"{MARKER}": 1, "auditImagesLimit": 2E-99999}}', Refusal.OUT_OF_RANGE, id="tiny-exponent"),
        pytest.param(
            f'{{"{MARKER}": 1, "auditImagesLimit": 1' + "0" * 5000 + ".5}", Refusal.OUT_OF_RANGE, id="huge-float"
        ),
        pytest.param(f'{{"{MARKER}": NaN}}', Refusal.NOT_A_NUMBER, id="nan"),
        pytest.param(f'{{"{MARKER}": 1, "auditImagesLimit": Infinity}}', Refusal.NOT_A_NUMBER, id="infinity"),
        pytest.param(f'[-Infinity, "{MARKER}"]', Refusal.NOT_A_NUMBER, id="minus-infinity"),
        pytest.param(f'["{MARKER}", ' + deep("[", "]", 100_000) + "]", Refusal.TOO_DEEP, id="deep-arrays"),
        pytest.param(f'{{"{MARKER}": ' + deep('{"a":', "}", 100_000) + "}", Refusal.TOO_DEEP, id="deep-objects"),
        pytest.param(
            f'{{"{MARKER}": 1, "challengePreferences": ' + deep("[", "]", MAX_DEPTH) + "}",
            Refusal.TOO_DEEP,
            id="past-the-depth-limit",
        ),
        pytest.param(
            f'{{"{MARKER}": 1, "auditImagesLimit": 1, "auditImagesLimit": 2}}', Refusal.DUPLICATE_NAME, id="duplicate"
        ),
        pytest.param(f'{{"{MARKER}": "\\ud800"}}', Refusal.LONE_SURROGATE, id="escaped-lone-surrogate"),
        pytest.param(f'{{"{MARKER}\udc00": 1}}', Refusal.LONE_SURROGATE, id="raw-lone-surrogate"),
        pytest.param(
            f'{{"{MARKER}": 1, "challengePreferences": [{{"type": "\\udbff"}}]}}',
            Refusal.LONE_SURROGATE,
            id="surrogate-in-a-field",
        ),
    ],
)
def test_a_body_json_cannot_hold_is_a_quiet_400(
    api: Api, emulator: FaceLivenessEmulator, log_output: io.StringIO, body: str, refusal: Refusal
) -> None:
    response = api.create(raw=body)

    [warning] = [
        r for r in assert_refused_quietly(response, log_output.getvalue(), emulator) if r["level"] == "WARNING"
    ]
    assert warning["reason"] == refusal


@pytest.mark.parametrize(
    "body", [f'{{"{MARKER}": ', f'{{"{MARKER}": 1,}}', f"{{'{MARKER}': 1}}", f'"{MARKER}" 1', f'["{MARKER}\\x"]']
)
def test_a_syntax_error_is_a_quiet_400(
    api: Api, emulator: FaceLivenessEmulator, log_output: io.StringIO, body: str
) -> None:
    assert_refused_quietly(api.create(raw=body), log_output.getvalue(), emulator)


def test_a_body_that_is_not_utf8_is_a_quiet_400(
    api: Api, emulator: FaceLivenessEmulator, log_output: io.StringIO
) -> None:
    body = b'{"' + MARKER.encode() + b'": "\xff\xfe"}'
    event = api_gateway_event(
        "POST", "/sessions", body=body, headers={"Content-Type": "application/json"}, identity=api.identity
    )
    assert event["isBase64Encoded"]

    response = api.function.invoke(event)

    headers = {name: values[-1] for name, values in response["multiValueHeaders"].items()}
    answered = ApiResponse(response["statusCode"], headers, json.loads(response["body"]))
    records = assert_refused_quietly(answered, log_output.getvalue(), emulator)
    assert [r["reason"] for r in records if r["level"] == "WARNING"] == [Refusal.NOT_UTF8]


def test_a_readable_body_logs_no_warning(api: Api, log_output: io.StringIO) -> None:
    response = api.create(raw='{"auditImagesLimit": 1e0, "challengePreferences": [{"type": "FaceMovementChallenge"}]}')

    assert response.status == 201
    assert not [r for r in log_records(log_output.getvalue()) if r["level"] != "INFO"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/sessions/{id}/results"), ("DELETE", "/sessions/{id}")],
)
def test_routes_without_a_body_never_read_one(api: Api, log_output: io.StringIO, method: str, path: str) -> None:
    created = api.create().body["sessionId"]

    response = api.call(method, path.format(id=created), raw="[" * 100_000 + "1e400")

    assert response.status < 300
    assert not [r for r in log_records(log_output.getvalue()) if r["level"] != "INFO"]


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        # The resolver reads the last spelling of a header name; the handler used to check only the first.
        pytest.param({"Content-Type": "application/json", "content-type": "text/plain"}, "{}", id="two-spellings"),
        pytest.param(
            {"Content-Type": "application/json", "content-type": "application/x-www-form-urlencoded"},
            "auditImagesLimit=3",
            id="json-then-form",
        ),
        # No body to refuse, but a type the resolver cannot read even so.
        pytest.param({"Content-Type": "text/plain"}, None, id="no-body"),
    ],
)
def test_a_content_type_the_resolver_cannot_read_is_415(
    api: Api, emulator: FaceLivenessEmulator, log_output: io.StringIO, headers: dict[str, str], body: str | None
) -> None:
    response = api.function.invoke(
        api_gateway_event("POST", "/sessions", body=body, headers=headers, identity=api.identity)
    )

    assert response["statusCode"] == 415
    assert "unsupported-media-type" in response["body"]
    assert not [r for r in log_records(log_output.getvalue()) if r["level"] in {"ERROR", "CRITICAL"}]
    assert not emulator.calls


@pytest.mark.parametrize(
    "key",
    ["\ud800", "é" * 10, "k" * 100_000, "a\x00b", "\N{GRINNING FACE}", ["one", "two"]],
)
def test_an_idempotency_key_that_breaks_its_pattern_is_422(api: Api, emulator: FaceLivenessEmulator, key: Any) -> None:
    response = api.create(headers={IDEMPOTENCY_HEADER: key})

    assert response.status == 422
    assert [error["field"] for error in response.problem["errors"]] == [IDEMPOTENCY_HEADER.lower()]
    assert not emulator.calls


ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def browser_function(backend: LocalBackend) -> LocalFunction:
    """A COGNITO deployment, whose answers reach browsers at ORIGIN."""
    update = {"caller_mode": CallerMode.USER_POOL, "cors_allowed_origins": (ORIGIN,)}
    return backend.deploy(backend.settings.model_copy(update=update))


@pytest.mark.parametrize("origin", [ORIGIN, "https://elsewhere.example"])
def test_the_415_carries_the_cors_headers_every_other_answer_does(
    browser_function: LocalFunction, emulator: FaceLivenessEmulator, origin: str
) -> None:
    browser = Api(browser_function, CallerIdentity.user_pool(f"ann-{uuid.uuid4().hex[:8]}"))
    headers = {"Origin": origin}

    refused = browser.create(raw="auditImagesLimit=1", headers={**headers, "Content-Type": "text/plain"})
    invalid = browser.create({"auditImagesLimit": -1}, headers=headers)

    assert (refused.status, invalid.status) == (415, 422)
    cors = {name: value for name, value in invalid.headers.items() if name.startswith("Access-Control-")}
    # Only an allowed origin is answered with CORS headers, by either path.
    assert bool(cors) is (origin == ORIGIN)
    assert {name: refused.headers[name] for name in cors} == cors
    assert not [name for name in refused.headers if name.startswith("Access-Control-") and name not in cors]
