"""Who may call: the API's authorization, the Cognito pools, the principals and origins allowed, and AWS WAF.

docs/web-and-mobile.md shows each mode's client side; `StackConfig` checks the combinations.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from infra.config.platform import (
    IAM_PRINCIPAL_ARN,
    USER_POOL_ARN,
    USER_POOL_CLIENT_ID,
    WAF_RATE_LIMIT_MAX,
    WAF_RATE_LIMIT_MIN,
)
from infra.config.values import Flag
from liveness_api.environment import split_list


class AccessKnobs(BaseModel):
    """Callers and access"""

    authorization: Literal["IAM", "COGNITO"] = Field(
        "IAM",
        description="API authorization: `IAM` (SigV4 on every route) or `COGNITO` (a user-pool authorizer on every "
        "route; the owner is the token's `sub`); see [web-and-mobile.md](web-and-mobile.md)",
    )
    mfa: Literal["optional", "required"] = Field(
        "optional", description="MFA of the user pool the stack creates: `optional` or `required` (TOTP; no SMS)"
    )
    user_pool_self_sign_up: Flag = Field(
        False,
        alias="userPoolSelfSignUp",
        description="whether anyone may sign up to the stack's own pool; `false`: you create the users (console, "
        "`AdminCreateUser` or your backend)",
    )
    user_pool_arn: str | None = Field(
        None,
        alias="userPoolArn",
        pattern=USER_POOL_ARN,
        examples=["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"],
        description="an existing user pool to use instead of creating one (COGNITO, or `identityPool=authenticated`)",
    )
    user_pool_client_ids: tuple[str, ...] = Field(
        (),
        alias="userPoolClientIds",
        description="that pool's app clients (required with `userPoolArn`; the identity pool trusts tokens of these "
        "clients)",
    )
    identity_pool: Literal["off", "authenticated", "guest"] = Field(
        "off",
        alias="identityPool",
        description="a Cognito identity pool: `off`, `authenticated` (the user pool's signed-in users) or `guest` "
        "(unauthenticated identities too: read the warning synth prints); its roles may only start Face Liveness "
        "streams and, with `IAM`, invoke the API's routes",
    )
    allowed_principal_arns: tuple[str, ...] = Field(
        (),
        alias="allowedPrincipalArns",
        description="IAM user or role ARNs that alone may invoke the API (resource policy); empty: any principal of "
        "this account that IAM allows",
    )
    cors_allowed_origins: tuple[str, ...] = Field(
        (), alias="corsAllowedOrigins", description="exact browser origins allowed by CORS; none by default"
    )
    streaming_credentials: Flag = Field(
        False,
        alias="streamingCredentials",
        description="`POST /sessions` also answers 15-minute AWS credentials that may only start Face Liveness "
        "streams, for apps with their own sign-in to hand their detector (see [web-and-mobile.md](web-and-mobile.md)"
        "); not with an identity pool, whose credentials already do this",
    )
    waf: Flag | Literal["auto"] = Field(
        "auto",
        description="AWS WAF web ACL on the stage: `true`, `false`, or `auto` (on with `COGNITO` or an identity pool, "
        "off in plain IAM mode)",
    )
    waf_create_session_rate_per_5min: int = Field(
        100,
        alias="wafCreateSessionRatePer5Min",
        ge=WAF_RATE_LIMIT_MIN,
        le=WAF_RATE_LIMIT_MAX,
        description="WAF's limit of `POST /sessions` per client IP per 5 minutes; above it, 429 "
        "`address-rate-limited` with `Retry-After`",
    )

    @field_validator("cors_allowed_origins", "allowed_principal_arns", "user_pool_client_ids", mode="before")
    @classmethod
    def _split_lists(cls, value: Any) -> Any:
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
