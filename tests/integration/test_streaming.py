"""The local streaming endpoint, driven by a Python client that plays the Amplify detector's part
(tests/integration/streaming_client.py). The edges (expiry, erasure, a client that gives up, idle sockets, the
video's size and content, the profiles) are in test_streaming_edges.py.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from liveness_api.vocabulary import ChallengeType
from liveness_local import eventstream
from liveness_local.backend import LocalBackend
from liveness_local.control import LocalControl
from liveness_local.gateway import HttpRequest
from liveness_local.stream_challenge import choose_challenge, offered_challenges
from liveness_local.streaming import StreamingEndpoint
from tests.integration.streaming_client import (
    CHALLENGE_VERSIONS,
    closed_with,
    exception_of,
    face_webm,
    open_stream,
    receive,
    send_video,
    stream_a_check,
)


@pytest.fixture(scope="module")
def endpoint(backend: LocalBackend) -> Iterator[StreamingEndpoint]:
    streaming = StreamingEndpoint.for_backend(backend).start()
    yield streaming
    streaming.stop()


def test_a_streamed_session_is_live_with_its_images_in_the_bucket(
    endpoint: StreamingEndpoint, api: Any, backend: LocalBackend
) -> None:
    session_id = api.create().body["sessionId"]

    with open_stream(endpoint, session_id) as connection:
        assert stream_a_check(connection).event_type == "DisconnectionEvent"
        assert closed_with(connection) == 1000

    results = api.results(session_id)
    assert results.status == 200, results.body
    assert results.body["decision"] == "LIVE"
    session = endpoint.emulator.session(session_id)
    assert session is not None
    assert session.reference_image is not None
    backend.s3.head_object(Bucket=session.reference_image.bucket, Key=session.reference_image.key)
    record = endpoint.records[-1]
    assert (record.video_events, len(record.client_events), record.outcome) == (3, 2, "live")


def test_the_session_information_honours_the_session_and_the_client(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create({"challengePreferences": [{"type": "FaceMovementChallenge"}]}).body.get("sessionId")
    if session_id is None:  # an API without challenge preferences: the service's default applies
        session_id = api.create().body["sessionId"]
        expected = ChallengeType.FACE_MOVEMENT_AND_LIGHT
    else:
        expected = ChallengeType.FACE_MOVEMENT

    with open_stream(endpoint, session_id) as connection:
        info = receive(connection).json()["SessionInformation"]["Challenge"]

    assert list(info) == [expected.value]
    body = info[expected.value]
    # The detector refuses session information where any of these is missing or zero.
    required = ("FaceDistanceThreshold", "FaceDistanceThresholdMin", "OvalHeightWidthRatio", "OvalIouThreshold")
    assert all(body["ChallengeConfig"][name] > 0 for name in required)
    assert body["OvalParameters"]["CenterX"] == 320
    assert ("ColorSequences" in body) is (expected is ChallengeType.FACE_MOVEMENT_AND_LIGHT)


def test_a_challenge_is_chosen_from_the_preferences_the_client_also_offers() -> None:
    movement = {"ChallengePreferences": [{"Type": "FaceMovementChallenge"}, {"Type": "FaceMovementAndLightChallenge"}]}
    assert offered_challenges(CHALLENGE_VERSIONS) == {
        "FaceMovementAndLightChallenge": "2.0.0",
        "FaceMovementChallenge": "1.0.0",
    }
    assert choose_challenge({}, CHALLENGE_VERSIONS) is ChallengeType.FACE_MOVEMENT_AND_LIGHT
    assert choose_challenge(movement, CHALLENGE_VERSIONS) is ChallengeType.FACE_MOVEMENT
    assert choose_challenge(movement, "FaceMovementAndLightChallenge_2.0.0") is ChallengeType.FACE_MOVEMENT_AND_LIGHT
    too_new = {"ChallengePreferences": [{"Type": "FaceMovementChallenge", "Versions": {"Minimum": "2.0.0"}}]}
    with pytest.raises(Exception, match="None of the session's challenges"):
        choose_challenge(too_new, CHALLENGE_VERSIONS)


@pytest.mark.parametrize(("outcome", "decision"), [({"outcome": "spoof"}, "NOT_LIVE"), ({"outcome": "fail"}, "FAILED")])
def test_a_scripted_outcome_decides_the_verdict(
    endpoint: StreamingEndpoint, api: Any, outcome: dict[str, str], decision: str
) -> None:
    session_id = api.create().body["sessionId"]
    control = LocalControl(endpoint.emulator, endpoint.outcomes, faults=endpoint.faults)
    answer = control.handle(
        HttpRequest("POST", f"/_local/sessions/{session_id}/outcome", (), json.dumps(outcome).encode())
    )
    assert answer.status == 204, answer.body

    with open_stream(endpoint, session_id) as connection:
        assert stream_a_check(connection).event_type == "DisconnectionEvent"

    assert api.results(session_id).body["decision"] == decision


def test_an_outcome_needs_a_session_that_can_still_stream(endpoint: StreamingEndpoint, api: Any) -> None:
    control = LocalControl(endpoint.emulator, endpoint.outcomes, faults=endpoint.faults)
    session_id = api.create().body["sessionId"]
    endpoint.emulator.expire(session_id)

    def script(target: str, body: bytes = b'{"outcome": "spoof"}') -> int:
        return control.handle(HttpRequest("POST", target, (), body)).status

    assert script("/_local/sessions/nope/outcome") == 404
    assert script(f"/_local/sessions/{session_id}/outcome") == 409
    assert script(f"/_local/sessions/{session_id}/outcome", b'{"outcome": "maybe"}') == 422


def test_an_unknown_session_is_not_found(endpoint: StreamingEndpoint) -> None:
    assert exception_of(endpoint, "00000000-0000-4000-8000-000000000000")[0] == "SessionNotFoundException"


def test_an_expired_session_is_not_found(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    endpoint.emulator.expire(session_id)
    exception_type, close_code = exception_of(endpoint, session_id)
    assert exception_type == "SessionNotFoundException"
    assert close_code not in (1000, 1001)  # the detector reports it as an error


def test_a_session_past_its_lifetime_is_not_found(endpoint: StreamingEndpoint, api: Any, backend: Any) -> None:
    session_id = api.create().body["sessionId"]
    backend.clock.advance(181)
    try:
        assert exception_of(endpoint, session_id)[0] == "SessionNotFoundException"
    finally:
        backend.clock.advance(-181)


def test_a_session_streams_once(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    with open_stream(endpoint, session_id) as connection:
        stream_a_check(connection)
    assert exception_of(endpoint, session_id)[0] == "ValidationException"


def test_an_injected_fault_reaches_the_stream(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    endpoint.faults.inject("rekognition", "StartFaceLivenessSession", "ThrottlingException")
    assert exception_of(endpoint, session_id)[0] == "ThrottlingException"
    # The fault was used up; the session itself is untouched and streams next time.
    with open_stream(endpoint, session_id) as connection:
        assert stream_a_check(connection).event_type == "DisconnectionEvent"


def test_a_credential_for_another_region_is_refused(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    assert exception_of(endpoint, session_id, region="eu-west-1")[0] == "InvalidSignatureException"


def test_a_plain_https_visit_gets_a_page(endpoint: StreamingEndpoint) -> None:
    import urllib.request

    assert endpoint.certificate is not None
    url = endpoint.url.replace("wss://", "https://") + "/"
    with urllib.request.urlopen(url, context=endpoint.certificate.client_context(), timeout=10) as page:  # noqa: S310
        assert b"certificate is accepted" in page.read()


def test_a_malformed_event_is_a_validation_exception(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    with contextlib.suppress(ConnectionClosed), open_stream(endpoint, session_id) as connection:
        receive(connection)
        inner = eventstream.encode({":event-type": "VideoEvent", ":content-type": "application/json"}, b"{not json")
        connection.send(eventstream.signed_envelope(inner, date=datetime.now(UTC), signature=b"\0" * 32))
        message = receive(connection)
    assert message.headers[":exception-type"] == "ValidationException"
    assert "Malformed" in message.json()["Message"]


def test_the_real_detector_s_recorded_frames_complete_a_session(endpoint: StreamingEndpoint, api: Any) -> None:
    """The frames Chromium's detector sent (tests/unit/data/eventstream), replayed around one video chunk."""
    recorded = Path(__file__).parents[1] / "unit" / "data" / "eventstream"
    session_id = api.create().body["sessionId"]
    with open_stream(endpoint, session_id) as connection:
        receive(connection)
        connection.send((recorded / "client-session-start.bin").read_bytes())
        send_video(connection, face_webm(), 1)
        connection.send((recorded / "client-colour-displayed.bin").read_bytes())
        connection.send((recorded / "client-session-end.bin").read_bytes())
        connection.send((recorded / "video-end.bin").read_bytes())
        assert receive(connection).event_type == "DisconnectionEvent"
    assert api.results(session_id).body["decision"] == "LIVE"
    assert len(endpoint.records[-1].client_events) == 3
