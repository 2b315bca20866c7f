"""The local streaming endpoint, driven by a Python client that plays the Amplify detector's part.

The client does what the detector does on the wire (docs: liveness_local/streaming.py): it opens
`wss://.../start-face-liveness-session-websocket?session-id=...`, reads the pushed ServerSessionInformationEvent,
sends signed VideoEvents and ClientSessionInformationEvents and an empty VideoEvent, and reads DisconnectionEvent
and the close. tests/browser runs the real detector against the same endpoint.
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from liveness_api.vocabulary import ChallengeType
from liveness_local import eventstream
from liveness_local.backend import LocalBackend
from liveness_local.control import LocalControl
from liveness_local.gateway import HttpRequest
from liveness_local.streaming import PATH, StreamingEndpoint, choose_challenge, offered_challenges

CHALLENGE_VERSIONS = "FaceMovementAndLightChallenge_2.0.0,FaceMovementChallenge_1.0.0"


@pytest.fixture(scope="module")
def endpoint(backend: LocalBackend) -> Iterator[StreamingEndpoint]:
    streaming = StreamingEndpoint(
        backend.emulator, backend.clock, faults=backend.faults, region=backend.config.region
    ).start()
    yield streaming
    streaming.stop()


def _open(endpoint: StreamingEndpoint, session_id: str, region: str = "us-east-1", **extra: str) -> ClientConnection:
    assert endpoint.certificate is not None
    query = {
        "session-id": session_id,
        "video-width": "640",
        "video-height": "480",
        "challenge-versions": CHALLENGE_VERSIONS,
        "X-Amz-Credential": f"AKIDEXAMPLE/20261201/{region}/rekognition/aws4_request",
        **extra,
    }
    return connect(
        f"{endpoint.url}{PATH}?{urlencode(query)}", ssl=endpoint.certificate.client_context(), open_timeout=10
    )


def _send(connection: ClientConnection, event_type: str, body: dict[str, Any]) -> None:
    inner = eventstream.encode(
        {":event-type": event_type, ":message-type": "event", ":content-type": "application/json"},
        json.dumps(body).encode(),
    )
    connection.send(eventstream.signed_envelope(inner, date=datetime.now(UTC), signature=b"\x00" * 32))


def _video(connection: ClientConnection, chunk: bytes, timestamp: Any = 0) -> None:
    _send(connection, "VideoEvent", {"VideoChunk": base64.b64encode(chunk).decode(), "TimestampMillis": timestamp})


def _receive(connection: ClientConnection) -> eventstream.Message:
    return eventstream.decode_one(connection.recv(timeout=10))  # type: ignore[arg-type]


def _stream_a_check(connection: ClientConnection) -> eventstream.Message:
    info = _receive(connection)
    assert info.event_type == "ServerSessionInformationEvent"
    challenge = info.json()["SessionInformation"]["Challenge"]
    [name] = challenge
    _video(connection, b"\x1a\x45\xdf\xa3 webm header", 1)
    _send(connection, "ClientSessionInformationEvent", {"Challenge": {name: {"ChallengeId": "c", "InitialFace": {}}}})
    _video(connection, b"more webm", 2)
    _send(connection, "ClientSessionInformationEvent", {"Challenge": {name: {"ChallengeId": "c", "TargetFace": {}}}})
    _video(connection, b"", 3)
    return _receive(connection)


def _closed_with(connection: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        connection.recv(timeout=10)
    return connection.close_code


def test_a_streamed_session_is_live_with_its_images_in_the_bucket(
    endpoint: StreamingEndpoint, api: Any, backend: LocalBackend
) -> None:
    session_id = api.create().body["sessionId"]

    with _open(endpoint, session_id) as connection:
        assert _stream_a_check(connection).event_type == "DisconnectionEvent"
        assert _closed_with(connection) == 1000

    results = api.results(session_id)
    assert results.status == 200, results.body
    assert results.body["decision"] == "LIVE"
    session = endpoint.emulator.session(session_id)
    assert session is not None
    assert session.reference_image is not None
    backend.s3.head_object(Bucket=session.reference_image.bucket, Key=session.reference_image.key)
    record = endpoint.records[-1]
    assert (record.video_events, len(record.client_events), record.outcome) == (2, 2, "live")


def test_the_session_information_honours_the_session_and_the_client(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create({"challengePreferences": [{"type": "FaceMovementChallenge"}]}).body.get("sessionId")
    if session_id is None:  # an API without challenge preferences: the service's default applies
        session_id = api.create().body["sessionId"]
        expected = ChallengeType.FACE_MOVEMENT_AND_LIGHT
    else:
        expected = ChallengeType.FACE_MOVEMENT

    with _open(endpoint, session_id) as connection:
        info = _receive(connection).json()["SessionInformation"]["Challenge"]

    assert list(info) == [expected.value]
    body = info[expected.value]
    assert all(body["ChallengeConfig"][name] > 0 for name in body["ChallengeConfig"])
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

    with _open(endpoint, session_id) as connection:
        assert _stream_a_check(connection).event_type == "DisconnectionEvent"

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


def _exception_of(endpoint: StreamingEndpoint, session_id: str, **kwargs: Any) -> tuple[str, int | None]:
    # The server closes right after the exception: closing the client's side may then find the socket gone.
    with contextlib.suppress(ConnectionClosed), _open(endpoint, session_id, **kwargs) as connection:
        message = _receive(connection)
        assert message.headers[":message-type"] == "exception"
        found = (message.headers[":exception-type"], _closed_with(connection))
    return found


def test_an_unknown_session_is_not_found(endpoint: StreamingEndpoint) -> None:
    assert _exception_of(endpoint, "00000000-0000-4000-8000-000000000000")[0] == "SessionNotFoundException"


def test_an_expired_session_is_not_found(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    endpoint.emulator.expire(session_id)
    exception_type, close_code = _exception_of(endpoint, session_id)
    assert exception_type == "SessionNotFoundException"
    assert close_code not in (1000, 1001)  # the detector reports it as an error


def test_a_session_past_its_lifetime_is_not_found(endpoint: StreamingEndpoint, api: Any, backend: Any) -> None:
    session_id = api.create().body["sessionId"]
    backend.clock.advance(181)
    try:
        assert _exception_of(endpoint, session_id)[0] == "SessionNotFoundException"
    finally:
        backend.clock.advance(-181)


def test_a_session_streams_once(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    with _open(endpoint, session_id) as connection:
        _stream_a_check(connection)
    assert _exception_of(endpoint, session_id)[0] == "ValidationException"


def test_a_client_that_gives_up_leaves_the_session_in_progress(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    with _open(endpoint, session_id) as connection:
        _receive(connection)
        _video(connection, b"webm", 1)
        _video(connection, b"", {"closeCode": 4003})
    session = endpoint.emulator.session(session_id)
    assert session is not None
    assert session.status == "IN_PROGRESS"


def test_an_injected_fault_reaches_the_stream(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    endpoint.faults.inject("rekognition", "StartFaceLivenessSession", "ThrottlingException")
    assert _exception_of(endpoint, session_id)[0] == "ThrottlingException"
    # The fault was used up; the session itself is untouched and streams next time.
    with _open(endpoint, session_id) as connection:
        assert _stream_a_check(connection).event_type == "DisconnectionEvent"


def test_a_credential_for_another_region_is_refused(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    assert _exception_of(endpoint, session_id, region="eu-west-1")[0] == "InvalidSignatureException"


def test_a_plain_https_visit_gets_a_page(endpoint: StreamingEndpoint) -> None:
    import urllib.request

    assert endpoint.certificate is not None
    url = endpoint.url.replace("wss://", "https://") + "/"
    with urllib.request.urlopen(url, context=endpoint.certificate.client_context(), timeout=10) as page:  # noqa: S310
        assert b"certificate is accepted" in page.read()


def test_a_malformed_event_is_a_validation_exception(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    with contextlib.suppress(ConnectionClosed), _open(endpoint, session_id) as connection:
        _receive(connection)
        inner = eventstream.encode({":event-type": "VideoEvent", ":content-type": "application/json"}, b"{not json")
        connection.send(eventstream.signed_envelope(inner, date=datetime.now(UTC), signature=b"\0" * 32))
        message = _receive(connection)
    assert message.headers[":exception-type"] == "ValidationException"
    assert "Malformed" in message.json()["Message"]


def test_the_real_detector_s_recorded_frames_complete_a_session(endpoint: StreamingEndpoint, api: Any) -> None:
    """The frames Chromium's detector sent (tests/unit/data/eventstream), replayed around one video chunk."""
    recorded = Path(__file__).parents[1] / "unit" / "data" / "eventstream"
    session_id = api.create().body["sessionId"]
    with _open(endpoint, session_id) as connection:
        _receive(connection)
        connection.send((recorded / "client-session-start.bin").read_bytes())
        _video(connection, b"\x1a\x45\xdf\xa3 webm", 1)
        connection.send((recorded / "client-colour-displayed.bin").read_bytes())
        connection.send((recorded / "client-session-end.bin").read_bytes())
        connection.send((recorded / "video-end.bin").read_bytes())
        assert _receive(connection).event_type == "DisconnectionEvent"
    assert api.results(session_id).body["decision"] == "LIVE"
    assert len(endpoint.records[-1].client_events) == 3
