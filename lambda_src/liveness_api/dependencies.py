"""Builds the AWS clients and the domain service once per container (at import, outside the handler)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.loaders import Loader

from liveness_api.adapters.images import S3ImageStore
from liveness_api.adapters.ledger import DynamoSessionLedger
from liveness_api.adapters.rekognition import RekognitionLiveness
from liveness_api.sessions import LivenessSessions
from liveness_api.settings import Settings


@dataclass(frozen=True)
class Dependencies:
    settings: Settings
    rekognition: Any
    dynamodb: Any
    sessions: LivenessSessions


def rekognition_config(settings: Settings) -> Config:
    # Standard mode: a bounded number of attempts with jittered backoff; every attempt and backoff together
    # fit inside the Lambda timeout (checked by infra/config.py at synth).
    return Config(
        retries={"mode": "standard", "total_max_attempts": settings.rekognition_max_attempts},
        connect_timeout=settings.rekognition_connect_timeout,
        read_timeout=settings.rekognition_read_timeout,
    )


# Every AWS service this function calls.
SERVICES = ("dynamodb", "rekognition", "s3")


class KnownServicesLoader(Loader):  # type: ignore[misc]  # botocore ships no type hints
    """botocore's data loader, told which services the function uses.

    Before it loads a model, botocore checks the service name against every service it ships, listing some 450
    directories once per kind of model, on every cold start (docs/performance.md has the cost). Clients here
    are only ever made for SERVICES, so the check is answered from that list. Everything else about loading
    (which files, which API version, caching) stays botocore's own, and any other service is still refused.
    """

    def __init__(self, services: tuple[str, ...]) -> None:
        super().__init__()
        self._services = sorted(services)

    def list_available_services(self, type_name: str) -> list[str]:
        return list(self._services)


def aws_session() -> botocore.session.Session:
    # botocore's session rather than boto3's: the function uses neither resources nor s3transfer, which
    # importing boto3 would load on every cold start.
    session = botocore.session.get_session()
    session.register_component("data_loader", KnownServicesLoader(SERVICES))
    return session


def build_dependencies(settings: Settings) -> Dependencies:
    session = aws_session()
    rekognition = session.create_client("rekognition", region_name=settings.region, config=rekognition_config(settings))
    dynamodb = session.create_client(
        "dynamodb",
        region_name=settings.region,
        config=Config(retries={"mode": "standard"}, connect_timeout=1, read_timeout=2),
    )

    @cache
    def image_store() -> S3ImageStore:
        return S3ImageStore(
            session.create_client("s3", region_name=settings.region, config=Config(retries={"mode": "standard"})),
            bucket=settings.image_bucket,
            key_prefix=settings.image_key_prefix,
        )

    sessions = LivenessSessions(
        region=settings.region,
        threshold=settings.liveness_threshold,
        max_audit_images_limit=settings.max_audit_images_limit,
        liveness=RekognitionLiveness(
            rekognition,
            bucket=settings.image_bucket,
            key_prefix=settings.image_key_prefix,
            kms_key_arn=settings.kms_key_arn,
        ),
        ledger=DynamoSessionLedger(
            dynamodb,
            settings.ledger_table,
            retention=timedelta(days=settings.retention_days),
            max_failures=settings.abuse_max_failures,
            failure_window=timedelta(seconds=settings.abuse_window_seconds),
            cooldown=timedelta(seconds=settings.abuse_cooldown_seconds),
        ),
        images=image_store,
    )
    return Dependencies(settings=settings, rekognition=rekognition, dynamodb=dynamodb, sessions=sessions)
