"""A Python client that plays the Amplify detector's part on the local streaming endpoint's wire, and the video it
sends: a real WebM (VP8, as Chromium's MediaRecorder writes it) of the browser test's face, made with PyAV.

The client does what the detector does on the wire (docs: liveness_local/streaming.py): it opens
`wss://.../start-face-liveness-session-websocket?session-id=...`, reads the pushed ServerSessionInformationEvent,
sends signed VideoEvents and ClientSessionInformationEvents and an empty VideoEvent, and reads DisconnectionEvent
and the close. tests/browser runs the real detector against the same endpoint.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import av
import pytest
from PIL import Image
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from liveness_local import eventstream
from liveness_local.streaming import PATH, StreamingEndpoint

CHALLENGE_VERSIONS = "FaceMovementAndLightChallenge_2.0.0,FaceMovementChallenge_1.0.0"
FACE = Path(__file__).parents[1] / "browser" / "data" / "face.jpg"
FPS = 30


@functools.cache
def face_webm(seconds: float = 2.5) -> bytes:
    """`seconds` of 640 x 480 VP8 WebM showing the test face."""
    picture = Image.open(FACE).convert("RGB").resize((640, 480))
    out = io.BytesIO()
    with av.open(out, mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for index in range(round(seconds * FPS)):
            frame = av.VideoFrame.from_image(picture)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def chunks(video: bytes, count: int) -> list[bytes]:
    """The video cut as MediaRecorder cuts it: pieces that only make sense joined."""
    size = -(-len(video) // count)
    return [video[start : start + size] for start in range(0, len(video), size)]


def open_stream(
    endpoint: StreamingEndpoint, session_id: str, region: str = "us-east-1", **extra: str
) -> ClientConnection:
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


def send_event(connection: ClientConnection, event_type: str, body: dict[str, Any]) -> None:
    inner = eventstream.encode(
        {":event-type": event_type, ":message-type": "event", ":content-type": "application/json"},
        json.dumps(body).encode(),
    )
    connection.send(eventstream.signed_envelope(inner, date=datetime.now(UTC), signature=b"\x00" * 32))


def send_video(connection: ClientConnection, chunk: bytes, timestamp: Any = 0) -> None:
    body = {"VideoChunk": base64.b64encode(chunk).decode(), "TimestampMillis": timestamp}
    send_event(connection, "VideoEvent", body)


def receive(connection: ClientConnection) -> eventstream.Message:
    return eventstream.decode_one(connection.recv(timeout=10))  # type: ignore[arg-type]


def stream_a_check(connection: ClientConnection, video: bytes | None = None) -> eventstream.Message:
    """The whole check, as the detector streams it: what the server answers at the end."""
    info = receive(connection)
    assert info.event_type == "ServerSessionInformationEvent"
    [name] = info.json()["SessionInformation"]["Challenge"]
    first, *rest = chunks(face_webm() if video is None else video, 3)
    send_video(connection, first, 1)
    send_event(connection, "ClientSessionInformationEvent", {"Challenge": {name: {"ChallengeId": "c"}}})
    for index, chunk in enumerate(rest, start=2):
        send_video(connection, chunk, index)
    send_event(connection, "ClientSessionInformationEvent", {"Challenge": {name: {"ChallengeId": "c"}}})
    send_video(connection, b"", 9)
    return receive(connection)


def closed_with(connection: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed):
        connection.recv(timeout=10)
    return connection.close_code


def exception_after(connection: ClientConnection) -> tuple[str, int | None]:
    """The exception the server sends next (skipping its events) and the close code after it."""
    message = receive(connection)
    while message.headers.get(":message-type") != "exception":
        message = receive(connection)
    return message.headers[":exception-type"], closed_with(connection)


def exception_of(endpoint: StreamingEndpoint, session_id: str, **kwargs: Any) -> tuple[str, int | None]:
    # The server closes right after the exception: closing the client's side may then find the socket gone.
    with contextlib.suppress(ConnectionClosed), open_stream(endpoint, session_id, **kwargs) as connection:
        message = receive(connection)
        assert message.headers[":message-type"] == "exception"
        found = (message.headers[":exception-type"], closed_with(connection))
    return found
