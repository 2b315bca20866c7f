"""Names shared by the events' runtime (the outbox, the webhook sender) and the stack, without the runtime's
dependencies, so that `infra/` can import them (as `contract.py`)."""

from typing import Final

from liveness_api.contract import SERVICE_NAME

# The `source` of every event the stack publishes on its bus.
EVENT_SOURCE: Final = SERVICE_NAME
# A webhook receiver must answer within this; a slower one counts as unreachable and is retried.
DELIVERY_TIMEOUT_SECONDS: Final = 5.0
