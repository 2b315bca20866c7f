"""The stack's typed configuration: every knob, its default and its limits, read from `cdk.json` context.

One module, used by the CDK app, the local server and the tests alike. It imports nothing from aws_cdk, so
the local server can read the same settings without loading jsii.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)

from liveness_api.contract import SERVICE_NAME, Route, Routes
from liveness_api.environment import EnvVar, join_list, split_list
from liveness_api.identity import CallerMode
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
# CreateFaceLivenessSession's default quota (TPS) by region: 25 in us-east-1 and us-west-2, 5 everywhere else
# (AWS quota table, see ../shared/docs/face-liveness-facts.md; adjustable in Service Quotas, hence
# `createSessionQuotaTps`).
FACE_LIVENESS_CREATE_TPS_QUOTA: Final[Mapping[str, int]] = {"us-east-1": 25, "us-west-2": 25}
FACE_LIVENESS_DEFAULT_TPS_QUOTA: Final = 5
# GetFaceLivenessSessionResults' TPS quota is stated neither in Rekognition's "Guidelines and quotas" page
# (https://docs.aws.amazon.com/rekognition/latest/dg/limits.html) nor in the General Reference's "Amazon Rekognition
# endpoints and quotas" as far as this project could find. Assumed, conservatively, to be no higher than
# CreateFaceLivenessSession's in the same region (the table above); `getResultsQuotaTps` sets the real value.
# The share of a quota that a derived ("auto") route rate takes: headroom for botocore's retries of throttled calls.
QUOTA_HEADROOM: Final = 0.8
# Lambda keeps at least this much of the account's concurrency unreserved; a default account has 1000
# (Lambda developer guide, "Configuring reserved concurrency for a function"). New accounts may have far less.
LAMBDA_MIN_UNRESERVED_CONCURRENCY: Final = 100
LAMBDA_DEFAULT_ACCOUNT_CONCURRENCY: Final = 1000
# IAM users and roles only: the resource policy matches aws:PrincipalArn, which is never a session's ARN.
IAM_PRINCIPAL_ARN: Final = r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:(user|role)/[\w+=,.@/-]{1,512}$"
# An existing Cognito user pool (`userPoolArn`) and its app clients (`userPoolClientIds`), as Cognito spells them.
USER_POOL_ARN: Final = (
    r"^arn:aws(-cn|-us-gov)?:cognito-idp:[a-z]{2}(-[a-z]+)+-\d:\d{12}:userpool/[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$"
)
USER_POOL_CLIENT_ID: Final = r"^[\w+]{1,128}$"
# AWS WAF's bounds on a rate-based rule's limit (requests per evaluation window, per aggregation key).
WAF_RATE_LIMIT_MIN: Final = 10
WAF_RATE_LIMIT_MAX: Final = 2_000_000_000

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


class Throttle(NamedTuple):
    """One API Gateway method's token bucket: `rate_limit` tokens a second, at most `burst_limit` held."""

    rate_limit: float
    burst_limit: int

    def admitted_within(self, seconds: float) -> float:
        """The most requests the bucket can let through in any window of `seconds`: a full bucket plus refills."""
        return self.burst_limit + self.rate_limit * seconds


