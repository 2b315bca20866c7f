"""StartFaceLivenessSession, locally: the WebSocket endpoint the Amplify detector streams video to.

    wss://127.0.0.1:<port>/start-face-liveness-session-websocket?session-id=...&challenge-versions=...

It runs beside the local API in the same process and shares the Face Liveness emulator (its sessions and clock)
and the fault injector (`POST /_local/faults` with `"operation": "StartFaceLivenessSession"`, or none, fails it).
The flow follows the Amplify detector (docs: the README's "Try it in a browser"):

1. On open the endpoint checks the session and pushes a `ServerSessionInformationEvent`: the first of the
   session's `ChallengePreferences` that the client also offers (`challenge-versions`), an oval in video pixels
   and generous thresholds, so that a still face that the browser's face detector finds passes the oval check.
2. It reads `VideoEvent`s and `ClientSessionInformationEvent`s (each inside a signed envelope) and keeps counts.
3. On the empty `VideoEvent` (the end of the video) it completes the emulated session with the outcome scripted
   for it (LIVE by default; `POST /_local/sessions/{id}/outcome` sets spoof or fail), sends `DisconnectionEvent`
   and closes with 1000. A client that gives up sends a `closeCode` instead; the session is then left as it is.

It cannot judge liveness: outcomes are scripted. It does not check SigV4 signatures (only the region the
credential is scoped to). Errors are event-stream exceptions followed by a close, as the service sends them:
an unknown or expired session gets SessionNotFoundException (amplify-ui #5043 shows the detector receiving it);
a session already streamed gets ValidationException (unverified: what the service sends then is undocumented).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from liveness_api.vocabulary import ChallengeType, SessionStatus
from liveness_local import eventstream, tls
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.faults import DependencyFaults
from liveness_local.outcomes import Outcome, ScriptedOutcomes
from liveness_local.vocabulary import CHALLENGE_VERSIONS, DEFAULT_CHALLENGE, STREAMING_OPERATION, FaultCode

PATH: Final = "/start-face-liveness-session-websocket"
# Normal closure: since 3.6.6 the detector reports any other code (but 1001) as an error.
CLOSE_NORMAL: Final = 1000
# What the close after an exception says (the SDK has already thrown by then).
CLOSE_AFTER_EXCEPTION: Final = 1011
# A second of 640x480 WebM is ~100-400 KB, base64 in JSON: room for much more.
MAX_FRAME_BYTES: Final = 16 * 1024 * 1024

# What each injectable fault becomes on the stream: the stream's own modelled exceptions where there is one
# (https://docs.aws.amazon.com/rekognition/latest/APIReference/API_rekognitionstreaming_LivenessResponseStream.html).
FAULT_EXCEPTIONS: Final[Mapping[str, str]] = {
    FaultCode.THROTTLING: "ThrottlingException",
    FaultCode.PROVISIONED_THROUGHPUT_EXCEEDED: "ServiceQuotaExceededException",
    FaultCode.INTERNAL_SERVER_ERROR: "InternalServerException",
    FaultCode.ACCESS_DENIED: "AccessDeniedException",
}
SESSION_NOT_FOUND: Final = "SessionNotFoundException"
VALIDATION: Final = "ValidationException"
INVALID_SIGNATURE: Final = "InvalidSignatureException"

MAX_RECORDS: Final = 100
RECORD_FRAMES_ENV: Final = "LIVENESS_STREAM_RECORD_DIR"

_log = logging.getLogger(__name__)


@dataclass
class StreamRecord:
    """What one connection received, for tests and the console."""

    session_id: str
    challenge: ChallengeType | None = None
    video_events: int = 0
    video_bytes: int = 0
    client_events: list[dict[str, Any]] = field(default_factory=list)
    outcome: Outcome | None = None
    error: str | None = None
    close_code: int | None = None


class _StreamError(Exception):
    def __init__(self, exception_type: str, message: str) -> None:
        super().__init__(f"{exception_type}: {message}")
        self.exception_type = exception_type
        self.message = message


def offered_challenges(challenge_versions: str) -> dict[str, str]:
    """`FaceMovementAndLightChallenge_2.0.0,FaceMovementChallenge_1.0.0` as {type: version}."""
    offered: dict[str, str] = {}
    for item in challenge_versions.split(","):
        name, _, version = item.strip().rpartition("_")
        if name:
            offered[name] = version
    return offered


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def choose_challenge(settings: Mapping[str, Any], challenge_versions: str) -> ChallengeType:
    """The first of the session's preferences (the service's default when it has none) the client offers."""
    offered = offered_challenges(challenge_versions)
    preferences = settings.get("ChallengePreferences") or [{"Type": DEFAULT_CHALLENGE}]
    for preference in preferences:
        kind = preference.get("Type")
        if kind not in CHALLENGE_VERSIONS or kind not in offered:
            continue
        version = _version(offered[kind])
        bounds = preference.get("Versions") or {}
        if "Minimum" in bounds and version < _version(bounds["Minimum"]):
            continue
        if "Maximum" in bounds and version > _version(bounds["Maximum"]):
            continue
        return ChallengeType(kind)
    raise _StreamError(VALIDATION, f"None of the session's challenges is among the client's: {challenge_versions}")


def session_information(challenge: ChallengeType, video_width: int, video_height: int) -> dict[str, Any]:
    """The ServerSessionInformationEvent body: an oval in the middle of the frame and lenient thresholds."""
    ratio = 1.618
    # The static oval the detector draws is 0.8 of a 3:4 crop; this one is a little smaller and centred.
    width = max(1, round(0.55 * min(video_width, 0.75 * video_height)))
    oval = {
        "Width": width,
        "Height": max(1, round(width * ratio)),
        "CenterX": max(1, round(video_width / 2)),
        "CenterY": max(1, round(video_height / 2)),
    }
    config = {
        "BlazeFaceDetectionThreshold": 0.75,
        # Face distance is pupil distance / oval width: below these the face is "far enough" to start.
        "FaceDistanceThresholdMin": 0.9,
        "FaceDistanceThreshold": 0.95,
        "FaceDistanceThresholdMax": 1.0,
        # Any face overlapping the oval by a tenth counts as fitting it: a still face passes.
        "OvalIouThreshold": 0.1,
        "OvalHeightWidthRatio": ratio,
        "OvalIouWidthThreshold": 0.1,
        "OvalIouHeightThreshold": 0.1,
        "FaceIouWidthThreshold": 0.15,
        "FaceIouHeightThreshold": 0.15,
        "OvalFitTimeout": 15000,
    }
    body: dict[str, Any] = {"OvalParameters": oval, "ChallengeConfig": config}
    if challenge is ChallengeType.FACE_MOVEMENT_AND_LIGHT:
        body["LightChallengeType"] = "SEQUENTIAL"
        body["ColorSequences"] = [
            {"FreshnessColor": {"RGB": rgb}, "DownscrollDuration": down, "FlatDisplayDuration": flat}
            for rgb, down, flat in (
                ([0, 0, 0], 1, 200),
                ([255, 255, 255], 200, 100),
                ([255, 0, 0], 200, 100),
                ([0, 0, 255], 200, 100),
            )
        ]
    return {"SessionInformation": {"Challenge": {challenge.value: body}}}


def _credential_region(query: Mapping[str, list[str]]) -> str | None:
    credential = (query.get("X-Amz-Credential") or [""])[0]
    parts = credential.split("/")
    return parts[2] if len(parts) >= 5 else None


class StreamingEndpoint:
    """The endpoint in a background thread with its own event loop; `start()` returns once it listens."""

    def __init__(
        self,
        emulator: FaceLivenessEmulator,
        clock: Callable[[], datetime],
        *,
        faults: DependencyFaults,
        region: str,
        outcomes: ScriptedOutcomes | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.emulator = emulator
        self.faults = faults
        self.clock = clock
        self.region = region
        self.outcomes = outcomes or ScriptedOutcomes()
        self.host = host
        self.port = port
        # The latest connections, newest last (a long `make local` keeps only these).
        self.records: deque[StreamRecord] = deque(maxlen=MAX_RECORDS)
        # Set RECORD_FRAMES_ENV to a folder to keep every frame a client sends (test data for the decoder).
        record_dir = os.environ.get(RECORD_FRAMES_ENV)
        self.record_dir = Path(record_dir) if record_dir else None
        self.certificate: tls.LocalCertificate | None = None
        self._streamed: set[str] = set()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def certificate_spki(self) -> str:
        """The base64 SHA-256 of the certificate's public key, for Chromium's --ignore-certificate-errors-spki-list."""
        return self.certificate.spki_sha256 if self.certificate is not None else ""

    @property
    def url(self) -> str:
        """What `config.endpointOverride` takes."""
        return f"wss://{self.host}:{self.port}"

    def start(self) -> StreamingEndpoint:
        self.certificate = tls.generate(self.host)
        ready = threading.Event()
        failure: list[OSError] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(self._listen())
            except OSError as error:  # the port is taken, say: reported to start()'s caller
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="liveness-streaming", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        return self

    async def _listen(self) -> Server:
        assert self.certificate is not None
        server = await serve(
            self._connection,
            self.host,
            self.port,
            ssl=self.certificate.server_context(),
            process_request=self._plain_http,
            max_size=MAX_FRAME_BYTES,
            # The detector sends nothing until it records; the service does not ping either.
            ping_interval=None,
        )
        self.port = server.sockets[0].getsockname()[1]
        return server

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is not None and server is not None:

            async def close() -> None:
                server.close()
                await server.wait_closed()

            try:
                asyncio.run_coroutine_threadsafe(close(), loop).result(10)
            finally:
                loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        if self.certificate is not None:
            self.certificate.remove()

    def _plain_http(self, connection: ServerConnection, request: Request) -> Response | None:
        """A plain HTTPS visit (to accept the certificate in a desktop browser) gets a page, not a 426."""
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        return connection.respond(
            HTTPStatus.OK,
            "Face Liveness local streaming endpoint: the certificate is accepted. Go back to the demo page.\n",
        )

    async def _connection(self, connection: ServerConnection) -> None:
        request = connection.request
        assert request is not None
        target = urlsplit(request.path)
        query = parse_qs(target.query)
        session_id = (query.get("session-id") or [""])[0]
        record = StreamRecord(session_id)
        with self._lock:
            self.records.append(record)
        try:
            if target.path != PATH:
                raise _StreamError(VALIDATION, f"Unknown path {target.path}")
            record.challenge = self._open(session_id, query)
            width = int((query.get("video-width") or ["640"])[0])
            height = int((query.get("video-height") or ["480"])[0])
            await connection.send(
                eventstream.event("ServerSessionInformationEvent", session_information(record.challenge, width, height))
            )
            await self._receive(connection, record)
        except _StreamError as error:
            record.error = error.exception_type
            _log.info("stream %s: %s", session_id, error)
            try:
                await connection.send(eventstream.exception(error.exception_type, error.message))
                await connection.close(CLOSE_AFTER_EXCEPTION, error.exception_type)
            except ConnectionClosed:
                pass
        except ConnectionClosed:
            pass
        finally:
            record.close_code = connection.close_code

    def _open(self, session_id: str, query: Mapping[str, list[str]]) -> ChallengeType:
        region = _credential_region(query)
        if region is not None and region != self.region:
            raise _StreamError(INVALID_SIGNATURE, "Credential should be scoped to a valid region.")
        fault = self.faults.take("rekognition", STREAMING_OPERATION)
        if fault is not None:
            raise _StreamError(FAULT_EXCEPTIONS.get(fault.code, fault.code), fault.message)
        session = self.emulator.session(session_id) if session_id else None
        if session is None or self.clock() >= session.expires_at or session.status is SessionStatus.EXPIRED:
            raise _StreamError(SESSION_NOT_FOUND, f"Session not found: {session_id}")
        with self._lock:
            already = session_id in self._streamed or session.status is not SessionStatus.CREATED
            self._streamed.add(session_id)
        if already:
            raise _StreamError(VALIDATION, f"Session {session_id} has already been used.")
        challenge = choose_challenge(session.settings, (query.get("challenge-versions") or [""])[0])
        self.emulator.start(session_id)
        return challenge

    async def _receive(self, connection: ServerConnection, record: StreamRecord) -> None:
        async for frame in connection:
            if isinstance(frame, str):
                raise _StreamError(VALIDATION, "Frames must be binary event-stream messages.")
            self._keep(record, frame)
            try:
                message = eventstream.unwrap(frame)
                if message.event_type == "ClientSessionInformationEvent":
                    record.client_events.append(message.json())
                    continue
                if message.event_type != "VideoEvent":
                    continue
                chunk, timestamp = _video_event(message)
            except (ValueError, binascii.Error, eventstream.ParserError) as error:
                # JSON and base64 errors are ValueErrors too.
                raise _StreamError(VALIDATION, f"Malformed event-stream message: {error}") from error
            if chunk:
                record.video_events += 1
                record.video_bytes += len(chunk)
                continue
            if isinstance(timestamp, dict) and "closeCode" in timestamp:
                # The client gave up (cancel, timeout, error): nothing to judge.
                return
            await self._finish(connection, record)
            return

    def _keep(self, record: StreamRecord, frame: bytes) -> None:
        if self.record_dir is None:
            return
        self.record_dir.mkdir(parents=True, exist_ok=True)
        index = record.video_events + len(record.client_events)
        (self.record_dir / f"{record.session_id}-{index:03d}-{len(frame)}.bin").write_bytes(frame)

    async def _finish(self, connection: ServerConnection, record: StreamRecord) -> None:
        scripted = self.outcomes.take(record.session_id)
        record.outcome = scripted.outcome
        if record.video_events == 0:
            raise _StreamError(VALIDATION, "The stream ended without any video.")
        if scripted.outcome is Outcome.FAIL:
            await asyncio.to_thread(self.emulator.fail, record.session_id)
        else:
            confidence = scripted.resolved_confidence(self.outcomes.live_confidence)
            await asyncio.to_thread(
                self.emulator.complete, record.session_id, confidence=confidence, challenge_type=record.challenge
            )
        await connection.send(eventstream.event("DisconnectionEvent", {"TimestampMillis": int(time.time() * 1000)}))
        await connection.close(CLOSE_NORMAL)


def _video_event(message: eventstream.Message) -> tuple[bytes, Any]:
    """The chunk and TimestampMillis of a VideoEvent: JSON with a base64 chunk, or the raw chunk as payload."""
    content_type = message.headers.get(":content-type", "application/json")
    if content_type != "application/json":
        return message.payload, None
    body = json.loads(message.payload or b"{}")
    return base64.b64decode(body.get("VideoChunk") or "", validate=True), body.get("TimestampMillis")
