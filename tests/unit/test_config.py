"""The typed stack configuration: defaults, limits and the region guard."""

import json
from typing import Any

import pytest

from infra.config import (
    CDK_JSON,
    FACE_LIVENESS_REGIONS,
    ConfigError,
    StackConfig,
    Throttle,
    config_keys,
    load_config,
    load_context,
    unknown_context_keys,
)
from liveness_api.contract import Routes
from tools import config_doc

NO_CONTEXT: dict[str, Any] = {}
ROLE = "arn:aws:iam::123456789012:role/liveness-backend"
ORIGIN = "https://app.example.com"
COGNITO = {"authorization": "COGNITO", "corsAllowedOrigins": ORIGIN}
POOL = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC123"


def test_defaults_are_safe() -> None:
    config = load_config(NO_CONTEXT.get)

    assert config.region == "us-east-1"
    assert config.removal_policy == "retain"
    assert config.image_retention_days == 30
    assert config.cors_allowed_origins == ()
    assert config.authorization == "IAM"
    assert config.api_throttle_rate_limit < 5  # below the smallest Face Liveness TPS quota
    assert config.reserved_concurrency == "off"  # a new account cannot spare a reservation
    assert config.capacity.reserved_concurrent_executions is None
    assert config.allowed_principal_arns == ()


def test_cdk_json_has_no_unknown_keys_and_loads() -> None:
    context = json.loads(CDK_JSON.read_text())["context"]

    assert unknown_context_keys(context) == []
    assert isinstance(load_config(context.get), StackConfig)