class AwsClientLimits(NamedTuple):
    """One botocore client's timeouts and attempts, as the function configures it."""

    service: str
    knob_prefix: str
    connect_timeout_seconds: float
    read_timeout_seconds: float
    max_attempts: int

    @property
    def worst_case_seconds(self) -> float:
        """Every attempt timing out, plus botocore's standard-mode backoff (at most 2**attempt seconds)."""
        per_attempt = self.connect_timeout_seconds + self.read_timeout_seconds
        backoff = sum(1 << attempt for attempt in range(self.max_attempts - 1))
        return self.max_attempts * per_attempt + backoff


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
    # Capacity (README "Limits"). API Gateway gives every method its own token bucket: `apiThrottle*` is the stage's
    # default for methods without a pair of their own (today only CORS preflight); each route has its own pair.
    # "auto" derives a value from the region's Face Liveness quota.
    api_throttle_rate_limit: float = Field(4, alias="apiThrottleRateLimit", gt=0)
    api_throttle_burst_limit: int = Field(4, alias="apiThrottleBurstLimit", ge=1)
    create_session_quota_tps: PositiveInt | Literal["auto"] = Field("auto", alias="createSessionQuotaTps")
    create_session_rate_limit: PositiveFloat | Literal["auto"] = Field("auto", alias="createSessionRateLimit")
    create_session_burst_limit: PositiveInt | Literal["auto"] = Field("auto", alias="createSessionBurstLimit")
    get_results_quota_tps: PositiveInt | Literal["auto"] = Field("auto", alias="getResultsQuotaTps")
    get_results_rate_limit: PositiveFloat | Literal["auto"] = Field("auto", alias="getResultsRateLimit")
    get_results_burst_limit: PositiveInt | Literal["auto"] = Field("auto", alias="getResultsBurstLimit")
    erase_session_rate_limit: float = Field(5, alias="eraseSessionRateLimit", gt=0)
    erase_session_burst_limit: int = Field(5, alias="eraseSessionBurstLimit", ge=1)
    # "auto": what the route throttles can admit within the function timeout; "off": none reserved.
    reserved_concurrency: PositiveInt | Literal["auto", "off"] = Field("auto", alias="reservedConcurrency")
    # Who may invoke the API (the REST API's resource policy); empty: any principal of this account that IAM allows.
    allowed_principal_arns: tuple[str, ...] = Field((), alias="allowedPrincipalArns")
    cors_allowed_origins: tuple[str, ...] = Field((), alias="corsAllowedOrigins")
    log_retention_days: int = Field(90, alias="logRetentionDays")
    # Who may call (README "Use it from a web app"). IAM: SigV4 on every route. COGNITO: a user-pool authorizer on
    # every route (the owner is the token's `sub`), with the stack's own pool or `userPoolArn`'s.
    authorization: Literal["IAM", "COGNITO"] = "IAM"
    mfa: Literal["optional", "required"] = "optional"
    # Whether anyone may create an account in the stack's own pool; off: users are created by you (or your backend).
    user_pool_self_sign_up: bool = Field(False, alias="userPoolSelfSignUp")
    user_pool_arn: str | None = Field(None, alias="userPoolArn", pattern=USER_POOL_ARN)
    user_pool_client_ids: tuple[str, ...] = Field((), alias="userPoolClientIds")
    # A Cognito identity pool whose roles may stream to Face Liveness (and, in IAM mode, invoke the API's routes).
    identity_pool: Literal["off", "authenticated", "guest"] = Field("off", alias="identityPool")
    # AWS WAF on the stage; "auto": on in browser modes (COGNITO or an identity pool), off in plain IAM mode.
    waf: bool | Literal["auto"] = "auto"
    waf_create_session_rate_per_5min: int = Field(
        100, alias="wafCreateSessionRatePer5Min", ge=WAF_RATE_LIMIT_MIN, le=WAF_RATE_LIMIT_MAX
    )
    lambda_timeout_seconds: int = Field(15, alias="lambdaTimeoutSeconds", ge=3, le=25)
    lambda_memory_mb: int = Field(512, alias="lambdaMemoryMb", ge=128, le=10240)
    snap_start: bool = Field(False, alias="snapStart")
    rekognition_connect_timeout_seconds: float = Field(1.0, alias="rekognitionConnectTimeoutSeconds", gt=0)
    rekognition_read_timeout_seconds: float = Field(2.0, alias="rekognitionReadTimeoutSeconds", gt=0)
    rekognition_max_attempts: int = Field(3, alias="rekognitionMaxAttempts", ge=1, le=5)
    dynamodb_connect_timeout_seconds: float = Field(1.0, alias="dynamodbConnectTimeoutSeconds", gt=0)
    dynamodb_read_timeout_seconds: float = Field(2.0, alias="dynamodbReadTimeoutSeconds", gt=0)
    dynamodb_max_attempts: int = Field(3, alias="dynamodbMaxAttempts", ge=1, le=5)
    s3_connect_timeout_seconds: float = Field(1.0, alias="s3ConnectTimeoutSeconds", gt=0)
    s3_read_timeout_seconds: float = Field(2.0, alias="s3ReadTimeoutSeconds", gt=0)
    s3_max_attempts: int = Field(3, alias="s3MaxAttempts", ge=1, le=5)
    # Per-caller request limits (fixed one-minute windows in the ledger's caller item). In plain IAM mode one
    # backend principal is one caller for all of its users: size these for it, or bind sessions per user.
    caller_creates_per_minute: int = Field(60, alias="callerCreatesPerMinute", ge=1)
    caller_reads_per_minute: int = Field(600, alias="callerReadsPerMinute", ge=1)
    liveness_threshold: float = Field(90.0, alias="livenessThreshold", ge=0, le=100)
    session_retention_days: int = Field(30, alias="sessionRetentionDays", ge=1, le=3650)
    abuse_max_failures: int = Field(5, alias="abuseMaxFailures", ge=1)
    abuse_window_seconds: int = Field(180, alias="abuseWindowSeconds", ge=1)
    abuse_cooldown_seconds: int = Field(1800, alias="abuseCooldownSeconds", ge=1)
    local_port: int = Field(3000, alias="localPort", ge=1, le=65535)
    # Alarms (infra/constructs/observability/alarms.py; docs/operations.md says what to do when each fires).
    alarm_email: str | None = Field(None, alias="alarmEmail", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    alarm_5xx_rate_percent: float = Field(5.0, alias="alarm5xxRatePercent", gt=0, le=100)
    alarm_503_rate_percent: float = Field(5.0, alias="alarm503RatePercent", gt=0, le=100)
    alarm_lambda_errors: int = Field(1, alias="alarmLambdaErrors", ge=1)
    alarm_latency_p99_ms: int = Field(3000, alias="alarmLatencyP99Ms", ge=100, le=29000)
    alarm_rekognition_throttles_per_minute: int = Field(5, alias="alarmRekognitionThrottlesPerMinute", ge=1)
    alarm_rekognition_throttle_minutes: int = Field(5, alias="alarmRekognitionThrottleMinutes", ge=1, le=60)
    alarm_throttled_requests_per_minute: int = Field(10, alias="alarmThrottledRequestsPerMinute", ge=1)
    alarm_throttled_requests_minutes: int = Field(5, alias="alarmThrottledRequestsMinutes", ge=1, le=60)
    alarm_pass_rate_floor_percent: float = Field(50.0, alias="alarmPassRateFloorPercent", ge=0, le=100)
    alarm_pass_rate_min_checks: int = Field(10, alias="alarmPassRateMinChecks", ge=1)
    alarm_evaluation_periods: int = Field(3, alias="alarmEvaluationPeriods", ge=1, le=24)
    alarm_waf_blocked_requests_per_5min: int = Field(100, alias="alarmWafBlockedRequestsPer5Min", ge=1)

    @field_validator("cors_allowed_origins", "allowed_principal_arns", "user_pool_client_ids", mode="before")
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

    @field_validator("allowed_principal_arns")
    @classmethod
    def _principals_are_iam_users_or_roles(cls, arns: tuple[str, ...]) -> tuple[str, ...]:
        for arn in arns:
            if not re.fullmatch(IAM_PRINCIPAL_ARN, arn):
                raise ValueError(
                    f"{arn!r} is not the ARN of an IAM user or role (arn:aws:iam::<account>:role/<name>; no wildcards, "
                    "no assumed-role session ARNs, no account roots)"
                )
        if len(set(arns)) != len(arns):
            raise ValueError("lists a principal twice")
        return arns

    @field_validator("user_pool_client_ids")
    @classmethod
    def _client_ids_are_cognitos(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        for client_id in ids:
            if not re.fullmatch(USER_POOL_CLIENT_ID, client_id):
                raise ValueError(f"{client_id!r} is not a Cognito app client id")
        if len(set(ids)) != len(ids):
            raise ValueError("lists a client twice")
        return ids

    @field_validator("user_pool_arn", "alarm_email", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # `cdk synth -c alarmEmail=` (or an empty string in cdk.json) means no subscription; `-c userPoolArn=`, none.
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
        self._check_throttles()
        self._check_reserved_concurrency()
        self._check_auth_modes()
        for client in self.aws_clients:
            if client.worst_case_seconds >= self.lambda_timeout_seconds:
                raise ValueError(
                    f"{client.service} calls can take {client.worst_case_seconds:.1f}s with every retry, which does "
                    f"not fit in lambdaTimeoutSeconds={self.lambda_timeout_seconds}: lower {client.knob_prefix}*"
                    f"TimeoutSeconds or {client.knob_prefix}MaxAttempts"
                )
        return self

    @property
    def aws_clients(self) -> tuple[AwsClientLimits, ...]:
        """The timeouts and attempts of every botocore client the function makes."""
        return (
            AwsClientLimits(
                "Rekognition",
                "rekognition",
                self.rekognition_connect_timeout_seconds,
                self.rekognition_read_timeout_seconds,
                self.rekognition_max_attempts,
            ),
            AwsClientLimits(
                "DynamoDB",
                "dynamodb",
                self.dynamodb_connect_timeout_seconds,
                self.dynamodb_read_timeout_seconds,
                self.dynamodb_max_attempts,
            ),
            AwsClientLimits(
                "S3", "s3", self.s3_connect_timeout_seconds, self.s3_read_timeout_seconds, self.s3_max_attempts
            ),
        )

    @property
    def worst_case_rekognition_seconds(self) -> float:
        return self.aws_clients[0].worst_case_seconds

    def _check_auth_modes(self) -> None:
        if self.browser_mode and not self.cors_allowed_origins:
            raise ValueError(
                f"authorization={self.authorization} with identityPool={self.identity_pool} serves browsers: "
                "corsAllowedOrigins must list your web app's exact origins (e.g. https://app.example.com)"
            )
        if self.authorization == "COGNITO" and self.allowed_principal_arns:
            raise ValueError(
                "allowedPrincipalArns lists IAM principals, but with authorization=COGNITO callers present user-pool "
                "tokens, not IAM credentials: remove it"
            )
        if (self.user_pool_arn is None) != (not self.user_pool_client_ids):
            raise ValueError("userPoolArn and userPoolClientIds go together: the existing pool and its app clients")
        if self.user_pool_arn is not None and not self.user_pool_arn_id.startswith(f"{self.user_pool_arn_region}_"):
            raise ValueError(f"userPoolArn {self.user_pool_arn!r}: the pool id must begin with the ARN's region")
        if self.user_pool_arn is not None and not self.uses_user_pool:
            raise ValueError(
                "userPoolArn is used only with authorization=COGNITO or identityPool=authenticated: remove it or "
                "choose one of those"
            )
        if self.mfa == "required" and not self.creates_user_pool:
            raise ValueError(
                "mfa applies to the user pool this stack creates (authorization=COGNITO or identityPool=authenticated, "
                "without userPoolArn); an existing pool keeps its own MFA setting"
            )

    @property
    def browser_mode(self) -> bool:
        """Browsers call the API or stream with the stack's credentials: COGNITO, or an identity pool."""
        return self.authorization == "COGNITO" or self.identity_pool != "off"

    @property
    def uses_user_pool(self) -> bool:
        """A user pool signs users in: the API's authorizer (COGNITO), or the identity pool's provider."""
        return self.authorization == "COGNITO" or self.identity_pool == "authenticated"

    @property
    def user_pool_arn_region(self) -> str:
        """`userPoolArn`'s region ("" without one)."""
        return (self.user_pool_arn or "::::").split(":")[3]

    @property
    def user_pool_arn_id(self) -> str:
        """`userPoolArn`'s pool id, `<region>_<suffix>` ("" without one)."""
        return (self.user_pool_arn or "").rpartition("/")[2]

    @property
    def creates_user_pool(self) -> bool:
        return self.uses_user_pool and self.user_pool_arn is None

    @property
    def federates_user_pool(self) -> bool:
        """The identity pool gives the pool's signed-in users its authenticated role (guest mode too, in COGNITO)."""
        return self.identity_pool != "off" and self.uses_user_pool

    @property
    def waf_enabled(self) -> bool:
        return self.browser_mode if self.waf == "auto" else self.waf

    def _check_throttles(self) -> None:
        pairs = {
            "apiThrottle": self.default_method_throttle,
            "createSession": self.create_session_throttle,
            "getResults": self.get_results_throttle,
            "eraseSession": self.erase_session_throttle,
        }
        for prefix, throttle in pairs.items():
            if throttle.burst_limit < throttle.rate_limit:
                raise ValueError(
                    f"{prefix}BurstLimit ({throttle.burst_limit}) must be at least {prefix}RateLimit "
                    f"({throttle.rate_limit})"
                )
        # The steady rate stays below Rekognition's quota, and a full bucket spent at once fits in it too.
        quotas = {
            "createSession": (self.create_session_throttle, self.create_session_quota, "createSessionQuotaTps"),
            "getResults": (self.get_results_throttle, self.get_results_quota, "getResultsQuotaTps"),
        }
        for prefix, (throttle, quota, quota_key) in quotas.items():
            if throttle.rate_limit >= quota:
                raise ValueError(
                    f"{prefix}RateLimit ({throttle.rate_limit}) must be below the route's Rekognition quota "
                    f"({quota} TPS in {self.region}; {quota_key} if your account's quota differs)"
                )
            if throttle.burst_limit > quota:
                raise ValueError(
                    f"{prefix}BurstLimit ({throttle.burst_limit}) must not exceed the route's Rekognition quota "
                    f"({quota} TPS in {self.region}; {quota_key} if your account's quota differs)"
                )

    def _check_reserved_concurrency(self) -> None:
        needed = self.throttled_concurrency
        reservable = LAMBDA_DEFAULT_ACCOUNT_CONCURRENCY - LAMBDA_MIN_UNRESERVED_CONCURRENCY
        if self.reserved_concurrency == "auto" and needed > reservable:
            raise ValueError(
                f"reservedConcurrency=auto would reserve {needed}, more than the {reservable} an account with the "
                f"default {LAMBDA_DEFAULT_ACCOUNT_CONCURRENCY} concurrent executions can reserve: lower the route "
                "throttles or lambdaTimeoutSeconds, give an explicit number if your account's quota is higher, or off"
            )
        if isinstance(self.reserved_concurrency, int) and self.reserved_concurrency < needed:
            raise ValueError(
                f"reservedConcurrency={self.reserved_concurrency} is below the {needed} executions the route "
                f"throttles can admit within lambdaTimeoutSeconds={self.lambda_timeout_seconds}: Lambda would refuse "
                "requests API Gateway let through. Lower the throttles, raise it, or set auto or off"
            )

    @property
    def create_session_quota(self) -> int:
        """CreateFaceLivenessSession's TPS quota in the target region: the override, else the quota table's."""
        if self.create_session_quota_tps != "auto":
            return self.create_session_quota_tps
        return FACE_LIVENESS_CREATE_TPS_QUOTA.get(self.region, FACE_LIVENESS_DEFAULT_TPS_QUOTA)

    @property
    def get_results_quota(self) -> int:
        """GetFaceLivenessSessionResults' TPS quota: the override, else assumed equal to CreateFaceLivenessSession's
        default in the region (see FACE_LIVENESS_CREATE_TPS_QUOTA's comment: AWS's pages do not state it)."""
        if self.get_results_quota_tps != "auto":
            return self.get_results_quota_tps
        return FACE_LIVENESS_CREATE_TPS_QUOTA.get(self.region, FACE_LIVENESS_DEFAULT_TPS_QUOTA)

    @staticmethod
    def _throttle_below(quota: int, rate: float | Literal["auto"], burst: int | Literal["auto"]) -> Throttle:
        """A route's bucket: "auto" takes QUOTA_HEADROOM of the quota, and a burst of one second at that rate."""
        rate_limit = round(quota * QUOTA_HEADROOM, 2) if rate == "auto" else rate
        # Rounded up: a burst is whole requests and never below the rate (nor, the rate being below it, the quota).
        burst_limit = math.ceil(rate_limit) if burst == "auto" else burst
        return Throttle(rate_limit, burst_limit)

    @property
    def default_method_throttle(self) -> Throttle:
        """The stage's default (MethodSettings `/*/*`): each method without its own pair gets a bucket this size."""
        return Throttle(self.api_throttle_rate_limit, self.api_throttle_burst_limit)

    @property
    def create_session_throttle(self) -> Throttle:
        return self._throttle_below(
            self.create_session_quota, self.create_session_rate_limit, self.create_session_burst_limit
        )

    @property
    def get_results_throttle(self) -> Throttle:
        return self._throttle_below(self.get_results_quota, self.get_results_rate_limit, self.get_results_burst_limit)

    @property
    def erase_session_throttle(self) -> Throttle:
        return Throttle(self.erase_session_rate_limit, self.erase_session_burst_limit)

    @property
    def route_throttles(self) -> dict[Route, Throttle]:
        """Every route's own bucket, for the stage's method settings and the local gateway alike."""
        return {
            Routes.CREATE_SESSION: self.create_session_throttle,
            Routes.GET_RESULTS: self.get_results_throttle,
            Routes.ERASE_SESSION: self.erase_session_throttle,
        }

    @property
    def throttled_concurrency(self) -> int:
        """The most function executions the route throttles can keep in flight: each bucket's admissions within one
        function timeout (every admitted request running to the timeout). Preflight never invokes the function."""
        seconds = self.lambda_timeout_seconds
        return math.ceil(sum(throttle.admitted_within(seconds) for throttle in self.route_throttles.values()))

    @property
    def reserved_concurrent_executions(self) -> int | None:
        """The function's reserved concurrency, or None for none."""
        if self.reserved_concurrency == "off":
            return None
        if self.reserved_concurrency == "auto":
            return self.throttled_concurrency
        return self.reserved_concurrency

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


def function_environment(
    config: StackConfig, *, bucket: str, key_arn: str, table: str, address_key_secret: str = ""
) -> dict[str, str]:
    """The Lambda function's environment: built here once for the stack and for the local server alike.
    `address_key_secret`: the ARN of the secret keying client-address hashes, where the caller mode counts
    addresses (`CallerMode.limits_addresses`); the function refuses to start in that mode without it."""
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
        EnvVar.DYNAMODB_CONNECT_TIMEOUT: str(config.dynamodb_connect_timeout_seconds),
        EnvVar.DYNAMODB_READ_TIMEOUT: str(config.dynamodb_read_timeout_seconds),
        EnvVar.DYNAMODB_MAX_ATTEMPTS: str(config.dynamodb_max_attempts),
        EnvVar.S3_CONNECT_TIMEOUT: str(config.s3_connect_timeout_seconds),
        EnvVar.S3_READ_TIMEOUT: str(config.s3_read_timeout_seconds),
        EnvVar.S3_MAX_ATTEMPTS: str(config.s3_max_attempts),
        EnvVar.CALLER_CREATES_PER_MINUTE: str(config.caller_creates_per_minute),
        EnvVar.CALLER_READS_PER_MINUTE: str(config.caller_reads_per_minute),
        EnvVar.CALLER_MODE: CallerMode.of_stack(config.authorization, config.identity_pool).value,
        EnvVar.ADDRESS_KEY_SECRET: address_key_secret,
        EnvVar.SERVICE_NAME: SERVICE_NAME,
        EnvVar.METRICS_NAMESPACE: NAMESPACE,
        EnvVar.LOG_LEVEL: "INFO",
        EnvVar.PYDANTIC_PLUGINS: "__all__",
    }
