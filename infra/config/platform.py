"""Platform facts: what AWS offers and accepts, as its public documentation states it. No knob here.

Where Face Liveness runs and its default quotas, Lambda's reserved-concurrency floor, API Gateway's integration
timeout, the retention periods CloudWatch Logs accepts, AWS WAF's rate-limit bounds, how AWS spells the ARNs and ids
the knobs may name, and the Powertools release the function runs with the layer that publishes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# Regions where Face Liveness is offered, and CreateFaceLivenessSession's default quota (TPS) by region: 25 in
# us-east-1 and us-west-2, 5 everywhere else. Both from the quota table of "Amazon Rekognition endpoints and
# quotas" (https://docs.aws.amazon.com/general/latest/gr/rekognition.html); the quota is adjustable in Service Quotas,
# hence `createSessionQuotaTps`. A region added later is usable with `allowUnlistedRegion: true`.
FACE_LIVENESS_REGIONS: Final = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "ap-south-1",
    "ap-northeast-1",
    "sa-east-1",
    "ap-southeast-5",
    "ap-southeast-7",
)
FACE_LIVENESS_CREATE_TPS_QUOTA: Final[Mapping[str, int]] = {"us-east-1": 25, "us-west-2": 25}
FACE_LIVENESS_DEFAULT_TPS_QUOTA: Final = 5
# GetFaceLivenessSessionResults' TPS quota is stated neither in Rekognition's "Guidelines and quotas" page
# (https://docs.aws.amazon.com/rekognition/latest/dg/limits.html) nor in the page above as far as this project
# could find. Assumed, conservatively, to be no higher than CreateFaceLivenessSession's in the same region;
# `getResultsQuotaTps` sets the real value.


def face_liveness_tps_quota(region: str) -> int:
    """The default TPS quota of a Face Liveness operation in `region` (see above for GetFaceLivenessSessionResults)."""
    return FACE_LIVENESS_CREATE_TPS_QUOTA.get(region, FACE_LIVENESS_DEFAULT_TPS_QUOTA)


# Lambda keeps at least this much of the account's concurrency unreserved; a default account has 1000
# ("Configuring reserved concurrency for a function",
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). New accounts may have far less.
LAMBDA_MIN_UNRESERVED_CONCURRENCY: Final = 100
LAMBDA_DEFAULT_ACCOUNT_CONCURRENCY: Final = 1000
# API Gateway's maximum integration timeout for a REST API
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
API_GATEWAY_TIMEOUT_SECONDS: Final = 29

# IAM users and roles only: the resource policy matches aws:PrincipalArn, which is never a session's ARN.
IAM_PRINCIPAL_ARN: Final = r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:(user|role)/[\w+=,.@/-]{1,512}$"
# An existing Cognito user pool and its app clients, as Cognito spells them.
USER_POOL_ARN: Final = (
    r"^arn:aws(-cn|-us-gov)?:cognito-idp:[a-z]{2}(-[a-z]+)+-\d:\d{12}:userpool/[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$"
)
USER_POOL_CLIENT_ID: Final = r"^[\w+]{1,128}$"
# AWS WAF's bounds on a rate-based rule's limit (requests per evaluation window, per aggregation key):
# https://docs.aws.amazon.com/waf/latest/APIReference/API_RateBasedStatement.html
WAF_RATE_LIMIT_MIN: Final = 10
WAF_RATE_LIMIT_MAX: Final = 2_000_000_000

# The only retention periods CloudWatch Logs accepts (PutRetentionPolicy's retentionInDays,
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html).
LOG_RETENTION_DAYS: Final = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# The version the tests run; the function gets exactly this version through the published layer.
POWERTOOLS_VERSION: Final = "3.37.0"
LAMBDA_PYTHON_VERSION: Final = "3.14"


def powertools_layer_parameter() -> str:
    """The public SSM parameter that AWS keeps pointing at the published Powertools layer of this version, for arm64
    (https://docs.powertools.aws.dev/lambda/python/latest/#lambda-layer)."""
    return f"/aws/service/powertools/python/arm64/python{LAMBDA_PYTHON_VERSION}/{POWERTOOLS_VERSION}"
