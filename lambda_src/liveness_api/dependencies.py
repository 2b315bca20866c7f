"""Builds the AWS clients and the domain service once per container (at import, outside the handler)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

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


def build_dependencies(settings: Settings) -> Dependencies:
    session = boto3.session.Session(region_name=settings.region)
    rekognition = session.client("rekognition", config=rekognition_config(settings))
    dynamodb = session.client(
        "dynamodb", config=Config(retries={"mode": "standard"}, connect_timeout=1, read_timeout=2)
    )

    @cache
    def image_store() -> S3ImageStore:
        return S3ImageStore(
            session.client("s3", config=Config(retries={"mode": "standard"})),
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
