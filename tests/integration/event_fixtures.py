"""Fixtures of the settlement and events tests: the twin's event pipeline on the session's backend, delivering its
webhook to a receiver in the test process. One pipeline per process (it provisions the stack's queues and bus once),
imported by each test module that needs it."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

import pytest

from liveness_local.backend import LocalBackend
from liveness_local.event_pipeline import LocalEventPipeline


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver: records each POST and answers with the next scripted status (200 once none is left)."""

    url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.deliveries.append(Delivery(headers, body))
            return self.statuses.pop(0) if self.statuses else 200

    def of_session(self, session_id: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.json["data"].get("sessionId") == session_id]


# One receiver and one pipeline per process, whichever module asks first: pytest makes a fixture imported into two
# modules two fixtures, and the pipeline provisions the stack's queues and bus on the process's one moto.
_shared: dict[str, Any] = {}


def _serve_receiver() -> Receiver:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = state.answer(dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    return state


@pytest.fixture(scope="session")
def receiver() -> Receiver:
    if "receiver" not in _shared:
        _shared["receiver"] = _serve_receiver()
    return cast(Receiver, _shared["receiver"])


@pytest.fixture(scope="session")
def pipeline(backend: LocalBackend, receiver: Receiver) -> LocalEventPipeline:
    if "pipeline" not in _shared:
        # Redelivery at once: a failed message is visible again on the next round, so a test pumps, not waits.
        _shared["pipeline"] = LocalEventPipeline(
            backend, webhook_url=receiver.url, retry_after_seconds=0, webhook_backoff=lambda _: 0
        )
    return cast(LocalEventPipeline, _shared["pipeline"])


def ledger_item(backend: LocalBackend, session_id: str) -> dict[str, Any] | None:
    item = backend.dynamodb.get_item(
        TableName=backend.resources.table, Key={"pk": {"S": f"SESSION#{session_id}"}}, ConsistentRead=True
    ).get("Item")
    return None if item is None else dict(item)


def recorded_decision(backend: LocalBackend, session_id: str) -> str | None:
    item = ledger_item(backend, session_id)
    if item is None or "verdict" not in item:
        return None
    return str(json.loads(item["verdict"]["S"])["decision"])
