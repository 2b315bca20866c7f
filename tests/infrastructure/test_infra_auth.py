"""Browser modes: every combination of authorization x identityPool x waf synthesizes and passes cdk-nag with only
needed acknowledgements and cfn-lint; the COGNITO authorizer guards every method but preflight; each mode exports
what its app needs, and the function learns its caller mode. The identity pool's roles: test_infra_identity_pool.py.
"""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest
from aws_cdk import App
from aws_cdk.assertions import Annotations, Match
from cdk_nag import AwsSolutionsChecks
from cfnlint.api import ManualArgs, lint_file

from infra.app_factory import build_app
from infra.config import StackConfig
from infra.constructs.auth import GUEST_WARNING
from infra.nag import acknowledgements
from liveness_api import contract
from liveness_api.environment import EnvVar
from tests.infrastructure.conftest import (
    AUTHORIZATIONS,
    COMBOS,
    IDENTITY_POOLS,
    Combo,
    Combos,
    Synth,
    combo_context,
    combo_id,
)


def findings(app: App) -> list[str]:
    return [violation.rule_name for violation in AwsSolutionsChecks().validate_scope(app).violations]


def methods(built: Synth) -> list[tuple[str, dict[str, Any]]]:
    return [
        (m["Properties"]["HttpMethod"], m["Properties"]) for m in built.resources("AWS::ApiGateway::Method").values()
    ]


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_every_combination_synthesizes_clean_of_cdk_nag_and_cfn_lint(combos: Combos, combo: Combo) -> None:
    built = combos[combo]
    assert findings(built.app) == []
    matches = lint_file(built.template_path, config=ManualArgs(ignore_checks=["W3005"], regions=["us-east-1"]))
    assert [str(match) for match in matches] == []


@pytest.mark.parametrize("combo", COMBOS, ids=combo_id)
def test_every_acknowledgement_is_needed_in_every_combination(combos: Combos, combo: Combo) -> None:
    bare, _ = build_app(combo_context(*combo), acknowledge=False)
    assert {ack.finding_id for ack in acknowledgements(combos[combo].stack)} == set(findings(bare))


@pytest.mark.parametrize("identity_pool", IDENTITY_POOLS)
def test_cognito_puts_the_authorizer_on_every_method_but_preflight(combos: Combos, identity_pool: str) -> None:
    built = combos[("COGNITO", identity_pool, True)]
    authorizer = built.stack.api.authorizer
    assert authorizer is not None
    authorizer_props = built.only("AWS::ApiGateway::Authorizer")["Properties"]
    assert authorizer_props["Type"] == "COGNITO_USER_POOLS"
    assert authorizer_props["IdentitySource"] == "method.request.header.Authorization"
    assert authorizer_props["ProviderARNs"] == [built.arn(built.stack.user_pool.user_pool)]  # type: ignore[union-attr]
    found = methods(built)
    assert {method for method, _ in found} == {"OPTIONS", *(route.method for route in contract.Routes.ALL)}
    for method, props in found:
        if method == "OPTIONS":
            assert props["AuthorizationType"] == "NONE"
            assert props["Integration"]["Type"] == "MOCK"
        else:
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS", method
            assert props["AuthorizerId"] == built.ref(authorizer)
            assert "AuthorizationScopes" not in props  # ID tokens: `sub` is the owner


@pytest.mark.parametrize("identity_pool", IDENTITY_POOLS)
def test_iam_mode_keeps_sigv4_on_every_method(combos: Combos, identity_pool: str) -> None:
    built = combos[("IAM", identity_pool, False)]
    assert built.resources("AWS::ApiGateway::Authorizer") == {}
    assert {props["AuthorizationType"] for method, props in methods(built) if method != "OPTIONS"} == {"AWS_IAM"}


