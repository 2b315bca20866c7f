"""Local-only control routes under `/_local/`: they play the end user's browser and Rekognition's moods.

Never part of the deployed API (tests/infrastructure asserts no resource contains `_local`), never behind the
local gateway's routing, throttling or caller identity:

    POST /_local/sessions/{id}/start      CREATED -> IN_PROGRESS
    POST /_local/sessions/{id}/complete   {"live": true|false, "confidence": 0-100}  -> SUCCEEDED
                                          (confidence defaults to 99 when live, 5 when not)
    POST /_local/sessions/{id}/fail       -> FAILED
    POST /_local/sessions/{id}/expire     -> EXPIRED
    POST /_local/sessions/{id}/outcome    {"outcome": "live"|"spoof"|"fail", "confidence": 0-100}: what the
                                          session ends as once the browser streams it (liveness_local.streaming)
    POST /_local/sessions/{id}/faces      {"face": "alice", "documentFace": "alice"|null, "similarity": 0-100}: what
                                          the session's images show to face matching (liveness_local.face_scripts);
                                          each field optional, the body replaces the session's previous script
    POST /_local/sessions/{id}/feedback   {"feedback": [{"code": "LOW_LIGHTING_DETECTED", "message": "..."}],
                                          "sdkType": "..."}: what the results report once the session SUCCEEDS
                                          (up to 10 of the service model's codes, message optional) and the SDK
                                          type its client claims; the body replaces the previous script
    POST /_local/faults                   {"code": "ThrottlingException", "times": 1, "operation": null}
    GET  /_local/sessions/{id}/images     the session's objects in the image bucket, every version (200 JSON)

Answers: 204 on success; problem+json 404 (unknown session or control route), 409 (the session cannot move
that way), 422 (bad input, including malformed JSON).
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from liveness_api.models import Feedback
from liveness_api.problems import ProblemKind
from liveness_api.vocabulary import ChallengeType, FeedbackCode, SessionStatus
from liveness_local.emulated_session import InvalidTransitionError, UnknownSessionError
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.face_scripts import DEFAULT_FACE, FACE_LABEL_PATTERN, SAME_AS_FACE
from liveness_local.faults import DependencyFaults
from liveness_local.gateway import HttpRequest, HttpResponse, problem_response
from liveness_local.outcomes import LIVE_CONFIDENCE, SPOOF_CONFIDENCE, Outcome, ScriptedOutcome, ScriptedOutcomes
from liveness_local.vocabulary import EMULATED_SDK_TYPE, FAULTABLE_OPERATIONS, FEEDBACK_MESSAGES, FaultCode

PREFIX: Final = "/_local/"

_SESSION_ACTION: Final = re.compile(
    r"^/_local/sessions/(?P<session_id>[^/]+)/(?P<action>start|complete|fail|expire|outcome|faces|feedback)$"
)
_SESSION_IMAGES: Final = re.compile(r"^/_local/sessions/(?P<session_id>[^/]+)/images$")
_UNKNOWN_SESSION: Final = ProblemKind(404, "local-session-not-found", "Session not found")
_UNKNOWN_ROUTE: Final = ProblemKind(404, "local-route-not-found", "Not found")
_METHOD_NOT_ALLOWED: Final = ProblemKind(405, "local-method-not-allowed", "Method not allowed")
_CONFLICT: Final = ProblemKind(409, "local-invalid-transition", "Invalid transition")
_INVALID: Final = ProblemKind(422, "local-validation-error", "Request validation failed")


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CompleteRequest(_Input):
    live: bool = True
    confidence: float | None = Field(None, ge=0, le=100)
    # Enums are given by value in JSON: strict mode would take only enum instances.
    challenge_type: ChallengeType | None = Field(None, alias="challengeType", strict=False)

    def resolved_confidence(self) -> float:
        if self.confidence is not None:
            return self.confidence
        return LIVE_CONFIDENCE if self.live else SPOOF_CONFIDENCE


class FaultRequest(_Input):
    code: FaultCode = Field(strict=False)
    times: int = Field(1, ge=1, le=100)
    # The streaming endpoint's operation too: it is no Rekognition call of the handler's. None: every operation.
    operation: str | None = None

    @field_validator("operation")
    @classmethod
    def _faultable(cls, operation: str | None) -> str | None:
        if operation is not None and operation not in FAULTABLE_OPERATIONS:
            raise ValueError(f"must be one of {', '.join(FAULTABLE_OPERATIONS)}")
        return operation


class OutcomeRequest(_Input):
    outcome: Outcome = Field(strict=False)
    confidence: float | None = Field(None, ge=0, le=100)


FaceLabel = Annotated[str, StringConstraints(pattern=f"^{FACE_LABEL_PATTERN}$")]


class FacesRequest(_Input):
    face: FaceLabel = DEFAULT_FACE
    # Absent: the session's own face; null: the document shows no face.
    document_face: FaceLabel | None = Field(None, alias="documentFace")
    similarity: float | None = Field(None, ge=0, le=100, allow_inf_nan=False)


class FeedbackItem(_Input):
    # The service model's codes only: the emulator answers as the service may (a code it adds later is a test of
    # the backend's own, through botocore's Stubber).
    code: FeedbackCode = Field(strict=False)
    message: str | None = Field(None, min_length=1, max_length=512)


class FeedbackRequest(_Input):
    # The service model's bounds: FeedbackList has at most 10 items, SDKTypeString 1-64 characters.
    feedback: list[FeedbackItem] = Field(max_length=10)
    sdk_type: str = Field(EMULATED_SDK_TYPE, alias="sdkType", min_length=1, max_length=64)

    def scripted(self) -> tuple[Feedback, ...]:
        return tuple(
            Feedback(code=item.code, message=item.message or FEEDBACK_MESSAGES[item.code]) for item in self.feedback
        )


def is_control_path(target: str) -> bool:
    return target.split("?", 1)[0].startswith(PREFIX)


class LocalControl:
    def __init__(
        self,
        emulator: FaceLivenessEmulator,
        outcomes: ScriptedOutcomes | None = None,
        s3: Any = None,
        *,
        faults: DependencyFaults,
    ) -> None:
        self.emulator = emulator
        self.faults = faults
        self.outcomes = outcomes or ScriptedOutcomes()
        self.s3 = s3

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        path = request.target.split("?", 1)[0]
        images = _SESSION_IMAGES.match(path)
        if images is not None:
            return self._images(images["session_id"], request.method.upper(), request_id)
        session_action = _SESSION_ACTION.match(path)
        if session_action is None and path != "/_local/faults":
            return problem_response(_UNKNOWN_ROUTE, f"No local control route {path}.", request_id)
        if request.method.upper() != "POST":
            return problem_response(_METHOD_NOT_ALLOWED, "Control routes accept POST only.", request_id)
        try:
            payload = _json_object(request.body)
            if session_action is None:
                fault = FaultRequest.model_validate(payload)
                self.faults.inject("rekognition", fault.operation, fault.code, fault.times)
            else:
                self._move(session_action["session_id"], session_action["action"], payload)
        except _BadInput as error:
            return problem_response(_INVALID, str(error), request_id)
        except ValidationError as error:
            detail = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
                for problem in error.errors()
            )
            return problem_response(_INVALID, detail, request_id)
        except UnknownSessionError:
            return problem_response(_UNKNOWN_SESSION, "The emulator never created this session.", request_id)
        except InvalidTransitionError as error:
            return problem_response(_CONFLICT, str(error), request_id)
        return HttpResponse(204, (("x-amzn-RequestId", request_id),))

    def _move(self, session_id: str, action: str, payload: dict[str, Any]) -> None:
        if action == "complete":
            request = CompleteRequest.model_validate(payload)
            self.emulator.complete(
                session_id, confidence=request.resolved_confidence(), challenge_type=request.challenge_type
            )
            return
        if action == "faces":
            faces = FacesRequest.model_validate(payload)
            document_face = faces.document_face if "document_face" in faces.model_fields_set else SAME_AS_FACE
            self.emulator.faces.script(
                session_id, face=faces.face, document_face=document_face, similarity=faces.similarity
            )
            return
        if action == "feedback":
            script = FeedbackRequest.model_validate(payload)
            self.emulator.script_feedback(session_id, script.scripted(), script.sdk_type)
            return
        if action == "outcome":
            scripted = OutcomeRequest.model_validate(payload)
            session = self.emulator.session(session_id)
            if session is None:
                raise UnknownSessionError(session_id)
            if session.status is not SessionStatus.CREATED:
                raise InvalidTransitionError(f"session {session_id} is {session.status}: it can no longer stream")
            self.outcomes.set(session_id, ScriptedOutcome(scripted.outcome, scripted.confidence))
            return
        if payload:
            raise _BadInput(f"{action} takes no body")
        getattr(self.emulator, action)(session_id)

    def _images(self, session_id: str, method: str, request_id: str) -> HttpResponse:
        """Every version and delete marker under the session's prefix in the image bucket (to see erasure work)."""
        if method != "GET":
            return problem_response(_METHOD_NOT_ALLOWED, "This control route accepts GET only.", request_id)
        session = self.emulator.session(session_id)
        if session is None:
            return problem_response(_UNKNOWN_SESSION, "The emulator never created this session.", request_id)
        output = session.settings.get("OutputConfig")
        objects: list[dict[str, Any]] = []
        if output is not None and self.s3 is not None:
            prefix = f"{output.get('S3KeyPrefix', '')}{session_id}/"
            pages = self.s3.get_paginator("list_object_versions").paginate(Bucket=output["S3Bucket"], Prefix=prefix)
            for page in pages:
                for kind in ("Versions", "DeleteMarkers"):
                    objects += [
                        {
                            "key": item["Key"],
                            "versionId": item.get("VersionId"),
                            "deleteMarker": kind == "DeleteMarkers",
                        }
                        for item in page.get(kind, [])
                    ]
        body = json.dumps({"bucket": output["S3Bucket"] if output else None, "objects": objects}).encode()
        return HttpResponse(200, (("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)), body)


class _BadInput(ValueError):
    pass


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise _BadInput("The request body is not valid JSON.") from error
    if not isinstance(payload, dict):
        raise _BadInput("The request body must be a JSON object.")
    return payload
