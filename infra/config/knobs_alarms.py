"""The alarms' thresholds and who is told: docs/operations.md says what to do when each alarm fires."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AlarmKnobs(BaseModel):
    """Alarms"""

    alarm_email: str | None = Field(
        None,
        alias="alarmEmail",
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        examples=["ops@example.com"],
        description="e-mail address subscribed to the alarm topic (optional)",
    )
    alarm_5xx_rate_percent: float = Field(
        5.0,
        alias="alarm5xxRatePercent",
        gt=0,
        le=100,
        description="API 5xx rate (%), the deliberate 503s aside, that raises `Api5xxRate`",
    )
    alarm_503_rate_percent: float = Field(
        5.0,
        alias="alarm503RatePercent",
        gt=0,
        le=100,
        description="API 503 rate (%: a dependency or the deadline asking to retry later) that raises "
        "`ApiUnavailableRate`",
    )
    alarm_lambda_errors: int = Field(
        1, alias="alarmLambdaErrors", ge=1, description="function errors per 5 minutes that raise `LambdaErrors`"
    )
    alarm_latency_p99_ms: int = Field(
        3000, alias="alarmLatencyP99Ms", ge=100, le=29000, description="API p99 latency (ms) that raises `LatencyP99`"
    )
    alarm_rekognition_throttles_per_minute: int = Field(
        5,
        alias="alarmRekognitionThrottlesPerMinute",
        ge=1,
        description="Rekognition throttles per minute that count as throttling",
    )
    alarm_rekognition_throttle_minutes: int = Field(
        5,
        alias="alarmRekognitionThrottleMinutes",
        ge=1,
        le=60,
        description="consecutive minutes of throttling that raise `RekognitionThrottling`",
    )
    alarm_throttled_requests_per_minute: int = Field(
        10,
        alias="alarmThrottledRequestsPerMinute",
        ge=1,
        description="requests per minute refused by API Gateway's throttle (429) that count as throttling",
    )
    alarm_throttled_requests_minutes: int = Field(
        5,
        alias="alarmThrottledRequestsMinutes",
        ge=1,
        le=60,
        description="consecutive minutes of API throttling that raise `ApiThrottling`",
    )
    alarm_pass_rate_floor_percent: float = Field(
        50.0,
        alias="alarmPassRateFloorPercent",
        ge=0,
        le=100,
        description="pass rate (%) below which `PassRateLow` fires",
    )
    alarm_pass_rate_min_checks: int = Field(
        10,
        alias="alarmPassRateMinChecks",
        ge=1,
        description="completed checks a 15-minute period needs before its pass rate is judged",
    )
    alarm_face_match_error_rate_percent: float = Field(
        5.0,
        alias="alarmFaceMatchErrorRatePercent",
        gt=0,
        le=100,
        description="face-matching calls that failed (`FaceMatchError`, % of the matches, enrolments and erasures "
        "attempted) that raise `FaceMatchErrorRate`",
    )
    alarm_face_match_min_attempts: int = Field(
        5,
        alias="alarmFaceMatchMinAttempts",
        ge=1,
        description="face-matching attempts a 5-minute period needs before its error rate is judged",
    )
    alarm_evaluation_periods: int = Field(
        3,
        alias="alarmEvaluationPeriods",
        ge=1,
        le=24,
        description="5-minute periods the 5xx-rate, 503-rate, latency and face-match error-rate alarms evaluate",
    )
    alarm_waf_blocked_requests_per_5min: int = Field(
        100,
        alias="alarmWafBlockedRequestsPer5Min",
        ge=1,
        description="requests WAF blocked in 5 minutes that raise `WafBlockedRequests` (with `waf` on)",
    )
    price_usd_per_check: float = Field(
        0.015,
        alias="priceUsdPerCheck",
        gt=0,
        description="what one Face Liveness check costs (USD; see the Rekognition pricing page for your region), for "
        "the estimated spend",
    )
    alarm_spend_usd_per_hour: float = Field(
        50.0,
        alias="alarmSpendUsdPerHour",
        gt=0,
        description="estimated Face Liveness spend per hour (sessions created times `priceUsdPerCheck`, projected from "
        "5 minutes) that raises `EstimatedSpend`",
    )
