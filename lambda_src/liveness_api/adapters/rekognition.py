"""LivenessService on botocore's Rekognition client: the only module that knows Rekognition's wire names and shapes
(PascalCase requests and results) and turns them into the API's vocabulary and models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from liveness_api.errors import (
    LivenessAccessDenied,
    LivenessCallFailed,
    LivenessRejectedRequest,
    LivenessSessionGone,
    LivenessThrottled,
    LivenessUnavailable,
    UnexpectedServiceError,
    UnknownSessionStatus,
)
from liveness_api.metrics_catalogue import REKOGNITION_ERROR, REKOGNITION_LATENCY, ErrorType
from liveness_api.models import BoundingBox, Challenge, ChallengePreference, ImageReference
from liveness_api.observability import logger, record_metric
from liveness_api.ports import LivenessResult, SessionRequest
from liveness_api.vocabulary import ChallengeType, LivenessOperation, RekognitionErrorCode, SessionStatus

_ERRORS_BY_CODE: dict[str, type[LivenessCallFailed]] = {
    RekognitionErrorCode.THROTTLING: LivenessThrottled,
    RekognitionErrorCode.PROVISIONED_THROUGHPUT_EXCEEDED: LivenessThrottled,
    RekognitionErrorCode.LIMIT_EXCEEDED: LivenessThrottled,
    RekognitionErrorCode.INTERNAL_SERVER_ERROR: LivenessUnavailable,
    RekognitionErrorCode.SERVICE_UNAVAILABLE: LivenessUnavailable,
    RekognitionErrorCode.ACCESS_DENIED: LivenessAccessDenied,
    RekognitionErrorCode.INVALID_PARAMETER: LivenessRejectedRequest,
}
# How long a client should wait before retrying, by failure: throttling clears within a second or two.
RETRY_AFTER_SECONDS: dict[type[LivenessCallFailed], int] = {
    LivenessThrottled: 1,
    LivenessUnavailable: 5,
    UnknownSessionStatus: 5,
}


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
        )

    def _status(self, status: str) -> SessionStatus:
        try:
            return SessionStatus(status)
        except ValueError:
            # A status added to the service after this code was written: judged by nobody rather than guessed.
            self._count_failure(ErrorType.UNEXPECTED)
            logger.error(
                "Rekognition reported an unknown session status; upgrade the backend to judge it",
                extra={"operation": LivenessOperation.GET_RESULTS, "session_status": status},
            )
            raise UnknownSessionStatus(retry_after_seconds=RETRY_AFTER_SECONDS[UnknownSessionStatus]) from None

    @contextmanager
    def _call(self, operation: LivenessOperation) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == RekognitionErrorCode.SESSION_NOT_FOUND:
                self._count_failure(ErrorType.SESSION_NOT_FOUND)
                raise LivenessSessionGone() from error
            failure = _ERRORS_BY_CODE.get(code, UnexpectedServiceError)
            self._count_failure(failure.error_type)
            if failure is LivenessAccessDenied:
                logger.error(LivenessAccessDenied.log_hint, extra={"operation": operation, "error_code": code})
            else:
                logger.warning("Rekognition call failed", extra={"operation": operation, "error_code": code})
            raise failure(retry_after_seconds=RETRY_AFTER_SECONDS.get(failure)) from error
        except (ConnectionError, HTTPClientError) as error:
            # Timeouts and connection failures that outlasted botocore's retries.
            self._count_failure(ErrorType.SERVICE_UNAVAILABLE)
            logger.warning("Rekognition unreachable", extra={"operation": operation, "error": type(error).__name__})
            raise LivenessUnavailable(retry_after_seconds=RETRY_AFTER_SECONDS[LivenessUnavailable]) from error
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            record_metric(REKOGNITION_LATENCY, elapsed_ms, operation)

    @staticmethod
    def _count_failure(error_type: str) -> None:
        record_metric(REKOGNITION_ERROR, 1, error_type)


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
