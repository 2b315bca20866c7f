"""The stack's knobs: its name and region, what it keeps and for how long, and the local server's settings."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator

from infra.config.platform import LOG_RETENTION_DAYS
from infra.config.values import Flag


class StackKnobs(BaseModel):
    """Stack, storage and logs"""

    stack_name: str = Field(
        "FaceLivenessApi",
        alias="stackName",
        pattern=r"^[A-Za-z][A-Za-z0-9-]{0,127}$",
        examples=["FaceLivenessApi"],
        description="CloudFormation stack name",
    )
    region: str = Field(
        "us-east-1",
        pattern=r"^[a-z]{2}(-[a-z]+)+-\d$",
        examples=["us-east-1"],
        description="target region; synth stops unless Face Liveness is offered there",
    )
    allow_unlisted_region: Flag = Field(
        False,
        alias="allowUnlistedRegion",
        description="explicit override for a region AWS added after this project's list was written",
    )
    removal_policy: Literal["retain", "destroy"] = Field(
        "retain",
        alias="removalPolicy",
        description="`retain` keeps the KMS keys, buckets, table, user pool, secret and logs on `cdk destroy`; "
        "`destroy` deletes them (buckets must be empty)",
    )
    image_retention_days: int = Field(
        30,
        alias="imageRetentionDays",
        ge=1,
        le=3650,
        description="lifecycle expiry of images and of their noncurrent versions",
    )
    image_key_prefix: str = Field(
        "liveness/",
        alias="imageKeyPrefix",
        pattern=r"^[A-Za-z0-9!_.*'()/-]{1,200}/$",
        examples=["liveness/"],
        description="S3 key prefix Rekognition writes under; IAM is scoped to it",
    )
    log_retention_days: int = Field(
        90,
        alias="logRetentionDays",
        json_schema_extra={"enum": list(LOG_RETENTION_DAYS)},
        description="retention of the stack's log groups and of the image bucket's access logs: one of the periods "
        "CloudWatch Logs accepts",
    )
    local_port: int = Field(3000, alias="localPort", ge=1, le=65535, description="port of `make local`")
    local_streaming: Literal["strict", "lenient"] = Field(
        "strict",
        alias="localStreaming",
        description="`make local`'s streaming endpoint: `strict` sends the oval, thresholds and colours the service "
        "sends; `lenient` lets a still face pass (a webcam demo)",
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention_is_one_cloudwatch_accepts(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts only {LOG_RETENTION_DAYS}")
        return days
