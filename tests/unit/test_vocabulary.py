"""The closed sets are defined once and every consumer answers every member deliberately."""

from typing import Any

import pytest

from liveness_api.adapters.rekognition import RekognitionLiveness
from liveness_api.decision import VERDICT_BY_STATUS, decide, is_failure
from liveness_api.errors import UnknownSessionStatus
from liveness_api.models import Problem
from liveness_api.problems import GATEWAY_ERRORS, ProblemKind, problem_document
from liveness_api.vocabulary import TERMINAL_VERDICTS, ChallengeType, SessionStatus, Verdict
from liveness_local.service_model import operation_model, validate
from liveness_local.vocabulary import CHALLENGE_VERSIONS

SESSION_ID = "0f0e0d0c-0b0a-4908-8706-050403020100"
THRESHOLD = 90.0


def test_every_status_but_succeeded_has_exactly_one_verdict() -> None:
    assert set(VERDICT_BY_STATUS) | {SessionStatus.SUCCEEDED} == set(SessionStatus)
    assert SessionStatus.SUCCEEDED not in VERDICT_BY_STATUS


@pytest.mark.parametrize(
    ("status", "confidence", "verdict"),
    [
        (SessionStatus.SUCCEEDED, 99.0, Verdict.LIVE),
        (SessionStatus.SUCCEEDED, THRESHOLD, Verdict.LIVE),
        (SessionStatus.SUCCEEDED, 89.99, Verdict.NOT_LIVE),
        (SessionStatus.SUCCEEDED, None, Verdict.NOT_LIVE),
        (SessionStatus.CREATED, 99.0, Verdict.PENDING),
        (SessionStatus.IN_PROGRESS, None, Verdict.PENDING),
        (SessionStatus.FAILED, 99.0, Verdict.FAILED),
        (SessionStatus.EXPIRED, 99.0, Verdict.EXPIRED),
    ],
)
def test_only_a_succeeded_check_at_the_threshold_is_live(
    status: SessionStatus, confidence: float | None, verdict: Verdict
) -> None:
    assert decide(status, confidence, threshold=THRESHOLD) is verdict


def test_failures_that_count_towards_the_abuse_limit() -> None:
    # EXPIRED does not: nobody attempted the check.
    assert {verdict for verdict in Verdict if is_failure(verdict)} == {Verdict.NOT_LIVE, Verdict.FAILED}


def test_terminal_verdicts_are_every_verdict_but_pending() -> None:
    assert set(TERMINAL_VERDICTS) == set(Verdict) - {Verdict.PENDING}


def test_every_challenge_has_a_version_the_service_model_accepts() -> None:
    results = operation_model("rekognition", "GetFaceLivenessSessionResults").output_shape
    challenge = results.members["Challenge"]

    assert set(CHALLENGE_VERSIONS) == set(ChallengeType)
    for challenge_type, version in CHALLENGE_VERSIONS.items():
        assert validate(challenge, {"Type": challenge_type.value, "Version": version}) == []


class FakeRekognition:
    """Answers GetFaceLivenessSessionResults with whatever the service might one day say."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response

    def get_face_liveness_session_results(self, **_: Any) -> dict[str, Any]:
        return self.response


def adapter(response: dict[str, Any]) -> RekognitionLiveness:
    return RekognitionLiveness(FakeRekognition(response), bucket="b", key_prefix="p/", kms_key_arn="k")


def test_a_status_the_service_adds_later_is_answered_deliberately(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(UnknownSessionStatus) as raised:
        adapter({"SessionId": SESSION_ID, "Status": "PAUSED"}).get_results(SESSION_ID)

    # A retryable 503, never a guessed verdict, and the operator is told what to do.
    assert (raised.value.status, raised.value.retry_after_seconds) == (503, 5)
    assert any("unknown session status" in record.getMessage() for record in caplog.records)
    assert '"ErrorType":"Unexpected","RekognitionError":[1.0]' in capfd.readouterr().out


def test_a_challenge_the_service_adds_later_leaves_the_verdict_standing() -> None:
    result = adapter(
        {
            "SessionId": SESSION_ID,
            "Status": "SUCCEEDED",
            "Confidence": 97.0,
            "Challenge": {"Type": "Smile", "Version": "1.0.0"},
        }
    ).get_results(SESSION_ID)

    assert (result.status, result.confidence, result.challenge) == (SessionStatus.SUCCEEDED, 97.0, None)


@pytest.mark.parametrize("kind", [*GATEWAY_ERRORS.values(), ProblemKind(422, "validation-error", "Invalid")])
def test_the_one_problem_document_is_what_the_openapi_schema_describes(kind: ProblemKind) -> None:
    document = problem_document(kind, "detail", "req-1", [{"field": "a", "message": "b"}])

    assert Problem.model_validate(document).model_dump(mode="json", by_alias=True) == document
    assert document["status"] == kind.status
