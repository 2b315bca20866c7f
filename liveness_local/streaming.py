"""StartFaceLivenessSession, locally: the WebSocket endpoint the Amplify detector streams video to.

    wss://127.0.0.1:<port>/start-face-liveness-session-websocket?session-id=...&challenge-versions=...

It runs beside the local API in the same process and shares the Face Liveness emulator (its sessions and clock)
and the fault injector (`POST /_local/faults` with `"operation": "StartFaceLivenessSession"`, or none, fails it).
The flow follows the Amplify detector (docs/local.md, "Try it in a browser"):

1. On open the endpoint checks the session and pushes a `ServerSessionInformationEvent`: the first of the
   session's `ChallengePreferences` that the client also offers (`challenge-versions`), with the oval, thresholds
   and colours of `liveness_local.stream_challenge` (the service's by default; `-c localStreaming=lenient`).
2. It reads `VideoEvent`s and `ClientSessionInformationEvent`s (each inside a signed envelope) and keeps the video.
3. On the empty `VideoEvent` (the end of the video) it completes the emulated session with the outcome scripted
   for it (LIVE by default; `POST /_local/sessions/{id}/outcome` sets spoof or fail), storing real frames of the
   video as the reference and audit images, sends `DisconnectionEvent` and closes with 1000.

It cannot judge liveness: outcomes are scripted. It does not check SigV4 signatures (only the region the
credential is scoped to). Errors are event-stream exceptions followed by a close, as the service sends them, and
one log line; the session then ends as `_abandon` says. What each edge becomes (docs/local.md says why):
- an unknown, expired or erased session, at open or mid-stream: SessionNotFoundException;
- a session already streamed, a malformed event, a video over 10 MB or one that cannot be decoded, and a socket
  idle for `idle_timeout` seconds: ValidationException;
- a client that closes before the end of the video (the detector's 4001 on an oval-fit timeout, 4003 on cancel):
  no exception (nobody is listening); the session becomes FAILED.
"""

from __future__ import annotations

import asyncio
import binascii
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from liveness_api.vocabulary import ChallengeType, SessionStatus
from liveness_local import eventstream, tls
from liveness_local.emulated_session import InvalidTransitionError, UnknownSessionError
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.faults import DependencyFaults
from liveness_local.outcomes import Outcome, ScriptedOutcomes
from liveness_local.stream_challenge import ChallengeRefused, StreamingProfile, choose_challenge, session_information
from liveness_local.stream_protocol import (
    FAULT_EXCEPTIONS,
    INVALID_SIGNATURE,
    SESSION_NOT_FOUND,
    VALIDATION,
    StreamError,
    StreamRecord,
    credential_region,
    erased_in_ledger,
    video_event,
    video_size,
)
from liveness_local.video_frames import UnreadableVideoError, stills
from liveness_local.vocabulary import STREAMING_OPERATION

if TYPE_CHECKING:
    from liveness_local.backend import LocalBackend

PATH: Final = "/start-face-liveness-session-websocket"
# Normal closure: since 3.6.6 the detector reports any other code (but 1001) as an error.
CLOSE_NORMAL: Final = 1000
# What the close after an exception says (the SDK has already thrown by then).
CLOSE_AFTER_EXCEPTION: Final = 1011
# "The maximum video size for Face Liveness is 10 MB" (StartFaceLivenessSession in the API reference).
MAX_VIDEO_BYTES: Final = 10 * 1024 * 1024
# One WebSocket message carries one chunk (about a second of video), base64 in JSON: a whole video's worth.
MAX_FRAME_BYTES: Final = 16 * 1024 * 1024
# Neither AWS nor the detector documents how long the service waits for a silent client: this is chosen. The
# detector sends nothing until it records, so it must cover a person finding the camera: twice the oval-fit
# timeout the service sends (15 s).
IDLE_TIMEOUT_SECONDS: Final = 30.0

MAX_RECORDS: Final = 100
RECORD_FRAMES_ENV: Final = "LIVENESS_STREAM_RECORD_DIR"

