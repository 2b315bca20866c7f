"""Capacity: how much the stack admits, and how long its calls may take.

Each route's API Gateway throttle (derived from the region's Face Liveness quota where its knobs say "auto"), the
function's reserved concurrency (what those throttles can keep in flight), and each botocore client's retry budget
(which must fit in the function's timeout). Pure arithmetic on the knobs: `StackConfig` checks it when it
validates, and the stack hands the API its throttles and the function its concurrency from here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, NamedTuple

from infra.config.platform import LAMBDA_MIN_UNRESERVED_CONCURRENCY, face_liveness_tps_quota
from liveness_api.contract import Route, Routes

if TYPE_CHECKING:
    from infra.config.knobs import StackConfig

# The share of a quota that a derived ("auto") route rate takes: headroom for botocore's retries of throttled calls.
QUOTA_HEADROOM: Final = 0.8


class Throttle(NamedTuple):
    """One API Gateway method's token bucket: `rate_limit` tokens a second, at most `burst_limit` held."""

    rate_limit: float
    burst_limit: int

    def admitted_within(self, seconds: float) -> float:
        """The most requests the bucket can let through in any window of `seconds`: a full bucket plus refills."""
        return self.burst_limit + self.rate_limit * seconds


class AwsClientLimits(NamedTuple):
    """One botocore client's timeouts and attempts, as the function configures it: its retry budget."""

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


def throttle_below(quota: int, rate: float | Literal["auto"], burst: int | Literal["auto"]) -> Throttle:
    """A route's bucket: "auto" takes QUOTA_HEADROOM of the quota, and a burst of one second at that rate."""
    rate_limit = round(quota * QUOTA_HEADROOM, 2) if rate == "auto" else rate
    # Rounded up: a burst is whole requests and never below the rate (nor, the rate being below it, the quota).
    burst_limit = math.ceil(rate_limit) if burst == "auto" else burst
    return Throttle(rate_limit, burst_limit)


