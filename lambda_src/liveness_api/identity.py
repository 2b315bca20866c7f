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
- `iam` (authorization=IAM, identityPool=off): plain SigV4; the owner is the principal `userArn` names. An IAM
  user's ARN is its own; a role's is the session's (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`), whose
  session name each task or container of a backend chooses, so the owner is the role itself, written
  `arn:aws:iam::ACCOUNT:role/ROLE`: the STS ARN carries no role path, and a role name is unique in its account
  whatever its path. Identity-pool credentials are refused here: their `userArn` is a role shared by every user of
  that pool, so binding sessions to it would let those users read each other's sessions. A backend may name the end
  user a request is for (`END_USER_HEADER`): the owner is then that end user of that principal, and the principal
  remains the caller whose per-caller limits count all of its end users together.

In the identity-pool modes only identities of the stack's own identity pool are accepted: an identity pool is
keyed by its id, and another pool of the account whose roles may invoke the API is no pool of this stack.

Owners are prefixed by their kind, so values from two identity sources can never collide.

A face match's person is the owner too, where the owner is one person (`Caller.person_refusal`): not a guest, whose
identity costs nothing to mint, and not a plain IAM backend that named no end user, which is a service.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from liveness_api.contract import END_USER_HEADER
from liveness_api.errors import (
    CallerIdentityMissing,
    DomainError,
    IdentityPoolNotAccepted,
    PersonRequired,
    RequestInvalid,
)


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

    @property
    def identity_pool_callers(self) -> bool:
        """Whether callers sign with the stack's identity pool's credentials, so that the pool must be theirs."""
        return self in (CallerMode.IDENTITY_POOL, CallerMode.IDENTITY_POOL_GUESTS)


# API Gateway's `cognitoAuthenticationType` for signed-in and for guest identity-pool credentials.
AUTHENTICATED: Final = "authenticated"
UNAUTHENTICATED: Final = "unauthenticated"


# An STS assumed-role ARN: partition, account, role name (IAM's name characters), session name.
_ASSUMED_ROLE: Final = re.compile(r"^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/[^/]+$")


@dataclass(frozen=True)
class Caller:
    owner: str
    # The client's address as API Gateway saw it, only in a mode whose abuse limit counts addresses. Never stored
    # or logged in clear: the domain keeps only its keyed hash.
    address: str | None = None
    # The backend principal that named the end user `owner` is (plain IAM mode with END_USER_HEADER): its per-caller
    # request limits still count every request it sends, whichever end user it names.
    backend: str | None = None
    # A guest identity (identity-pool-guests mode): free to mint, so no stable person to enrol or match against.
    guest: bool = False
    # A plain IAM backend that named no end user: a service, not a person.
    unnamed_end_user: bool = False

    def person_refusal(self) -> DomainError | None:
        """Why this caller is no person whose face can be enrolled or matched against an enrolment, or None."""
        if self.guest:
            return PersonRequired()
        if self.unnamed_end_user:
            return RequestInvalid({END_USER_HEADER.lower(): "required to enrol or match a person: name the end user"})
        return None


def _text(mapping: Any, name: str) -> str | None:
    value = mapping.get(name) if isinstance(mapping, dict) else None
    return value if isinstance(value, str) and value else None


def iam_principal(user_arn: str) -> str:
    """The principal `user_arn` names, the same for every session of a role: an assumed role's STS ARN becomes
    `arn:<partition>:iam::<account>:role/<role name>` (without the role's path, which the STS ARN does not carry);
    any other ARN (an IAM user, the root, a federated user) is its own principal."""
    found = _ASSUMED_ROLE.match(user_arn)
    if found is None:
        return user_arn
    partition, account, role = found.groups()
    return f"arn:{partition}:iam::{account}:role/{role}"


def end_user_owner(backend: str, end_user: str) -> str:
    """The owner of the sessions a backend creates for one of its end users. The end user's id is hashed with the
    backend's owner, so the ledger never holds it in clear and two backends naming the same id stay two owners. The
    separator, a space, occurs in no ARN."""
    digest = hashlib.sha256(f"{backend}\n{end_user}".encode()).hexdigest()
    return f"{backend} end-user:{digest}"


def resolve_caller(
    request_context: dict[str, Any], mode: CallerMode, *, identity_pool_id: str = "", end_user: str | None = None
) -> Caller:
    """The caller of a request in `mode`: CallerIdentityMissing when the request carries no identity valid in that
    mode, IdentityPoolNotAccepted for an identity of another pool than `identity_pool_id` (the stack's, in the
    identity-pool modes; none is accepted when it is empty), RequestInvalid when `end_user` (END_USER_HEADER, already
    checked against its schema) is named in a mode where the caller is already the person."""
    caller = _principal(request_context, mode, identity_pool_id)
    if end_user is None:
        return caller
    if mode is not CallerMode.IAM:
        raise RequestInvalid({END_USER_HEADER.lower(): "not accepted in this deployment: the caller is the end user"})
    return Caller(end_user_owner(caller.owner, end_user), backend=caller.owner)


def _principal(request_context: dict[str, Any], mode: CallerMode, identity_pool_id: str) -> Caller:
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
        return Caller(f"iam:{iam_principal(arn)}", unnamed_end_user=True)
    allowed = {AUTHENTICATED, UNAUTHENTICATED} if mode is CallerMode.IDENTITY_POOL_GUESTS else {AUTHENTICATED}
    if identity_id is None or _text(identity, "cognitoAuthenticationType") not in allowed:
        raise CallerIdentityMissing()
    if not identity_pool_id or _text(identity, "cognitoIdentityPoolId") != identity_pool_id:
        raise IdentityPoolNotAccepted()
    owner = f"cognito-identity:{identity_id}"
    if not mode.limits_addresses:
        return Caller(owner)
    address = _text(identity, "sourceIp")
    if address is None:
        raise CallerIdentityMissing()
    return Caller(owner, address, guest=_text(identity, "cognitoAuthenticationType") == UNAUTHENTICATED)
