"""Schemathesis against the local server, from the committed openapi.json: whatever a client sends within (or just
outside) the documented schema, the API never answers 5xx, always answers as documented (status, content type,
body and headers), accepts what the document allows, rejects what it does not, and never leaks a traceback.

Every built-in check runs, on every operation and in the stateful phase, which follows the document's links from
`POST /sessions` to the routes that take its `sessionId` (so reads and erasures reach real sessions, and an erased
session must stay gone). What cannot apply locally is configured in `CONFIG`, each with its reason.

The local server runs with a generous throttle (see conftest): at the stage's 4 requests per second the local
gateway would answer most generated requests with 429, which would test the throttle instead of the API. Examples
are bounded and derandomized, so a run is fast and repeatable (in CI and everywhere else).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.e2e.conftest import Target

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 25
STATEFUL_SCENARIOS = 25
STATEFUL_STEPS = 6
REQUEST_TIMEOUT_SECONDS = 30

CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {
            # The local server has no SigV4: the caller is named by X-Local-Caller and any Authorization header is
            # ignored (deployed, API Gateway authorizes every route with IAM; tests/infrastructure asserts AWS_IAM
            # on every method). Generating the sigv4 scheme's `Authorization` header would only produce requests
            # "missing" or "mangling" it, which the local server rightly answers as if signed, so
            # negative_data_rejection and missing_required_header would flag the missing signature check. With it
            # off, both checks still run on everything else.
            "with-security-parameters": False,
        },
        "checks": {
            # Resends each successful request without and with invalid credentials and expects 401/403: again the
            # signature check that only API Gateway performs, so it cannot pass locally.
            "ignored_auth": {"enabled": False},
            # Locally every answer takes milliseconds; seconds means something hung.
            "max_response_time": 10,
        },
    }
)
schema = schemathesis.openapi.from_path(ROOT / "openapi.json", config=CONFIG)


def breaks_a_rule_json_schema_cannot_express(case: Any) -> bool:
    """A create body whose challenge version `minimum` is above its `maximum`: the document's schema allows it, but
    models.ChallengeVersions answers 422, as it must (tests/integration covers the rule). For such a body alone,
    positive_data_acceptance ("schema-valid data is accepted") cannot apply."""
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("challengePreferences"), list):
        return False
    for preference in body["challengePreferences"]:
        versions = preference.get("versions") if isinstance(preference, dict) else None
        if isinstance(versions, dict) and _reversed(versions.get("minimum"), versions.get("maximum")):
            return True
    return False


def _reversed(minimum: Any, maximum: Any) -> bool:
    try:
        return tuple(map(int, minimum.split("."))) > tuple(map(int, maximum.split(".")))
    except (AttributeError, ValueError):
        return False


def names_no_person(case: Any) -> bool:
    """A request about the caller's enrolled person without X-End-User: the local server runs in plain IAM mode,
    where a backend must name the person (422 naming the header), while the header stays optional in the document,
    which serves the modes that refuse it too."""
    if any(name.lower() == "x-end-user" for name in case.headers or {}):
        return False
    if case.path == "/enrolment":
        return True
    match = case.body.get("match") if isinstance(case.body, dict) else None
    return isinstance(match, dict) and match.get("against") == "ENROLLED_PERSON"


def _excluded_checks(case: Any) -> list[Any]:
    cannot_apply = breaks_a_rule_json_schema_cannot_express(case) or names_no_person(case)
    return [positive_data_acceptance] if cannot_apply else []


def no_traceback_in_body(ctx: Any, response: Any, case: Any) -> bool | None:
    """Stack traces go to the logs, never to the client."""
    text = response.text or ""
    if "Traceback" in text or 'File "' in text:
        raise AssertionError(f"the response body contains a traceback: {text[:500]}")
    return None


def _call_kwargs(target: Target) -> dict[str, Any]:
    """A new caller (X-Local-Caller) for each example and each stateful scenario: the per-caller limits
    (callerCreatesPerMinute, tests/integration) would otherwise answer 429 partway through a run, which would test
    the limiter instead of the API and make replays differ from the first run. A scenario keeps its caller, so it
    reads and erases the sessions it created."""
    return {
        "base_url": target.base_url,
        "session": target.http,
        "headers": {"X-Local-Caller": f"fuzz-{uuid.uuid4().hex[:12]}"},
        "timeout": REQUEST_TIMEOUT_SECONDS,
    }


def _require_local(target: Target) -> None:
    if target.deployed:
        pytest.skip("fuzzes the local server only: a deployed API would need every generated request signed")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_openapi_document(case: Any, target: Target) -> None:
    _require_local(target)
    # No `checks=`: every enabled built-in check (all of them but those CONFIG turns off), plus ours.
    case.call_and_validate(
        **_call_kwargs(target), additional_checks=[no_traceback_in_body], excluded_checks=_excluded_checks(case)
    )


def test_sequences_of_calls_follow_the_links_and_conform(target: Target) -> None:
    _require_local(target)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            self.call_kwargs = _call_kwargs(target)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return dict(self.call_kwargs)

        def validate_response(
            self, response: Any, case: Any, additional_checks: list[Any] | None = None, **kwargs: Any
        ) -> None:
            # As the recording state machine validates, with our check added and the one exclusion above.
            case.validate_response(
                response,
                additional_checks=[no_traceback_in_body, *(additional_checks or [])],
                excluded_checks=_excluded_checks(case),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
