"""The handler's configuration, read once per container from the environment the stack sets.

Every variable is required and none has a default or a bound here: `infra.config.StackConfig` holds those and
`infra.config.function_environment` always sets every variable, so the two cannot disagree. Types are still
checked, so a hand-edited environment fails at init rather than on a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from liveness_api.environment import EnvVar, split_list
from liveness_api.identity import CallerMode


def _split(value: object) -> object:
    return split_list(value) if isinstance(value, str) else value


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    region: str = Field(alias="AWS_REGION")
    image_bucket: str = Field(alias=EnvVar.IMAGE_BUCKET)
    image_key_prefix: str = Field(alias=EnvVar.IMAGE_KEY_PREFIX)
    kms_key_arn: str = Field(alias=EnvVar.KMS_KEY_ARN)
    ledger_table: str = Field(alias=EnvVar.LEDGER_TABLE)
    max_audit_images_limit: int = Field(alias=EnvVar.MAX_AUDIT_IMAGES)
    liveness_threshold: float = Field(alias=EnvVar.LIVENESS_THRESHOLD)
    retention_days: int = Field(alias=EnvVar.RETENTION_DAYS)
    abuse_max_failures: int = Field(alias=EnvVar.ABUSE_MAX_FAILURES)
    abuse_window_seconds: int = Field(alias=EnvVar.ABUSE_WINDOW_SECONDS)
    abuse_cooldown_seconds: int = Field(alias=EnvVar.ABUSE_COOLDOWN_SECONDS)
    max_open_sessions: int = Field(alias=EnvVar.MAX_OPEN_SESSIONS)
    address_creates_per_minute: int = Field(alias=EnvVar.ADDRESS_CREATES_PER_MINUTE)
    cors_allowed_origins: Annotated[tuple[str, ...], BeforeValidator(_split)] = Field(alias=EnvVar.CORS_ORIGINS)
    rekognition_connect_timeout: float = Field(alias=EnvVar.REKOGNITION_CONNECT_TIMEOUT)
    rekognition_read_timeout: float = Field(alias=EnvVar.REKOGNITION_READ_TIMEOUT)
    rekognition_max_attempts: int = Field(alias=EnvVar.REKOGNITION_MAX_ATTEMPTS)
    dynamodb_connect_timeout: float = Field(alias=EnvVar.DYNAMODB_CONNECT_TIMEOUT)
    dynamodb_read_timeout: float = Field(alias=EnvVar.DYNAMODB_READ_TIMEOUT)
    dynamodb_max_attempts: int = Field(alias=EnvVar.DYNAMODB_MAX_ATTEMPTS)
    s3_connect_timeout: float = Field(alias=EnvVar.S3_CONNECT_TIMEOUT)
    s3_read_timeout: float = Field(alias=EnvVar.S3_READ_TIMEOUT)
    s3_max_attempts: int = Field(alias=EnvVar.S3_MAX_ATTEMPTS)
    secretsmanager_connect_timeout: float = Field(alias=EnvVar.SECRETSMANAGER_CONNECT_TIMEOUT)
    secretsmanager_read_timeout: float = Field(alias=EnvVar.SECRETSMANAGER_READ_TIMEOUT)
    secretsmanager_max_attempts: int = Field(alias=EnvVar.SECRETSMANAGER_MAX_ATTEMPTS)
    sts_connect_timeout: float = Field(alias=EnvVar.STS_CONNECT_TIMEOUT)
    sts_read_timeout: float = Field(alias=EnvVar.STS_READ_TIMEOUT)
    sts_max_attempts: int = Field(alias=EnvVar.STS_MAX_ATTEMPTS)
    caller_creates_per_minute: int = Field(alias=EnvVar.CALLER_CREATES_PER_MINUTE)
    caller_reads_per_minute: int = Field(alias=EnvVar.CALLER_READS_PER_MINUTE)
    verdict_max_age_seconds: int = Field(alias=EnvVar.VERDICT_MAX_AGE_SECONDS)
    face_collection_id: str = Field(alias=EnvVar.FACE_COLLECTION_ID)
    match_threshold: float = Field(alias=EnvVar.MATCH_THRESHOLD)
    document_max_bytes: int = Field(alias=EnvVar.DOCUMENT_MAX_BYTES)
    document_upload_seconds: int = Field(alias=EnvVar.DOCUMENT_UPLOAD_SECONDS)
    enrolment_duplicate_check: bool = Field(alias=EnvVar.ENROLMENT_DUPLICATE_CHECK)
    caller_mode: CallerMode = Field(alias=EnvVar.CALLER_MODE)
    # Empty unless `caller_mode` counts client addresses.
    address_key_secret: str = Field(alias=EnvVar.ADDRESS_KEY_SECRET)
    # Empty unless `caller_mode` has identity-pool callers.
    identity_pool_id: str = Field(alias=EnvVar.IDENTITY_POOL_ID)
    # Empty unless creates hand out streaming credentials.
    streaming_role_arn: str = Field(alias=EnvVar.STREAMING_ROLE_ARN)

    @model_validator(mode="after")
    def _mode_has_what_it_checks(self) -> Settings:
        if self.caller_mode.limits_addresses and not self.address_key_secret:
            raise ValueError(f"{EnvVar.ADDRESS_KEY_SECRET} must name the address-key secret in {self.caller_mode} mode")
        if self.caller_mode.identity_pool_callers and not self.identity_pool_id:
            raise ValueError(f"{EnvVar.IDENTITY_POOL_ID} must name the identity pool in {self.caller_mode} mode")
        return self

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if environ is None else environ
        # Only the variables this model knows: the Lambda environment holds many more.
        known = {field.alias for field in cls.model_fields.values()}
        return cls.model_validate({key: value for key, value in source.items() if key in known})
