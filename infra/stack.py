"""The Face Liveness API stack: maps the configuration onto each construct's props, composes the storage, function,
API, auth, firewall and observability constructs, and exports what clients and operators need. It builds nothing
itself."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.config import StackConfig, function_environment
from infra.constructs.api import ApiProps, LivenessApi
from infra.constructs.auth import GuestAddressKey, IdentityPool, IdentityPoolProps, UserPoolAuth, UserPoolProps
from infra.constructs.background import BackgroundSettings
from infra.constructs.events import Events, EventsProps
from infra.constructs.faces import FaceCollection, FaceCollectionProps
from infra.constructs.function import FunctionProps, LivenessFunction
from infra.constructs.observability import AlarmThresholds, Observability, ObservabilityProps
from infra.constructs.settlement import Settlement, SettlementProps
from infra.constructs.storage import Retention, Storage, StorageProps
from infra.constructs.streaming import StreamingCredentialsRole
from infra.constructs.waf import ApiFirewall, FirewallProps
from liveness_api.contract import DOCUMENT_OBJECT_NAME
from liveness_api.environment import EnvVar


def alarm_thresholds(config: StackConfig) -> AlarmThresholds:
    return AlarmThresholds(
        server_error_rate_percent=config.alarm_5xx_rate_percent,
        unavailable_rate_percent=config.alarm_503_rate_percent,
        lambda_errors=config.alarm_lambda_errors,
        latency_p99_ms=config.alarm_latency_p99_ms,
        rekognition_throttles_per_minute=config.alarm_rekognition_throttles_per_minute,
        rekognition_throttle_minutes=config.alarm_rekognition_throttle_minutes,
        throttled_requests_per_minute=config.alarm_throttled_requests_per_minute,
        throttled_requests_minutes=config.alarm_throttled_requests_minutes,
        pass_rate_floor_percent=config.alarm_pass_rate_floor_percent,
        pass_rate_min_checks=config.alarm_pass_rate_min_checks,
        face_match_error_rate_percent=config.alarm_face_match_error_rate_percent,
        face_match_min_attempts=config.alarm_face_match_min_attempts,
        evaluation_periods=config.alarm_evaluation_periods,
        waf_blocked_requests_per_5min=config.alarm_waf_blocked_requests_per_5min,
        price_usd_per_check=config.price_usd_per_check,
        spend_usd_per_hour=config.alarm_spend_usd_per_hour,
    )


class FaceLivenessStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, stack_name=config.stack_name, **kwargs)
        self.config = config
        name = config.stack_name
        retention = Retention(retain=config.removal_policy == "retain", log_retention_days=config.log_retention_days)
        capacity = config.capacity

        self.storage = Storage(
            self,
            "Storage",
            props=StorageProps(name=name, retention=retention, image_retention_days=config.image_retention_days),
        )
        # ID photos are uploaded straight to the bucket, from a browser in the browser modes (from a backend
        # otherwise, which needs no CORS).
        self.storage.accept_document_uploads(
            f"{config.image_key_prefix}*/{DOCUMENT_OBJECT_NAME}",
            config.cors_allowed_origins if config.browser_mode else (),
        )
        self.faces = FaceCollection(self, "Faces", props=FaceCollectionProps(name=name, retention=retention))
        environment = function_environment(
            config,
            bucket=self.storage.image_bucket.bucket_name,
            key_arn=self.storage.key.key_arn,
            table=self.storage.table.table_name,
            collection=self.faces.collection_id,
        )
        # The construct id stays "Backend": it is part of every logical id under it (role, function, log group).
        self.function = LivenessFunction(
            self,
            "Backend",
            props=FunctionProps(
                name=name,
                retention=retention,
                timeout_seconds=config.lambda_timeout_seconds,
                memory_mb=config.lambda_memory_mb,
                snap_start=config.snap_start,
                reserved_concurrency=capacity.reserved_concurrent_executions,
                image_key_prefix=config.image_key_prefix,
                environment=environment,
            ),
            storage=self.storage,
            collection=self.faces,
        )
        # Every session settled without a client, and the ledger's changes published: both run the API's code.
        background = BackgroundSettings(
            name=name,
            retention=retention,
            timeout_seconds=config.lambda_timeout_seconds,
            memory_mb=config.lambda_memory_mb,
            environment=environment,
        )
        self.settlement = Settlement(
            self,
            "Settlement",
            props=SettlementProps(background=background, image_key_prefix=config.image_key_prefix),
            storage=self.storage,
            collection=self.faces,
        )
        self.events = Events(
            self,
            "Events",
            props=EventsProps(
                background=background,
                archive_retention_days=config.event_archive_retention_days,
                webhook_url=config.webhook_url,
                webhook_secret_arn=config.webhook_secret_arn,
            ),
            storage=self.storage,
            settlement=self.settlement,
        )
        self.user_pool = (
            UserPoolAuth(
                self,
                "UserPool",
                props=UserPoolProps(
                    name=name,
                    retention=retention,
                    self_sign_up=config.user_pool_self_sign_up,
                    mfa_required=config.mfa == "required",
                    existing_pool_arn=config.user_pool_arn,
                    existing_client_ids=config.user_pool_client_ids,
                ),
            )
            if config.uses_user_pool
            else None
        )
        cognito_api = config.authorization == "COGNITO"
        self.api = LivenessApi(
            self,
            "Api",
            props=ApiProps(
                name=name,
                retention=retention,
                allowed_principal_arns=config.allowed_principal_arns,
                cors_allowed_origins=config.cors_allowed_origins,
                default_throttle=capacity.default_method_throttle,
                route_throttles=capacity.route_throttles,
            ),
            handler=self.function.invoke_target,
            user_pool=self.user_pool.user_pool if self.user_pool and cognito_api else None,
        )
        self.identity_pool = (
            IdentityPool(
                self,
                "IdentityPool",
                props=IdentityPoolProps(name=name, guests=config.identity_pool == "guest", invoke_api=not cognito_api),
                federated=self.user_pool if config.federates_user_pool else None,
                api=self.api,
            )
            if config.identity_pool != "off"
            else None
        )
        if self.identity_pool is not None and config.caller_mode.identity_pool_callers:
            self.function.accept_identity_pool(self.identity_pool.identity_pool_id)
            for consumer in (self.settlement, self.events):
                consumer.add_environment(EnvVar.IDENTITY_POOL_ID, self.identity_pool.identity_pool_id)
        # Only where the handler counts client addresses (guests in IAM mode): the key of their HMACs.
        self.address_key = (
            GuestAddressKey(self, "AddressKey", name=name, retention=retention, function=self.function)
            if config.caller_mode.limits_addresses
            else None
        )
        if self.address_key is not None:
            self.settlement.accept_address_key(self.address_key)
            self.events.add_environment(EnvVar.ADDRESS_KEY_SECRET, self.address_key.secret.secret_arn)
        # Only where creates hand apps with their own sign-in credentials to stream with.
        self.streaming = (
            StreamingCredentialsRole(self, "Streaming", name=name, function=self.function)
            if config.streaming_credentials
            else None
        )
        self.firewall = (
            ApiFirewall(
                self,
                "Firewall",
                props=FirewallProps(
                    name=name,
                    retention=retention,
                    cors_allowed_origins=config.cors_allowed_origins,
                    create_session_rate_per_5min=config.waf_create_session_rate_per_5min,
                ),
                api=self.api,
            )
            if config.waf_enabled
            else None
        )
        self.observability = Observability(
            self,
            "Observability",
            props=ObservabilityProps(
                name=name, retention=retention, alarm_email=config.alarm_email, thresholds=alarm_thresholds(config)
            ),
            function=self.function,
            api=self.api,
            waf_blocked=self.firewall.blocked_requests() if self.firewall else None,
            background_alarms=[self.settlement.alarm, *self.events.alarms],
        )
        self._export(cognito_api)

    def _export(self, cognito_api: bool) -> None:
        outputs = {
            "AlarmTopicArn": (self.observability.topic.topic_arn, "SNS topic every alarm notifies; subscribe to it"),
            "ApiUrl": (
                self.api.url,
                "Base URL of the API; send a user-pool ID token as Authorization"
                if cognito_api
                else "Base URL of the API; sign every request with SigV4 (service execute-api)",
            ),
            # Which credentials a client brings (tools/demo_config.py reads it to configure the demo page).
            "Authorization": (
                self.config.authorization,
                "How the API authorizes callers: IAM (SigV4) or COGNITO (a user-pool ID token)",
            ),
            "DashboardName": (self.observability.dashboard.dashboard_name, "CloudWatch dashboard of the service"),
            "EventBusName": (self.events.bus.event_bus_name, "EventBridge bus of verdict, match and erasure events"),
            "ImageBucketName": (self.storage.image_bucket.bucket_name, "Bucket holding reference and audit images"),
            "ImageKeyArn": (self.storage.key.key_arn, "KMS key encrypting the images and the session ledger"),
            # The client's FaceLivenessDetector must stream to the region the session was created in.
            "Region": (self.region, "Region of the Face Liveness sessions; pass it to the client detector"),
            "SessionTableName": (self.storage.table.table_name, "DynamoDB table of session verdicts"),
        }
        # Browser modes (docs/web-and-mobile.md): what the app's sign-in and credentials code needs.
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
            if self.identity_pool.unauthenticated_role is not None and not cognito_api:
                outputs["GuestRoleArn"] = (
                    self.identity_pool.unauthenticated_role.role_arn,
                    "Role guests assume with Cognito's basic flow to sign API calls",
                )
        for name, (value, description) in outputs.items():
            CfnOutput(self, name, value=value, description=description)
