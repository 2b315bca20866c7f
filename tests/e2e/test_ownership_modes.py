"""The ownership tests in every caller mode, over real HTTP: one local server per mode (started with the server's
`-c` overrides), whose gateway builds the request context that mode produces: a role's ARN, an identity-pool
identity (guests in guest mode) or a user pool's claims, one identity per `X-Local-Caller` name.

Deployed (API_URL), the stack has one mode and the same checks run in test_api_e2e.py; the other modes skip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests

from liveness_api.contract import END_USER_HEADER
from tests.e2e.conftest import Client, Target, assert_problem, local_target

pytestmark = pytest.mark.e2e

# Browser modes need an exact origin (the stack's configuration refuses them without one).
_ORIGIN = "corsAllowedOrigins=http://localhost:5173"
MODES = {
    "iam": (),
    "identity-pool": ("identityPool=authenticated", _ORIGIN),
    # Locally every guest calls from one address, whose open-session cap and creates per minute this suite's
    # sessions would exhaust: those limits have tests of their own (tests/integration/test_open_sessions.py).
    "identity-pool-guests": ("identityPool=guest", _ORIGIN, "maxOpenSessions=20", "addressCreatesPerMinute=1000"),
    "user-pool": ("authorization=COGNITO", _ORIGIN),
}


@pytest.fixture(scope="session", params=list(MODES))
def mode_target(
    request: pytest.FixtureRequest, target: Target, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    if not MODES[request.param]:
        yield target  # the suite's own server, in cdk.json's mode
        return
    if target.deployed:
        pytest.skip("a deployed stack has one caller mode; test_api_e2e.py covers it")
    log_path = tmp_path_factory.mktemp(f"local-server-{request.param}") / "server.log"
    with local_target(log_path, requests.Session(), *MODES[request.param]) as local:
        yield local


@pytest.fixture
def mode_client(mode_target: Target) -> Client:
    return Client(mode_target, credentials=mode_target.credentials)


@pytest.fixture
def mode_other_client(mode_target: Target) -> Client:
    if mode_target.deployed and mode_target.second_credentials is None:
        pytest.skip("needs a second identity: set API_URL_SECOND_PROFILE")
    return Client(mode_target, credentials=mode_target.second_credentials)


def test_sessions_belong_to_their_creator_in_every_mode(mode_client: Client, mode_other_client: Client) -> None:
    session_id = mode_client.new_session()

    assert_problem(mode_other_client.results(session_id), 404, "session-not-found")
    assert_problem(mode_other_client.erase(session_id), 404, "session-not-found")
    assert mode_client.results(session_id).status_code == 200
    assert mode_client.erase(session_id).status_code == 204


def test_an_idempotency_key_is_scoped_to_its_caller_in_every_mode(
    mode_client: Client, mode_other_client: Client
) -> None:
    key = f"e2e-{uuid.uuid4().hex}"
    mine = mode_client.create(idempotency_key=key).json()["sessionId"]

    assert mode_client.create(idempotency_key=key).json()["sessionId"] == mine
    assert mode_other_client.create(idempotency_key=key).json()["sessionId"] != mine


def test_a_backend_names_its_end_users_only_in_plain_iam_mode(
    request: pytest.FixtureRequest, mode_target: Target, mode_client: Client
) -> None:
    mode = request.node.callspec.params["mode_target"]
    alice, bob = ({END_USER_HEADER: f"{name}-{uuid.uuid4().hex}"} for name in ("alice", "bob"))
    created = mode_client.request("POST", "/sessions", headers=alice)
    if mode != "iam" or (mode_target.deployed and created.status_code == 422):
        # Where the caller is the person (and a deployed stack in such a mode), nobody names an end user.
        problem = assert_problem(created, 422, "validation-error")
        assert [error["field"] for error in problem["errors"]] == [END_USER_HEADER.lower()]
        return
    assert created.status_code == 201, created.text
    results = f"/sessions/{created.json()['sessionId']}/results"

    assert_problem(mode_client.request("GET", results, headers=bob), 404, "session-not-found")
    assert_problem(mode_client.request("GET", results), 404, "session-not-found")  # the backend itself
    assert mode_client.request("GET", results, headers=alice).status_code == 200
