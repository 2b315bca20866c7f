"""DocumentUploads on S3: the presigned POST a session's ID photo is uploaded with, and whether it was.

The upload goes straight to S3 (never through API Gateway, Lambda or WAF), and the POST policy binds it: exactly the
session's key `{imageKeyPrefix}{sessionId}/document` (beside the images Rekognition writes for the session, so that
erasing the session erases it too), 1 byte to the deployment's maximum, exactly the media type the create asked
for, and encryption with the stack's KMS key, until the target expires
(https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html). The client never chooses a
key: the policy's `key` condition is an exact match.

Presigning is local computation with the function's credentials: botocore's `generate_presigned_post` makes no
request. The presigning client is built for the upload's endpoint (S3's regional one, or the local twin's) and
refuses to send anything at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from liveness_api.adapters.faults import guarded
from liveness_api.contract import DOCUMENT_OBJECT_NAME, DocumentContentType
from liveness_api.models import DocumentUpload
from liveness_api.ports import StoredImage
from liveness_api.vocabulary import Dependency

# HeadObject answers a missing key with a bare 404 (no body, so no NoSuchKey code).
_ABSENT = frozenset({"404", "NoSuchKey", "NotFound"})
SSE_HEADER = "x-amz-server-side-encryption"
SSE_KEY_HEADER = "x-amz-server-side-encryption-aws-kms-key-id"


def document_key(key_prefix: str, session_id: str) -> str:
    return f"{key_prefix}{session_id}/{DOCUMENT_OBJECT_NAME}"


class S3DocumentUploads:
    def __init__(
        self,
        s3: Callable[[], Any],
        presigner: Callable[[], Any],
        *,
        bucket: str,
        key_prefix: str,
        kms_key_arn: str,
        max_bytes: int,
    ) -> None:
        # Both clients are built on first use: most requests involve no ID photo.
        self._s3 = s3
        self._presigner = presigner
        self._bucket = bucket
        self._key_prefix = key_prefix
        self._kms_key_arn = kms_key_arn
        self._max_bytes = max_bytes

    def upload_target(
        self, session_id: str, content_type: DocumentContentType, expires_at: datetime, now: datetime
    ) -> DocumentUpload:
        fields = {
            "Content-Type": content_type,
            SSE_HEADER: "aws:kms",
            SSE_KEY_HEADER: self._kms_key_arn,
        }
        # botocore adds the bucket's and the key's conditions (exact), and those of the signature's own fields.
        conditions: list[Any] = [
            *({name: value} for name, value in fields.items()),
            ["content-length-range", 1, self._max_bytes],
        ]
        presigned = self._presigner().generate_presigned_post(
            self._bucket,
            document_key(self._key_prefix, session_id),
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=max(1, int((expires_at - now).total_seconds())),
        )
        return DocumentUpload(
            url=presigned["url"],
            fields=presigned["fields"],
            expires_at=expires_at,
            max_bytes=self._max_bytes,
            content_type=content_type,
        )

    def uploaded(self, session_id: str) -> StoredImage | None:
        key = document_key(self._key_prefix, session_id)
        with guarded(Dependency.S3, "HeadObject"):
            try:
                head = self._s3().head_object(Bucket=self._bucket, Key=key)
            except ClientError as error:
                if str(error.response.get("Error", {}).get("Code", "")) in _ABSENT:
                    return None
                raise
        # The version read now is the one compared, whatever is uploaded over it meanwhile.
        version = head.get("VersionId")
        return StoredImage(key=key, version=version if version and version != "null" else None)


def refuse_to_send(request: Any, **_kwargs: Any) -> None:
    """A `before-send` handler for the presigning client, which only ever signs locally."""
    raise RuntimeError("the presigning client sends no requests")
