"""LivenessService on botocore's Rekognition client: the only module that knows Rekognition's wire names and shapes
(PascalCase requests and results) and turns them into the API's vocabulary and models. Every call's faults are
answered by `adapters.faults`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from liveness_api.adapters.faults import RETRY_AFTER_SECONDS, guarded
from liveness_api.errors import UnknownSessionStatus
from liveness_api.metrics_catalogue import REKOGNITION_ERROR, REKOGNITION_LATENCY, ErrorType
from liveness_api.models import BoundingBox, Challenge, ChallengePreference, Feedback, ImageReference
from liveness_api.observability import logger, record_metric
from liveness_api.ports import LivenessResult, SessionRequest
from liveness_api.vocabulary import ChallengeType, Dependency, LivenessOperation, SessionStatus, known_feedback_code


class RekognitionLiveness:
    def __init__(self, client: Any, *, bucket: str, key_prefix: str, kms_key_arn: str) -> None:
        self._client = client
        self._output_config = {"S3Bucket": bucket, "S3KeyPrefix": key_prefix}
        self._kms_key_arn = kms_key_arn

    def create_session(self, request: SessionRequest) -> str:
        settings: dict[str, Any] = {
            "OutputConfig": self._output_config,
            "AuditImagesLimit": request.audit_images_limit,
        }
        if request.challenge_preferences:
            settings["ChallengePreferences"] = [_challenge_preference(p) for p in request.challenge_preferences]
        with self._call(LivenessOperation.CREATE_SESSION):
            response = self._client.create_face_liveness_session(
                ClientRequestToken=request.client_request_token, KmsKeyId=self._kms_key_arn, Settings=settings
            )
        return str(response["SessionId"])

    def get_results(self, session_id: str) -> LivenessResult:
        with self._call(LivenessOperation.GET_RESULTS):
            response = self._client.get_face_liveness_session_results(SessionId=session_id)
        reference = response.get("ReferenceImage")
        return LivenessResult(
            status=self._status(response["Status"]),
            confidence=response.get("Confidence"),
            challenge=_challenge(response.get("Challenge")),
            reference_image=_image_reference(reference) if reference else None,
            audit_images=tuple(
                image for image in map(_image_reference, response.get("AuditImages", [])) if image is not None
            ),
            feedback=tuple(map(_feedback, response.get("Feedback", []))),
            sdk_type=response.get("Metadata", {}).get("SDKType"),
        )

    def _status(self, status: str) -> SessionStatus:
        try:
            return SessionStatus(status)
        except ValueError:
            # A status added to the service after this code was written: judged by nobody rather than guessed.
            record_metric(REKOGNITION_ERROR, 1, ErrorType.UNEXPECTED)
            logger.error(
                "Rekognition reported an unknown session status; upgrade the backend to judge it",
                extra={"operation": LivenessOperation.GET_RESULTS, "session_status": status},
            )
            # Retried as an unavailable service is: by then the status may be one this version knows.
            retry_after = RETRY_AFTER_SECONDS[ErrorType.SERVICE_UNAVAILABLE]
            raise UnknownSessionStatus(retry_after_seconds=retry_after) from None

    @contextmanager
    def _call(self, operation: LivenessOperation) -> Iterator[None]:
        started = time.perf_counter()
        try:
            with guarded(Dependency.REKOGNITION, operation):
                yield
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            record_metric(REKOGNITION_LATENCY, elapsed_ms, operation)


def _challenge_preference(preference: ChallengePreference) -> dict[str, Any]:
    shaped: dict[str, Any] = {"Type": preference.type.value}
    versions = preference.versions
    if versions is not None:
        bounds = {
            name: value for name, value in (("Minimum", versions.minimum), ("Maximum", versions.maximum)) if value
        }
        if bounds:
            shaped["Versions"] = bounds
    return shaped


def _challenge(challenge: dict[str, Any] | None) -> Challenge | None:
    if not challenge or not challenge.get("Version"):
        return None
    try:
        challenge_type = ChallengeType(challenge["Type"])
    except ValueError:
        # A challenge the service added later: the verdict stands on the status and confidence alone.
        logger.warning("Rekognition reported an unknown challenge type", extra={"challenge_type": challenge["Type"]})
        return None
    return Challenge(type=challenge_type, version=challenge["Version"])


def _feedback(item: dict[str, Any]) -> Feedback:
    code = item["Code"]
    if known_feedback_code(code) is None:
        # A code the service added later: passed through as it came, the verdict untouched; counted as Other.
        logger.warning("Rekognition reported an unknown feedback code", extra={"feedback_code": code})
    return Feedback(code=code, message=item["Message"])


def _image_reference(image: dict[str, Any]) -> ImageReference | None:
    # With OutputConfig set, Rekognition answers with S3 references; bytes would only come without it.
    s3_object = image.get("S3Object")
    if not s3_object:
        return None
    box = image.get("BoundingBox")
    return ImageReference(
        bucket=s3_object["Bucket"],
        key=s3_object["Name"],
        version=s3_object.get("Version"),
        bounding_box=BoundingBox(
            width=box.get("Width"), height=box.get("Height"), left=box.get("Left"), top=box.get("Top")
        )
        if box
        else None,
    )
