"""How much the stack admits and how long it may take: the route throttles and the quotas under them, the function's
reserved concurrency, timeout and size, and each AWS client's timeouts and attempts.

`capacity.Capacity` resolves the "auto" values and checks that the whole fits together.
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import BaseModel, Field, PositiveFloat, PositiveInt

from infra.config.capacity import QUOTA_HEADROOM
from infra.config.platform import (
    API_GATEWAY_TIMEOUT_SECONDS,
    FACE_LIVENESS_CREATE_TPS_QUOTA,
    FACE_LIVENESS_DEFAULT_TPS_QUOTA,
    LAMBDA_DEFAULT_ACCOUNT_CONCURRENCY,
    LAMBDA_MIN_UNRESERVED_CONCURRENCY,
)
from infra.config.values import Flag

QUOTAS: Final = (
    f"{max(FACE_LIVENESS_CREATE_TPS_QUOTA.values())} in {' and '.join(sorted(FACE_LIVENESS_CREATE_TPS_QUOTA))}, "
    f"{FACE_LIVENESS_DEFAULT_TPS_QUOTA} elsewhere"
)
AUTO_RATE: Final = f"`auto`: {QUOTA_HEADROOM:.0%} of it"
AUTO_BURST: Final = "`auto`: the rate rounded up"
FITS: Final = "attempts x timeouts + backoff must fit `lambdaTimeoutSeconds` or synth stops"


class CapacityKnobs(BaseModel):
    """Capacity, function and AWS clients"""

    # API Gateway gives every method its own token bucket: `apiThrottle*` is the stage's default for the methods
    # without a pair of their own (only CORS preflight); each route has its own pair.
    api_throttle_rate_limit: float = Field(
        4,
        alias="apiThrottleRateLimit",
        gt=0,
        description="the stage's default method throttle, requests/s: the bucket of every method without its own "
        "(only CORS preflight); see [limits.md](limits.md)",
    )
    api_throttle_burst_limit: int = Field(
        4, alias="apiThrottleBurstLimit", ge=1, description="the stage's default method burst"
    )
    create_session_quota_tps: PositiveInt | Literal["auto"] = Field(
        "auto",
        alias="createSessionQuotaTps",
        description=f"your account's `CreateFaceLivenessSession` TPS quota; `auto`: the default quota of `region` "
        f"({QUOTAS})",
    )
    create_session_rate_limit: PositiveFloat | Literal["auto"] = Field(
        "auto",
        alias="createSessionRateLimit",
        description=f"`POST /sessions` rate, requests/s, below that quota; {AUTO_RATE}",
    )
    create_session_burst_limit: PositiveInt | Literal["auto"] = Field(
        "auto", alias="createSessionBurstLimit", description=f"`POST /sessions` burst, at most the quota; {AUTO_BURST}"
    )
    get_results_quota_tps: PositiveInt | Literal["auto"] = Field(
        "auto",
        alias="getResultsQuotaTps",
        description="your account's `GetFaceLivenessSessionResults` TPS quota; `auto`: assumed equal to the create "
        "quota (AWS does not publish it)",
    )
    get_results_rate_limit: PositiveFloat | Literal["auto"] = Field(
        "auto",
        alias="getResultsRateLimit",
        description=f"`GET /sessions/{{id}}/results` rate, below that quota; {AUTO_RATE}",
    )
    get_results_burst_limit: PositiveInt | Literal["auto"] = Field(
        "auto",
        alias="getResultsBurstLimit",
        description=f"`GET /sessions/{{id}}/results` burst, at most the quota; {AUTO_BURST}",
    )
    erase_session_rate_limit: float = Field(
        5,
        alias="eraseSessionRateLimit",
        gt=0,
        description="`DELETE /sessions/{id}` rate, requests/s (no Rekognition call)",
    )
    erase_session_burst_limit: int = Field(
        5, alias="eraseSessionBurstLimit", ge=1, description="`DELETE /sessions/{id}` burst"
    )
    # One consume per decided check, from the relying backend; small, as its executions count towards the
    # reserved concurrency of every deployment.
    consume_verdict_rate_limit: float = Field(
        2,
        alias="consumeVerdictRateLimit",
        gt=0,
        description="`POST /sessions/{id}/consume` rate, requests/s (no Rekognition call)",
    )
    consume_verdict_burst_limit: int = Field(
        2, alias="consumeVerdictBurstLimit", ge=1, description="`POST /sessions/{id}/consume` burst"
    )
    # Enrolment is rare (once per person, and again only to replace a face): a small bucket for each route.
    enrolment_rate_limit: float = Field(
        1,
        alias="enrolmentRateLimit",
        gt=0,
        description="`POST /enrolment` and `DELETE /enrolment` rate, each, requests/s (two to five Rekognition calls)",
    )
    enrolment_burst_limit: int = Field(
        2, alias="enrolmentBurstLimit", ge=1, description="`POST /enrolment` and `DELETE /enrolment` burst, each"
    )
    # Off by default: a reservation is refused by an account whose quota cannot spare it and 100 more, which is
    # most new accounts; the route throttles bound the load without it.
    reserved_concurrency: PositiveInt | Literal["auto", "off"] = Field(
        "off",
        alias="reservedConcurrency",
        description="the function's reserved concurrency: `off`, `auto` = what the route throttles admit within "
        "`lambdaTimeoutSeconds`, or a number (not below that); it must leave "
        f"{LAMBDA_MIN_UNRESERVED_CONCURRENCY} of `accountConcurrency` unreserved; see [limits.md](limits.md)",
    )
    account_concurrency: PositiveInt = Field(
        LAMBDA_DEFAULT_ACCOUNT_CONCURRENCY,
        alias="accountConcurrency",
        description="your account's Lambda concurrent-executions quota in `region` (Service Quotas; new accounts "
        "often have far less than the default; `make preflight` reads it): synth refuses a `reservedConcurrency` "
        "that does not fit it",
    )
    lambda_timeout_seconds: int = Field(
        15,
        alias="lambdaTimeoutSeconds",
        ge=3,
        le=25,
        description=f"function timeout, under API Gateway's {API_GATEWAY_TIMEOUT_SECONDS} s",
    )
    lambda_memory_mb: int = Field(512, alias="lambdaMemoryMb", ge=128, le=10240, description="function memory")
    snap_start: Flag = Field(
        False,
        alias="snapStart",
        description="Lambda SnapStart on published versions (see [performance.md](performance.md))",
    )
    rekognition_connect_timeout_seconds: float = Field(
        1.0, alias="rekognitionConnectTimeoutSeconds", gt=0, description="botocore connect timeout for Rekognition"
    )
    rekognition_read_timeout_seconds: float = Field(
        2.0, alias="rekognitionReadTimeoutSeconds", gt=0, description="botocore read timeout for Rekognition"
    )
    rekognition_max_attempts: int = Field(
        3,
        alias="rekognitionMaxAttempts",
        ge=1,
        le=5,
        description=f"total attempts of Rekognition calls (standard retry mode); {FITS}",
    )
    dynamodb_connect_timeout_seconds: float = Field(
        1.0,
        alias="dynamodbConnectTimeoutSeconds",
        gt=0,
        description="botocore connect timeout for the session ledger",
    )
    dynamodb_read_timeout_seconds: float = Field(
        2.0, alias="dynamodbReadTimeoutSeconds", gt=0, description="botocore read timeout for the session ledger"
    )
    dynamodb_max_attempts: int = Field(
        3, alias="dynamodbMaxAttempts", ge=1, le=5, description=f"total attempts for DynamoDB; {FITS}"
    )
    s3_connect_timeout_seconds: float = Field(
        1.0, alias="s3ConnectTimeoutSeconds", gt=0, description="botocore connect timeout for erasure's S3 calls"
    )
    s3_read_timeout_seconds: float = Field(
        2.0, alias="s3ReadTimeoutSeconds", gt=0, description="botocore read timeout for erasure's S3 calls"
    )
    s3_max_attempts: int = Field(3, alias="s3MaxAttempts", ge=1, le=5, description=f"total attempts for S3; {FITS}")
    secretsmanager_connect_timeout_seconds: float = Field(
        1.0,
        alias="secretsmanagerConnectTimeoutSeconds",
        gt=0,
        description="botocore connect timeout for Secrets Manager (guest mode's address key, read once at init)",
    )
    secretsmanager_read_timeout_seconds: float = Field(
        2.0,
        alias="secretsmanagerReadTimeoutSeconds",
        gt=0,
        description="botocore read timeout for Secrets Manager",
    )
    secretsmanager_max_attempts: int = Field(
        3, alias="secretsmanagerMaxAttempts", ge=1, le=5, description=f"total attempts for Secrets Manager; {FITS}"
    )
    sts_connect_timeout_seconds: float = Field(
        1.0,
        alias="stsConnectTimeoutSeconds",
        gt=0,
        description="botocore connect timeout for STS (streaming credentials)",
    )
    sts_read_timeout_seconds: float = Field(
        2.0, alias="stsReadTimeoutSeconds", gt=0, description="botocore read timeout for STS"
    )
    sts_max_attempts: int = Field(3, alias="stsMaxAttempts", ge=1, le=5, description=f"total attempts for STS; {FITS}")
