"""The settlement and events part of the metrics-catalogue walk: the twin's event pipeline driven until the
background functions have emitted every series of their metrics."""

from __future__ import annotations

import uuid

from liveness_api.identity import CallerMode
from liveness_api.metrics_catalogue import EventType
from liveness_api.vocabulary import Verdict
from liveness_local.backend import LocalBackend
from liveness_local.emulator import FaceLivenessEmulator
from liveness_local.event_pipeline import LocalEventPipeline
from liveness_local.events import CallerIdentity
from tests.integration.conftest import Api
from tests.integration.event_fixtures import Receiver, recorded_decision
from tests.integration.face_match_world import create, person_api, upload
from tests.integration.test_settlement import FIRST_ATTEMPT, PAST_EXPIRY, advance, new_session


def walk_every_settlement_and_event_path(
    backend: LocalBackend, emulator: FaceLivenessEmulator, pipeline: LocalEventPipeline, receiver: Receiver
) -> None:
    """Settlement by each trigger, both deferred (still PENDING) and decided; each event type published; each
    outcome of a webhook delivery. Leaves no scripted answer on the receiver."""
    pipeline.pump()  # whatever the walk so far left on the ledger's stream and the queues
    # Abandoned: its expiry message finds it PENDING before its lifetime ends, then EXPIRED once it is over.
    api = Api(backend, CallerIdentity.iam(f"settled-{uuid.uuid4().hex[:8]}"))
    abandoned = new_session(api)
    advance(backend, FIRST_ATTEMPT)
    pipeline.pump()
    assert recorded_decision(backend, abandoned) is None
    advance(backend, PAST_EXPIRY - FIRST_ATTEMPT)
    pipeline.pump()
    assert recorded_decision(backend, abandoned) == Verdict.EXPIRED
    # A reference image seen while its check is still in progress (deferred), then the check finished (settled by
    # the image): its verdict and its ID-photo match are published.
    person = person_api(backend, CallerMode.IAM)
    created = create(person, "DOCUMENT")
    matched = str(created["sessionId"])
    assert upload(created["documentUpload"]) == 204
    emulator.start(matched)
    reference = f"{backend.settings.image_key_prefix}{matched}/reference.jpg"
    backend.s3.put_object(Bucket=backend.resources.bucket, Key=reference, Body=b"not yet")
    pipeline.pump()
    assert recorded_decision(backend, matched) is None
    emulator.complete(matched, confidence=99.0)
    pipeline.pump()
    assert recorded_decision(backend, matched) == Verdict.LIVE
    # The webhook's queue is drained on every round (the local-only observed queue, ten events a round, may lag).
    delivered = [delivery.json["type"] for delivery in receiver.of_session(matched)]
    assert sorted(delivered) == sorted([EventType.VERDICT_RECORDED, EventType.MATCH_DECIDED])
    # An erasure, whose one delivery the receiver refuses, then drops unanswered, then accepts.
    receiver.statuses.extend([503, None])
    assert api.erase(abandoned).status == 204
    for _ in range(3):
        pipeline.pump()
    erasures = [d for d in receiver.of_session(abandoned) if d.json["type"] == EventType.SESSION_ERASED]
    assert len(erasures) == 3
    assert receiver.statuses == []
