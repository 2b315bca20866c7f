"""Sessions whose failed checks report feedback: every code the service model knows, and one it does not know yet,
answered through botocore's own parsing as the service could one day answer."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from liveness_api.models import Feedback
from liveness_api.vocabulary import FeedbackCode, Verdict
from liveness_local.events import CallerIdentity
from liveness_local.vocabulary import FEEDBACK_MESSAGES
from liveness_local.wire import json_response
from tests.integration.conftest import Api

# A code no version of the service model lists: what a newer Rekognition could send.
FUTURE_CODE = "GLARE_ON_GLASSES_DETECTED"
_RESULTS_EVENT = "before-send.rekognition.GetFaceLivenessSessionResults"


@contextmanager
def service_answers(client: Any, body: dict[str, Any]) -> Iterator[None]:
    """GetFaceLivenessSessionResults answered with `body` on the wire, ahead of the emulator (whose own output
    check would refuse a code the model does not list), so that botocore parses it as it would the service's."""

    def answer(request: Any, **_: Any) -> Any:
        return json_response(request.url, 200, body, "application/x-amz-json-1.1")

    unique_id = f"future-service-{uuid.uuid4()}"
    client.meta.events.register(_RESULTS_EVENT, answer, unique_id=unique_id)
    try:
        yield
    finally:
        client.meta.events.unregister(_RESULTS_EVENT, unique_id=unique_id)


def future_results(session_id: str, confidence: float = 20.0) -> dict[str, Any]:
    return {
        "SessionId": session_id,
        "Status": "SUCCEEDED",
        "Confidence": confidence,
        "Feedback": [
            {"Code": FUTURE_CODE, "Message": "Light reflected on your glasses."},
            {"Code": FeedbackCode.LOW_LIGHTING_DETECTED.value, "Message": "Too dark."},
        ],
        "Metadata": {"SDKType": "AmplifyUI-React"},
    }


def walk_every_feedback_code(backend: Any, emulator: Any) -> None:
    """A NOT_LIVE check reporting every known code, and one reporting a code this version does not know. A caller
    of its own, so that the failures leave the walk's other callers under the abuse limit."""
    api = Api(backend, CallerIdentity.iam(f"feedback-{uuid.uuid4().hex[:8]}"))
    every_code = api.create().body["sessionId"]
    emulator.script_feedback(every_code, tuple(Feedback(code=c, message=m) for c, m in FEEDBACK_MESSAGES.items()))
    emulator.complete(every_code, confidence=15.0)
    assert api.results(every_code).body["decision"] == Verdict.NOT_LIVE
    unknown = api.create().body["sessionId"]
    with service_answers(backend.function.client("rekognition"), future_results(unknown)):
        assert api.results(unknown).body["decision"] == Verdict.NOT_LIVE
