"""What Rekognition saw that the person can change before retrying (its `Feedback`), and what the client claims to
be (its `Metadata.SDKType`): how each is answered, recorded and counted with the verdict.

Neither ever changes a decision. Feedback explains a NOT_LIVE or FAILED check to the person; the SDK type is the
streaming client's own claim, which Rekognition does not verify ("Don't rely on it for authentication,
authorization, or any other security decision": botocore's service model, `SessionMetadata`;
https://docs.aws.amazon.com/rekognition/latest/APIReference/API_SessionMetadata.html), so it is kept in the
ledger for operators and never answered.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from liveness_api.decision import FAILURES
from liveness_api.metrics_catalogue import LIVENESS_FEEDBACK, OTHER_FEEDBACK
from liveness_api.models import Feedback
from liveness_api.observability import record_metric
from liveness_api.ports import LivenessResult
from liveness_api.vocabulary import Verdict, known_feedback_code

# The verdict document's one member the API never answers: the client's SDK type, for operators reading the ledger.
CLIENT_SDK_FIELD: Final = "clientSdk"


def answered_feedback(verdict: Verdict, result: LivenessResult) -> list[Feedback] | None:
    """The feedback a results response carries: for a failed check only (possibly empty), so that a person told
    why a check failed is never shown conditions of one that passed."""
    return list(result.feedback) if verdict in FAILURES else None


def with_client_sdk(document: str, result: LivenessResult) -> str:
    """The verdict document to record: the response's, with the client's SDK type where Rekognition reported one."""
    if result.sdk_type is None:
        return document
    return json.dumps({**json.loads(document), CLIENT_SDK_FIELD: result.sdk_type}, separators=(",", ":"))


def answered_document(recorded: str) -> dict[str, Any]:
    """A recorded verdict document as the API answers it: without what only operators read."""
    document: dict[str, Any] = json.loads(recorded)
    document.pop(CLIENT_SDK_FIELD, None)
    return document


def record_feedback(feedback: Sequence[Feedback] | None) -> None:
    """LivenessCheckFeedback for each code of a settled check, once however often the service repeats it."""
    values = {code.value if (code := known_feedback_code(item.code)) else OTHER_FEEDBACK for item in feedback or ()}
    for value in sorted(values):
        record_metric(LIVENESS_FEEDBACK, 1, value)