@dataclass(frozen=True)
class Capacity:
    """What the knobs admit, resolved: quotas, throttles, concurrency and the clients' retry budgets."""

    region: str
    lambda_timeout_seconds: int
    reserved_concurrency: int | Literal["auto", "off"]
    account_concurrency: int
    create_session_quota: int
    get_results_quota: int
    default_method_throttle: Throttle
    create_session_throttle: Throttle
    get_results_throttle: Throttle
    erase_session_throttle: Throttle
    consume_verdict_throttle: Throttle
    enrolment_throttle: Throttle
    aws_clients: tuple[AwsClientLimits, ...]

    @classmethod
    def of(cls, config: StackConfig) -> Capacity:
        """The capacity of a configuration. GetFaceLivenessSessionResults' quota, unless set, is assumed equal to
        CreateFaceLivenessSession's default in the region (AWS's pages do not state it)."""
        create_quota = (
            face_liveness_tps_quota(config.region)
            if config.create_session_quota_tps == "auto"
            else config.create_session_quota_tps
        )
        results_quota = (
            face_liveness_tps_quota(config.region)
            if config.get_results_quota_tps == "auto"
            else config.get_results_quota_tps
        )
        return cls(
            region=config.region,
            lambda_timeout_seconds=config.lambda_timeout_seconds,
            reserved_concurrency=config.reserved_concurrency,
            account_concurrency=config.account_concurrency,
            create_session_quota=create_quota,
            get_results_quota=results_quota,
            default_method_throttle=Throttle(config.api_throttle_rate_limit, config.api_throttle_burst_limit),
            create_session_throttle=throttle_below(
                create_quota, config.create_session_rate_limit, config.create_session_burst_limit
            ),
            get_results_throttle=throttle_below(
                results_quota, config.get_results_rate_limit, config.get_results_burst_limit
            ),
            erase_session_throttle=Throttle(config.erase_session_rate_limit, config.erase_session_burst_limit),
            consume_verdict_throttle=Throttle(config.consume_verdict_rate_limit, config.consume_verdict_burst_limit),
            enrolment_throttle=Throttle(config.enrolment_rate_limit, config.enrolment_burst_limit),
            aws_clients=(
                AwsClientLimits(
                    "Rekognition",
                    "rekognition",
                    config.rekognition_connect_timeout_seconds,
                    config.rekognition_read_timeout_seconds,
                    config.rekognition_max_attempts,
                ),
                AwsClientLimits(
                    "DynamoDB",
                    "dynamodb",
                    config.dynamodb_connect_timeout_seconds,
                    config.dynamodb_read_timeout_seconds,
                    config.dynamodb_max_attempts,
                ),
                AwsClientLimits(
                    "S3",
                    "s3",
                    config.s3_connect_timeout_seconds,
                    config.s3_read_timeout_seconds,
                    config.s3_max_attempts,
                ),
                AwsClientLimits(
                    "Secrets Manager",
                    "secretsmanager",
                    config.secretsmanager_connect_timeout_seconds,
                    config.secretsmanager_read_timeout_seconds,
                    config.secretsmanager_max_attempts,
                ),
                AwsClientLimits(
                    "STS",
                    "sts",
                    config.sts_connect_timeout_seconds,
                    config.sts_read_timeout_seconds,
                    config.sts_max_attempts,
                ),
            ),
        )

    @property
    def route_throttles(self) -> dict[Route, Throttle]:
        """Every route's own bucket, for the stage's method settings and the local gateway alike."""
        return {
            Routes.CREATE_SESSION: self.create_session_throttle,
            Routes.GET_RESULTS: self.get_results_throttle,
            Routes.ERASE_SESSION: self.erase_session_throttle,
            Routes.CONSUME_VERDICT: self.consume_verdict_throttle,
            Routes.ENROL_PERSON: self.enrolment_throttle,
            Routes.ERASE_ENROLMENT: self.enrolment_throttle,
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
    def worst_case_rekognition_seconds(self) -> float:
        """The longest a Rekognition call can take with every retry."""
        return self.aws_clients[0].worst_case_seconds

    def check_throttles(self) -> None:
        """Each burst holds at least one second of its rate; a Rekognition-backed route's steady rate stays below
        its quota, and a full bucket spent at once fits in it too."""
        pairs = {
            "apiThrottle": self.default_method_throttle,
            "createSession": self.create_session_throttle,
            "getResults": self.get_results_throttle,
            "eraseSession": self.erase_session_throttle,
            "consumeVerdict": self.consume_verdict_throttle,
        }
        for prefix, throttle in pairs.items():
            if throttle.burst_limit < throttle.rate_limit:
                raise ValueError(
                    f"{prefix}BurstLimit ({throttle.burst_limit}) must be at least {prefix}RateLimit "
                    f"({throttle.rate_limit})"
                )
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

    @property
    def reservable_concurrency(self) -> int:
        """The most the account can reserve for one function: Lambda keeps some of its quota unreserved."""
        return self.account_concurrency - LAMBDA_MIN_UNRESERVED_CONCURRENCY

    def check_reserved_concurrency(self) -> None:
        """A reservation covers what API Gateway admits (Lambda must never refuse it) and fits the account, or the
        deploy fails minutes in; none at all always fits."""
        needed = self.throttled_concurrency
        reservation = self.reserved_concurrent_executions
        if reservation is not None and reservation > self.reservable_concurrency:
            raise ValueError(
                f"reservedConcurrency={self.reserved_concurrency} reserves {reservation} executions, but an account "
                f"with accountConcurrency={self.account_concurrency} can reserve at most {self.reservable_concurrency} "
                f"(Lambda keeps {LAMBDA_MIN_UNRESERVED_CONCURRENCY} unreserved): set reservedConcurrency=off, lower "
                "the route throttles or lambdaTimeoutSeconds, or raise the quota in Service Quotas and set "
                "accountConcurrency to it"
            )
        if isinstance(self.reserved_concurrency, int) and self.reserved_concurrency < needed:
            raise ValueError(
                f"reservedConcurrency={self.reserved_concurrency} is below the {needed} executions the route "
                f"throttles can admit within lambdaTimeoutSeconds={self.lambda_timeout_seconds}: Lambda would refuse "
                "requests API Gateway let through. Lower the throttles, raise it, or set auto or off"
            )

    def check_clients_fit(self) -> None:
        """Every client's calls, retries included, end within the function's timeout."""
        for client in self.aws_clients:
            if client.worst_case_seconds >= self.lambda_timeout_seconds:
                raise ValueError(
                    f"{client.service} calls can take {client.worst_case_seconds:.1f}s with every retry, which does "
                    f"not fit in lambdaTimeoutSeconds={self.lambda_timeout_seconds}: lower {client.knob_prefix}*"
                    f"TimeoutSeconds or {client.knob_prefix}MaxAttempts"
                )
