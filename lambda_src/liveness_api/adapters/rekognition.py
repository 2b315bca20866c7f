"""LivenessService on botocore's Rekognition client: the only module that knows Rekognition's wire names."""

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
)
from liveness_api.metrics_catalogue import REKOGNITION_ERROR, REKOGNITION_LATENCY, ErrorType, Operation
from liveness_api.observability import logger, record_metric
from liveness_api.ports import LivenessResult, SessionRequest, StoredImage

_ERRORS_BY_CODE: dict[str, type[LivenessCallFailed]] = {
    "ThrottlingException": LivenessThrottled,
    "ProvisionedThroughputExceededException": LivenessThrottled,
    "LimitExceededException": LivenessThrottled,
    "InternalServerError": LivenessUnavailable,
    "ServiceUnavailableException": LivenessUnavailable,
    "AccessDeniedException": LivenessAccessDenied,
    "InvalidParameterException": LivenessRejectedRequest,
}
# How long a client should wait before retrying, by failure: throttling clears within a second or two.
RETRY_AFTER_SECONDS: dict[type[LivenessCallFailed], int] = {LivenessThrottled: 1, LivenessUnavailable: 5}


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
            settings["ChallengePreferences"] = request.challenge_preferences
        with self._call(Operation.CREATE_SESSION):
            response = self._client.create_face_liveness_session(
                ClientRequestToken=request.client_request_token, KmsKeyId=self._kms_key_arn, Settings=settings
            )
        return str(response["SessionId"])

    def get_results(self, session_id: str) -> LivenessResult:
        with self._call(Operation.GET_RESULTS):
            response = self._client.get_face_liveness_session_results(SessionId=session_id)
        challenge = response.get("Challenge") or {}
        reference = response.get("ReferenceImage")
        return LivenessResult(
            status=response["Status"],
            confidence=response.get("Confidence"),
            challenge_type=challenge.get("Type"),
            challenge_version=challenge.get("Version"),
            reference_image=_stored_image(reference) if reference else None,
            audit_images=tuple(
                image for image in map(_stored_image, response.get("AuditImages", [])) if image is not None
            ),
        )

    @contextmanager
    def _call(self, operation: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "SessionNotFoundException":
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


def _stored_image(image: dict[str, Any]) -> StoredImage | None:
    # With OutputConfig set, Rekognition answers with S3 references; bytes would only come without it.
    s3_object = image.get("S3Object")
    if not s3_object:
        return None
    box = image.get("BoundingBox")
    return StoredImage(
        bucket=s3_object["Bucket"],
        key=s3_object["Name"],
        version=s3_object.get("Version"),
        bounding_box={k.lower(): float(v) for k, v in box.items()} if box else None,
    )
