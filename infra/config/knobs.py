"""The knobs: every setting a deployer may give in `cdk.json`'s context or with `-c`, each with its one default,
its bounds and its meaning (`description`, rendered into docs/configuration.md), and the checks across knobs.

The knobs come in groups, one model each (`KNOB_GROUPS`, in the order the configuration page lists them);
`StackConfig` is all of them together. Aliases are the context keys.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import ConfigDict, field_validator, model_validator

from infra.config.capacity import Capacity, Throttle
from infra.config.knobs_access import AccessKnobs
from infra.config.knobs_alarms import AlarmKnobs
from infra.config.knobs_capacity import CapacityKnobs
from infra.config.knobs_events import EventKnobs
from infra.config.knobs_match import MatchKnobs
from infra.config.knobs_service import ServiceKnobs
from infra.config.knobs_stack import StackKnobs
from infra.config.platform import FACE_LIVENESS_REGIONS
from liveness_api.contract import Route
from liveness_api.identity import CallerMode

KNOB_GROUPS: Final = (StackKnobs, AccessKnobs, CapacityKnobs, ServiceKnobs, MatchKnobs, EventKnobs, AlarmKnobs)


# Bases last group first: Pydantic puts the fields of later bases first, so the fields keep KNOB_GROUPS' order.
class StackConfig(AlarmKnobs, EventKnobs, MatchKnobs, ServiceKnobs, CapacityKnobs, AccessKnobs, StackKnobs):
    """Every knob of the stack, validated together."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    @field_validator("user_pool_arn", "alarm_email", "webhook_secret_arn", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        # `cdk synth -c alarmEmail=` (or an empty string in cdk.json) means no subscription; `-c userPoolArn=`, none;
        # `-c webhookSecretArn=`, a generated secret.
        return None if value == "" else value

    @model_validator(mode="after")
    def _fits_the_platform(self) -> StackConfig:
        if self.region not in FACE_LIVENESS_REGIONS and not self.allow_unlisted_region:
            raise ValueError(
                f"Face Liveness is not offered in {self.region}. Choose one of {', '.join(FACE_LIVENESS_REGIONS)}, "
                "or set allowUnlistedRegion=true if AWS has added this region since this list was written."
            )
        capacity = self.capacity
        capacity.check_throttles()
        capacity.check_reserved_concurrency()
        self._check_auth_modes()
        capacity.check_clients_fit()
        return self

    def _check_auth_modes(self) -> None:
        if self.browser_mode and not self.cors_allowed_origins:
            raise ValueError(
                f"authorization={self.authorization} with identityPool={self.identity_pool} serves browsers: "
                "corsAllowedOrigins must list your web app's exact origins (e.g. https://app.example.com)"
            )
        if self.streaming_credentials and self.identity_pool != "off":
            raise ValueError(
                f"streamingCredentials=true with identityPool={self.identity_pool}: the identity pool already gives "
                "the app credentials to stream with; set identityPool=off or streamingCredentials=false"
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
    def capacity(self) -> Capacity:
        """Throttles, quotas, reserved concurrency and the clients' retry budgets these knobs resolve to."""
        return Capacity.of(self)

    @property
    def route_throttles(self) -> dict[Route, Throttle]:
        """Every route's own bucket (the local gateway sizes its buckets from this, as the stage does)."""
        return self.capacity.route_throttles

    @property
    def default_method_throttle(self) -> Throttle:
        """The stage's default (MethodSettings `/*/*`): each method without its own pair gets a bucket this size."""
        return self.capacity.default_method_throttle

    @property
    def caller_mode(self) -> CallerMode:
        """How the deployed API authenticates its callers: the one place it is derived from the knobs."""
        return CallerMode.of_stack(self.authorization, self.identity_pool)

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
