"""The typed stack configuration: defaults, limits and the region guard."""

import json

import pytest

from infra.config import CDK_JSON, ConfigError, StackConfig, load_config, unknown_context_keys


def test_defaults_are_safe() -> None:
    config = load_config({}.get)

    assert config.region == "us-east-1"
    assert config.removal_policy == "retain"
    assert config.image_retention_days == 30
    assert config.cors_allowed_origins == ()
    assert config.authorization == "IAM"
    assert config.api_throttle_rate_limit < 5  # below the smallest Face Liveness TPS quota
    assert config.lambda_timeout_seconds < 29


def test_cdk_json_has_no_unknown_keys_and_loads() -> None:
    context = json.loads(CDK_JSON.read_text())["context"]

    assert unknown_context_keys(context) == []
    assert isinstance(load_config(context.get), StackConfig)


def test_a_typo_in_cdk_json_is_reported() -> None:
    assert unknown_context_keys({"imageRetentionDay": 3, "@aws-cdk/core:x": True, "aws:cdk:y": 1}) == [
        "imageRetentionDay"
    ]


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"region": "eu-central-1"}, "Face Liveness is not offered in eu-central-1"),
        ({"maxAuditImagesLimit": 5}, "maxAuditImagesLimit"),
        ({"corsAllowedOrigins": ["*"]}, "not an exact https:// origin"),
        ({"logRetentionDays": 10}, "CloudWatch Logs accepts only"),
        ({"apiThrottleRateLimit": 10, "apiThrottleBurstLimit": 5}, "apiThrottleBurstLimit"),
        ({"rekognitionReadTimeoutSeconds": 10}, "does not fit in lambdaTimeoutSeconds"),
        ({"lambdaTimeoutSeconds": 29}, "lambdaTimeoutSeconds"),
        ({"removalPolicy": "snapshot"}, "removalPolicy"),
    ],
)
def test_unsafe_settings_stop_synth_with_a_clear_message(context, message) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(context.get)


def test_an_unlisted_region_needs_the_explicit_override() -> None:
    config = load_config({"region": "eu-central-1", "allowUnlistedRegion": True}.get)

    assert config.region == "eu-central-1"
    assert config.face_liveness_tps_quota == 5


def test_cli_strings_are_coerced() -> None:
    config = load_config({"imageRetentionDays": "7", "corsAllowedOrigins": "https://a.example,https://b.example"}.get)

    assert config.image_retention_days == 7
    assert config.cors_allowed_origins == ("https://a.example", "https://b.example")


def test_worst_case_rekognition_time_counts_every_attempt_and_backoff() -> None:
    config = load_config({}.get)

    # 3 attempts x (1 s connect + 2 s read) + backoffs of at most 1 s and 2 s.
    assert config.worst_case_rekognition_seconds == 12
