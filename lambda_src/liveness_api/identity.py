"""Who is calling: the owner a session is bound to, from API Gateway's request context, by the stack's mode.

The mode is stack configuration (`authorization`, `identityPool`), passed to the function in its environment, never
read from the request: a request shaped for another mode cannot pick its owner. What API Gateway sets, per mode:

- `user-pool` (authorization=COGNITO, any identityPool): a Cognito user-pool authorizer puts the verified token's
  claims in `requestContext.authorizer.claims`; `requestContext.identity` holds only the address and user agent.
  The owner is the token's `sub`, and only it counts.
- `identity-pool` (authorization=IAM, identityPool=authenticated): SigV4 with identity-pool credentials;
  `requestContext.identity` holds `cognitoIdentityId`, `cognitoIdentityPoolId`, `cognitoAuthenticationType`
  (`authenticated`) and, as `userArn`, the pool role's assumed-role ARN, which every user of the pool shares. The
  owner is the identity id. A caller without one (a plain IAM principal of the account) and a guest are refused.
- `identity-pool-guests` (authorization=IAM, identityPool=guest): the same, and `cognitoAuthenticationType` may
  also be `unauthenticated`. Guests cost nothing to mint, so the caller's address (`identity.sourceIp`) is also
  returned, for the abuse limit.
- `iam` (authorization=IAM, identityPool=off): plain SigV4; the owner is the IAM user or role ARN, `userArn`.
  Identity-pool credentials are refused here: their `userArn` is a role shared by every user of that pool, so
  binding sessions to it would let those users read each other's sessions.

Owners are prefixed by their kind, so values from two identity sources can never collide.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from liveness_api.errors import CallerIdentityMissing


class CallerMode(StrEnum):
    """How the deployed API authenticates its callers, and so which request-context field names the owner."""

    IAM = "iam"
    IDENTITY_POOL = "identity-pool"
    IDENTITY_POOL_GUESTS = "identity-pool-guests"
    USER_POOL = "user-pool"

    @classmethod
    def of_stack(cls, authorization: str, identity_pool: str) -> CallerMode:
        """The mode of a stack's `authorization` and `identityPool` knobs. With COGNITO, API callers present
        user-pool tokens whatever the identity pool (which then only lets browsers stream)."""
        if authorization == "COGNITO":
            return cls.USER_POOL
        if authorization != "IAM":
            raise ValueError(f"unknown authorization {authorization!r}")
        modes = {"off": cls.IAM, "authenticated": cls.IDENTITY_POOL, "guest": cls.IDENTITY_POOL_GUESTS}
        if identity_pool not in modes:
            raise ValueError(f"unknown identityPool {identity_pool!r}")
        return modes[identity_pool]

    @property
    def limits_addresses(self) -> bool:
        """Whether the abuse limit also counts failures per client address: only where callers can be guests."""
        return self is CallerMode.IDENTITY_POOL_GUESTS


# API Gateway's `cognitoAuthenticationType` for signed-in and for guest identity-pool credentials.
AUTHENTICATED: Final = "authenticated"
UNAUTHENTICATED: Final = "unauthenticated"


@dataclass(frozen=True)
class Caller:
    owner: str
    # The client's address as API Gateway saw it, only in a mode whose abuse limit counts addresses. Never stored
    # or logged in clear: the domain keeps only its keyed hash.
    address: str | None = None


def _text(mapping: Any, name: str) -> str | None:
    value = mapping.get(name) if isinstance(mapping, dict) else None
    return value if isinstance(value, str) and value else None


def resolve_caller(request_context: dict[str, Any], mode: CallerMode) -> Caller:
    """The caller of a request in `mode`, or CallerIdentityMissing when the request carries no identity valid in
    that mode."""
    identity = request_context.get("identity") or {}
    if mode is CallerMode.USER_POOL:
        claims = (request_context.get("authorizer") or {}).get("claims")
        sub = _text(claims, "sub")
        if sub is None:
            raise CallerIdentityMissing()
        return Caller(f"cognito-user:{sub}")
    identity_id = _text(identity, "cognitoIdentityId")
    if mode is CallerMode.IAM:
        arn = _text(identity, "userArn")
        if identity_id is not None or arn is None:
            raise CallerIdentityMissing()
        return Caller(f"iam:{arn}")
    allowed = {AUTHENTICATED, UNAUTHENTICATED} if mode is CallerMode.IDENTITY_POOL_GUESTS else {AUTHENTICATED}
    if identity_id is None or _text(identity, "cognitoAuthenticationType") not in allowed:
        raise CallerIdentityMissing()
    owner = f"cognito-identity:{identity_id}"
    if not mode.limits_addresses:
        return Caller(owner)
    address = _text(identity, "sourceIp")
    if address is None:
        raise CallerIdentityMissing()
    return Caller(owner, address)
