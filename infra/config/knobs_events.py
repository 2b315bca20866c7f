"""Events for other systems: how long the bus's archive keeps them, and the optional signed webhook."""

from __future__ import annotations

from pydantic import BaseModel, Field

# An https URL without spaces or credentials (user:password@ would put a secret in the template).
_WEBHOOK_URL = r"^(https://[^\s/@]+(/[^\s]*)?)?$"


class EventKnobs(BaseModel):
    """Events and webhook"""

    event_archive_retention_days: int = Field(
        30,
        alias="eventArchiveRetentionDays",
        ge=1,
        le=3650,
        description="how long the event bus's archive keeps every published event, so consumers can replay them",
    )
    webhook_url: str = Field(
        "",
        alias="webhookUrl",
        pattern=_WEBHOOK_URL,
        description="https URL every published event is POSTed to, signed (docs/events.md); empty: no webhook",
    )
    webhook_secret_arn: str | None = Field(
        None,
        alias="webhookSecretArn",
        pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$",
        description="an existing Secrets Manager secret whose value signs webhook deliveries; without one, the "
        "stack generates the secret (with webhookUrl only)",
    )
