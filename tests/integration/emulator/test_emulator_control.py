"""The emulator's control methods, which play the end user's part (start, complete, fail, expire), and what it
refuses to stand in for."""

import uuid
from typing import Any

import boto3
import pytest

from liveness_api.vocabulary import SessionStatus
from liveness_local.emulated_session import InvalidTransitionError, UnknownSessionError
from liveness_local.emulator import FaceLivenessEmulator
from tests.integration.emulator.conftest import FakeClock, create


@pytest.mark.parametrize(
    "control",
    [
        lambda emulator, session_id: emulator.start(session_id),
        lambda emulator, session_id: emulator.complete(session_id, confidence=90),
        lambda emulator, session_id: emulator.fail(session_id),
        lambda emulator, session_id: emulator.expire(session_id),
    ],
    ids=["start", "complete", "fail", "expire"],
)
def test_controlling_an_unknown_session_is_a_key_error(liveness: FaceLivenessEmulator, control: Any) -> None:
    with pytest.raises(UnknownSessionError):
        control(liveness, str(uuid.uuid4()))
    assert issubclass(UnknownSessionError, KeyError)


@pytest.mark.parametrize(
    "finish",
    [
        lambda emulator, session_id: emulator.complete(session_id, confidence=70),
        lambda emulator, session_id: emulator.fail(session_id),
        lambda emulator, session_id: emulator.expire(session_id),
    ],
    ids=["complete", "fail", "expire"],
)
def test_a_finished_session_cannot_change_again(rekognition: Any, liveness: FaceLivenessEmulator, finish: Any) -> None:
    session_id = create(rekognition)
    finish(liveness, session_id)

    with pytest.raises(InvalidTransitionError, match=r"is (SUCCEEDED|FAILED|EXPIRED)"):
        liveness.complete(session_id, confidence=99)
    with pytest.raises(InvalidTransitionError):
        liveness.fail(session_id)
    assert issubclass(InvalidTransitionError, ValueError)


def test_a_session_can_be_started_only_once(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    session_id = create(rekognition)
    liveness.start(session_id)

    with pytest.raises(InvalidTransitionError, match="is IN_PROGRESS"):
        liveness.start(session_id)


def test_a_session_past_its_lifetime_cannot_be_completed(
    rekognition: Any, liveness: FaceLivenessEmulator, clock: FakeClock
) -> None:
    session_id = create(rekognition)
    clock.advance(180)

    with pytest.raises(InvalidTransitionError, match="past its lifetime"):
        liveness.complete(session_id, confidence=90)
    session = liveness.session(session_id)
    assert session is not None
    assert session.status is SessionStatus.CREATED


@pytest.mark.parametrize(
    ("arguments", "match"),
    [
        ({"confidence": 100.5}, "confidence must be 0-100"),
        ({"confidence": -1}, "confidence must be 0-100"),
        ({"confidence": float("nan")}, "confidence must be 0-100"),
        ({"confidence": 90, "challenge_type": "Smile"}, "challenge_type must be one of"),
    ],
)
def test_complete_rejects_values_the_service_could_not_report(
    rekognition: Any, liveness: FaceLivenessEmulator, arguments: dict[str, Any], match: str
) -> None:
    session_id = create(rekognition)

    with pytest.raises(ValueError, match=match):
        liveness.complete(session_id, **arguments)


def test_reset_forgets_sessions_tokens_and_calls(rekognition: Any, liveness: FaceLivenessEmulator) -> None:
    session_id = create(rekognition, ClientRequestToken="before-reset")

    liveness.reset()

    assert liveness.session(session_id) is None
    assert liveness.calls == []
    assert create(rekognition, ClientRequestToken="before-reset") != session_id


def test_attach_refuses_a_client_it_cannot_stand_in_for(s3: Any, boto_session: boto3.session.Session) -> None:
    emulator = FaceLivenessEmulator(s3)

    with pytest.raises(ValueError, match="expected a rekognition client"):
        emulator.attach(s3)
    with pytest.raises(ValueError, match="client region eu-west-1 is not us-east-1"):
        emulator.attach(boto_session.client("rekognition", region_name="eu-west-1"))
