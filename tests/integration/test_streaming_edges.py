"""The local streaming endpoint at its edges, over the real websocket: a session that expires or is erased
mid-stream, a client that gives up, an idle socket, the video's size and content, the reference frame, and the
session information of each profile."""

from __future__ import annotations

import contextlib
import io
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image, ImageStat
from websockets.exceptions import ConnectionClosed

from liveness_api.vocabulary import ChallengeType
from liveness_local.backend import Clock, LocalBackend
from liveness_local.jpeg import reference_jpeg
from liveness_local.stream_challenge import StreamingProfile, session_information
from liveness_local.stream_protocol import StreamRecord
from liveness_local.streaming import MAX_VIDEO_BYTES, StreamingEndpoint
from tests.integration.streaming_client import (
    chunks,
    closed_with,
    exception_after,
    exception_of,
    face_webm,
    open_stream,
    receive,
    send_video,
    stream_a_check,
)

STREAM_LOGGER = "liveness_local.streaming"
LIGHT = ChallengeType.FACE_MOVEMENT_AND_LIGHT


@pytest.fixture(scope="module")
def endpoint(backend: LocalBackend) -> Iterator[StreamingEndpoint]:
    streaming = StreamingEndpoint.for_backend(backend).start()
    yield streaming
    streaming.stop()


@pytest.fixture(scope="module")
def impatient_endpoint(backend: LocalBackend) -> Iterator[StreamingEndpoint]:
    streaming = StreamingEndpoint.for_backend(backend, idle_timeout=0.5).start()
    yield streaming
    streaming.stop()


@pytest.fixture
def stream_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger=STREAM_LOGGER)
    return caplog


def _settled(endpoint: StreamingEndpoint) -> StreamRecord:
    """The latest connection, once its handler (in the endpoint's thread) is done with it."""
    deadline = time.monotonic() + 10
    while not endpoint.records[-1].settled:
        assert time.monotonic() < deadline, "the endpoint never finished the connection"
        time.sleep(0.02)
    return endpoint.records[-1]


def _lines_about(log: pytest.LogCaptureFixture, session_id: str) -> list[str]:
    return [record.getMessage() for record in log.records if session_id in record.getMessage()]


def _status(endpoint: StreamingEndpoint, session_id: str) -> str:
    _settled(endpoint)
    session = endpoint.emulator.session(session_id)
    assert session is not None
    return session.status.value


@contextlib.contextmanager
def _clock_moved(backend: LocalBackend, seconds: float) -> Iterator[None]:
    clock = backend.clock
    assert isinstance(clock, Clock)
    clock.advance(seconds)
    try:
        yield
    finally:
        clock.advance(-seconds)


def test_a_session_that_expires_mid_stream_ends_with_session_not_found(
    endpoint: StreamingEndpoint, api: Any, backend: LocalBackend, stream_log: pytest.LogCaptureFixture
) -> None:
    session_id = api.create().body["sessionId"]
    with open_stream(endpoint, session_id) as connection:
        receive(connection)
        send_video(connection, chunks(face_webm(), 2)[0], 1)
        with _clock_moved(backend, 181):
            # The endpoint also ends a stream when its session's lifetime ends, so it may close before these are
            # sent: either way the client reads the same exception and close.
            with contextlib.suppress(ConnectionClosed):
                send_video(connection, chunks(face_webm(), 2)[1], 2)
                send_video(connection, b"", 3)
            exception_type, close_code = exception_after(connection)
            _settled(endpoint)

    assert exception_type == "SessionNotFoundException"
    assert close_code == 1011  # the detector reports it as an error: the page's "expired" wording
    assert _lines_about(stream_log, session_id) == [
        f"stream {session_id}: SessionNotFoundException: Session not found: {session_id}"
    ]
    assert not [record for record in stream_log.records if record.levelno >= logging.ERROR]
    assert _status(endpoint, session_id) == "IN_PROGRESS"  # the service drops it; nothing was decided
    assert api.results(session_id).body.get("decision") != "LIVE"


