"""Amazon Rekognition Face Liveness, emulated at the botocore layer for tests and local runs.

moto has no Face Liveness. `FaceLivenessEmulator` answers CreateFaceLivenessSession and
GetFaceLivenessSessionResults from a `before-send` hook on a real boto3 Rekognition client, so boto3's
serialisation, response parsing, error parsing and retries all run unchanged: only the network is replaced.
In the real service the end user's browser streams video to Rekognition and so moves the session along; here
the control methods (`start`, `complete`, `fail`, `expire`) play that part.

With moto: botocore calls every `before-send` handler, not just the first to answer, so moto's handler still
sees these calls after the emulator has answered them, and raises NotImplementedError. Start moto with
`mock_aws(config=MOTO_CONFIG)`, which lets Rekognition pass through moto.

Where the service's behaviour is not documented, the emulator assumes (each in one place below):
- the same ClientRequestToken returns the same session, whatever the other parameters and however old;
- an output bucket the service cannot reach (missing, or in another region) gives AccessDeniedException;
- objects are written under `{S3KeyPrefix}{SessionId}/reference.jpg` and
  `{S3KeyPrefix}{SessionId}/audit_images/{n}.jpg`, SSE-KMS with the session's key;
- the challenge is the first one asked for, at the version in `vocabulary.CHALLENGE_VERSIONS`.

The closed sets (statuses, challenges, fault codes, operations) and the result's parts (bounding box, challenge)
are the backend's own (`liveness_api.vocabulary`, `liveness_api.models`); only their PascalCase wire form is
written here, as the service writes it.
"""

import base64
import dataclasses
import functools
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from liveness_api.contract import SESSION_LIFETIME_SECONDS
from liveness_api.models import BoundingBox, Challenge
from liveness_api.vocabulary import (
    CHALLENGE_VERSIONS,
    DEFAULT_CHALLENGE,
    ChallengeType,
    FaultCode,
    LivenessOperation,
    RekognitionErrorCode,
    SessionStatus,
)
from liveness_local.jpeg import reference_jpeg
from liveness_local.service_model import validate
from liveness_local.wire import RawBody, was_answered_by_a_fault

if TYPE_CHECKING:
    from moto.core.config import DefaultConfig

SUCCESS: Final = "Success"
# moto settings under which the emulator can answer: moto must not handle Rekognition calls itself.
MOTO_CONFIG: Final["DefaultConfig"] = {"core": {"passthrough": {"services": ["rekognition"]}}}

_TARGET_PREFIX: Final = "RekognitionService"
_CONTENT_TYPE: Final = "application/x-amz-json-1.1"
# The message the service sends with each fault `inject_fault` can inject.
FAULT_MESSAGES: Final[Mapping[FaultCode, str]] = {
    FaultCode.THROTTLING: "Rate exceeded",
    FaultCode.PROVISIONED_THROUGHPUT_EXCEEDED: "Provisioned rate exceeded",
    FaultCode.INTERNAL_SERVER_ERROR: "Internal server error",
    FaultCode.ACCESS_DENIED: "User is not authorized to perform this action",
}
# The streaming operation the browser calls (liveness_local/streaming.py); the handler never calls it.
STREAMING_OPERATION: Final = "StartFaceLivenessSession"
FAULTABLE_OPERATIONS: Final = (*LivenessOperation, STREAMING_OPERATION)
_SERVER_ERRORS: Final = frozenset({RekognitionErrorCode.INTERNAL_SERVER_ERROR.value})
_OPEN: Final = frozenset({SessionStatus.CREATED, SessionStatus.IN_PROGRESS})


class UnknownSessionError(KeyError):
    """No session with this id was ever created."""


class InvalidTransitionError(ValueError):
    """The session cannot move to the requested state: it is already finished or past its lifetime."""


@dataclass(frozen=True)
class LivenessImage:
    """A reference or audit image: an S3 object when the session has an OutputConfig, inline bytes otherwise."""

    bounding_box: BoundingBox
    bucket: str | None = None
    key: str | None = None
    version_id: str | None = None
    data: bytes | None = None

    def to_wire(self) -> dict[str, Any]:
        box = self.bounding_box
        image: dict[str, Any] = {
            "BoundingBox": {"Width": box.width, "Height": box.height, "Left": box.left, "Top": box.top}
        }
        if self.bucket is None:
            image["Bytes"] = self.data
        else:
            image["S3Object"] = {"Bucket": self.bucket, "Name": self.key}
            if self.version_id is not None:
                image["S3Object"]["Version"] = self.version_id
        return image


