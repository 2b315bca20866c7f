"""Many callers at once, over real sockets: each gets exactly its own sessions.

Lambda runs one event at a time per environment, and the local server must too: the resolver keeps the current
event on itself, so two requests sharing one at the same moment would be served as each other (one caller's
owner, another's request id). Several callers, each named by X-Local-Caller, send a burst of creates and then of
reads from many threads at once: every session id is handed to one caller only, every caller reads each of its
own sessions, and no caller can read anyone else's; each refusal quotes its own request's id.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
import requests

from tests.e2e.conftest import Client, Target

pytestmark = pytest.mark.e2e

# Forty sessions in all, each caller holding as many open at once as the default open-session cap allows.
CALLERS = 20
SESSIONS_PER_CALLER = 2
THREADS = 16

T = TypeVar("T")


def burst(target: Target, calls: list[tuple[str, Callable[[Client], T]]]) -> list[T]:
    """Every call at once, each `(caller, call)` made as that caller: the threads are released together, each with
    an HTTP connection of its own."""
    start = threading.Barrier(min(len(calls), THREADS))
    local = threading.local()
    sessions: list[requests.Session] = []

    def run(named: tuple[str, Callable[[Client], T]]) -> T:
        if not hasattr(local, "target"):
            local.target = dataclasses.replace(target, http=requests.Session())
            sessions.append(local.target.http)
            start.wait(timeout=60)
        caller, call = named
        return call(Client(local.target, caller=caller))

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            return list(pool.map(run, calls))
    finally:
        for session in sessions:
            session.close()


def test_a_concurrent_burst_serves_each_caller_as_itself(target: Target) -> None:
    # X-Local-Caller names the caller only locally; deployed, every request here would be the signer's.
    target.require_local()
    callers = [f"burst-{index}-{uuid.uuid4().hex[:6]}" for index in range(CALLERS)]

    creates = [caller for caller in callers for _ in range(SESSIONS_PER_CALLER)]
    random.shuffle(creates)
    created = burst(target, [(caller, lambda client: (client.caller, client.create())) for caller in creates])

    owned: dict[str, list[str]] = {caller: [] for caller in callers}
    for caller, response in created:
        assert response.status_code == 201, response.text
        owned[caller].append(response.json()["sessionId"])
    every_id = [session_id for ids in owned.values() for session_id in ids]
    assert len(set(every_id)) == len(every_id) == CALLERS * SESSIONS_PER_CALLER, "a session id went to two callers"

    # Each caller reads its own sessions and tries its neighbour's, all at once and interleaved.
    reads = [
        (caller, session_id, mine)
        for position, caller in enumerate(callers)
        for mine, ids in ((True, owned[caller]), (False, owned[callers[position - 1]]))
        for session_id in ids
    ]
    random.shuffle(reads)
    answers = burst(target, [(caller, functools.partial(Client.results, session_id=sid)) for caller, sid, _ in reads])

    for (caller, session_id, mine), response in zip(reads, answers, strict=True):
        if mine:
            assert response.status_code == 200, (caller, session_id, response.text)
            assert response.json()["sessionId"] == session_id
        else:
            assert response.status_code == 404, (caller, "read a session of another caller", response.text)
            # The refusal is this request's own: it quotes the request id the gateway gave this request.
            assert response.json()["requestId"] == response.headers["x-amzn-RequestId"], "answered as another request"