def test_a_session_expired_while_the_socket_waits_is_ended_when_its_lifetime_ends(
    endpoint: StreamingEndpoint, api: Any, backend: LocalBackend
) -> None:
    session_id = api.create().body["sessionId"]
    with _clock_moved(backend, 179), open_stream(endpoint, session_id) as connection:
        receive(connection)
        send_video(connection, chunks(face_webm(), 2)[0], 1)
        # Nothing more is sent: the session's last second passes, well before the idle timeout.
        started = time.monotonic()
        assert exception_after(connection) == ("SessionNotFoundException", 1011)
        _settled(endpoint)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("how", ["expired by the control route", "erased through the API"])
def test_a_session_expired_or_erased_mid_stream_is_not_completed_and_writes_no_image(
    endpoint: StreamingEndpoint, api: Any, backend: LocalBackend, how: str
) -> None:
    session_id = api.create({"auditImagesLimit": 2}).body["sessionId"]
    with open_stream(endpoint, session_id) as connection:
        receive(connection)
        send_video(connection, face_webm(), 1)
        if how.startswith("expired"):
            endpoint.emulator.expire(session_id)
        else:
            assert api.erase(session_id).status == 204
        send_video(connection, b"", 2)
        assert exception_after(connection) == ("SessionNotFoundException", 1011)

    assert _status(endpoint, session_id) != "SUCCEEDED"
    listed = backend.s3.list_object_versions(Bucket=backend.resources.bucket, Prefix="")
    assert not [item for item in listed.get("Versions", []) if session_id in item["Key"]]


@pytest.mark.parametrize("code", [4001, 4003])
def test_a_client_that_closes_before_the_end_leaves_the_session_failed(
    endpoint: StreamingEndpoint, api: Any, stream_log: pytest.LogCaptureFixture, code: int
) -> None:
    session_id = api.create().body["sessionId"]
    with open_stream(endpoint, session_id) as connection:
        receive(connection)
        send_video(connection, chunks(face_webm(), 2)[0], 1)
        # As the detector 3.6.8 does on an oval-fit timeout (4001) or a cancel (4003): a close, no message.
        connection.close(code, "")

    assert _settled(endpoint).close_code == code
    assert _status(endpoint, session_id) == "FAILED"
    assert api.results(session_id).body["decision"] == "FAILED"
    assert _lines_about(stream_log, session_id) == [
        f"stream {session_id}: the client closed the socket (code {code}); the session is FAILED"
    ]


