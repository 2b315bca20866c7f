"""Guest mode's address-key secret: encrypted with a customer-managed key of its own, with rotation, whose policy
lets the account administer it through IAM and lets IAM decide who uses it, only through Secrets Manager (to write
the secret at deploy or rotation, to read it); the function may decrypt exactly this secret's values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.constructs.storage import KEY_ADMIN_ACTIONS
from tests.infrastructure.conftest import AUTHORIZATIONS, IDENTITY_POOLS, Combos, Synth

GUEST = ("IAM", "guest", True)
VIA_SECRETS_MANAGER = {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
ACCOUNT_ROOT = {"Fn::Join": ["", ["arn:aws:iam::", {"Ref": "AWS::AccountId"}, ":root"]]}


@pytest.fixture(scope="module")
def guests(combos: Combos) -> Synth:
    return combos[GUEST]


def address_key(built: Synth) -> tuple[str, dict[str, Any]]:
    stack_key = built.stack.address_key
    assert stack_key is not None
    logical_id = built.logical_id(stack_key.key)
    return logical_id, built.json["Resources"][logical_id]["Properties"]


def function_statements(built: Synth) -> list[dict[str, Any]]:
    policy = built.json["Resources"][built.logical_id(built.stack.function.policy)]["Properties"]["PolicyDocument"]
    statements: list[dict[str, Any]] = policy["Statement"]
    return statements


def test_the_secret_is_encrypted_with_its_own_rotating_key(guests: Synth) -> None:
    key_id, key = address_key(guests)
    secret = guests.only("AWS::SecretsManager::Secret")["Properties"]
    assert secret["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["EnableKeyRotation"] is True
    # Not the image key, whose policy names the function alone.
    assert guests.stack.address_key is not None
    assert guests.logical_id(guests.stack.storage.key) != key_id


def test_the_key_policy_administers_through_iam_and_is_used_only_through_secrets_manager(guests: Synth) -> None:
    _, key = address_key(guests)
    assert key["KeyPolicy"]["Statement"] == [
        {
            "Sid": "AdministerKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": ACCOUNT_ROOT},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "UseThroughSecretsManagerAsIamAllows",
            "Effect": "Allow",
            "Principal": {"AWS": ACCOUNT_ROOT},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": "*",
            "Condition": {"StringEquals": VIA_SECRETS_MANAGER},
        },
    ]
    administration = set(KEY_ADMIN_ACTIONS)
    assert not {"kms:Encrypt", "kms:Decrypt", "kms:CreateGrant", "kms:ReEncryptFrom"} & administration


def test_the_function_may_decrypt_exactly_this_secret_through_secrets_manager(guests: Synth) -> None:
    key_id, _ = address_key(guests)
    (secret_id,) = guests.api_resources("AWS::SecretsManager::Secret")
    on_key = [s for s in function_statements(guests) if key_id in json.dumps(s)]
    assert on_key == [
        {
            "Sid": "DecryptTheAddressKeyThroughSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
            "Condition": {
                "StringEquals": {**VIA_SECRETS_MANAGER, "kms:EncryptionContext:SecretARN": {"Ref": secret_id}}
            },
        }
    ]


@pytest.mark.parametrize(
    ("authorization", "identity_pool"),
    [(a, p) for a in AUTHORIZATIONS for p in IDENTITY_POOLS if (a, p) != GUEST[:2]],
)
def test_only_guest_mode_has_the_address_key(
    combos: Combos, guests: Synth, authorization: str, identity_pool: str
) -> None:
    built = combos[(authorization, identity_pool, True)]
    assert built.stack.address_key is None
    assert len(built.resources("AWS::KMS::Key")) == len(guests.resources("AWS::KMS::Key")) - 1
