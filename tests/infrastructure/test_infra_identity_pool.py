"""The Cognito side of the browser modes: the identity pool's roles may do exactly what they should and trust only
their own kind of identity; its flows and providers; the stack's own user pool and public client, or an existing
pool used instead."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest

from infra.nag import acknowledgements
from liveness_api import contract
from tests.infrastructure.conftest import AUTHORIZATIONS, IDENTITY_POOLS, Combos, Synth, combo_context, synthesize

POOL_ARN = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"
COGNITO_IDENTITY = "cognito-identity.amazonaws.com"


def roles(built: Synth) -> dict[str, dict[str, Any]]:
    """Identity-pool roles by `amr`, with their trust and their one inline policy's statements."""
    found: dict[str, dict[str, Any]] = {}
    policies = built.resources("AWS::IAM::Policy")
    for logical_id, role in built.resources("AWS::IAM::Role").items():
        trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        if trust[0]["Principal"] != {"Federated": COGNITO_IDENTITY}:
            continue
        amr = trust[0]["Condition"]["ForAnyValue:StringLike"][f"{COGNITO_IDENTITY}:amr"]
        attached = [p for p in policies.values() if p["Properties"]["Roles"] == [{"Ref": logical_id}]]
        assert len(attached) == 1
        found[amr] = {"trust": trust, "statements": attached[0]["Properties"]["PolicyDocument"]["Statement"]}
    return found


def expected_invoke_arns(built: Synth) -> list[dict[str, Any]]:
    api = built.ref(built.stack.api.rest_api)
    paths = {route: re.sub(r"{\w+}", "*", route.path) for route in contract.Routes.ALL}
    arns = [
        {
            "Fn::Join": [
                "",
                ["arn:aws:execute-api:us-east-1:", {"Ref": "AWS::AccountId"}, ":", api, f"/api/{route.method}{path}"],
            ]
        }
        for route, path in paths.items()
    ]
    # Sorted as CDK minimizes the policy.
    return sorted(arns, key=lambda arn: arn["Fn::Join"][1][-1])


@pytest.mark.parametrize(
    ("authorization", "identity_pool", "kinds"),
    [
        ("IAM", "off", set()),
        ("IAM", "authenticated", {"authenticated"}),
        ("IAM", "guest", {"unauthenticated"}),
        ("COGNITO", "off", set()),
        ("COGNITO", "authenticated", {"authenticated"}),
        ("COGNITO", "guest", {"authenticated", "unauthenticated"}),
    ],
)
def test_identity_pool_roles_may_do_exactly_their_job(
    combos: Combos, authorization: str, identity_pool: str, kinds: set[str]
) -> None:
    built = combos[(authorization, identity_pool, True)]
    found = roles(built)
    assert set(found) == kinds
    pools = built.resources("AWS::Cognito::IdentityPool")
    assert len(pools) == (1 if kinds else 0)
    for amr, role in found.items():
        (pool_id,) = pools
        assert role["trust"] == [
            {
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Effect": "Allow",
                "Principal": {"Federated": COGNITO_IDENTITY},
                "Condition": {
                    "StringEquals": {f"{COGNITO_IDENTITY}:aud": {"Ref": pool_id}},
                    "ForAnyValue:StringLike": {f"{COGNITO_IDENTITY}:amr": amr},
                },
            }
        ]
        expected: list[dict[str, Any]] = [
            {
                "Sid": "StartFaceLivenessStreams",
                "Effect": "Allow",
                "Action": "rekognition:StartFaceLivenessSession",
                "Resource": "*",
            }
        ]
        if authorization == "IAM":
            expected.append(
                {
                    "Sid": "InvokeTheApiRoutes",
                    "Effect": "Allow",
                    "Action": "execute-api:Invoke",
                    "Resource": expected_invoke_arns(built),
                }
            )
        assert role["statements"] == expected, amr


