"""Every AWS client the function makes has its own timeouts and attempts, set by its own knobs, and every one of
them is inside synth's retry-budget check."""

import pytest

from infra.config import function_environment, load_config
from liveness_api.dependencies import SERVICES, client_config
from liveness_api.settings import Settings

NO_CONTEXT: dict[str, object] = {}
# A different value per service and per setting, so a client reading another's knobs cannot pass.
KNOBS = {
    "rekognition": (0.5, 1.5, 2),
    "dynamodb": (0.6, 1.6, 3),
    "s3": (0.7, 1.7, 1),
    "secretsmanager": (0.4, 0.9, 4),
    "sts": (0.3, 0.8, 2),
}


def test_the_budget_check_covers_every_client_the_function_makes() -> None:
    capacity = load_config(NO_CONTEXT.get).capacity

    assert sorted(client.knob_prefix for client in capacity.aws_clients) == sorted(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_each_client_takes_its_own_timeouts_and_attempts(service: str) -> None:
    context: dict[str, object] = {}
    for prefix, (connect, read, attempts) in KNOBS.items():
        context |= {
            f"{prefix}ConnectTimeoutSeconds": connect,
            f"{prefix}ReadTimeoutSeconds": read,
            f"{prefix}MaxAttempts": attempts,
        }
    config = load_config(context.get)
    environment = function_environment(
        config, bucket="b", key_arn="arn:aws:kms:us-east-1:1:key/k", table="t", collection="c"
    )
    settings = Settings.from_environ({**environment, "AWS_REGION": "us-east-1"})

    made = client_config(settings, service)

    connect, read, attempts = KNOBS[service]
    assert (made.connect_timeout, made.read_timeout) == (connect, read)
    assert made.retries == {"mode": "standard", "total_max_attempts": attempts}


def test_a_service_the_function_does_not_use_has_no_config() -> None:
    settings = Settings.from_environ(
        {
            **function_environment(
                load_config(NO_CONTEXT.get),
                bucket="b",
                key_arn="arn:aws:kms:us-east-1:1:key/k",
                table="t",
                collection="c",
            ),
            "AWS_REGION": "us-east-1",
        }
    )

    with pytest.raises(ValueError, match="no sqs client"):
        client_config(settings, "sqs")
