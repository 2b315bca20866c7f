"""The floor the handler is measured against: boto3, one client created at import, one Rekognition call.

No validation, no ledger, no Powertools. It makes the same CreateFaceLivenessSession call as the real handler
(same client settings, OutputConfig, KMS key and token length) so that both pay for the same Rekognition work.
"""

import hashlib
import json
import os
from typing import Any

import boto3
from botocore.config import Config

_REGION = os.environ["AWS_REGION"]
_OUTPUT = {"S3Bucket": os.environ["IMAGE_BUCKET_NAME"], "S3KeyPrefix": os.environ["IMAGE_KEY_PREFIX"]}
_KMS_KEY = os.environ["IMAGE_KMS_KEY_ARN"]

rekognition = boto3.client(
    "rekognition",
    region_name=_REGION,
    config=Config(
        retries={"mode": "standard", "total_max_attempts": int(os.environ["REKOGNITION_MAX_ATTEMPTS"])},
        connect_timeout=float(os.environ["REKOGNITION_CONNECT_TIMEOUT_SECONDS"]),
        read_timeout=float(os.environ["REKOGNITION_READ_TIMEOUT_SECONDS"]),
    ),
)


def lambda_handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    body = json.loads(event.get("body") or "{}")
    token = hashlib.sha256(event["requestContext"]["requestId"].encode()).hexdigest()
    response = rekognition.create_face_liveness_session(
        ClientRequestToken=token,
        KmsKeyId=_KMS_KEY,
        Settings={"OutputConfig": _OUTPUT, "AuditImagesLimit": body.get("auditImagesLimit", 0)},
    )
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"sessionId": response["SessionId"], "region": _REGION}),
    }
