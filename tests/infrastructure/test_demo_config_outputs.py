"""The demo's config writer on the outputs of synthesized templates, one per caller mode: the output names it reads
are the ones the stack exports, and each mode gets the page's sign-in and credentials it supports (tools.demo_config).
A deployed stack's outputs are its template's values resolved; here each reference becomes a name that says what it
was, since nothing here reaches AWS."""

from __future__ import annotations

import pytest

from tests.infrastructure.conftest import Combos
from tools.demo_config import DemoConfigError, demo_config


def _resolved(outputs: dict[str, dict[str, object]]) -> dict[str, str]:
    return {
        name: value if isinstance(value := output["Value"], str) else f"<{name}>" for name, output in outputs.items()
    }


@pytest.mark.parametrize(
    ("authorization", "identity_pool", "fields"),
    [
        ("IAM", "guest", {"identityPoolId", "guestRoleArn"}),
        ("IAM", "authenticated", {"identityPoolId", "userPoolId", "userPoolClientId"}),
        ("COGNITO", "authenticated", {"identityPoolId", "userPoolId", "userPoolClientId"}),
        ("COGNITO", "guest", {"identityPoolId", "userPoolId", "userPoolClientId"}),
    ],
)
def test_each_browser_mode_gets_a_page_config(
    combos: Combos, authorization: str, identity_pool: str, fields: set[str]
) -> None:
    outputs = _resolved(combos[(authorization, identity_pool, True)].json["Outputs"])

    config = demo_config(outputs)

    assert config["auth"]["authorization"] == authorization
    assert set(config["auth"]) - {"authorization"} == fields
    assert config["apiUrl"] == "<ApiUrl>"
    assert config["region"] == "us-east-1"


@pytest.mark.parametrize(("authorization", "identity_pool"), [("IAM", "off"), ("COGNITO", "off")])
def test_a_mode_without_browser_credentials_is_refused(combos: Combos, authorization: str, identity_pool: str) -> None:
    outputs = _resolved(combos[(authorization, identity_pool, True)].json["Outputs"])

    with pytest.raises(DemoConfigError, match="identityPool="):
        demo_config(outputs)
