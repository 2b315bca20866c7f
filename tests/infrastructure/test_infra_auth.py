"""Browser modes (issue 12): every combination of authorization x identityPool x waf synthesizes, passes cdk-nag
with only needed acknowledgements and cfn-lint; the COGNITO authorizer guards every method but preflight; the
identity pool's roles may do exactly what they should, and trust only their own kind of identity."""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint_file

from infra.app_factory import build_app
from infra.constructs.auth import GUEST_WARNING
from infra.nag import acknowledgements
from infra.stack import FaceLivenessStack
from liveness_api import contract
from liveness_api.environment import EnvVar
from liveness_api.identity import CallerMode

ORIGIN = "https://app.example.com"
POOL_ARN = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"
COGNITO_IDENTITY = "cognito-identity.amazonaws.com"
AUTHORIZATIONS = ("IAM", "COGNITO")
IDENTITY_POOLS = ("off", "authenticated", "guest")
WAF = (True, False)
COMBOS = list(itertools.product(AUTHORIZATIONS, IDENTITY_POOLS, WAF))


def combo_context(authorization: str, identity_pool: str, waf: bool) -> dict[str, Any]:
    context: dict[str, Any] = {"authorization": authorization, "identityPool": identity_pool, "waf": waf}
    if authorization == "COGNITO" or identity_pool != "off":
        context["corsAllowedOrigins"] = [ORIGIN]
    return context


def combo_id(combo: tuple[str, str, bool]) -> str:
    authorization, identity_pool, waf = combo
    return f"{authorization}-{identity_pool}-{'waf' if waf else 'nowaf'}"


@dataclass(frozen=True)
class Built:
    app: App
    stack: FaceLivenessStack
    template: Template
    template_path: Path

    @property
    def json(self) -> dict[str, Any]:
        return dict(self.template.to_json())

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: dict(value) for key, value in self.template.find_resources(resource_type).items()}

    def logical_id(self, construct: Any) -> str:
        return self.stack.get_logical_id(construct.node.default_child if construct.node.default_child else construct)


def build(context: dict[str, Any], outdir: Path) -> Built:
    """As `cdk synth` does: the cdk-nag plugin runs in app.synth(), so an unacknowledged finding fails here."""
    app, stack = build_app(context, outdir=str(outdir))
    assembly = app.synth()
    path = outdir / assembly.get_stack_artifact(stack.artifact_id).template_file
    return Built(app, stack, Template.from_json(json.loads(path.read_text())), path)


@pytest.fixture(scope="module")
def combos(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, bool], Built]:
    return {combo: build(combo_context(*combo), tmp_path_factory.mktemp(combo_id(combo))) for combo in COMBOS}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Built:
    context = {
        **combo_context("COGNITO", "authenticated", True),
        "userPoolArn": POOL_ARN,
        "userPoolClientIds": ["webclient1", "iosclient2"],
    }
    return build(context, tmp_path_factory.mktemp("imported-pool"))


def findings(app: App) -> list[str]:
    return [violation.rule_name for violation in AwsSolutionsChecks().validate_scope(app).violations]


def methods(built: Built) -> list[tuple[str, dict[str, Any]]]:
    return [
        (m["Properties"]["HttpMethod"], m["Properties"]) for m in built.resources("AWS::ApiGateway::Method").values()
    ]


def test_every_combination_synthesizes_clean_of_cdk_nag(combos: dict[tuple[str, str, bool], Built]) -> None:
    assert set(combos) == set(COMBOS)
    for combo, built in combos.items():
        assert findings(built.app) == [], combo_id(combo)


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_every_acknowledgement_is_needed_in_every_combination(
    combos: dict[tuple[str, str, bool], Built], combo: tuple[str, str, bool]
) -> None:
    bare, _ = build_app(combo_context(*combo), acknowledge=False)
    assert {ack.finding_id for ack in acknowledgements(combos[combo].stack)} == set(findings(bare))


def test_cfn_lint_is_clean_in_every_combination(combos: dict[tuple[str, str, bool], Built]) -> None:
    for combo, built in combos.items():
        matches = lint_file(built.template_path, config=ManualArgs(ignore_checks=["W3005"], regions=["us-east-1"]))
        assert [str(match) for match in matches] == [], combo_id(combo)


