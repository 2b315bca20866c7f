"""tools.demo_config: the demo page's config.json from a deployed stack's outputs, in both formats AWS tools write,
for every caller mode; a mode the page cannot run in, or outputs that are not the stack's, get one line and no file.
(tests/infrastructure/test_demo_config_outputs.py feeds it the outputs of synthesized templates.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.demo_config import DemoConfigError, demo_config, main, stack_outputs

API = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/"
GUEST = {
    "ApiUrl": API,
    "Region": "eu-west-1",
    "Authorization": "IAM",
    "IdentityPoolId": "eu-west-1:11111111-2222-3333-4444-555555555555",
    "GuestRoleArn": "arn:aws:iam::123456789012:role/guest",
    "DashboardName": "FaceLivenessApi",
}
SIGNED_IN = {
    "ApiUrl": API,
    "Region": "eu-west-1",
    "Authorization": "COGNITO",
    "UserPoolId": "eu-west-1_AbC123",
    "UserPoolClientId": "1example23456789abcdefghij",
    "IdentityPoolId": "eu-west-1:11111111-2222-3333-4444-555555555555",
}


def _describe_stacks(name: str, outputs: dict[str, str]) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": name,
                "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs.items()],
            }
        ]
    }


def test_guest_mode_gets_the_identity_pool_and_the_guest_role_and_no_sign_in() -> None:
    assert demo_config(GUEST) == {
        "apiUrl": API,
        "region": "eu-west-1",
        "auth": {
            "authorization": "IAM",
            "identityPoolId": GUEST["IdentityPoolId"],
            "guestRoleArn": GUEST["GuestRoleArn"],
        },
    }


def test_signed_in_users_get_the_user_pool_and_its_client() -> None:
    config = demo_config(SIGNED_IN, troubleshooting_url="https://example.com/troubleshooting")
    assert config["auth"] == {
        "authorization": "COGNITO",
        "userPoolId": "eu-west-1_AbC123",
        "userPoolClientId": "1example23456789abcdefghij",
        "identityPoolId": SIGNED_IN["IdentityPoolId"],
    }
    assert config["troubleshootingUrl"] == "https://example.com/troubleshooting"


def test_both_formats_give_the_same_outputs() -> None:
    from_cdk = stack_outputs({"FaceLivenessApi": GUEST}, None)
    from_cloudformation = stack_outputs(_describe_stacks("FaceLivenessApi", GUEST), None)
    assert from_cdk == from_cloudformation == GUEST


def test_several_stacks_need_a_name() -> None:
    document = {"One": GUEST, "Two": SIGNED_IN}
    assert stack_outputs(document, "Two") == SIGNED_IN
    with pytest.raises(DemoConfigError, match="--stack NAME"):
        stack_outputs(document, None)
    with pytest.raises(DemoConfigError, match=r"no stack named Three.*One, Two"):
        stack_outputs(document, "Three")


@pytest.mark.parametrize(
    ("outputs", "says"),
    [
        ({k: v for k, v in GUEST.items() if k not in ("IdentityPoolId", "GuestRoleArn")}, "identityPool=guest"),
        ({k: v for k, v in SIGNED_IN.items() if k != "IdentityPoolId"}, "identityPool=authenticated"),
        ({k: v for k, v in GUEST.items() if k != "Authorization"}, "output Authorization"),
        ({"BucketName": "b"}, "no ApiUrl or Region"),
        ({k: v for k, v in SIGNED_IN.items() if k != "UserPoolClientId"}, "cannot sign anyone in"),
    ],
    ids=["plain-iam", "cognito-without-identity-pool", "before-the-authorization-output", "another-stack", "no-client"],
)
def test_a_stack_the_page_cannot_use_is_explained(outputs: dict[str, str], says: str) -> None:
    with pytest.raises(DemoConfigError, match=says):
        demo_config(outputs)


def test_main_writes_the_page_s_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = tmp_path / "stack.json"
    outputs.write_text(json.dumps(_describe_stacks("FaceLivenessApi", SIGNED_IN)))
    written = tmp_path / "config.json"

    assert main(["--outputs", str(outputs), "--write", str(written)]) == 0

    assert json.loads(written.read_text()) == demo_config(SIGNED_IN)
    assert f"wrote {written}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "deploy first"),
        ("{not json", "is not JSON"),
        (json.dumps({"FaceLivenessApi": {"ApiUrl": API, "Region": "eu-west-1", "Authorization": "IAM"}}), "guest"),
    ],
    ids=["missing", "not-json", "plain-iam"],
)
def test_main_says_what_is_wrong_in_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, says: str
) -> None:
    outputs = tmp_path / "cdk-outputs.json"
    if content is not None:
        outputs.write_text(content)
    written = tmp_path / "config.json"

    assert main(["--outputs", str(outputs), "--write", str(written)]) == 2

    error = capsys.readouterr().err
    assert says in error
    assert error.count("\n") == 1
    assert "Traceback" not in error
    assert not written.exists()
