"""The Face Liveness API stack: composes the storage, function, API and observability constructs and exports what
clients and operators need."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import StackConfig
from infra.constructs.api import LivenessApi
from infra.constructs.function import LivenessFunction
from infra.constructs.observability import Observability
from infra.constructs.storage import Storage


class FaceLivenessStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, stack_name=config.stack_name, **kwargs)
        self.config = config
        self.storage = Storage(self, "Storage", config=config)
        # The construct id stays "Backend": it is part of every logical id under it (role, function, log group).
        self.function = LivenessFunction(self, "Backend", config=config, storage=self.storage)
        self.api = LivenessApi(self, "Api", config=config, handler=self.function.invoke_target)
        self.observability = Observability(self, "Observability", config=config, function=self.function, api=self.api)

        outputs = {
            "AlarmTopicArn": (self.observability.topic.topic_arn, "SNS topic every alarm notifies; subscribe to it"),
            "ApiUrl": (self.api.url, "Base URL of the API; sign every request with SigV4 (service execute-api)"),
            "DashboardName": (self.observability.dashboard.dashboard_name, "CloudWatch dashboard of the service"),
            "ImageBucketName": (self.storage.image_bucket.bucket_name, "Bucket holding reference and audit images"),
            "ImageKeyArn": (self.storage.key.key_arn, "KMS key encrypting the images and the session ledger"),
            # The client's FaceLivenessDetector must stream to the region the session was created in.
            "Region": (self.region, "Region of the Face Liveness sessions; pass it to the client detector"),
            "SessionTableName": (self.storage.table.table_name, "DynamoDB table of session verdicts"),
        }
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