@dataclass(frozen=True)
class EmulatedSession:
    """What the emulator knows about one session. Sessions are replaced, never changed, so a snapshot handed
    out stays as it was."""

    session_id: str
    status: SessionStatus
    created_at: datetime
    expires_at: datetime
    client_request_token: str | None
    kms_key_id: str | None
    settings: Mapping[str, Any]
    confidence: float | None = None
    challenge: Challenge | None = None
    reference_image: LivenessImage | None = None
    audit_images: tuple[LivenessImage, ...] = ()


@dataclass(frozen=True)
class RecordedCall:
    """One attempt that reached the emulator; `outcome` is SUCCESS or the error code it answered with."""

    operation: str
    params: Mapping[str, Any]
    outcome: str


@dataclass
class _Fault:
    code: str
    remaining: int
    operation: str | None


class _ServiceError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _utc_now() -> datetime:
    return datetime.now(UTC)


class FaceLivenessEmulator:
    """Stands in for Rekognition's Face Liveness backend operations on the clients it is attached to.

    One lock guards all state, S3 writes included, so a threaded local server may drive it: a session can
    never be seen half-completed.
    """

    def __init__(
        self,
        s3_client: Any,
        *,
        clock: Callable[[], datetime] | None = None,
        session_lifetime: timedelta = timedelta(seconds=SESSION_LIFETIME_SECONDS),
        region: str = "us-east-1",
    ) -> None:
        if session_lifetime <= timedelta(0):
            raise ValueError(f"session_lifetime must be positive, got {session_lifetime}")
        self._s3 = s3_client
        self._clock = clock or _utc_now
        self._lifetime = session_lifetime
        self._region = region
        self._lock = threading.Lock()
        self._sessions: dict[str, EmulatedSession] = {}
        self._sessions_by_token: dict[str, str] = {}
        self._faults: list[_Fault] = []
        self._calls: list[RecordedCall] = []
        self._operations: Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            LivenessOperation.CREATE_SESSION: self._create_session,
            LivenessOperation.GET_RESULTS: self._get_results,
        }

    def attach(self, rekognition_client: Any) -> None:
        """Answer this client's Rekognition calls from now on. Attaching the same client again is harmless."""
        service_name = rekognition_client.meta.service_model.service_name
        if service_name != "rekognition":
            raise ValueError(f"expected a rekognition client, got {service_name}")
        if rekognition_client.meta.region_name != self._region:
            # Sessions are regional: one created in another region is "not found" here.
            raise ValueError(f"client region {rekognition_client.meta.region_name} is not {self._region}")
        # First, so no handler registered earlier on this client answers (or fails) before the emulator does.
        rekognition_client.meta.events.register_first(
            "before-send.rekognition", self._on_before_send, unique_id=f"face-liveness-emulator-{id(self)}"
        )

    def start(self, session_id: str) -> None:
        """The end user's client began streaming: CREATED -> IN_PROGRESS."""
        self._move(session_id, frozenset({SessionStatus.CREATED}), SessionStatus.IN_PROGRESS)

    def complete(self, session_id: str, *, confidence: float, challenge_type: ChallengeType | None = None) -> None:
        """The check finished: the session SUCCEEDED with this Confidence (0-100) and its images are stored.

        Accepts a CREATED session too, so a test need not call `start` first.
        """
        if not 0 <= confidence <= 100:
            raise ValueError(f"confidence must be 0-100, got {confidence}")
        if challenge_type is not None and challenge_type not in CHALLENGE_VERSIONS:
            raise ValueError(f"challenge_type must be one of {', '.join(ChallengeType)}, got {challenge_type}")
        with self._lock:
            session = self._open_session(session_id, _OPEN)
            reference, *audit = self._store_images(session)
            self._sessions[session_id] = dataclasses.replace(
                session,
                status=SessionStatus.SUCCEEDED,
                confidence=float(confidence),
                challenge=_choose_challenge(session.settings, challenge_type),
                reference_image=reference,
                audit_images=tuple(audit),
            )

    def fail(self, session_id: str) -> None:
        """The check finished and the service could not decide: FAILED, with no confidence and no images."""
        self._move(session_id, _OPEN, SessionStatus.FAILED)

    def expire(self, session_id: str) -> None:
        """Nobody finished the check: EXPIRED, as the service reports an abandoned session."""
        self._move(session_id, _OPEN, SessionStatus.EXPIRED)

    def inject_fault(self, error_code: str, times: int = 1, operation: str | None = None) -> None:
        """Make the next `times` attempts (of `operation` only, when given) fail with `error_code`.

        Each attempt botocore makes consumes one, retries included, as with the real service.
        """
        if error_code not in FAULT_MESSAGES:
            raise ValueError(f"error_code must be one of {', '.join(FaultCode)}, got {error_code}")
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        if operation is not None and operation not in FAULTABLE_OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(FAULTABLE_OPERATIONS)}, got {operation}")
        with self._lock:
            self._faults.append(_Fault(error_code, times, operation))

    def take_fault(self, operation: str) -> tuple[str, str] | None:
        """Consume the next injected fault for `operation`, a call that is not botocore's (the local streaming
        endpoint's StartFaceLivenessSession): its error code and the service's message, or None."""
        with self._lock:
            try:
                self._raise_injected_fault(operation)
            except _ServiceError as error:
                return error.code, error.message
        return None

    def session(self, session_id: str) -> EmulatedSession | None:
        """The session as it stands, even past its lifetime; None when it was never created."""
        with self._lock:
            return self._sessions.get(session_id)

    @property
    def calls(self) -> list[RecordedCall]:
        """Every attempt received so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def reset(self) -> None:
        """Forget all sessions, tokens, pending faults and recorded calls."""
        with self._lock:
            self._sessions.clear()
            self._sessions_by_token.clear()
            self._faults.clear()
            self._calls.clear()

    def _on_before_send(self, request: Any, **_kwargs: Any) -> AWSResponse | None:
        if was_answered_by_a_fault(request):
            return None  # an injected fault answered this attempt: the service never saw it
        # botocore encodes header values to UTF-8 bytes before `before-send`.
        target_prefix, _, target = request.headers.get("X-Amz-Target", b"").decode().partition(".")
        handler = self._operations.get(target) if target_prefix == _TARGET_PREFIX else None
        if handler is None:
            # Returning None would let botocore send the request to the real endpoint.
            raise NotImplementedError(
                f"FaceLivenessEmulator emulates only {', '.join(LivenessOperation)}, not {target or 'this call'}"
            )
        operation = LivenessOperation(target)
        params: dict[str, Any] = json.loads(request.body or b"{}")
        with self._lock:
            try:
                self._raise_injected_fault(operation)
                body = handler(params)
            except _ServiceError as error:
                self._calls.append(RecordedCall(operation, params, error.code))
                return _error_response(request.url, error)
            problems = validate(_operation_model(operation).output_shape, body)
            if problems:
                raise AssertionError(f"the emulator built an invalid {operation} response: {'; '.join(problems)}")
            self._calls.append(RecordedCall(operation, params, SUCCESS))
        return _json_response(request.url, 200, body)

    def _raise_injected_fault(self, operation: str) -> None:
        fault = next((f for f in self._faults if f.operation in (None, operation)), None)
        if fault is None:
            return
        fault.remaining -= 1
        if fault.remaining == 0:
            self._faults.remove(fault)
        raise _ServiceError(fault.code, FAULT_MESSAGES[FaultCode(fault.code)])

    def _create_session(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid(LivenessOperation.CREATE_SESSION, params)
        token = params.get("ClientRequestToken")
        if token is not None and token in self._sessions_by_token:
            return {"SessionId": self._sessions_by_token[token]}
        settings = params.get("Settings", {})
        if "OutputConfig" in settings:
            self._require_reachable_bucket(settings["OutputConfig"]["S3Bucket"])
        now = self._clock()
        session = EmulatedSession(
            session_id=str(uuid.uuid4()),
            status=SessionStatus.CREATED,
            created_at=now,
            expires_at=now + self._lifetime,
            client_request_token=token,
            kms_key_id=params.get("KmsKeyId"),
            settings=settings,
        )
        self._sessions[session.session_id] = session
        if token is not None:
            self._sessions_by_token[token] = session.session_id
        return {"SessionId": session.session_id}

    def _get_results(self, params: Mapping[str, Any]) -> dict[str, Any]:
        _require_valid(LivenessOperation.GET_RESULTS, params)
        session_id = params["SessionId"]
        session = self._sessions.get(session_id)
        # The service drops everything about a session once its lifetime is over.
        if session is None or self._clock() >= session.expires_at:
            raise _ServiceError(RekognitionErrorCode.SESSION_NOT_FOUND, f"Session not found: {session_id}")
        results: dict[str, Any] = {"SessionId": session_id, "Status": session.status.value}
        if session.status is SessionStatus.SUCCEEDED:
            assert session.reference_image is not None
            assert session.challenge is not None
            results |= {
                "Confidence": session.confidence,
                "ReferenceImage": session.reference_image.to_wire(),
                "AuditImages": [image.to_wire() for image in session.audit_images],
                "Challenge": {"Type": session.challenge.type.value, "Version": session.challenge.version},
            }
        return results

    def _require_reachable_bucket(self, bucket: str) -> None:
        try:
            bucket_region = self._s3.head_bucket(Bucket=bucket).get("BucketRegion")
        except ClientError as error:
            raise _ServiceError(RekognitionErrorCode.ACCESS_DENIED, f"Cannot access S3 bucket {bucket}") from error
        if bucket_region != self._region:
            raise _ServiceError(RekognitionErrorCode.ACCESS_DENIED, f"S3 bucket {bucket} is not in {self._region}")

    def _move(self, session_id: str, allowed: frozenset[SessionStatus], status: SessionStatus) -> None:
        with self._lock:
            session = self._open_session(session_id, allowed)
            self._sessions[session_id] = dataclasses.replace(session, status=status)

    def _open_session(self, session_id: str, allowed: frozenset[SessionStatus]) -> EmulatedSession:
        session = self._sessions.get(session_id)
        if session is None:
            raise UnknownSessionError(session_id)
        if session.status not in allowed:
            raise InvalidTransitionError(f"session {session_id} is {session.status}")
        if self._clock() >= session.expires_at:
            raise InvalidTransitionError(f"session {session_id} is past its lifetime")
        return session

    def _store_images(self, session: EmulatedSession) -> list[LivenessImage]:
        """The reference image first, then the audit images, written to S3 when the session asked for it."""
        names = ["reference.jpg"] + [
            f"audit_images/{n}.jpg" for n in range(1, session.settings.get("AuditImagesLimit", 0) + 1)
        ]
        output = session.settings.get("OutputConfig")
        if output is None:
            return [LivenessImage(_bounding_box(index), data=reference_jpeg()) for index in range(len(names))]
        encryption = {"ServerSideEncryption": "aws:kms"}
        if session.kms_key_id is not None:
            encryption["SSEKMSKeyId"] = session.kms_key_id
        images = []
        for index, name in enumerate(names):
            key = f"{output.get('S3KeyPrefix', '')}{session.session_id}/{name}"
            written = self._s3.put_object(
                Bucket=output["S3Bucket"], Key=key, Body=reference_jpeg(), ContentType="image/jpeg", **encryption
            )
            # An unversioned bucket returns no VersionId, and the service then reports no Version.
            images.append(LivenessImage(_bounding_box(index), output["S3Bucket"], key, written.get("VersionId")))
        return images


def _choose_challenge(settings: Mapping[str, Any], override: ChallengeType | None) -> Challenge:
    preferences = settings.get("ChallengePreferences") or [{"Type": DEFAULT_CHALLENGE}]
    challenge_type = ChallengeType(override or preferences[0]["Type"])
    # model_construct: the emulator answers with whatever its table says, so that the output check below it
    # (against the service model) is what catches a bad version, as it would catch the service's own.
    return Challenge.model_construct(type=challenge_type, version=CHALLENGE_VERSIONS[challenge_type])


def _bounding_box(index: int) -> BoundingBox:
    # A face in the middle of a portrait frame, drifting a little from one image to the next.
    return BoundingBox(width=0.42, height=0.56, left=round(0.29 + 0.01 * index, 2), top=0.18)


@functools.cache
def _service_model() -> Any:
    return botocore.session.get_session().get_service_model("rekognition")


def _operation_model(operation: LivenessOperation) -> Any:
    return _service_model().operation_model(operation)


def _require_valid(operation: LivenessOperation, params: Mapping[str, Any]) -> None:
    problems = validate(_operation_model(operation).input_shape, params)
    if problems:
        raise _ServiceError("InvalidParameterException", f"Request has invalid parameters: {'; '.join(problems)}")


def _json_response(url: str, status: int, body: Mapping[str, Any], error_type: str | None = None) -> AWSResponse:
    data = json.dumps(body, default=_base64_blob).encode()
    headers = {"content-type": _CONTENT_TYPE, "content-length": str(len(data)), "x-amzn-RequestId": str(uuid.uuid4())}
    if error_type is not None:
        headers["x-amzn-ErrorType"] = error_type
    return AWSResponse(url, status, headers, RawBody(data))


def _error_response(url: str, error: _ServiceError) -> AWSResponse:
    status = 500 if error.code in _SERVER_ERRORS else 400
    return _json_response(url, status, {"__type": error.code, "Message": error.message}, error.code)


def _base64_blob(value: object) -> str:
    """JSON 1.1 sends blobs as base64 text."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
