"""AWS WAF in front of the API's stage (`waf`; on by default in browser modes): AWS managed rules, a rate limit per
client address on `POST /sessions`, a body-size limit, problem+json answers, and logs of blocked requests only,
with credentials redacted.

Each of the stack's own rules answers as HTTP would: the rate rule 429 with `Retry-After`, the size rule 413, each
with its own problem document, so a client can tell waiting from sending less. The managed groups' blocks keep API
Gateway's `WAF_FILTERED` gateway response (403 `request-blocked`).

What is redacted, exactly: WAF's `RedactedFields` can only redact a single header, the URI path, the query string
or the method, never the log record's `httpRequest.clientIp`. The logging configuration redacts the headers
`authorization` (SigV4 signatures and user-pool tokens), `x-amz-security-token` (the session token of temporary
credentials), `x-forwarded-for` (addresses of the client and of proxies in front of it) and `x-end-user` (the end
user a backend names, which the API keeps only hashed). The client address
itself stays in each record, so a logging filter keeps only the records of blocked requests: allowed requests leave
no address behind. Sampled requests (kept by WAF for three hours and shown in the console, headers unredacted)
are off for the same reason; the CloudWatch metrics are on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final, NamedTuple

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.constructs.api import LivenessApi
from infra.constructs.observability.metrics import ALARM_PERIOD
from infra.constructs.storage import Retention, log_group
from liveness_api import contract
from liveness_api.problems import GATEWAY_ERRORS, ProblemKind, problem_document

WAF_NAMESPACE: Final = "AWS/WAFV2"
# CloudWatch Logs destinations of WAF logs must be named with this prefix.
WAF_LOG_PREFIX: Final = "aws-waf-logs-"
LOG_DELIVERY: Final = "delivery.logs.amazonaws.com"
RATE_WINDOW_SECONDS: Final = 300
REDACTED_HEADERS: Final = ("authorization", "x-amz-security-token", "x-forwarded-for", contract.END_USER_HEADER.lower())
# AWS managed rule groups, in evaluation order after the stack's own rules (each blocks on its own rules' verdicts).
MANAGED_RULE_GROUPS: Final = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
# WAF writes the body as is and has no variable for API Gateway's request id.
BLOCKED_REQUEST_ID: Final = "unavailable"


class WafAnswer(NamedTuple):
    """What one of the stack's rules answers: its problem, the detail, and the headers beyond CORS."""

    kind: ProblemKind
    detail: str
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def body_key(self) -> str:
        return self.kind.slug

    def body(self) -> str:
        """The problem+json document (WAF serves it as application/json: a custom response may set any header but
        content-type, and its body types are text, HTML or JSON)."""
        return json.dumps(problem_document(self.kind, self.detail, BLOCKED_REQUEST_ID), separators=(",", ":"))


# The count looks back over the whole evaluation window, so an address that stops is below the limit again once
# its requests are that old; WAF notices within about 30 s more ("Rate-based rule caveats",
# https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-caveats.html).
RATE_LIMITED: Final = WafAnswer(
    ProblemKind(429, "address-rate-limited", "Too many sessions from this address"),
    "AWS WAF refused this request before it reached the API: this address created too many sessions in the last "
    f"{RATE_WINDOW_SECONDS // 60} minutes. Retry after the number of seconds in Retry-After.",
    (("Retry-After", str(RATE_WINDOW_SECONDS)),),
)
TOO_LARGE: Final = WafAnswer(
    GATEWAY_ERRORS["REQUEST_TOO_LARGE"],
    f"AWS WAF refused this request before it reached the API: its body is larger than the API's limit of "
    f"{contract.MAX_BODY_BYTES} bytes. Send a smaller body; retrying the same one will not help.",
)


@dataclass(frozen=True)
class FirewallProps:
    """`name` (the stack's) prefixes the web ACL's, its metrics' and its log group's names; with exactly one CORS
    origin, blocked answers carry it; `create_session_rate_per_5min` is the rate rule's limit per address."""

    name: str
    retention: Retention
    cors_allowed_origins: tuple[str, ...]
    create_session_rate_per_5min: int


def visibility(name: str, rule: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    """Each rule's metrics are named `<stackName>-<rule>`."""
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=f"{name}-{rule}", sampled_requests_enabled=False
    )


def byte_match(field: dict[str, object], search: str, position: str, transforms: list[str]) -> dict[str, object]:
    return {
        "byteMatchStatement": {
            "fieldToMatch": field,
            "searchString": search,
            "positionalConstraint": position,
            "textTransformations": [{"priority": i, "type": t} for i, t in enumerate(transforms)],
        }
    }