_log = logging.getLogger(__name__)


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
        profile: StreamingProfile = StreamingProfile.STRICT,
        idle_timeout: float = IDLE_TIMEOUT_SECONDS,
        is_erased: Callable[[str], bool] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if idle_timeout <= 0:
            raise ValueError(f"idle_timeout must be positive, got {idle_timeout}")
        self.emulator = emulator
        self.faults = faults
        self.clock = clock
        self.region = region
        self.outcomes = outcomes or ScriptedOutcomes()
        self.profile = profile
        self.idle_timeout = idle_timeout
        self.is_erased = is_erased or (lambda _session_id: False)
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

    @classmethod
    def for_backend(
        cls, backend: LocalBackend, outcomes: ScriptedOutcomes | None = None, **options: Any
    ) -> StreamingEndpoint:
        """The endpoint on a local backend's emulator, clock, faults and ledger (`options`: the constructor's)."""
        return cls(
            backend.emulator,
            backend.clock,
            faults=backend.faults,
            region=backend.config.region,
            outcomes=outcomes,
            is_erased=erased_in_ledger(backend),
            **options,
        )

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
                raise StreamError(VALIDATION, f"Unknown path {target.path}")
            width, height = video_size(query)
            record.challenge = await asyncio.to_thread(self._open, record, query)
            information = session_information(record.challenge, width, height, self.profile)
            await connection.send(eventstream.event("ServerSessionInformationEvent", information))
            await self._receive(connection, record)
        except StreamError as error:
            record.error = error.exception_type
            record.ending = f"{error.exception_type}: {error.message}"
            try:
                await connection.send(eventstream.exception(error.exception_type, error.message))
                await connection.close(CLOSE_AFTER_EXCEPTION, error.exception_type)
            except ConnectionClosed:
                pass
        except ConnectionClosed:
            record.ending = f"the client closed the socket (code {connection.close_code})"
        finally:
            record.close_code = connection.close_code
            failed = record.started and not record.finished and await asyncio.to_thread(self._abandon, record)
            if record.ending is not None:
                # One line for each stream that did not end with a verdict.
                _log.warning("stream %s: %s%s", session_id, record.ending, "; the session is FAILED" if failed else "")
            record.settled = True

    def _open(self, record: StreamRecord, query: Mapping[str, list[str]]) -> ChallengeType:
        region = credential_region(query)
        if region is not None and region != self.region:
            raise StreamError(INVALID_SIGNATURE, "Credential should be scoped to a valid region.")
        fault = self.faults.take("rekognition", STREAMING_OPERATION)
        if fault is not None:
            raise StreamError(FAULT_EXCEPTIONS.get(fault.code, fault.code), fault.message)
        session_id = record.session_id
        self._require_live(session_id)
        session = self.emulator.session(session_id)
        assert session is not None
        with self._lock:
            already = session_id in self._streamed or session.status is not SessionStatus.CREATED
            self._streamed.add(session_id)
        if already:
            raise StreamError(VALIDATION, f"Session {session_id} has already been used.")
        try:
            challenge = choose_challenge(session.settings, (query.get("challenge-versions") or [""])[0])
        except ChallengeRefused as refused:
            raise StreamError(VALIDATION, str(refused)) from refused
        try:
            self.emulator.start(session_id)
        except (InvalidTransitionError, UnknownSessionError) as error:
            # Its lifetime ended (or a control route expired it) since the check above.
            raise StreamError(SESSION_NOT_FOUND, f"Session not found: {session_id}") from error
        record.started = True
        return challenge

    def _require_live(self, session_id: str) -> None:
        """SessionNotFoundException unless the session exists, is within its lifetime, not EXPIRED and not erased:
        the service's answer for a session whose data is gone ("a SessionId expires 3 minutes after it's sent,
        making all Liveness data associated with the session ... unavailable", CreateFaceLivenessSession)."""
        session = self.emulator.session(session_id) if session_id else None
        if (
            session is None
            or self.clock() >= session.expires_at
            or session.status is SessionStatus.EXPIRED
            or self.is_erased(session_id)
        ):
            raise StreamError(SESSION_NOT_FOUND, f"Session not found: {session_id}")

    def _seconds_left(self, session_id: str) -> float:
        session = self.emulator.session(session_id)
        return 0.0 if session is None else (session.expires_at - self.clock()).total_seconds()

    async def _receive(self, connection: ServerConnection, record: StreamRecord) -> None:
        video = bytearray()
        while True:
            # Wake at the idle timeout, or when the session's lifetime ends if that comes first.
            wait = max(0.0, min(self.idle_timeout, self._seconds_left(record.session_id)))
            try:
                frame = await asyncio.wait_for(connection.recv(), timeout=wait)
            except TimeoutError:
                await asyncio.to_thread(self._require_live, record.session_id)
                if self._seconds_left(record.session_id) > 0 and wait < self.idle_timeout:
                    continue  # woken early by a lifetime that another clock moved: wait again
                raise StreamError(VALIDATION, f"No data was received for {self.idle_timeout:g} seconds.") from None
            await asyncio.to_thread(self._require_live, record.session_id)
            if isinstance(frame, str):
                raise StreamError(VALIDATION, "Frames must be binary event-stream messages.")
            self._keep(record, frame)
            try:
                message = eventstream.unwrap(frame)
                if message.event_type == "ClientSessionInformationEvent":
                    record.client_events.append(message.json())
                    continue
                if message.event_type != "VideoEvent":
                    continue
                chunk, timestamp = video_event(message)
            except (ValueError, binascii.Error, eventstream.ParserError) as error:
                # JSON and base64 errors are ValueErrors too.
                raise StreamError(VALIDATION, f"Malformed event-stream message: {error}") from error
            if chunk:
                record.video_events += 1
                record.video_bytes += len(chunk)
                if record.video_bytes > MAX_VIDEO_BYTES:
                    raise StreamError(VALIDATION, f"The video is larger than {MAX_VIDEO_BYTES // 2**20} MB.")
                video += chunk
                continue
            if isinstance(timestamp, dict) and "closeCode" in timestamp:
                # The client gave up (cancel, timeout, error): nothing to judge; `_abandon` records it.
                record.client_close_code = timestamp["closeCode"]
                record.ending = f"the client gave up (code {record.client_close_code})"
                return
            await self._finish(connection, record, bytes(video))
            return

    def _keep(self, record: StreamRecord, frame: bytes) -> None:
        if self.record_dir is None:
            return
        self.record_dir.mkdir(parents=True, exist_ok=True)
        index = record.video_events + len(record.client_events)
        (self.record_dir / f"{record.session_id}-{index:03d}-{len(frame)}.bin").write_bytes(frame)

    async def _finish(self, connection: ServerConnection, record: StreamRecord, video: bytes) -> None:
        if record.video_events == 0:
            raise StreamError(VALIDATION, "The stream ended without any video.")
        await asyncio.to_thread(self._complete, record, video)
        await connection.send(eventstream.event("DisconnectionEvent", {"TimestampMillis": int(time.time() * 1000)}))
        await connection.close(CLOSE_NORMAL)

    def _complete(self, record: StreamRecord, video: bytes) -> None:
        session_id = record.session_id
        session = self.emulator.session(session_id)
        limit = session.settings.get("AuditImagesLimit", 0) if session is not None else 0
        try:
            frames = stills(video, audit_limit=limit)
        except UnreadableVideoError as error:
            raise StreamError(VALIDATION, f"The video could not be read: {error}") from error
        scripted = self.outcomes.take(session_id)
        record.outcome = scripted.outcome
        self._require_live(session_id)
        try:
            if scripted.outcome is Outcome.FAIL:
                self.emulator.fail(session_id)
            else:
                confidence = scripted.resolved_confidence(self.outcomes.live_confidence)
                self.emulator.complete(
                    session_id, confidence=confidence, challenge_type=record.challenge, frames=frames
                )
        except (InvalidTransitionError, UnknownSessionError) as error:
            # Its lifetime ended (or a control route expired it) between the check above and now.
            raise StreamError(SESSION_NOT_FOUND, f"Session not found: {session_id}") from error
        record.finished = True

    def _abandon(self, record: StreamRecord) -> bool:
        """A stream that started but never completed leaves its session FAILED (True): it was used (a session
        streams once) and the service has no verdict for it. Assumed, not documented; an expired or erased session
        stays as it is (False)."""
        try:
            self._require_live(record.session_id)
            self.emulator.fail(record.session_id)
        except (StreamError, InvalidTransitionError, UnknownSessionError):
            return False
        return True
