"""The stack's typed configuration: every knob, its default and its limits, read from `cdk.json` context.

One module, used by the CDK app, the local server and the tests alike. It imports nothing from aws_cdk, so
the local server can read the same settings without loading jsii.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from liveness_api.contract import SERVICE_NAME
from liveness_api.environment import EnvVar, join_list, split_list
from liveness_api.metrics_catalogue import NAMESPACE

# Regions where Face Liveness is offered, from the AWS quota table (see ../shared/docs/face-liveness-facts.md).
# A new region can be used before this list learns of it with `allowUnlistedRegion: true`.
FACE_LIVENESS_REGIONS: Final = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "ap-south-1",
    "ap-northeast-1",
    "sa-east-1",
    "ap-southeast-5",
    "ap-southeast-7",
)
# CreateFaceLivenessSession's quota: 25 TPS in these regions and 5 TPS everywhere else.
HIGH_QUOTA_REGIONS: Final = ("us-east-1", "us-west-2")

# The version the tests run; the function gets exactly this version through the published layer.
POWERTOOLS_VERSION: Final = "3.37.0"
LAMBDA_PYTHON_VERSION: Final = "3.14"

API_GATEWAY_TIMEOUT_SECONDS: Final = 29
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS: Final = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

CDK_JSON: Final = Path(__file__).resolve().parent.parent / "cdk.json"


class ConfigError(ValueError):
    """The configuration cannot produce a safe stack; the message says which knob and why."""


class StackConfig(BaseModel):
    """Every knob of the stack. Aliases are the `cdk.json` context keys."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    stack_name: str = Field("FaceLivenessApi", alias="stackName", pattern=r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
    region: str = Field("us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    allow_unlisted_region: bool = Field(False, alias="allowUnlistedRegion")
    removal_policy: Literal["retain", "destroy"] = Field("retain", alias="removalPolicy")
    image_retention_days: int = Field(30, alias="imageRetentionDays", ge=1, le=3650)
    image_key_prefix: str = Field("liveness/", alias="imageKeyPrefix", pattern=r"^[A-Za-z0-9!_.*'()/-]{1,200}/$")
    max_audit_images_limit: int = Field(4, alias="maxAuditImagesLimit", ge=0, le=4)
    api_throttle_rate_limit: float = Field(4, alias="apiThrottleRateLimit", gt=0)
    api_throttle_burst_limit: int = Field(4, alias="apiThrottleBurstLimit", ge=1)
    cors_allowed_origins: tuple[str, ...] = Field((), alias="corsAllowedOrigins")
    log_retention_days: int = Field(90, alias="logRetentionDays")
    authorization: Literal["IAM"] = "IAM"
    lambda_timeout_seconds: int = Field(15, alias="lambdaTimeoutSeconds", ge=3, le=25)
    lambda_memory_mb: int = Field(512, alias="lambdaMemoryMb", ge=128, le=10240)
    snap_start: bool = Field(False, alias="snapStart")
    rekognition_connect_timeout_seconds: float = Field(1.0, alias="rekognitionConnectTimeoutSeconds", gt=0)
    rekognition_read_timeout_seconds: float = Field(2.0, alias="rekognitionReadTimeoutSeconds", gt=0)
    rekognition_max_attempts: int = Field(3, alias="rekognitionMaxAttempts", ge=1, le=5)
    liveness_threshold: float = Field(90.0, alias="livenessThreshold", ge=0, le=100)
    session_retention_days: int = Field(30, alias="sessionRetentionDays", ge=1, le=3650)
    abuse_max_failures: int = Field(5, alias="abuseMaxFailures", ge=1)
    abuse_window_seconds: int = Field(180, alias="abuseWindowSeconds", ge=1)
    abuse_cooldown_seconds: int = Field(1800, alias="abuseCooldownSeconds", ge=1)
    local_port: int = Field(3000, alias="localPort", ge=1, le=65535)
    # Alarms (infra/constructs/observability/alarms.py; docs/operations.md says what to do when each fires).
    alarm_email: str | None = Field(None, alias="alarmEmail", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    alarm_5xx_rate_percent: float = Field(5.0, alias="alarm5xxRatePercent", gt=0, le=100)
    alarm_lambda_errors: int = Field(1, alias="alarmLambdaErrors", ge=1)
    alarm_latency_p99_ms: int = Field(3000, alias="alarmLatencyP99Ms", ge=100, le=29000)
    alarm_rekognition_throttles_per_minute: int = Field(5, alias="alarmRekognitionThrottlesPerMinute", ge=1)
    alarm_rekognition_throttle_minutes: int = Field(5, alias="alarmRekognitionThrottleMinutes", ge=1, le=60)
    alarm_pass_rate_floor_percent: float = Field(50.0, alias="alarmPassRateFloorPercent", ge=0, le=100)
    alarm_pass_rate_min_checks: int = Field(10, alias="alarmPassRateMinChecks", ge=1)
    alarm_evaluation_periods: int = Field(3, alias="alarmEvaluationPeriods", ge=1, le=24)

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        # `cdk synth -c corsAllowedOrigins=a,b` arrives as one string.
        return split_list(value) if isinstance(value, str) else value

    @field_validator("cors_allowed_origins")
    @classmethod
    def _origins_are_exact(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            if origin == "*" or not (origin.startswith("https://") or origin.startswith("http://localhost")):
                raise ValueError(f"{origin!r} is not an exact https:// origin (or http://localhost for development)")
        return origins

    @field_validator("alarm_email", mode="before")
    @classmethod
    def _empty_email_is_none(cls, value: Any) -> Any:
        # `cdk synth -c alarmEmail=` (or an empty string in cdk.json) means no subscription.
        return None if value == "" else value

    @field_validator("log_retention_days")
    @classmethod
    def _retention_is_one_cloudwatch_accepts(cls, days: int) -> int:
        if days not in LOG_RETENTION_DAYS:
            raise ValueError(f"CloudWatch Logs accepts only {LOG_RETENTION_DAYS}")
        return days

    @model_validator(mode="after")
    def _fits_the_platform(self) -> StackConfig:
        if self.region not in FACE_LIVENESS_REGIONS and not self.allow_unlisted_region:
            raise ValueError(
                f"Face Liveness is not offered in {self.region}. Choose one of {', '.join(FACE_LIVENESS_REGIONS)}, "
                "or set allowUnlistedRegion=true if AWS has added this region since this list was written."
            )
        if self.api_throttle_burst_limit < self.api_throttle_rate_limit:
            raise ValueError("apiThrottleBurstLimit must be at least apiThrottleRateLimit")
        if self.worst_case_rekognition_seconds >= self.lambda_timeout_seconds:
            raise ValueError(
                f"Rekognition retries can take {self.worst_case_rekognition_seconds:.1f}s, which does not fit in "
                f"lambdaTimeoutSeconds={self.lambda_timeout_seconds}: lower the timeouts or attempts"
            )
        return self

    @property
    def worst_case_rekognition_seconds(self) -> float:
        """Every attempt timing out, plus botocore's standard-mode backoff (at most 2**attempt seconds)."""
        per_attempt = self.rekognition_connect_timeout_seconds + self.rekognition_read_timeout_seconds
        backoff = sum(1 << attempt for attempt in range(self.rekognition_max_attempts - 1))
        return self.rekognition_max_attempts * per_attempt + backoff

    @property
    def face_liveness_tps_quota(self) -> int:
        return 25 if self.region in HIGH_QUOTA_REGIONS else 5

    @property
    def powertools_layer_parameter(self) -> str:
        """The public SSM parameter that AWS keeps pointing at the published Powertools layer of this version."""
        python = f"python{LAMBDA_PYTHON_VERSION}"
        return f"/aws/service/powertools/python/arm64/{python}/{POWERTOOLS_VERSION}"


def config_keys() -> frozenset[str]:
    return frozenset(field.alias or name for name, field in StackConfig.model_fields.items())


def load_config(get_context: Callable[[str], Any]) -> StackConfig:
    """Build the config from a context getter (the CDK app's `node.try_get_context`, or a dict's `get`)."""
    values = {key: value for key in config_keys() if (value := get_context(key)) is not None}
    try:
        return StackConfig.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"Invalid cdk.json context: {problems}") from None


def unknown_context_keys(context: Mapping[str, Any]) -> list[str]:
    """Keys in cdk.json's context that are neither ours nor CDK's own (`@aws-cdk/...`, `aws:...`): typos."""
    return sorted(key for key in context if ":" not in key and not key.startswith("@") and key not in config_keys())


def load_cdk_json_config(path: Path = CDK_JSON) -> StackConfig:
    """The config as `cdk synth` would see it with no `-c` overrides; used by the local server."""
    context: dict[str, Any] = json.loads(path.read_text())["context"]
    return load_config(context.get)


def function_environment(config: StackConfig, *, bucket: str, key_arn: str, table: str) -> dict[str, str]:
    """The Lambda function's environment: built here once for the stack and for the local server alike."""
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
        EnvVar.CORS_ORIGINS: join_list(config.cors_allowed_origins),
        EnvVar.REKOGNITION_CONNECT_TIMEOUT: str(config.rekognition_connect_timeout_seconds),
        EnvVar.REKOGNITION_READ_TIMEOUT: str(config.rekognition_read_timeout_seconds),
        EnvVar.REKOGNITION_MAX_ATTEMPTS: str(config.rekognition_max_attempts),
        EnvVar.SERVICE_NAME: SERVICE_NAME,
        EnvVar.METRICS_NAMESPACE: NAMESPACE,
        EnvVar.LOG_LEVEL: "INFO",
        EnvVar.PYDANTIC_PLUGINS: "__all__",
    }