class ApiFirewall(Construct):
    """A REGIONAL web ACL associated with the API's stage, its log group and its logging configuration."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: FirewallProps,
        api: LivenessApi,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        name = props.name
        self.web_acl_name = f"{name}-api"
        origins = props.cors_allowed_origins
        # As the gateway responses do: a static header can name one origin only.
        cors = (("Access-Control-Allow-Origin", origins[0]),) if len(origins) == 1 else ()

        def block(answer: WafAnswer) -> wafv2.CfnWebACL.RuleActionProperty:
            headers = [
                wafv2.CfnWebACL.CustomHTTPHeaderProperty(name=header, value=value)
                for header, value in (*cors, *answer.headers)
            ]
            return wafv2.CfnWebACL.RuleActionProperty(
                block=wafv2.CfnWebACL.BlockActionProperty(
                    custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                        response_code=answer.kind.status,
                        custom_response_body_key=answer.body_key,
                        response_headers=headers or None,
                    )
                )
            )

        create_session = contract.Routes.CREATE_SESSION
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name="CreateSessionRatePerIp",
                priority=0,
                action=block(RATE_LIMITED),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP",
                        limit=props.create_session_rate_per_5min,
                        evaluation_window_sec=RATE_WINDOW_SECONDS,
                        # Only POST .../sessions: the stage name prefixes the path WAF sees (/api/sessions).
                        scope_down_statement={
                            "andStatement": {
                                "statements": [
                                    byte_match({"method": {}}, create_session.method, "EXACTLY", ["NONE"]),
                                    byte_match({"uriPath": {}}, create_session.path, "ENDS_WITH", ["NORMALIZE_PATH"]),
                                ]
                            }
                        },
                    )
                ),
                visibility_config=visibility(name, "CreateSessionRatePerIp"),
            ),
            wafv2.CfnWebACL.RuleProperty(
                name="BodyTooLarge",
                priority=1,
                action=block(TOO_LARGE),
                statement=wafv2.CfnWebACL.StatementProperty(
                    size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                        field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                            # Bodies beyond WAF's inspection limit for API Gateway (16 KB by default) match too.
                            body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
                        ),
                        comparison_operator="GT",
                        size=contract.MAX_BODY_BYTES,
                        text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
                    )
                ),
                visibility_config=visibility(name, "BodyTooLarge"),
            ),
            *(
                wafv2.CfnWebACL.RuleProperty(
                    name=group,
                    priority=2 + index,
                    # The group's own actions (block); its blocks get API Gateway's WAF_FILTERED gateway response.
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS", name=group
                        )
                    ),
                    visibility_config=visibility(name, group),
                )
                for index, group in enumerate(MANAGED_RULE_GROUPS)
            ),
        ]
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=self.web_acl_name,
            description=f"{name}: managed rules, POST /sessions per-address rate, body size",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            custom_response_bodies={
                answer.body_key: wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=answer.body()
                )
                for answer in (RATE_LIMITED, TOO_LARGE)
            },
            visibility_config=visibility(name, "WebAcl"),
        )
        self.association = wafv2.CfnWebACLAssociation(
            self,
            "StageAssociation",
            resource_arn=api.rest_api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )

        self.log_group = log_group(self, "Logs", props.retention)
        group_name = f"{WAF_LOG_PREFIX}{name}"
        cfn_group: logs.CfnLogGroup = self.log_group.node.default_child  # type: ignore[assignment]
        cfn_group.log_group_name = group_name
        group_arn = stack.format_arn(
            service="logs", resource="log-group", resource_name=group_name, arn_format=ArnFormat.COLON_RESOURCE_NAME
        )
        # The log group's own resource policy for WAF's log delivery, so that WAF need not add this group to the
        # account-wide AWSWAF-LOGS policy (whose size limit breaks accounts with many web ACLs).
        self.log_policy = logs.ResourcePolicy(
            self,
            "LogDeliveryPolicy",
            resource_policy_name=f"{name}-waf-logs",
            policy_statements=[
                iam.PolicyStatement(
                    sid="WafLogDelivery",
                    principals=[iam.ServicePrincipal(LOG_DELIVERY)],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[f"{group_arn}:log-stream:*"],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:*"},
                    },
                )
            ],
        )
        self.logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[group_arn],
            redacted_fields=[
                # SingleHeader is a JSON property in CDK: written as CloudFormation spells it.
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                for header in REDACTED_HEADERS
            ],
            logging_filter={
                "DefaultBehavior": "DROP",
                "Filters": [
                    {
                        "Behavior": "KEEP",
                        "Requirement": "MEETS_ANY",
                        "Conditions": [{"ActionCondition": {"Action": "BLOCK"}}],
                    }
                ],
            },
        )
        self.logging.node.add_dependency(self.log_group, self.log_policy)

    def blocked_requests(self) -> cw.Metric:
        """Requests the web ACL blocked, every rule together, per alarm period."""
        return cw.Metric(
            namespace=WAF_NAMESPACE,
            metric_name="BlockedRequests",
            dimensions_map={"WebACL": self.web_acl_name, "Region": Stack.of(self).region, "Rule": "ALL"},
            statistic="Sum",
            period=ALARM_PERIOD,
            label="Requests blocked by AWS WAF",
        )