def test_a_client_that_says_it_gives_up_leaves_the_session_failed(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    with open_stream(endpoint, session_id) as connection:
        receive(connection)
        send_video(connection, chunks(face_webm(), 2)[0], 1)
        send_video(connection, b"", {"closeCode": 4003})
        closed_with(connection)
    assert _status(endpoint, session_id) == "FAILED"
    assert endpoint.records[-1].client_close_code == 4003


def test_an_idle_socket_is_closed_with_a_validation_exception(impatient_endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    with open_stream(impatient_endpoint, session_id) as connection:
        assert receive(connection).event_type == "ServerSessionInformationEvent"
        started = time.monotonic()
        exception_type, close_code = exception_after(connection)
    assert (exception_type, close_code) == ("ValidationException", 1011)
    assert 0.4 < time.monotonic() - started < 5
    assert _status(impatient_endpoint, session_id) == "FAILED"


def test_a_socket_that_keeps_sending_is_not_idle(impatient_endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    video = chunks(face_webm(), 4)
    with open_stream(impatient_endpoint, session_id) as connection:
        receive(connection)
        for index, chunk in enumerate(video):
            send_video(connection, chunk, index)
            time.sleep(0.3)
        send_video(connection, b"", 9)
        assert receive(connection).event_type == "DisconnectionEvent"


def test_a_video_over_ten_megabytes_is_refused(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    megabyte = bytes(2**20)
    with contextlib.suppress(ConnectionClosed), open_stream(endpoint, session_id) as connection:
        receive(connection)
        for index in range(MAX_VIDEO_BYTES // len(megabyte)):
            send_video(connection, megabyte, index)
        send_video(connection, b"\x00", 99)
        assert exception_after(connection) == ("ValidationException", 1011)
    assert endpoint.records[-1].video_bytes == MAX_VIDEO_BYTES + 1
    assert _status(endpoint, session_id) == "FAILED"


def test_a_video_that_cannot_be_decoded_is_refused(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    with open_stream(endpoint, session_id) as connection:
        receive(connection)
        send_video(connection, b"\x1a\x45\xdf\xa3 not really a webm", 1)
        send_video(connection, b"", 2)
        assert exception_after(connection) == ("ValidationException", 1011)
    assert _status(endpoint, session_id) == "FAILED"


def test_the_reference_image_is_a_real_frame_of_the_video_stored_as_the_emulator_stores_it(
    endpoint: StreamingEndpoint, api: Any, backend: LocalBackend
) -> None:
    session_id = api.create({"auditImagesLimit": 4}).body["sessionId"]
    with open_stream(endpoint, session_id) as connection:
        assert stream_a_check(connection, face_webm(2.5)).event_type == "DisconnectionEvent"

    session = endpoint.emulator.session(session_id)
    assert session is not None
    assert session.reference_image is not None
    assert session.reference_image.key is not None
    assert session.reference_image.key.endswith(f"{session_id}/reference.jpg")
    stored = backend.s3.get_object(Bucket=session.reference_image.bucket, Key=session.reference_image.key)
    assert stored["ServerSideEncryption"] == "aws:kms"
    # The key the session names, exactly as the emulator's synthetic images are written.
    assert session.kms_key_id is not None
    assert session.kms_key_id.split("/")[-1] in stored["SSEKMSKeyId"]
    body = stored["Body"].read()
    assert body != reference_jpeg()
    picture = Image.open(io.BytesIO(body))
    assert (picture.format, picture.size) == ("JPEG", (640, 480))
    # The test face is a real photograph: a frame of it is far from the emulator's flat grey.
    assert ImageStat.Stat(picture.convert("L")).stddev[0] > 20
    # 2.5 seconds of video: two audit images, fewer than the four asked for ("best effort").
    assert len(session.audit_images) == 2
    assert all(
        image.key and image.key.endswith(f"/audit_images/{n}.jpg") for n, image in enumerate(session.audit_images, 1)
    )


def test_the_strict_profile_sends_what_the_service_sends() -> None:
    strict = session_information(LIGHT, 640, 480)["SessionInformation"]["Challenge"][LIGHT.value]
    assert strict["OvalParameters"] == {"Width": 288, "Height": 465, "CenterX": 320, "CenterY": 240}
    config = strict["ChallengeConfig"]
    assert (config["FaceDistanceThresholdMin"], config["FaceDistanceThreshold"]) == (0.32, 0.4)
    assert config["OvalIouThreshold"] == 0.6
    assert config["OvalFitTimeout"] == 15000
    colours = strict["ColorSequences"]
    assert len(colours) == 8
    assert colours[0] == {"FreshnessColor": {"RGB": [0, 0, 0]}, "DownscrollDuration": 0, "FlatDisplayDuration": 75}
    assert {colour["DownscrollDuration"] for colour in colours[1:]} == {475}


def test_the_lenient_profile_lets_a_still_face_pass() -> None:
    lenient = session_information(LIGHT, 640, 480, StreamingProfile.LENIENT)["SessionInformation"]["Challenge"]
    body = lenient[LIGHT.value]
    assert body["OvalParameters"] == {"Width": 198, "Height": 320, "CenterX": 320, "CenterY": 240}
    assert body["ChallengeConfig"]["OvalIouThreshold"] < 0.6
    assert body["ChallengeConfig"]["FaceDistanceThresholdMin"] > 0.32


def test_the_endpoint_sends_its_profile(backend: LocalBackend, api: Any) -> None:
    lenient = StreamingEndpoint.for_backend(backend, profile=StreamingProfile.LENIENT).start()
    try:
        session_id = api.create().body["sessionId"]
        with open_stream(lenient, session_id) as connection:
            [body] = receive(connection).json()["SessionInformation"]["Challenge"].values()
        assert body["OvalParameters"]["Width"] == 198
    finally:
        lenient.stop()


def test_a_video_size_that_is_not_a_number_is_a_validation_exception(endpoint: StreamingEndpoint, api: Any) -> None:
    session_id = api.create().body["sessionId"]
    assert exception_of(endpoint, session_id, **{"video-width": "wide"}) == ("ValidationException", 1011)
    # Refused before the session was touched: it can still stream.
    assert _status(endpoint, session_id) == "CREATED"
