"""Settlement and events on the dashboard: what the background functions did, each from the catalogue like the
other rows. Sessions the settlement worker found decided or left PENDING for redelivery, events the outbox put on
the bus, and the webhook's delivery attempts; each graph plots every catalogued value of its dimension, so the row
follows the catalogue when a value is added or dropped."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cw

from infra.constructs.observability.metrics import catalogue_metric
from infra.constructs.observability.widgets import COUNT, graph
from liveness_api import metrics_catalogue as catalogue
from liveness_api.metrics_catalogue import MetricDef


def _every_series(metric: MetricDef, label: str = "") -> list[cw.IMetric]:
    """`metric` once per catalogued combination of its dimensions' values, labelled `label` and the values."""
    return [
        catalogue_metric(metric, *own.values(), label=" ".join(filter(None, (label, *own.values()))))
        for own in metric.every_dimension_map()
    ]


def settlement_events_row() -> list[cw.IWidget]:
    settled = graph(
        "Settlement on the server: decided, or deferred while PENDING, by trigger (count per 5 min)",
        [
            *_every_series(catalogue.SESSION_SETTLED, "Settled"),
            *_every_series(catalogue.SETTLEMENT_DEFERRED, "Deferred"),
        ],
        COUNT,
        8,
    )
    published = graph(
        "Events published on the bus, by type (count per 5 min)",
        _every_series(catalogue.EVENT_PUBLISHED),
        COUNT,
        8,
        stacked=True,
    )
    deliveries = graph(
        "Webhook delivery attempts, by outcome (count per 5 min)",
        _every_series(catalogue.WEBHOOK_DELIVERY),
        COUNT,
        8,
        stacked=True,
    )
    return [settled, published, deliveries]
