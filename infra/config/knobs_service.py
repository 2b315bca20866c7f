"""What the handler enforces: the liveness threshold, the audit images a client may ask for, how long a session's
verdict is kept, the abuse limit and the per-caller limits. The function reads each from its environment."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ServiceKnobs(BaseModel):
    """Sessions, verdicts and limits"""

    liveness_threshold: float = Field(
        90.0,
        alias="livenessThreshold",
        ge=0,
        le=100,
        description="confidence at or above which a SUCCEEDED check is `LIVE`",
    )
    max_audit_images_limit: int = Field(
        4, alias="maxAuditImagesLimit", ge=0, le=4, description="the most audit images a client may ask for"
    )
    session_retention_days: int = Field(
        30, alias="sessionRetentionDays", ge=1, le=3650, description="ledger items expire (DynamoDB TTL) after this"
    )
    abuse_max_failures: int = Field(
        5, alias="abuseMaxFailures", ge=1, description="failed checks (NOT_LIVE or FAILED) that trigger the cool-down"
    )
    abuse_window_seconds: int = Field(
        180, alias="abuseWindowSeconds", ge=1, description="the sliding window those failures are counted in"
    )
    abuse_cooldown_seconds: int = Field(
        1800, alias="abuseCooldownSeconds", ge=1, description="how long new sessions are refused afterwards"
    )
    max_open_sessions: int = Field(
        2,
        alias="maxOpenSessions",
        ge=1,
        le=20,
        description="undecided, unexpired sessions a caller may hold at once (and, in guest mode, a client address); "
        "a create past it gets 429 `too-many-open-sessions` until one is decided or expires (3 minutes)",
    )
    address_creates_per_minute: int = Field(
        20,
        alias="addressCreatesPerMinute",
        ge=1,
        description="guest mode: `POST /sessions` per client address per minute, whatever the guest identities "
        "(429 `caller-rate-limited`)",
    )
    # Fixed one-minute windows in the ledger's caller item.
    caller_creates_per_minute: int = Field(
        60,
        alias="callerCreatesPerMinute",
        ge=1,
        description="per-caller limit on `POST /sessions` per minute (429 + `Retry-After`); in plain IAM mode one "
        "backend principal is one caller for all of its users: size it for that, or bind sessions per user",
    )
    caller_reads_per_minute: int = Field(
        600,
        alias="callerReadsPerMinute",
        ge=1,
        description="per-caller limit on `GET .../results`, `POST .../consume` and `DELETE` together, per minute",
    )
    verdict_max_age_seconds: int = Field(
        600,
        alias="verdictMaxAgeSeconds",
        ge=1,
        description="a verdict older than this, counted from its session's creation, is `stale` and `POST "
        ".../consume` refuses it (409 `verdict-stale`); see [api.md](api.md)",
    )
