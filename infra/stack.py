"""The Face Liveness API stack: composes the storage, function, API and observability constructs and exports what
clients and operators need."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import StackConfig
from infra.constructs.api import LivenessApi
from infra.constructs.auth import GuestAddressKey, IdentityPool, UserPoolAuth
from infra.constructs.function import LivenessFunction
from infra.constructs.observability import Observability
from infra.constructs.storage import Storage
from infra.constructs.waf import ApiFirewall
from liveness_api.identity import CallerMode


class FaceLivenessStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, stack_name=config.stack_name, **kwargs)
        self.config = config
        self.storage = Storage(self, "Storage", config=config)
        # The construct id stays "Backend": it is part of every logical id under it (role, function, log group).
        self.function = LivenessFunction(self, "Backend", config=config, storage=self.storage)
        self.user_pool = UserPoolAuth(self, "UserPool", config=config) if config.uses_user_pool else None
        self.api = LivenessApi(
            self,
            "Api",
            config=config,
            handler=self.function.invoke_target,
            user_pool=self.user_pool.user_pool if self.user_pool and config.authorization == "COGNITO" else None,
        )
        self.identity_pool = (
            IdentityPool(self, "IdentityPool", config=config, user_pool=self.user_pool, api=self.api)
            if config.identity_pool != "off"
            else None
        )
        # Only where the handler counts client addresses (guests in IAM mode): the key of their HMACs.
        self.address_key = (
            GuestAddressKey(self, "AddressKey", config=config, function=self.function)
            if CallerMode.of_stack(config.authorization, config.identity_pool).limits_addresses
            else None
        )
        self.firewall = ApiFirewall(self, "Firewall", config=config, api=self.api) if config.waf_enabled else None
        self.observability = Observability(
            self,
            "Observability",
            config=config,
            function=self.function,
            api=self.api,
            waf_blocked=self.firewall.blocked_requests() if self.firewall else None,
        )

        outputs = {
            "AlarmTopicArn": (self.observability.topic.topic_arn, "SNS topic every alarm notifies; subscribe to it"),
            "ApiUrl": (
                self.api.url,
                "Base URL of the API; send a user-pool ID token as Authorization"
                if config.authorization == "COGNITO"
                else "Base URL of the API; sign every request with SigV4 (service execute-api)",
            ),
            "DashboardName": (self.observability.dashboard.dashboard_name, "CloudWatch dashboard of the service"),
            "ImageBucketName": (self.storage.image_bucket.bucket_name, "Bucket holding reference and audit images"),
            "ImageKeyArn": (self.storage.key.key_arn, "KMS key encrypting the images and the session ledger"),
            # The client's FaceLivenessDetector must stream to the region the session was created in.
            "Region": (self.region, "Region of the Face Liveness sessions; pass it to the client detector"),
            "SessionTableName": (self.storage.table.table_name, "DynamoDB table of session verdicts"),
        }
        # Browser modes (README "Use it from a web app"): what the app's sign-in and credentials code needs.
        if self.user_pool is not None:
            outputs["UserPoolId"] = (self.user_pool.user_pool.user_pool_id, "Cognito user pool users sign in to")
            if self.user_pool.client is not None:
                outputs["UserPoolClientId"] = (
                    self.user_pool.client.user_pool_client_id,
                    "Public app client (no secret) of the user pool, for the web or mobile app",
                )
        if self.identity_pool is not None:
            outputs["IdentityPoolId"] = (
                self.identity_pool.identity_pool_id,
                "Cognito identity pool giving the app short-lived AWS credentials",
            )
            if self.identity_pool.unauthenticated_role is not None and config.authorization == "IAM":
                outputs["GuestRoleArn"] = (
                    self.identity_pool.unauthenticated_role.role_arn,
                    "Role guests assume with Cognito's basic flow to sign API calls",
                )
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
