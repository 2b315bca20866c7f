"""The saved Logs Insights queries, and the dashboard's one log query.

Field names are the handler's (Powertools JSON: level, message, error_type, error_code, decision) and the access
log's (infra/constructs/api.py ACCESS_LOG_FIELDS). None of them holds personal data.
"""

from __future__ import annotations

from typing import Final, Literal, NamedTuple

from aws_cdk import aws_logs as logs
from constructs import Construct


class QueryDef(NamedTuple):
    name: str
    log_group: Literal["function", "access"]
    query: str


QUERIES: Final = (
    QueryDef(
        "errors-by-type",
        "function",
        "fields coalesce(error_type, error_code, errorType, message) as kind\n"
        '| filter level in ["ERROR", "CRITICAL"] or ispresent(error_code) or ispresent(errorType)\n'
        "| stats count(*) as errors by kind, level\n"
        "| sort errors desc",
    ),
    QueryDef(
        "slowest-requests",
        "access",
        "fields @timestamp, httpMethod, resourcePath, status, responseLatency, integrationLatency, requestId, "
        "xrayTraceId\n"
        "| filter ispresent(responseLatency)\n"
        "| sort responseLatency desc\n"
        "| limit 50",
    ),
    QueryDef(
        "checks-by-decision",
        "function",
        'filter message = "Liveness check completed"\n| stats count(*) as checks by decision, bin(1h) as hour\n'
        "| sort hour desc, checks desc",
    ),
)
# Lambda's JSON platform.report record carries initDurationMs only on a cold start.
INIT_DURATION_QUERY: Final = (
    'filter type = "platform.report" and ispresent(record.metrics.initDurationMs)\n'
    "| stats count(*) as coldStarts, avg(record.metrics.initDurationMs) as avgInitMs, "
    "max(record.metrics.initDurationMs) as maxInitMs by bin(5m)"
)


def saved_queries(
    scope: Construct,
    name: str,
    *,
    function_logs: logs.ILogGroup,
    access_logs: logs.ILogGroup,
) -> dict[str, logs.CfnQueryDefinition]:
    """Each of QUERIES saved as `<name>/<query name>` (`name` is the stack's) on its log group. The L1 resource: the
    queries are written out whole, exactly as an operator would paste them."""
    groups = {"function": function_logs, "access": access_logs}
    return {
        query.name: logs.CfnQueryDefinition(
            scope,
            f"Query-{query.name}",
            name=f"{name}/{query.name}",
            query_string=query.query,
            log_group_names=[groups[query.log_group].log_group_name],
        )
        for query in QUERIES
    }
