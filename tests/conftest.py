"""Every test runs offline: fake credentials and a fixed region before anything creates a boto3 client."""

import os

import pytest

# The caller's own AWS settings, kept only so that tests/e2e can sign requests to a deployed API (API_URL).
ORIGINAL_AWS_ENVIRON = {name: value for name, value in os.environ.items() if name.startswith("AWS_")}

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        # Never let a test reach for a profile or the instance metadata service.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
)


@pytest.fixture(scope="session")
def original_aws_environ() -> dict[str, str]:
    """The AWS_* variables pytest was started with, before the fakes above replaced them."""
    return dict(ORIGINAL_AWS_ENVIRON)