@pytest.mark.parametrize("identity_pool", IDENTITY_POOLS)
def test_cognito_puts_the_authorizer_on_every_method_but_preflight(
    combos: dict[tuple[str, str, bool], Built], identity_pool: str
) -> None:
    built = combos[("COGNITO", identity_pool, True)]
    authorizer = built.stack.api.authorizer
    assert authorizer is not None
    authorizer_props = next(iter(built.resources("AWS::ApiGateway::Authorizer").values()))["Properties"]
    assert authorizer_props["Type"] == "COGNITO_USER_POOLS"
    assert authorizer_props["IdentitySource"] == "method.request.header.Authorization"
    assert authorizer_props["ProviderARNs"] == [
        {"Fn::GetAtt": [built.logical_id(built.stack.user_pool.user_pool), "Arn"]}  # type: ignore[union-attr]
    ]
    found = methods(built)
    assert {method for method, _ in found} == {"OPTIONS", *(route.method for route in contract.Routes.ALL)}
    for method, props in found:
        if method == "OPTIONS":
            assert props["AuthorizationType"] == "NONE"
            assert props["Integration"]["Type"] == "MOCK"
        else:
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS", method
            assert props["AuthorizerId"] == {"Ref": built.stack.get_logical_id(authorizer.node.default_child)}  # type: ignore[arg-type]
            assert "AuthorizationScopes" not in props  # ID tokens: `sub` is the owner


@pytest.mark.parametrize("identity_pool", IDENTITY_POOLS)
def test_iam_mode_keeps_sigv4_on_every_method(combos: dict[tuple[str, str, bool], Built], identity_pool: str) -> None:
    built = combos[("IAM", identity_pool, False)]
    assert built.resources("AWS::ApiGateway::Authorizer") == {}
    assert {props["AuthorizationType"] for method, props in methods(built) if method != "OPTIONS"} == {"AWS_IAM"}