@pytest.mark.parametrize(
    ("authorization", "identity_pool"), list(itertools.product(AUTHORIZATIONS, IDENTITY_POOLS[1:]))
)
def test_identity_pool_flows_and_providers(combos: Combos, authorization: str, identity_pool: str) -> None:
    built = combos[(authorization, identity_pool, True)]
    props = built.only("AWS::Cognito::IdentityPool")["Properties"]
    guest = identity_pool == "guest"
    assert props["AllowUnauthenticatedIdentities"] is guest
    # Only IAM guests need the basic flow: the enhanced flow's guest session policy omits execute-api.
    assert props["AllowClassicFlow"] is (guest and authorization == "IAM")
    federated = identity_pool == "authenticated" or authorization == "COGNITO"
    if federated:
        user_pool = built.logical_id(built.stack.user_pool.user_pool)  # type: ignore[union-attr]
        assert props["CognitoIdentityProviders"] == [
            {
                "ClientId": built.ref(built.stack.user_pool.client),  # type: ignore[union-attr,arg-type]
                "ProviderName": {"Fn::GetAtt": [user_pool, "ProviderName"]},
                "ServerSideTokenCheck": True,
            }
        ]
    else:
        assert "CognitoIdentityProviders" not in props
    attachment = built.only("AWS::Cognito::IdentityPoolRoleAttachment")
    expected = {"authenticated"} if federated else set()
    assert set(attachment["Properties"]["Roles"]) == expected | ({"unauthenticated"} if guest else set())


def test_the_stacks_user_pool_and_public_client(combos: Combos) -> None:
    built = combos[("COGNITO", "authenticated", True)]
    pool = built.only("AWS::Cognito::UserPool")
    props = pool["Properties"]
    assert props["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 3,
    }
    assert props["MfaConfiguration"] == "OPTIONAL"
    assert props["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert props["DeletionProtection"] == "ACTIVE"
    assert pool["DeletionPolicy"] == "Retain"
    client_props = built.only("AWS::Cognito::UserPoolClient")["Properties"]
    assert client_props["GenerateSecret"] is False
    assert client_props["ExplicitAuthFlows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client_props["AllowedOAuthFlowsUserPoolClient"] is False
    assert "CallbackURLs" not in client_props
    assert client_props["PreventUserExistenceErrors"] == "ENABLED"
    assert client_props["EnableTokenRevocation"] is True
    assert (client_props["IdTokenValidity"], client_props["AccessTokenValidity"]) == (15, 15)
    assert client_props["RefreshTokenValidity"] == 7 * 24 * 60
    assert client_props["TokenValidityUnits"] == {
        "IdToken": "minutes",
        "AccessToken": "minutes",
        "RefreshToken": "minutes",
    }


def test_mfa_and_self_sign_up_follow_their_knobs(tmp_path: Path) -> None:
    context = {**combo_context("COGNITO", "off", False), "mfa": "required", "userPoolSelfSignUp": True}
    built = synthesize(context, tmp_path)
    props = built.only("AWS::Cognito::UserPool")["Properties"]
    assert props["MfaConfiguration"] == "ON"
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    # With MFA required, cdk-nag's COG2 is satisfied, so nag.py no longer acknowledges it.
    assert "AwsSolutions-COG2" not in {ack.finding_id for ack in acknowledgements(built.stack)}


def test_an_existing_pool_is_used_not_created(tmp_path: Path) -> None:
    context = {
        **combo_context("COGNITO", "authenticated", True),
        "userPoolArn": POOL_ARN,
        "userPoolClientIds": ["webclient1", "iosclient2"],
    }
    imported = synthesize(context, tmp_path)
    assert imported.resources("AWS::Cognito::UserPool") == {}
    assert imported.resources("AWS::Cognito::UserPoolClient") == {}
    assert imported.only("AWS::ApiGateway::Authorizer")["Properties"]["ProviderARNs"] == [POOL_ARN]
    assert imported.only("AWS::Cognito::IdentityPool")["Properties"]["CognitoIdentityProviders"] == [
        {
            "ClientId": client,
            "ProviderName": {
                "Fn::Join": ["", ["cognito-idp.us-east-1.", {"Ref": "AWS::URLSuffix"}, "/us-east-1_AbC123"]]
            },
            "ServerSideTokenCheck": True,
        }
        for client in ("webclient1", "iosclient2")
    ]
    outputs = imported.json["Outputs"]
    assert outputs["UserPoolId"]["Value"] == "us-east-1_AbC123"
    assert "UserPoolClientId" not in outputs


@pytest.mark.parametrize("identity_pool", ["authenticated", "guest"])
def test_identity_pool_roles_may_consume_verdicts_in_iam_mode(combos: Combos, identity_pool: str) -> None:
    built = combos[("IAM", identity_pool, True)]
    for amr, role in roles(built).items():
        (invoke,) = [s for s in role["statements"] if s["Sid"] == "InvokeTheApiRoutes"]
        paths = {arn["Fn::Join"][1][-1] for arn in invoke["Resource"]}
        assert "/api/POST/sessions/*/consume" in paths, amr
