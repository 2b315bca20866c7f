"""The pieces of the local streaming endpoint's protocol that are not the server: what a connection records, the
exceptions it answers with, and how it reads a credential's region, a VideoEvent and the ledger."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from liveness_api.vocabulary import ChallengeType
from liveness_local import eventstream
from liveness_local.outcomes import Outcome
from liveness_local.vocabulary import FaultCode

if TYPE_CHECKING:
    from liveness_local.backend import LocalBackend

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


@dataclass
class StreamRecord:
    """What one connection received and how it ended, for tests and the console."""

    session_id: str
    challenge: ChallengeType | None = None
    video_events: int = 0
    video_bytes: int = 0
    client_events: list[dict[str, Any]] = field(default_factory=list)
    outcome: Outcome | None = None
    error: str | None = None
    close_code: int | None = None
    # The code a client's closing chunk carried (`{"closeCode": 4003}`), if it sent one.
    client_close_code: int | None = None
    # How it ended, when not with a verdict (an exception, a client that gave up): the console's one line.
    ending: str | None = None
    # The connection's handler is done: the session is as this stream leaves it.
    settled: bool = False
    # This connection moved the session to IN_PROGRESS; and it then completed it.
    started: bool = False
    finished: bool = False


class StreamError(Exception):
    def __init__(self, exception_type: str, message: str) -> None:
        super().__init__(f"{exception_type}: {message}")
        self.exception_type = exception_type
        self.message = message


def credential_region(query: Mapping[str, list[str]]) -> str | None:
    credential = (query.get("X-Amz-Credential") or [""])[0]
    parts = credential.split("/")
    return parts[2] if len(parts) >= 5 else None


def erased_in_ledger(backend: LocalBackend) -> Callable[[str], bool]:
    """Whether the API erased a session: its ledger record is gone. Read with the twin's own DynamoDB client, so
    that faults injected for the function's calls are never used up here."""
    from liveness_api.adapters.ledger import DynamoSessionLedger

    settings = backend.settings
    ledger = DynamoSessionLedger(
        backend.dynamodb,
        settings.ledger_table,
        retention=timedelta(days=settings.retention_days),
        max_failures=settings.abuse_max_failures,
        failure_window=timedelta(seconds=settings.abuse_window_seconds),
        cooldown=timedelta(seconds=settings.abuse_cooldown_seconds),
    )
    return lambda session_id: ledger.get_session(session_id) is None


def video_event(message: eventstream.Message) -> tuple[bytes, Any]:
    """The chunk and TimestampMillis of a VideoEvent: JSON with a base64 chunk, or the raw chunk as payload."""
    content_type = message.headers.get(":content-type", "application/json")
    if content_type != "application/json":
        return message.payload, None
    body = json.loads(message.payload or b"{}")
    return base64.b64decode(body.get("VideoChunk") or "", validate=True), body.get("TimestampMillis")


def video_size(query: Mapping[str, list[str]]) -> tuple[int, int]:
    """The video-width and video-height query parameters (the detector's defaults when absent)."""
    try:
        width = int((query.get("video-width") or ["640"])[0])
        height = int((query.get("video-height") or ["480"])[0])
    except ValueError as error:
        raise StreamError(VALIDATION, "video-width and video-height must be whole numbers of pixels.") from error
    if width < 1 or height < 1:
        raise StreamError(VALIDATION, "video-width and video-height must be positive.")
    return width, height
