"""The function's environment: the variable names the stack sets and the handler's Settings reads, and the one
way a list travels through a variable.

Pure, with no imports beyond the standard library, so `infra/` can import it without the runtime's dependencies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final


class EnvVar:
    """Environment variables the stack sets on the function and the handler's Settings reads."""

    IMAGE_BUCKET: Final = "IMAGE_BUCKET_NAME"
    IMAGE_KEY_PREFIX: Final = "IMAGE_KEY_PREFIX"
    KMS_KEY_ARN: Final = "IMAGE_KMS_KEY_ARN"
    MAX_AUDIT_IMAGES: Final = "MAX_AUDIT_IMAGES_LIMIT"
    LEDGER_TABLE: Final = "SESSION_TABLE_NAME"
    LIVENESS_THRESHOLD: Final = "LIVENESS_THRESHOLD"
    RETENTION_DAYS: Final = "SESSION_RETENTION_DAYS"
    ABUSE_MAX_FAILURES: Final = "ABUSE_MAX_FAILURES"
    ABUSE_WINDOW_SECONDS: Final = "ABUSE_WINDOW_SECONDS"
    ABUSE_COOLDOWN_SECONDS: Final = "ABUSE_COOLDOWN_SECONDS"
    MAX_OPEN_SESSIONS: Final = "MAX_OPEN_SESSIONS"
    ADDRESS_CREATES_PER_MINUTE: Final = "ADDRESS_CREATES_PER_MINUTE"
    CORS_ORIGINS: Final = "CORS_ALLOWED_ORIGINS"
    REKOGNITION_CONNECT_TIMEOUT: Final = "REKOGNITION_CONNECT_TIMEOUT_SECONDS"
    REKOGNITION_READ_TIMEOUT: Final = "REKOGNITION_READ_TIMEOUT_SECONDS"
    REKOGNITION_MAX_ATTEMPTS: Final = "REKOGNITION_MAX_ATTEMPTS"
    DYNAMODB_CONNECT_TIMEOUT: Final = "DYNAMODB_CONNECT_TIMEOUT_SECONDS"
    DYNAMODB_READ_TIMEOUT: Final = "DYNAMODB_READ_TIMEOUT_SECONDS"
    DYNAMODB_MAX_ATTEMPTS: Final = "DYNAMODB_MAX_ATTEMPTS"
    S3_CONNECT_TIMEOUT: Final = "S3_CONNECT_TIMEOUT_SECONDS"
    S3_READ_TIMEOUT: Final = "S3_READ_TIMEOUT_SECONDS"
    S3_MAX_ATTEMPTS: Final = "S3_MAX_ATTEMPTS"
    SECRETSMANAGER_CONNECT_TIMEOUT: Final = "SECRETSMANAGER_CONNECT_TIMEOUT_SECONDS"
    SECRETSMANAGER_READ_TIMEOUT: Final = "SECRETSMANAGER_READ_TIMEOUT_SECONDS"
    SECRETSMANAGER_MAX_ATTEMPTS: Final = "SECRETSMANAGER_MAX_ATTEMPTS"
    STS_CONNECT_TIMEOUT: Final = "STS_CONNECT_TIMEOUT_SECONDS"
    STS_READ_TIMEOUT: Final = "STS_READ_TIMEOUT_SECONDS"
    STS_MAX_ATTEMPTS: Final = "STS_MAX_ATTEMPTS"
    CALLER_CREATES_PER_MINUTE: Final = "CALLER_CREATES_PER_MINUTE"
    CALLER_READS_PER_MINUTE: Final = "CALLER_READS_PER_MINUTE"
    VERDICT_MAX_AGE_SECONDS: Final = "VERDICT_MAX_AGE_SECONDS"
    # Which request-context field names the owner (identity.CallerMode), from `authorization` and `identityPool`.
    CALLER_MODE: Final = "CALLER_IDENTITY_MODE"
    # The Secrets Manager secret whose value keys the client-address hashes; empty unless the mode counts addresses.
    ADDRESS_KEY_SECRET: Final = "ADDRESS_KEY_SECRET_ARN"  # noqa: S105 - the secret's name, not a secret
    # The stack's identity pool, whose identities alone may call; empty unless callers are identity-pool identities.
    IDENTITY_POOL_ID: Final = "IDENTITY_POOL_ID"
    # The role the function assumes to hand out streaming credentials; empty unless the stack hands them out.
    STREAMING_ROLE_ARN: Final = "STREAMING_ROLE_ARN"
    # Face matching: the stack's Rekognition collection, the similarity a match needs, and the ID photo's upload.
    FACE_COLLECTION_ID: Final = "FACE_COLLECTION_ID"
    MATCH_THRESHOLD: Final = "MATCH_THRESHOLD"
    DOCUMENT_MAX_BYTES: Final = "DOCUMENT_MAX_BYTES"
    DOCUMENT_UPLOAD_SECONDS: Final = "DOCUMENT_UPLOAD_SECONDS"
    ENROLMENT_DUPLICATE_CHECK: Final = "ENROLMENT_DUPLICATE_CHECK"
    # Settlement and events (the settlement worker, the outbox forwarder and the webhook sender only; the API's
    # function has none of them): the settlement queue, the stack's bus, the secret keying owners' pseudonyms, and
    # the webhook's URL (empty: off), signing secret and queue.
    SETTLEMENT_QUEUE_URL: Final = "SETTLEMENT_QUEUE_URL"
    EVENT_BUS_NAME: Final = "EVENT_BUS_NAME"
    PSEUDONYM_KEY_SECRET: Final = "PSEUDONYM_KEY_SECRET_ARN"  # noqa: S105 - the secret's name, not a secret
    WEBHOOK_URL: Final = "WEBHOOK_URL"
    WEBHOOK_SECRET: Final = "WEBHOOK_SECRET_ARN"  # noqa: S105 - the secret's name, not a secret
    WEBHOOK_QUEUE_URL: Final = "WEBHOOK_QUEUE_URL"
    # Read by Powertools itself.
    SERVICE_NAME: Final = "POWERTOOLS_SERVICE_NAME"
    METRICS_NAMESPACE: Final = "POWERTOOLS_METRICS_NAMESPACE"
    LOG_LEVEL: Final = "POWERTOOLS_LOG_LEVEL"
    # Read by Pydantic: the function uses no Pydantic plugins, so Pydantic need not search the installed
    # distributions' entry points for them on every cold start.
    PYDANTIC_PLUGINS: Final = "PYDANTIC_DISABLE_PLUGINS"


LIST_SEPARATOR: Final = ","


def join_list(items: Iterable[str]) -> str:
    return LIST_SEPARATOR.join(items)


def split_list(value: str) -> tuple[str, ...]:
    """The items of a comma-separated value, stripped, without empty ones: how `-c key=a,b` and the environment
    carry a list."""
    return tuple(item for item in (part.strip() for part in value.split(LIST_SEPARATOR)) if item)
