"""The request's deadline: no AWS call starts that could not finish before the function times out.

The handler bounds each invocation by `context.get_remaining_time_in_millis()` on every invocation, less a reserve
for answering. Every botocore client is hooked so that each attempt, the first and every retry, first checks the
time left against that client's worst case for one attempt (connect plus read timeout). An attempt that no longer
fits raises `DeadlineExceeded`, which the handler answers with 503 problem+json: the invocation ends in time,
instead of being killed by Lambda, which API Gateway would answer with a 502 or 504. Retries are bounded the same
way, since each retry is an attempt.

The hook runs on botocore's `request-created` event, which fires once per attempt, before signing and before any
`before-send` handler (the local emulator's and moto's among them), so the same check runs locally.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Final

from liveness_api.adapters.faults import RETRY_AFTER_SECONDS
from liveness_api.errors import DeadlineExceeded
from liveness_api.metrics_catalogue import REQUEST_DEADLINE_EXCEEDED, ErrorType
from liveness_api.observability import logger, record_metric

# Time kept back to log, emit metrics and answer after the last AWS call.
ANSWER_RESERVE_SECONDS: Final = 0.5

# When the current invocation must have answered, on the monotonic clock; None outside an invocation. A ContextVar
# rather than a global: the local server runs invocations on several threads at once.
_deadline: ContextVar[float | None] = ContextVar("deadline", default=None)


@contextmanager
def invocation(remaining_ms: int) -> Iterator[None]:
    """Bound every AWS call made inside by the invocation's remaining time."""
    token = _deadline.set(time.monotonic() + remaining_ms / 1000 - ANSWER_RESERVE_SECONDS)
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left() -> float | None:
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


def guard_client(client: Any) -> None:
    """Check the deadline before every attempt of every call `client` makes."""
    config = client.meta.config
    attempt_seconds = float(config.connect_timeout) + float(config.read_timeout)
    service = client.meta.service_model.service_id.hyphenize()

    def before_attempt(**kwargs: Any) -> None:
        left = seconds_left()
        if left is not None and left < attempt_seconds:
            record_metric(REQUEST_DEADLINE_EXCEEDED)
            logger.warning(
                "Request deadline reached before an AWS call",
                extra={
                    "aws_service": service,
                    "operation": kwargs.get("operation_name"),
                    "seconds_left": round(left, 3),
                },
            )
            # Out of time is a timeout to the client, retried after as long as one.
            raise DeadlineExceeded(retry_after_seconds=RETRY_AFTER_SECONDS[ErrorType.TIMEOUT])

    client.meta.events.register(f"request-created.{service}", before_attempt, unique_id=f"deadline-{service}")