def test_cognito_resource_policy_allows_tokens_on_exactly_the_routes(combos: Combos) -> None:
    policy = combos[("COGNITO", "off", True)].only("AWS::ApiGateway::RestApi")["Properties"]["Policy"]
    assert policy["Statement"] == [
        {
            "Sid": "InvokeRoutesWithUserPoolTokens",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "execute-api:Invoke",
            "Resource": [
                "execute-api:/*/DELETE/enrolment",
                "execute-api:/*/DELETE/sessions/*",
                "execute-api:/*/GET/sessions/*/results",
                "execute-api:/*/POST/enrolment",
                "execute-api:/*/POST/sessions",
                "execute-api:/*/POST/sessions/*/consume",
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


def test_iam_mode_with_an_identity_pool_keeps_the_account_only_policy(combos: Combos) -> None:
    policy = combos[("IAM", "guest", True)].only("AWS::ApiGateway::RestApi")["Properties"]["Policy"]
    assert [statement["Sid"] for statement in policy["Statement"]] == [
        "InvokeOnlyFromThisAccount",
        "AllowUnsignedCorsPreflight",
    ]


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
    combos: Combos, authorization: str, identity_pool: str, expected: set[str]
) -> None:
    built = combos[(authorization, identity_pool, True)]
    browser = {"UserPoolId", "UserPoolClientId", "IdentityPoolId", "GuestRoleArn"}
    assert set(built.json["Outputs"]) & browser == expected
    if "IdentityPoolId" in expected:
        (pool_id,) = built.resources("AWS::Cognito::IdentityPool")
        assert built.json["Outputs"]["IdentityPoolId"]["Value"] == {"Ref": pool_id}
    # A client (the demo's config writer) learns from the outputs alone which credentials the API wants.
    assert built.json["Outputs"]["Authorization"]["Value"] == authorization


@pytest.mark.parametrize("authorization", AUTHORIZATIONS)
def test_guest_mode_warns_at_synth(combos: Combos, authorization: str) -> None:
    warning = Match.string_like_regexp(re.escape(GUEST_WARNING))
    Annotations.from_stack(combos[(authorization, "guest", True)].stack).has_warning("*", warning)
    Annotations.from_stack(combos[(authorization, "authenticated", True)].stack).has_no_warning("*", warning)


@pytest.mark.parametrize(
    ("authorization", "identity_pool", "mode", "counts_addresses"),
    [
        ("IAM", "off", "iam", False),
        ("IAM", "authenticated", "identity-pool", False),
        ("IAM", "guest", "identity-pool-guests", True),
        *(("COGNITO", pool, "user-pool", False) for pool in IDENTITY_POOLS),
    ],
)
def test_the_function_knows_its_caller_mode_and_only_iam_guests_get_an_address_key(
    combos: Combos, authorization: str, identity_pool: str, mode: str, counts_addresses: bool
) -> None:
    built = combos[(authorization, identity_pool, True)]
    environment = built.only("AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    assert environment[EnvVar.CALLER_MODE] == mode
    # The API's secrets: the events' pseudonym key is tested in test_infra_events.py.
    secrets = built.api_resources("AWS::SecretsManager::Secret")
    policy = built.json["Resources"][built.logical_id(built.stack.function.policy)]["Properties"]["PolicyDocument"]
    reads = [s for s in policy["Statement"] if s.get("Sid") == "ReadTheAddressKey"]
    if not counts_addresses:
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


@pytest.mark.parametrize(("authorization", "identity_pool"), [(a, p) for a in AUTHORIZATIONS for p in IDENTITY_POOLS])
def test_where_callers_are_identity_pool_identities_the_function_knows_the_stacks_pool(
    combos: Combos, authorization: str, identity_pool: str
) -> None:
    built = combos[(authorization, identity_pool, False)]
    environment = built.only("AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
    # IAM with an identity pool: its identities sign the calls. COGNITO: a user-pool token does, whatever the pool.
    if authorization == "IAM" and identity_pool != "off":
        assert built.stack.identity_pool is not None
        assert environment[EnvVar.IDENTITY_POOL_ID] == built.ref(built.stack.identity_pool.pool)
    else:
        assert environment[EnvVar.IDENTITY_POOL_ID] == ""


def test_the_combinations_cover_every_value_of_the_caller_mode_knobs() -> None:
    fields = StackConfig.model_fields
    assert set(AUTHORIZATIONS) == set(get_args(fields["authorization"].annotation))
    assert set(IDENTITY_POOLS) == set(get_args(fields["identity_pool"].annotation))
