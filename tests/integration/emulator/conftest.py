"""FaceLivenessEmulator behind a real boto3 Rekognition client, with S3 and KMS on moto, and the fault injector in
front of it: every call goes through boto3's serialisation, botocore's response and error parsing and its standard
retry mode; only the network is replaced."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws

from liveness_local.emulator import MOTO_CONFIG, FaceLivenessEmulator
from liveness_local.faults import DependencyFaults

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws(config=MOTO_CONFIG):
        yield


@pytest.fixture
def backoffs(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """botocore's retry delays, recorded instead of slept, so retry tests take no wall-clock time."""
    slept: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=slept.append))
    return slept


@pytest.fixture(scope="module")
def boto_session() -> boto3.session.Session:
    """Shared by the module's clients: a session caches the service models, which are slow to load."""
    return boto3.session.Session(region_name="us-east-1")


@pytest.fixture
def s3(aws: None, boto_session: boto3.session.Session) -> Any:
    return boto_session.client("s3")


@pytest.fixture
def key_arn(aws: None, boto_session: boto3.session.Session) -> str:
    arn: str = boto_session.client("kms").create_key()["KeyMetadata"]["Arn"]
    return arn


@pytest.fixture
def bucket(s3: Any) -> str:
    """A versioned bucket, as the stack configures it. Unique names keep tests apart under a shared moto."""
    name = f"liveness-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def rekognition(aws: None, boto_session: boto3.session.Session, backoffs: list[float]) -> Any:
    # Three attempts in all. Config's own `max_attempts` counts retries only: 3 there would mean 4 attempts.
    return boto_session.client("rekognition", config=Config(retries={"mode": "standard", "total_max_attempts": 3}))


@pytest.fixture
def liveness(s3: Any, clock: FakeClock, rekognition: Any) -> FaceLivenessEmulator:
    emulator = FaceLivenessEmulator(s3, clock=clock)
    emulator.attach(rekognition)
    return emulator


@pytest.fixture
def faults(rekognition: Any, liveness: FaceLivenessEmulator) -> DependencyFaults:
    """The injector on the same client, attached after the emulator: it answers first all the same."""
    injector = DependencyFaults()
    injector.attach(rekognition)
    return injector


def create(rekognition: Any, **params: Any) -> str:
    session_id: str = rekognition.create_face_liveness_session(**params)["SessionId"]
    return session_id


def results(rekognition: Any, session_id: str) -> dict[str, Any]:
    response: dict[str, Any] = rekognition.get_face_liveness_session_results(SessionId=session_id)
    response.pop("ResponseMetadata")
    return response


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]