def test_cdk_json_sets_no_knob_to_its_default_but_the_stack_name_and_region() -> None:
    # A default is written once, on the knob's field: cdk.json names the deployment and holds the overrides.
    context = json.loads(CDK_JSON.read_text())["context"]
    fields = {field.alias or name: field for name, field in StackConfig.model_fields.items()}
    repeated = {key for key in context if key in fields and context[key] == fields[key].default}
    assert repeated == {"stackName", "region"}


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
        ({"createSessionRateLimit": 25}, "createSessionRateLimit .* below the route's Rekognition quota"),
        ({"region": "eu-west-1", "createSessionRateLimit": 5}, r"quota \(5 TPS in eu-west-1"),
        ({"createSessionBurstLimit": 26}, "createSessionBurstLimit .* must not exceed"),
        ({"createSessionRateLimit": 10, "createSessionBurstLimit": 5}, "createSessionBurstLimit .* at least"),
        ({"createSessionQuotaTps": 0}, "createSessionQuotaTps"),
        ({"createSessionRateLimit": "fast"}, "createSessionRateLimit"),
        ({"getResultsRateLimit": 25}, "getResultsRateLimit .* below"),
        ({"getResultsQuotaTps": 10, "getResultsBurstLimit": 11}, "getResultsBurstLimit .* must not exceed"),
        ({"eraseSessionRateLimit": 0}, "eraseSessionRateLimit"),
        ({"eraseSessionRateLimit": 8, "eraseSessionBurstLimit": 4}, "eraseSessionBurstLimit .* at least"),
        ({"reservedConcurrency": 0}, "reservedConcurrency"),
        ({"reservedConcurrency": "max"}, "reservedConcurrency"),
        ({"reservedConcurrency": 100}, "reservedConcurrency=100 is below the 786"),
        (
            {"reservedConcurrency": "auto", "accountConcurrency": 10},
            r"reservedConcurrency=auto reserves 786 .* accountConcurrency=10 can reserve at most -90",
        ),
        ({"reservedConcurrency": 901}, "reserves 901 .* at most 900 .* set reservedConcurrency=off"),
        (
            {
                "reservedConcurrency": "auto",
                "createSessionQuotaTps": 100,
                "createSessionRateLimit": 60,
                "createSessionBurstLimit": 60,
            },
            "reservedConcurrency=auto reserves 1426 .* at most 900",
        ),
        ({"accountConcurrency": 0}, "accountConcurrency"),
        ({"allowedPrincipalArns": ["arn:aws:iam::123456789012:root"]}, "not the ARN of an IAM user or role"),
        ({"allowedPrincipalArns": ["arn:aws:iam::123456789012:role/*"]}, "not the ARN of an IAM user or role"),
        ({"allowedPrincipalArns": ["arn:aws:sts::123456789012:assumed-role/app/s"]}, "not the ARN"),
        ({"allowedPrincipalArns": [ROLE, ROLE]}, "lists a principal twice"),
        ({"alarmThrottledRequestsPerMinute": 0}, "alarmThrottledRequestsPerMinute"),
        ({"alarmThrottledRequestsMinutes": 61}, "alarmThrottledRequestsMinutes"),
        ({"rekognitionReadTimeoutSeconds": 10}, "does not fit in lambdaTimeoutSeconds"),
        ({"dynamodbReadTimeoutSeconds": 4}, "DynamoDB calls can take 18.0s .* lower dynamodb"),
        ({"s3MaxAttempts": 5, "s3ReadTimeoutSeconds": 1.5}, "S3 calls can take 27.5s .* lower s3"),
        ({"secretsmanagerReadTimeoutSeconds": 4}, "Secrets Manager calls can take 18.0s .* lower secretsmanager"),
        ({"secretsmanagerMaxAttempts": 6}, "secretsmanagerMaxAttempts=6 is not allowed; .* takes integer 1-5"),
        ({"stsReadTimeoutSeconds": 4}, "STS calls can take 18.0s .* lower sts"),
        ({"streamingCredentials": "yes"}, "streamingCredentials"),
        ({"streamingCredentials": True, "identityPool": "guest", "corsAllowedOrigins": ORIGIN}, "already gives"),
        ({"callerCreatesPerMinute": 0}, "callerCreatesPerMinute"),
        ({"callerReadsPerMinute": 0}, "callerReadsPerMinute"),
        ({"lambdaTimeoutSeconds": 29}, "lambdaTimeoutSeconds"),
        ({"removalPolicy": "snapshot"}, "removalPolicy"),
        ({"authorization": "OIDC"}, "authorization"),
        ({"authorization": "COGNITO"}, "corsAllowedOrigins must list"),
        ({"identityPool": "guest"}, "corsAllowedOrigins must list"),
        ({"identityPool": "on", "corsAllowedOrigins": ORIGIN}, "identityPool"),
        ({"authorization": "COGNITO", "corsAllowedOrigins": ORIGIN, "allowedPrincipalArns": [ROLE]}, "not IAM"),
        ({**COGNITO, "userPoolArn": POOL}, "userPoolArn and userPoolClientIds go together"),
        ({**COGNITO, "userPoolClientIds": ["abc"]}, "userPoolArn and userPoolClientIds go together"),
        (
            {
                **COGNITO,
                "userPoolArn": POOL.replace("userpool/us-east-1", "userpool/eu-west-1"),
                "userPoolClientIds": ["a"],
            },
            "region",
        ),
        (
            {**COGNITO, "userPoolArn": "arn:aws:cognito-idp:us-east-1:1:userpool/x", "userPoolClientIds": ["a"]},
            "userPoolArn",
        ),
        ({**COGNITO, "userPoolArn": POOL, "userPoolClientIds": ["a b"]}, "not a Cognito app client id"),
        ({"userPoolArn": POOL, "userPoolClientIds": ["abc"]}, "userPoolArn is used only with"),
        ({"mfa": "required"}, "mfa applies to the user pool this stack creates"),
        ({**COGNITO, "mfa": "required", "userPoolArn": POOL, "userPoolClientIds": ["abc"]}, "mfa applies"),
        ({"wafCreateSessionRatePer5Min": 9}, "wafCreateSessionRatePer5Min"),
        ({"waf": "sometimes"}, "waf=sometimes is not allowed; waf takes true, false or auto$"),
        ({"waf": "yes"}, "waf=yes is not allowed"),
        ({"waf": "off"}, "waf=off is not allowed"),
        ({"snapStart": "1"}, "snapStart=1 is not allowed; snapStart takes true, false$"),
        ({"userPoolSelfSignUp": "on"}, "userPoolSelfSignUp=on"),
        ({"allowUnlistedRegion": 1}, "allowUnlistedRegion=1"),
        ({"region": "Mars"}, "region=Mars is not allowed; region takes text like us-east-1$"),
        ({"identityPool": "maybe", "corsAllowedOrigins": ORIGIN}, "takes off, authenticated, guest$"),
        ({"lambdaTimeoutSeconds": "soon"}, "lambdaTimeoutSeconds=soon is not allowed; .* takes integer 3-25$"),
    ],
)
def test_unsafe_settings_stop_synth_with_a_clear_message(context, message) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(context.get)


