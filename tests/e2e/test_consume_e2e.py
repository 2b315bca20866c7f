"""POST /sessions/{sessionId}/consume over real HTTP: a verdict is handed to its owner once, and never before it is
decided."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Client, Target, assert_problem

pytestmark = pytest.mark.e2e


def test_an_undecided_verdict_is_not_consumed(client: Client) -> None:
    session_id = client.new_session()

    assert_problem(client.consume(session_id), 409, "verdict-not-decided")
    results = client.results(session_id).json()
    assert (results["decision"], results["decidedAt"], results["consumed"]) == ("PENDING", None, False)


def test_a_decided_verdict_is_consumed_once_by_its_owner_only(
    client: Client, other_client: Client, target: Target
) -> None:
    target.require_local()
    session_id = client.new_session()
    assert client.control(f"/sessions/{session_id}/complete", {"live": True}).status_code == 204
    decided = client.results(session_id).json()
    assert decided["decision"] == "LIVE"
    assert decided["decidedAt"] is not None

    assert_problem(other_client.consume(session_id), 404, "session-not-found")
    consumed = client.consume(session_id)
    assert consumed.status_code == 200, consumed.text
    assert consumed.headers["Content-Type"].startswith("application/json")
    assert (consumed.json()["decision"], consumed.json()["consumed"]) == ("LIVE", True)
    assert_problem(client.consume(session_id), 409, "verdict-already-consumed")
    assert client.results(session_id).json()["consumedAt"] == consumed.json()["consumedAt"]
