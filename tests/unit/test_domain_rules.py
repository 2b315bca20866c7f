"""Pure rules: the decision, the owner identity, the idempotency token, the handler's settings."""

import re

import pytest

from liveness_api.decision import decide, is_failure
from liveness_api.errors import CallerIdentityMissing
from liveness_api.identity import CallerMode, resolve_caller
from liveness_api.sessions import client_request_token
from liveness_api.settings import Settings
from liveness_api.vocabulary import Verdict


@pytest.mark.parametrize(
    ("status", "confidence", "expected"),
    [
        ("SUCCEEDED", 90.0, "LIVE"),
        ("SUCCEEDED", 100.0, "LIVE"),
        ("SUCCEEDED", 89.999, "NOT_LIVE"),
        ("SUCCEEDED", None, "NOT_LIVE"),
        ("CREATED", None, "PENDING"),
        ("IN_PROGRESS", None, "PENDING"),
        ("FAILED", None, "FAILED"),
        ("EXPIRED", None, "EXPIRED"),
    ],
)
def test_decision_rule(status, confidence, expected) -> None:
    assert decide(status, confidence, threshold=90.0) == expected


def test_only_not_live_and_failed_count_as_failures() -> None:
    assert {verdict for verdict in Verdict if is_failure(verdict)} == {Verdict.NOT_LIVE, Verdict.FAILED}


def test_the_mode_not_the_request_decides_which_field_names_the_owner() -> None:
    # tests/integration/test_identity_modes.py has every mode with contexts shaped as API Gateway sends them.
    both = {
        "authorizer": {"claims": {"sub": "abc"}},
        "identity": {
            "cognitoIdentityId": "us-east-1:123",
            "cognitoIdentityPoolId": "us-east-1:pool",
            "cognitoAuthenticationType": "authenticated",
            "userArn": "arn:aws:sts::1:assumed-role/r/s",
        },
    }
    assert resolve_caller(both, CallerMode.USER_POOL).owner == "cognito-user:abc"
    identity_pool = resolve_caller(both, CallerMode.IDENTITY_POOL, identity_pool_id="us-east-1:pool")
    assert identity_pool.owner == "cognito-identity:us-east-1:123"
    assert resolve_caller({"identity": {"userArn": "arn:aws:iam::1:user/bob"}}, CallerMode.IAM).owner == (
        "iam:arn:aws:iam::1:user/bob"
    )


def test_no_identity_at_all_is_refused() -> None:
    for mode in CallerMode:
        with pytest.raises(CallerIdentityMissing):
            resolve_caller({"identity": {"userArn": None}}, mode)


def test_tokens_fit_rekognitions_rule_and_are_scoped_to_owner_and_key() -> None:
    token = client_request_token("iam:a", "key-1", "req-1")

    assert re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", token)
    assert token == client_request_token("iam:a", "key-1", "req-2")  # the key, not the request, decides
    assert token != client_request_token("iam:b", "key-1", "req-1")
    assert client_request_token("iam:a", None, "req-1") != client_request_token("iam:a", None, "req-2")
    # A key that happens to equal a request id cannot collide with the request-derived token.
    assert client_request_token("iam:a", "req-1", "x") != client_request_token("iam:a", None, "req-1")


def stack_environment(**context: object) -> dict[str, str]:
    from infra.config import function_environment, load_config

    config = load_config(context.get)
    return function_environment(
        config, bucket="images", key_arn="arn:aws:kms:eu-west-1:1:key/k", table="sessions", collection="faces"
    )


def test_settings_read_the_environment_the_stack_sets() -> None:
    settings = Settings.from_environ(
        {
            **stack_environment(),
            "AWS_REGION": "eu-west-1",
            "CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example",
            "LIVENESS_THRESHOLD": "85.5",
            "UNRELATED": "ignored",
        }
    )

    assert settings.region == "eu-west-1"
    assert settings.cors_allowed_origins == ("https://a.example", "https://b.example")
    assert settings.liveness_threshold == 85.5


def test_settings_have_no_defaults_of_their_own() -> None:
    # StackConfig holds every default; a variable the stack forgot to set must fail at init, not fall back.
    assert all(field.is_required() for field in Settings.model_fields.values())
    environment = {**stack_environment(), "AWS_REGION": "us-east-1"}
    for name in {field.alias for field in Settings.model_fields.values()} - {"AWS_REGION"}:
        with pytest.raises(ValueError, match=name):
            Settings.from_environ({key: value for key, value in environment.items() if key != name})


def test_settings_fail_fast_on_a_missing_variable() -> None:
    with pytest.raises(ValueError, match="IMAGE_BUCKET_NAME"):
        Settings.from_environ({"AWS_REGION": "us-east-1"})


def test_the_handler_reads_exactly_the_environment_the_stack_sets() -> None:
    from infra.config import function_environment, load_config

    config = load_config({"livenessThreshold": 85, "corsAllowedOrigins": ["https://app.example"]}.get)
    environment = function_environment(
        config, bucket="images", key_arn="arn:aws:kms:us-east-1:1:key/k", table="sessions", collection="faces"
    )

    settings = Settings.from_environ({**environment, "AWS_REGION": "us-east-1"})

    assert (settings.image_bucket, settings.kms_key_arn, settings.ledger_table) == (
        "images",
        environment["IMAGE_KMS_KEY_ARN"],
        "sessions",
    )
    assert settings.image_key_prefix == config.image_key_prefix
    assert settings.liveness_threshold == 85
    assert settings.cors_allowed_origins == ("https://app.example",)
    assert settings.max_audit_images_limit == config.max_audit_images_limit
    assert (settings.abuse_max_failures, settings.abuse_window_seconds, settings.abuse_cooldown_seconds) == (
        config.abuse_max_failures,
        config.abuse_window_seconds,
        config.abuse_cooldown_seconds,
    )
    assert settings.rekognition_max_attempts == config.rekognition_max_attempts
    # Every variable the stack sets is read by Settings, by Powertools or by Pydantic itself: none is dead.
    read = {field.alias for field in Settings.model_fields.values()}
    assert set(environment) - read == {
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "POWERTOOLS_LOG_LEVEL",
        "PYDANTIC_DISABLE_PLUGINS",
    }