def test_an_unlisted_region_needs_the_explicit_override() -> None:
    config = load_config({"region": "eu-central-1", "allowUnlistedRegion": True}.get)

    assert config.region == "eu-central-1"
    assert config.capacity.create_session_quota == 5
    assert config.capacity.get_results_quota == 5


def test_cli_strings_are_coerced() -> None:
    config = load_config({"imageRetentionDays": "7", "corsAllowedOrigins": "https://a.example,https://b.example"}.get)

    assert config.image_retention_days == 7
    assert config.cors_allowed_origins == ("https://a.example", "https://b.example")


def test_worst_case_rekognition_time_counts_every_attempt_and_backoff() -> None:
    config = load_config(NO_CONTEXT.get)

    # 3 attempts x (1 s connect + 2 s read) + backoffs of at most 1 s and 2 s.
    assert config.capacity.worst_case_rekognition_seconds == 12


@pytest.mark.parametrize("region", FACE_LIVENESS_REGIONS)
def test_route_throttles_default_below_the_regions_quotas(region: str) -> None:
    config = load_config({"region": region}.get)
    quota = 25 if region in ("us-east-1", "us-west-2") else 5

    assert config.capacity.create_session_quota == quota
    # GetFaceLivenessSessionResults' quota is not published: assumed equal to the create quota.
    assert config.capacity.get_results_quota == quota
    for route in (Routes.CREATE_SESSION, Routes.GET_RESULTS):
        throttle = config.route_throttles[route]
        assert throttle == Throttle(quota * 0.8, int(quota * 0.8))
        assert throttle.rate_limit < quota
        assert throttle.burst_limit <= quota
    assert config.route_throttles[Routes.ERASE_SESSION] == Throttle(5, 5)
    assert set(config.route_throttles) == set(Routes.ALL)
    assert config.default_method_throttle == Throttle(4, 4)


def test_a_raised_quota_moves_the_derived_throttle() -> None:
    # No reservation: with every route's bucket, auto would reserve more than a default account may (914 > 900).
    config = load_config({"createSessionQuotaTps": "50", "getResultsQuotaTps": 10, "reservedConcurrency": "off"}.get)

    assert config.capacity.create_session_throttle == Throttle(40, 40)
    assert config.capacity.get_results_throttle == Throttle(8, 8)


def test_explicit_route_throttles_win_and_a_burst_defaults_to_one_second_of_rate_rounded_up() -> None:
    config = load_config({"createSessionRateLimit": "2.5", "getResultsRateLimit": 12, "getResultsBurstLimit": 18}.get)

    assert config.capacity.create_session_throttle == Throttle(2.5, 3)
    assert config.capacity.get_results_throttle == Throttle(12, 18)


