"""Who is calling: the owner a session is bound to, from API Gateway's request context."""

from __future__ import annotations

from typing import Any

from liveness_api.errors import CallerIdentityMissing


def caller_owner(request_context: dict[str, Any]) -> str:
    """The most specific identity API Gateway vouches for, prefixed by its kind so that values from two
    identity sources can never collide.

    - a user-pool authorizer's `sub` claim;
    - else the Cognito identity id (identity-pool callers, browsers streaming with pool credentials);
    - else the IAM user or role ARN (SigV4 callers).
    """
    claims = (request_context.get("authorizer") or {}).get("claims") or {}
    if claims.get("sub"):
        return f"cognito-user:{claims['sub']}"
    identity = request_context.get("identity") or {}
    if identity.get("cognitoIdentityId"):
        return f"cognito-identity:{identity['cognitoIdentityId']}"
    if identity.get("userArn"):
        return f"iam:{identity['userArn']}"
    raise CallerIdentityMissing()
