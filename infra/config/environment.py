"""The function's environment: the knobs the handler reads at run time, each under its `EnvVar` name."""

from __future__ import annotations

from infra.config.knobs import StackConfig
from liveness_api.contract import SERVICE_NAME
from liveness_api.environment import EnvVar, join_list
from liveness_api.metrics_catalogue import NAMESPACE


def function_environment(
    config: StackConfig,
    *,
    bucket: str,
    key_arn: str,
    table: str,
    collection: str,
    address_key_secret: str = "",
    identity_pool_id: str = "",
    streaming_role_arn: str = "",
) -> dict[str, str]:
    """The Lambda function's environment: built here once for the stack and for the local server alike.
    `collection`: the stack's Rekognition collection id;
    `address_key_secret`: the ARN of the secret keying client-address hashes, where the caller mode counts
    addresses (`CallerMode.limits_addresses`); `identity_pool_id`: the stack's identity pool, where callers are its
    identities (`CallerMode.identity_pool_callers`). The function refuses to start in such a mode without it.
    `streaming_role_arn`: the role whose credentials creates hand out (`streamingCredentials`); the stack sets it
    once the role exists (`StreamingCredentialsRole`)."""
    return {
        EnvVar.IMAGE_BUCKET: bucket,
        EnvVar.IMAGE_KEY_PREFIX: config.image_key_prefix,
        EnvVar.KMS_KEY_ARN: key_arn,
        EnvVar.LEDGER_TABLE: table,
        EnvVar.MAX_AUDIT_IMAGES: str(config.max_audit_images_limit),
        EnvVar.LIVENESS_THRESHOLD: str(config.liveness_threshold),
        EnvVar.RETENTION_DAYS: str(config.session_retention_days),
        EnvVar.ABUSE_MAX_FAILURES: str(config.abuse_max_failures),
        EnvVar.ABUSE_WINDOW_SECONDS: str(config.abuse_window_seconds),
        EnvVar.ABUSE_COOLDOWN_SECONDS: str(config.abuse_cooldown_seconds),
        EnvVar.MAX_OPEN_SESSIONS: str(config.max_open_sessions),
        EnvVar.ADDRESS_CREATES_PER_MINUTE: str(config.address_creates_per_minute),
        EnvVar.CORS_ORIGINS: join_list(config.cors_allowed_origins),
        EnvVar.REKOGNITION_CONNECT_TIMEOUT: str(config.rekognition_connect_timeout_seconds),
        EnvVar.REKOGNITION_READ_TIMEOUT: str(config.rekognition_read_timeout_seconds),
        EnvVar.REKOGNITION_MAX_ATTEMPTS: str(config.rekognition_max_attempts),
        EnvVar.DYNAMODB_CONNECT_TIMEOUT: str(config.dynamodb_connect_timeout_seconds),
        EnvVar.DYNAMODB_READ_TIMEOUT: str(config.dynamodb_read_timeout_seconds),
        EnvVar.DYNAMODB_MAX_ATTEMPTS: str(config.dynamodb_max_attempts),
        EnvVar.S3_CONNECT_TIMEOUT: str(config.s3_connect_timeout_seconds),
        EnvVar.S3_READ_TIMEOUT: str(config.s3_read_timeout_seconds),
        EnvVar.S3_MAX_ATTEMPTS: str(config.s3_max_attempts),
        EnvVar.SECRETSMANAGER_CONNECT_TIMEOUT: str(config.secretsmanager_connect_timeout_seconds),
        EnvVar.SECRETSMANAGER_READ_TIMEOUT: str(config.secretsmanager_read_timeout_seconds),
        EnvVar.SECRETSMANAGER_MAX_ATTEMPTS: str(config.secretsmanager_max_attempts),
        EnvVar.STS_CONNECT_TIMEOUT: str(config.sts_connect_timeout_seconds),
        EnvVar.STS_READ_TIMEOUT: str(config.sts_read_timeout_seconds),
        EnvVar.STS_MAX_ATTEMPTS: str(config.sts_max_attempts),
        EnvVar.CALLER_CREATES_PER_MINUTE: str(config.caller_creates_per_minute),
        EnvVar.CALLER_READS_PER_MINUTE: str(config.caller_reads_per_minute),
        EnvVar.VERDICT_MAX_AGE_SECONDS: str(config.verdict_max_age_seconds),
        EnvVar.FACE_COLLECTION_ID: collection,
        EnvVar.MATCH_THRESHOLD: str(config.match_threshold),
        EnvVar.DOCUMENT_MAX_BYTES: str(config.document_max_bytes),
        EnvVar.DOCUMENT_UPLOAD_SECONDS: str(config.document_upload_seconds),
        EnvVar.ENROLMENT_DUPLICATE_CHECK: "true" if config.enrolment_duplicate_check else "false",
        EnvVar.CALLER_MODE: config.caller_mode.value,
        EnvVar.ADDRESS_KEY_SECRET: address_key_secret,
        EnvVar.IDENTITY_POOL_ID: identity_pool_id,
        EnvVar.STREAMING_ROLE_ARN: streaming_role_arn,
        EnvVar.SERVICE_NAME: SERVICE_NAME,
        EnvVar.METRICS_NAMESPACE: NAMESPACE,
        EnvVar.LOG_LEVEL: "INFO",
        EnvVar.PYDANTIC_PLUGINS: "__all__",
    }
