"""The handler's configuration, read once per container from the environment the stack sets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from liveness_api.contract import EnvVar


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return tuple(item for item in (part.strip() for part in value.split(",")) if item)
    return value


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    region: str = Field(alias="AWS_REGION")
    image_bucket: str = Field(alias=EnvVar.IMAGE_BUCKET, min_length=3)
    image_key_prefix: str = Field(alias=EnvVar.IMAGE_KEY_PREFIX)
    kms_key_arn: str = Field(alias=EnvVar.KMS_KEY_ARN, min_length=1)
    ledger_table: str = Field(alias=EnvVar.LEDGER_TABLE, min_length=3)
    max_audit_images_limit: int = Field(4, alias=EnvVar.MAX_AUDIT_IMAGES, ge=0, le=4)
    liveness_threshold: float = Field(90.0, alias=EnvVar.LIVENESS_THRESHOLD, ge=0, le=100)
    retention_days: int = Field(30, alias=EnvVar.RETENTION_DAYS, ge=1)
    abuse_max_failures: int = Field(5, alias=EnvVar.ABUSE_MAX_FAILURES, ge=1)
    abuse_window_seconds: int = Field(180, alias=EnvVar.ABUSE_WINDOW_SECONDS, ge=1)
    abuse_cooldown_seconds: int = Field(1800, alias=EnvVar.ABUSE_COOLDOWN_SECONDS, ge=1)
    cors_allowed_origins: Annotated[tuple[str, ...], BeforeValidator(_split_csv)] = Field((), alias=EnvVar.CORS_ORIGINS)
    rekognition_connect_timeout: float = Field(1.0, alias=EnvVar.REKOGNITION_CONNECT_TIMEOUT, gt=0)
    rekognition_read_timeout: float = Field(2.0, alias=EnvVar.REKOGNITION_READ_TIMEOUT, gt=0)
    rekognition_max_attempts: int = Field(3, alias=EnvVar.REKOGNITION_MAX_ATTEMPTS, ge=1)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        source = os.environ if environ is None else environ
        # Only the variables this model knows: the Lambda environment holds many more.
        known = {field.alias for field in cls.model_fields.values()}
        return cls.model_validate({key: value for key, value in source.items() if key in known})
