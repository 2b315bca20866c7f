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
- the challenge is the first one asked for, at the version in `liveness_local.vocabulary.CHALLENGE_VERSIONS`;
- `Metadata` (the client's self-reported SDK type) is answered once a client streamed the check to its end:
  SUCCEEDED and FAILED; `Feedback` (scripted with `script_feedback`, else empty) only once SUCCEEDED, as the
  model says.

The same hook answers Rekognition's face-matching operations (CompareFaces, collections, faces and users) from
`liveness_local.faces`, exposed as `faces`: one attachment, one lock, one record of calls for both.

The closed sets (statuses, challenges, operations) are the backend's own (`liveness_api.vocabulary`); what the
emulator keeps of a session is in `liveness_local.emulated_session`. Faults (throttling, 5xx, access denied) are
not the emulator's: `liveness_local.faults` injects them in front of it, and it records each attempt a fault
answered, as the service would have received it.
"""

import dataclasses
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from liveness_api.contract import SESSION_LIFETIME_SECONDS
from liveness_api.models import Feedback
from liveness_api.vocabulary import ChallengeType, LivenessOperation, RekognitionErrorCode, SessionStatus
from liveness_local.emulated_session import (
    OPEN,
    SUCCESS,
    EmulatedSession,
    InvalidTransitionError,
    LivenessImage,
    RecordedCall,
    UnknownSessionError,
    VideoFrames,
    bounding_box,
    choose_challenge,
)
from liveness_local.faces import FaceMatchEmulator
from liveness_local.jpeg import reference_jpeg
from liveness_local.refusal import Refused
from liveness_local.service_model import from_wire, operation_model, to_wire, validate
from liveness_local.vocabulary import CHALLENGE_VERSIONS, EMULATED_SDK_TYPE
from liveness_local.wire import error_response, fault_code, json_response

if TYPE_CHECKING:
    from moto.core.config import DefaultConfig

# moto settings under which the emulator can answer: moto must not handle Rekognition calls itself.
MOTO_CONFIG: Final["DefaultConfig"] = {"core": {"passthrough": {"services": ["rekognition"]}}}

_SERVICE: Final = "rekognition"
_TARGET_PREFIX: Final = "RekognitionService"
_CONTENT_TYPE: Final = "application/x-amz-json-1.1"


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
        self._calls: list[RecordedCall] = []
        self.faces = FaceMatchEmulator(
            s3_client, lock=self._lock, sessions=self._sessions, clock=self._clock, region=region
        )
        self._operations: Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            LivenessOperation.CREATE_SESSION: self._create_session,
            LivenessOperation.GET_RESULTS: self._get_results,
            **self.faces.operations,
        }

    def attach(self, rekognition_client: Any) -> None:
        """Answer this client's Rekognition calls from now on. Attaching the same client again is harmless."""
        service_name = rekognition_client.meta.service_model.service_name
        if service_name != "rekognition":
            raise ValueError(f"expected a rekognition client, got {service_name}")
        if rekognition_client.meta.region_name != self._region:
            # Sessions are regional: one created in another region is "not found" here.
            raise ValueError(f"client region {rekognition_client.meta.region_name} is not {self._region}")
        # First among the service's handlers, so no handler registered earlier on this client answers (or fails)
        # before the emulator does; injected faults register one level deeper and still come first.
        rekognition_client.meta.events.register_first(
            "before-send.rekognition", self._on_before_send, unique_id=f"face-liveness-emulator-{id(self)}"
        )

    def start(self, session_id: str) -> None:
        """The end user's client began streaming: CREATED -> IN_PROGRESS."""
        self._move(session_id, frozenset({SessionStatus.CREATED}), SessionStatus.IN_PROGRESS)

    def script_feedback(
        self, session_id: str, feedback: tuple[Feedback, ...], sdk_type: str = EMULATED_SDK_TYPE
    ) -> None:
        """What the session's results will report once it SUCCEEDS, and the SDK type its client claims; the script
        replaces any earlier one. Only while the check can still finish."""
        with self._lock:
            session = self._open_session(session_id, OPEN)
            self._sessions[session_id] = dataclasses.replace(session, feedback=feedback, sdk_type=sdk_type)

    def complete(
        self,
        session_id: str,
        *,
        confidence: float,
        challenge_type: ChallengeType | None = None,
        frames: VideoFrames | None = None,
    ) -> None:
        """The check finished: the session SUCCEEDED with this Confidence (0-100) and its images are stored.

        Accepts a CREATED session too, so a test need not call `start` first. With `frames` (JPEGs of the video
        the client streamed) the images are those frames, and there may be fewer audit images than the session's
        limit, as AWS documents; without them a synthetic JPEG stands in for each, up to the limit.
        """
        if not 0 <= confidence <= 100:
            raise ValueError(f"confidence must be 0-100, got {confidence}")
        if challenge_type is not None and challenge_type not in CHALLENGE_VERSIONS:
            raise ValueError(f"challenge_type must be one of {', '.join(ChallengeType)}, got {challenge_type}")
        with self._lock:
            session = self._open_session(session_id, OPEN)
            reference, *audit = self._store_images(session, frames)
            self._sessions[session_id] = dataclasses.replace(
                session,
                status=SessionStatus.SUCCEEDED,
                confidence=float(confidence),
                challenge=choose_challenge(session.settings, challenge_type),
                reference_image=reference,
                audit_images=tuple(audit),
                sdk_type=session.sdk_type or EMULATED_SDK_TYPE,
            )

    def fail(self, session_id: str) -> None:
        """The check finished and the service could not decide: FAILED, with no confidence and no images."""
        self._move(session_id, OPEN, SessionStatus.FAILED, streamed=True)

    def expire(self, session_id: str) -> None:
        """Nobody finished the check: EXPIRED, as the service reports an abandoned session."""
        self._move(session_id, OPEN, SessionStatus.EXPIRED)

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
        """Forget all sessions, tokens and recorded calls, and the faces' scripts, tokens and collections' content."""
        with self._lock:
            self._sessions.clear()
            self._sessions_by_token.clear()
            self._calls.clear()
        self.faces.reset()

    def _on_before_send(self, request: Any, **_kwargs: Any) -> AWSResponse | None:
        # botocore encodes header values to UTF-8 bytes before `before-send`.
        target_prefix, _, target = request.headers.get("X-Amz-Target", b"").decode().partition(".")
        handler = self._operations.get(target) if target_prefix == _TARGET_PREFIX else None
        fault = fault_code(request)
        if handler is None:
            if fault is not None:
                return None  # an injected fault answered it: the service never got to refuse it
            # Returning None would let botocore send the request to the real endpoint.
            raise NotImplementedError(
                f"FaceLivenessEmulator emulates only {', '.join(self._operations)}, not {target or 'this call'}"
            )
        operation = target
        model = operation_model(_SERVICE, operation)
        params: dict[str, Any] = from_wire(model.input_shape, json.loads(request.body or b"{}"))
        with self._lock:
            if fault is not None:
                # The service received the attempt and failed it; its state does not change.
                self._calls.append(RecordedCall(operation, params, fault))
                return None
            try:
                body = handler(params)
            except Refused as refused:
                self._calls.append(RecordedCall(operation, params, refused.error.code))
                return error_response(request.url, _SERVICE, refused.error)
            problems = validate(model.output_shape, body)
            if problems:
                raise AssertionError(f"the emulator built an invalid {operation} response: {'; '.join(problems)}")
            self._calls.append(RecordedCall(operation, params, SUCCESS))
        return json_response(request.url, 200, to_wire(body), _CONTENT_TYPE)

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
            raise Refused(RekognitionErrorCode.SESSION_NOT_FOUND, f"Session not found: {session_id}")
        return session.results()

    def _require_reachable_bucket(self, bucket: str) -> None:
        try:
            bucket_region = self._s3.head_bucket(Bucket=bucket).get("BucketRegion")
        except ClientError as error:
            raise Refused(RekognitionErrorCode.ACCESS_DENIED, f"Cannot access S3 bucket {bucket}") from error
        if bucket_region != self._region:
            raise Refused(RekognitionErrorCode.ACCESS_DENIED, f"S3 bucket {bucket} is not in {self._region}")

    def _move(
        self, session_id: str, allowed: frozenset[SessionStatus], status: SessionStatus, *, streamed: bool = False
    ) -> None:
        with self._lock:
            session = self._open_session(session_id, allowed)
            sdk_type = session.sdk_type or (EMULATED_SDK_TYPE if streamed else None)
            self._sessions[session_id] = dataclasses.replace(session, status=status, sdk_type=sdk_type)

    def _open_session(self, session_id: str, allowed: frozenset[SessionStatus]) -> EmulatedSession:
        session = self._sessions.get(session_id)
        if session is None:
            raise UnknownSessionError(session_id)
        if session.status not in allowed:
            raise InvalidTransitionError(f"session {session_id} is {session.status}")
        if self._clock() >= session.expires_at:
            raise InvalidTransitionError(f"session {session_id} is past its lifetime")
        return session

    def _store_images(self, session: EmulatedSession, frames: VideoFrames | None) -> list[LivenessImage]:
        """The reference image first, then the audit images, written to S3 when the session asked for it."""
        limit = session.settings.get("AuditImagesLimit", 0)
        bodies = [reference_jpeg()] * (limit + 1) if frames is None else [frames.reference, *frames.audit[:limit]]
        names = ["reference.jpg"] + [f"audit_images/{n}.jpg" for n in range(1, len(bodies))]
        output = session.settings.get("OutputConfig")
        if output is None:
            return [LivenessImage(bounding_box(index), data=body) for index, body in enumerate(bodies)]
        encryption = {"ServerSideEncryption": "aws:kms"}
        if session.kms_key_id is not None:
            encryption["SSEKMSKeyId"] = session.kms_key_id
        images = []
        for index, (name, body) in enumerate(zip(names, bodies, strict=True)):
            key = f"{output.get('S3KeyPrefix', '')}{session.session_id}/{name}"
            written = self._s3.put_object(
                Bucket=output["S3Bucket"], Key=key, Body=body, ContentType="image/jpeg", **encryption
            )
            # An unversioned bucket returns no VersionId, and the service then reports no Version.
            images.append(LivenessImage(bounding_box(index), output["S3Bucket"], key, written.get("VersionId")))
        return images


def _require_valid(operation: LivenessOperation, params: Mapping[str, Any]) -> None:
    problems = validate(operation_model(_SERVICE, operation).input_shape, params)
    if problems:
        raise Refused(RekognitionErrorCode.INVALID_PARAMETER, f"Request has invalid parameters: {'; '.join(problems)}")