def test_reserved_concurrency_covers_what_the_throttles_admit_within_the_timeout() -> None:
    config = load_config({"reservedConcurrency": "auto"}.get)

    # Each bucket admits a full burst plus its rate for every second of the 15 s timeout: 20+300, 20+300, 5+75 (erase),
    # 2+30 (consume), 2+15 twice (enrol, erase an enrolment).
    assert config.capacity.throttled_concurrency == 786
    assert config.capacity.reserved_concurrent_executions == 786
    elsewhere = load_config(
        {"region": "eu-west-1", "lambdaTimeoutSeconds": 13, "reservedConcurrency": "auto"}.get
    ).capacity
    assert elsewhere.reserved_concurrent_executions == 4 + 4 * 13 + 4 + 4 * 13 + 5 + 5 * 13 + 2 + 2 * 13 + 2 * (
        2 + 1 * 13
    )
    assert load_config({"reservedConcurrency": "off"}.get).capacity.reserved_concurrent_executions is None
    assert load_config({"reservedConcurrency": "800"}.get).capacity.reserved_concurrent_executions == 800
    # A larger account may reserve what a default one cannot.
    bigger = load_config({"reservedConcurrency": "1900", "accountConcurrency": "2000"}.get).capacity
    assert bigger.reserved_concurrent_executions == 1900


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("identityPol", "did you mean identityPool?"),
        ("imageRetentionDay", "did you mean imageRetentionDays?"),
        ("livenessthreshold", "did you mean livenessThreshold?"),
        ("colour", "every knob is listed in docs/configuration.md"),
    ],
)
def test_an_unknown_key_stops_the_config_naming_the_closest_knob(key: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_context({"region": "us-east-1", key: "guest"})

    assert str(error.value) == f"{key} is not a knob of this stack: {suggestion}"


def test_cdk_s_own_context_keys_are_not_typos() -> None:
    context = {"@aws-cdk/core:x": True, "aws:cdk:y": 1, "acknowledged-issue-numbers": [1], "availability-zones:a": []}

    assert load_context(context) == load_config(NO_CONTEXT.get)


@pytest.mark.parametrize(
    "context",
    [
        {"waf": "yes"},
        {"region": "mars"},
        {"reservedConcurrency": "max"},
        {"lambdaTimeoutSeconds": "x"},
        {"userPoolArn": "x"},
        {"alarmEmail": "nobody"},
        {"createSessionRateLimit": "fast"},
        {"corsAllowedOrigins": 7},
    ],
)
def test_a_bad_value_is_told_in_the_knobs_words_not_the_validators(context: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as error:
        load_config(context.get)

    message = str(error.value)
    (key,) = context
    assert message.startswith(f"{key}=")
    for jargon in ("literal[", "Input should", "pattern", "constrained-", "Value error", "cdk.json context", "^"):
        assert jargon not in message


def test_allowed_principals_are_exact_iam_users_and_roles() -> None:
    user = "arn:aws:iam::210987654321:user/ops/alice"
    config = load_config({"allowedPrincipalArns": f"{ROLE},{user}"}.get)

    assert config.allowed_principal_arns == (ROLE, user)


@pytest.mark.parametrize(
    ("context", "mode", "browser", "waf", "creates_pool", "federates"),
    [
        ({}, "iam", False, False, False, False),
        ({"waf": "true"}, "iam", False, True, False, False),
        (COGNITO, "user-pool", True, True, True, False),
        ({**COGNITO, "waf": False}, "user-pool", True, False, True, False),
        ({"identityPool": "guest", "corsAllowedOrigins": ORIGIN}, "identity-pool-guests", True, True, False, False),
        ({"identityPool": "authenticated", "corsAllowedOrigins": ORIGIN}, "identity-pool", True, True, True, True),
        ({**COGNITO, "identityPool": "guest"}, "user-pool", True, True, True, True),
        ({**COGNITO, "userPoolArn": POOL, "userPoolClientIds": "abc,def"}, "user-pool", True, True, False, False),
    ],
)
def test_auth_modes(context, mode: str, browser: bool, waf: bool, creates_pool: bool, federates: bool) -> None:
    config = load_config(context.get)

    assert config.caller_mode == mode
    assert (config.browser_mode, config.waf_enabled) == (browser, waf)
    assert (config.creates_user_pool, config.federates_user_pool) == (creates_pool, federates)


def test_an_existing_user_pool_is_parsed_from_its_arn() -> None:
    config = load_config({**COGNITO, "userPoolArn": POOL, "userPoolClientIds": "abc,def", "mfa": "optional"}.get)

    assert (config.user_pool_arn_region, config.user_pool_arn_id) == ("us-east-1", "us-east-1_AbC123")
    assert config.user_pool_client_ids == ("abc", "def")
    assert load_config({"waf": "false", "userPoolArn": ""}.get).waf is False


def test_the_configuration_page_is_generated_from_the_knobs() -> None:
    assert config_doc.PAGE.read_text() == config_doc.render(), "run: python -m tools.config_doc"


def test_the_configuration_page_lists_every_knob_once_with_its_meaning() -> None:
    rows = [line for line in config_doc.render().splitlines() if line.startswith("| `")]
    keys = [row.split("`")[1] for row in rows]
    assert sorted(keys) == sorted(config_keys())
    assert all(field.description for field in StackConfig.model_fields.values())