def test_cognito_resource_policy_allows_tokens_on_exactly_the_routes(
    combos: dict[tuple[str, str, bool], Built],
) -> None:
    built = combos[("COGNITO", "off", True)]
    policy = next(iter(built.resources("AWS::ApiGateway::RestApi").values()))["Properties"]["Policy"]
    assert policy["Statement"] == [
        {
            "Sid": "InvokeRoutesWithUserPoolTokens",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "execute-api:Invoke",
            "Resource": [
                "execute-api:/*/DELETE/sessions/*",
                "execute-api:/*/GET/sessions/*/results",
                "execute-api:/*/POST/sessions",
            ],
        },
        {
            "Sid": "AllowUnsignedCorsPreflight",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*/OPTIONS/*",
        },
    ]


def test_iam_mode_with_an_identity_pool_keeps_the_account_only_policy(
    combos: dict[tuple[str, str, bool], Built],
) -> None:
    built = combos[("IAM", "guest", True)]
    policy = next(iter(built.resources("AWS::ApiGateway::RestApi").values()))["Properties"]["Policy"]
    assert [statement["Sid"] for statement in policy["Statement"]] == [
        "InvokeOnlyFromThisAccount",
        "AllowUnsignedCorsPreflight",
    ]


def roles(built: Built) -> dict[str, dict[str, Any]]:
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


def expected_invoke_arns(built: Built) -> list[dict[str, Any]]:
    api = built.stack.get_logical_id(built.stack.api.rest_api.node.default_child)  # type: ignore[arg-type]
    arns = []
    for route in contract.Routes.ALL:
        path = re.sub(r"{\w+}", "*", route.path)
        arns.append(
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:aws:execute-api:us-east-1:",
                        {"Ref": "AWS::AccountId"},
                        ":",
                        {"Ref": api},
                        f"/api/{route.method}{path}",
                    ],
                ]
            }
        )
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
    combos: dict[tuple[str, str, bool], Built], authorization: str, identity_pool: str, kinds: set[str]
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
        expected = [
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
def test_identity_pool_flows_and_providers(
    combos: dict[tuple[str, str, bool], Built], authorization: str, identity_pool: str
) -> None:
    built = combos[(authorization, identity_pool, True)]
    (pool,) = built.resources("AWS::Cognito::IdentityPool").values()
    props = pool["Properties"]
    guest = identity_pool == "guest"
    assert props["AllowUnauthenticatedIdentities"] is guest
    # Only IAM guests need the basic flow: the enhanced flow's guest session policy omits execute-api.
    assert props["AllowClassicFlow"] is (guest and authorization == "IAM")
    federated = identity_pool == "authenticated" or authorization == "COGNITO"
    if federated:
        user_pool = built.logical_id(built.stack.user_pool.user_pool)  # type: ignore[union-attr]
        client = built.logical_id(built.stack.user_pool.client)  # type: ignore[union-attr]
        assert props["CognitoIdentityProviders"] == [
            {
                "ClientId": {"Ref": client},
                "ProviderName": {"Fn::GetAtt": [user_pool, "ProviderName"]},
                "ServerSideTokenCheck": True,
            }
        ]
    else:
        assert "CognitoIdentityProviders" not in props
    (attachment,) = built.resources("AWS::Cognito::IdentityPoolRoleAttachment").values()
    expected = {"authenticated"} if federated else set()
    assert set(attachment["Properties"]["Roles"]) == expected | ({"unauthenticated"} if guest else set())


def test_the_stacks_user_pool_and_public_client(combos: dict[tuple[str, str, bool], Built]) -> None:
    built = combos[("COGNITO", "authenticated", True)]
    (pool,) = built.resources("AWS::Cognito::UserPool").values()
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
    (client,) = built.resources("AWS::Cognito::UserPoolClient").values()
    client_props = client["Properties"]
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
    built = build(context, tmp_path)
    (pool,) = built.resources("AWS::Cognito::UserPool").values()
    assert pool["Properties"]["MfaConfiguration"] == "ON"
    assert pool["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    # With MFA required, cdk-nag's COG2 is satisfied, so nag.py no longer acknowledges it.
    assert "AwsSolutions-COG2" not in {ack.finding_id for ack in acknowledgements(built.stack)}


def test_an_existing_pool_is_used_not_created(imported: Built) -> None:
    assert imported.resources("AWS::Cognito::UserPool") == {}
    assert imported.resources("AWS::Cognito::UserPoolClient") == {}
    (authorizer,) = imported.resources("AWS::ApiGateway::Authorizer").values()
    assert authorizer["Properties"]["ProviderARNs"] == [POOL_ARN]
    (pool,) = imported.resources("AWS::Cognito::IdentityPool").values()
    assert pool["Properties"]["CognitoIdentityProviders"] == [
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


@pytest.mark.parametrize(
    ("authorization", "identity_pool", "expected"),
    [
        ("IAM", "off", set()),
        ("IAM", "authenticated", {"UserPoolId", "UserPoolClientId", "IdentityPoolId"}),
        ("IAM", "guest", {"IdentityPoolId", "GuestRoleArn"}),
        ("COGNITO", "off", {"UserPoolId", "UserPoolClientId"}),
        ("COGNITO", "authenticated", {"UserPoolId", "UserPoolClientId", "IdentityPoolId"}),
        ("COGNITO", "guest", {"UserPoolId", "UserPoolClientId", "IdentityPoolId"}),
    ],
)
def test_outputs_name_what_the_app_needs(
    combos: dict[tuple[str, str, bool], Built], authorization: str, identity_pool: str, expected: set[str]
) -> None:
    built = combos[(authorization, identity_pool, True)]
    browser = {"UserPoolId", "UserPoolClientId", "IdentityPoolId", "GuestRoleArn"}
    assert set(built.json["Outputs"]) & browser == expected
    if "IdentityPoolId" in expected:
        (pool_id,) = built.resources("AWS::Cognito::IdentityPool")
        assert built.json["Outputs"]["IdentityPoolId"]["Value"] == {"Ref": pool_id}


@pytest.mark.parametrize("authorization", AUTHORIZATIONS)
def test_guest_mode_warns_at_synth(combos: dict[tuple[str, str, bool], Built], authorization: str) -> None:
    guest = Annotations.from_stack(combos[(authorization, "guest", True)].stack)
    guest.has_warning("*", Match.string_like_regexp("identityPool=guest: anyone who can reach"))
    assert GUEST_WARNING.startswith("identityPool=guest")
    authenticated = Annotations.from_stack(combos[(authorization, "authenticated", True)].stack)
    authenticated.has_no_warning("*", Match.string_like_regexp("identityPool=guest"))


@pytest.mark.parametrize(("authorization", "identity_pool"), list(itertools.product(AUTHORIZATIONS, IDENTITY_POOLS)))
def test_the_function_knows_its_caller_mode_and_only_iam_guests_get_an_address_key(
    combos: dict[tuple[str, str, bool], Built], authorization: str, identity_pool: str
) -> None:
    built = combos[(authorization, identity_pool, True)]
    function = built.logical_id(built.stack.function.function)
    environment = built.json["Resources"][function]["Properties"]["Environment"]["Variables"]
    mode = CallerMode.of_stack(authorization, identity_pool)
    assert environment[EnvVar.CALLER_MODE] == mode.value
    secrets = built.resources("AWS::SecretsManager::Secret")
    policy = built.json["Resources"][built.logical_id(built.stack.function.policy)]["Properties"]["PolicyDocument"]
    reads = [s for s in policy["Statement"] if s.get("Sid") == "ReadTheAddressKey"]
    if not mode.limits_addresses:
        assert (secrets, reads, environment[EnvVar.ADDRESS_KEY_SECRET]) == ({}, [], "")
        return
    ((secret_id, secret),) = secrets.items()
    assert secret["Properties"]["GenerateSecretString"] == {"PasswordLength": 64, "ExcludePunctuation": True}
    assert "SecretString" not in secret["Properties"]
    assert environment[EnvVar.ADDRESS_KEY_SECRET] == {"Ref": secret_id}
    assert reads == [
        {
            "Sid": "ReadTheAddressKey",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": {"Ref": secret_id},
        }
    ]
