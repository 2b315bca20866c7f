"""Plain IAM mode: a role is one owner whatever the STS session name its tasks sign with, and a backend may name the
end user a request is for (X-End-User): that end user's sessions and abuse limit are theirs alone, while the
backend's per-caller limits keep counting every request it sends. Elsewhere the caller is the person and the header
is refused."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from liveness_api.contract import END_USER_HEADER
from liveness_api.identity import CallerMode, iam_principal
from liveness_api.vocabulary import LivenessOperation
from liveness_local.backend import Clock, LocalBackend, LocalFunction
from tests.integration.conftest import ApiResponse, Function, log_records
from tests.integration.test_identity_modes import (
    ContextApi,
    assert_owns,
    iam_context,
    identity_pool_context,
    new_identity_id,
    user_pool_context,
)
from tests.integration.test_results import fail_checks

PROBLEM = "urn:face-liveness-api:problem:"


class EndUserApi(ContextApi):
    """A backend's requests for one of its end users: its request context, and END_USER_HEADER on every request."""

    def __init__(self, function: Function, context: dict[str, Any], end_user: str) -> None:
        super().__init__(function, context)
        self.end_user = end_user

    def event(self, method: str, path: str, body: str | None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        return super().event(method, path, body, {**(headers or {}), END_USER_HEADER: self.end_user})


@pytest.fixture
def iam(backend: LocalBackend, emulator: Any) -> LocalFunction:
    # Owners here create sessions and leave them open; the open-session cap is test_open_sessions.py's subject.
    settings = backend.function_in_mode(CallerMode.IAM).settings
    return backend.deploy(settings.model_copy(update={"max_open_sessions": 20}))


def new_role() -> str:
    return f"backend-{uuid.uuid4().hex[:8]}"


def assert_problem(response: ApiResponse, status: int, slug: str) -> None:
    assert (response.status, response.problem["type"]) == (status, PROBLEM + slug), response.body


def create_calls(emulator: Any) -> int:
    return sum(call.operation == LivenessOperation.CREATE_SESSION for call in emulator.calls)


# One role, one owner, whatever the session name ----------------------------------------------------------------------


def test_every_session_name_of_a_role_is_one_owner(iam: LocalFunction) -> None:
    role = new_role()
    first_task, replacement = (ContextApi(iam, iam_context(role, session=name)) for name in ("task-1", "task-2"))
    session_id = first_task.create().body["sessionId"]

    # A backend that scales out, or whose task is replaced, keeps its sessions.
    assert replacement.results(session_id).status == 200
    assert replacement.erase(session_id).status == 204
    # And an Idempotency-Key is the role's: a retry from another task gets the same session.
    key = {"Idempotency-Key": f"order-{uuid.uuid4().hex}"}
    assert first_task.create(headers=key).body["sessionId"] == replacement.create(headers=key).body["sessionId"]


def test_roles_stay_apart_by_name_and_by_account(iam: LocalFunction) -> None:
    role = new_role()
    owner = ContextApi(iam, iam_context(role))
    assert_owns(owner, ContextApi(iam, iam_context(new_role())))
    assert_owns(owner, ContextApi(iam, iam_context(role, account="210987654321")))


@pytest.mark.parametrize(
    ("user_arn", "principal"),
    [
        ("arn:aws:sts::123456789012:assumed-role/app/i-0abc", "arn:aws:iam::123456789012:role/app"),
        ("arn:aws-cn:sts::123456789012:assumed-role/app/a@b.c", "arn:aws-cn:iam::123456789012:role/app"),
        ("arn:aws-us-gov:sts::123456789012:assumed-role/app/s", "arn:aws-us-gov:iam::123456789012:role/app"),
        # IAM users, the root and federated users are principals of their own.
        ("arn:aws:iam::123456789012:user/ops/alice", "arn:aws:iam::123456789012:user/ops/alice"),
        ("arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"),
        ("arn:aws:sts::123456789012:federated-user/bob", "arn:aws:sts::123456789012:federated-user/bob"),
    ],
)
def test_a_role_session_is_its_role_and_anything_else_itself(user_arn: str, principal: str) -> None:
    assert iam_principal(user_arn) == principal


# End users a backend names ---------------------------------------------------------------------------------------


def test_a_session_created_for_an_end_user_is_theirs_alone(iam: LocalFunction) -> None:
    role = new_role()
    backend_itself = ContextApi(iam, iam_context(role))
    alice = EndUserApi(iam, iam_context(role), "user-7f3a")
    bob = EndUserApi(iam, iam_context(role), "user-9c41")
    # Neither another end user nor the backend without the header can tell it exists.
    assert_owns(alice, bob)
    assert_owns(alice, backend_itself)
    assert_owns(backend_itself, alice)
    # The end user is the backend's, whichever of its tasks names them.
    assert_owns(EndUserApi(iam, iam_context(role, session="task-2"), "user-7f3a"), bob)
    # Another backend naming the same id is another owner.
    assert_owns(alice, EndUserApi(iam, iam_context(new_role()), "user-7f3a"))


def test_one_end_users_failures_never_lock_out_the_others(iam: LocalFunction, emulator: Any) -> None:
    role = new_role()
    alice = EndUserApi(iam, iam_context(role), "alice")
    bob = EndUserApi(iam, iam_context(role), "bob")
    backend_itself = ContextApi(iam, iam_context(role))

    fail_checks(alice, emulator, 5)

    assert_problem(alice.create(), 429, "too-many-failed-checks")
    assert bob.create().status == 201
    assert backend_itself.create().status == 201
    # Nor does the backend's own cool-down (from sessions it created without naming anyone) hold back its users.
    fail_checks(backend_itself, emulator, 5)
    assert_problem(backend_itself.create(), 429, "too-many-failed-checks")
    assert bob.create().status == 201


def test_the_backends_per_caller_limit_counts_all_its_end_users_together(backend: LocalBackend, emulator: Any) -> None:
    three_a_minute = backend.deploy(
        backend.function_in_mode(CallerMode.IAM).settings.model_copy(update={"caller_creates_per_minute": 3})
    )
    # The limit's window is the clock's minute: start the test at the start of one.
    clock = backend.clock
    assert isinstance(clock, Clock)
    now = clock()
    clock.advance(60 - now.second - now.microsecond / 1e6 + 0.5)
    role = new_role()
    users = [EndUserApi(three_a_minute, iam_context(role), f"user-{index}") for index in range(4)]

    assert [user.create().status for user in users[:3]] == [201, 201, 201]
    refused = users[3].create()
    assert_problem(refused, 429, "caller-rate-limited")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert_problem(ContextApi(three_a_minute, iam_context(role)).create(), 429, "caller-rate-limited")
    # Another backend has a count of its own.
    assert EndUserApi(three_a_minute, iam_context(new_role()), "user-0").create().status == 201
    clock.advance(60)
    assert users[3].create().status == 201


def test_the_end_user_id_is_neither_stored_nor_logged(
    backend: LocalBackend, iam: LocalFunction, emulator: Any, log_output: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    end_user = f"tenant-4:user.{uuid.uuid4().hex}"
    alice = EndUserApi(iam, iam_context(new_role()), end_user)
    fail_checks(alice, emulator, 2)  # a session item and a caller item with a failure window

    dump = json.dumps(backend.dynamodb.scan(TableName=backend.resources.table)["Items"])
    assert end_user not in dump
    assert hashlib.sha256(end_user.encode()).hexdigest() not in dump
    assert end_user not in log_output.getvalue()
    assert log_records(log_output.getvalue())  # the requests did log
    assert end_user not in capfd.readouterr().out


@pytest.mark.parametrize(
    "value",
    ["", "alice@example.com", "has space", "a/b", "ünïcode", "x" * 129],
    ids=["empty", "email", "space", "slash", "non-ascii", "too-long"],
)
def test_an_end_user_id_out_of_its_pattern_is_422(iam: LocalFunction, emulator: Any, value: str) -> None:
    response = EndUserApi(iam, iam_context(new_role()), value).create()

    assert_problem(response, 422, "validation-error")
    assert [error["field"] for error in response.problem["errors"]] == [END_USER_HEADER.lower()]
    assert create_calls(emulator) == 0


def test_the_longest_end_user_id_is_accepted(iam: LocalFunction) -> None:
    assert EndUserApi(iam, iam_context(new_role()), "A-z0.9_:" * 16).create().status == 201


# Where the caller is the person, nobody names an end user -------------------------------------------------------------


PERSONS: dict[CallerMode, Callable[[], dict[str, Any]]] = {
    CallerMode.IDENTITY_POOL: lambda: identity_pool_context(new_identity_id()),
    CallerMode.IDENTITY_POOL_GUESTS: lambda: identity_pool_context(new_identity_id(), guest=True),
    CallerMode.USER_POOL: lambda: user_pool_context(str(uuid.uuid4())),
}


@pytest.mark.parametrize("mode", list(PERSONS), ids=str)
def test_where_the_caller_is_the_person_the_header_is_refused(
    backend: LocalBackend, emulator: Any, mode: CallerMode
) -> None:
    # Guests here share one address; its open-session cap is test_open_sessions.py's subject.
    settings = backend.function_in_mode(mode).settings
    function = backend.deploy(settings.model_copy(update={"max_open_sessions": 20, "address_creates_per_minute": 1000}))
    context = PERSONS[mode]()
    person = ContextApi(function, context)
    session_id = person.create().body["sessionId"]
    created = create_calls(emulator)
    naming = EndUserApi(function, context, "someone-else")

    for response in (naming.create(), naming.results(session_id), naming.erase(session_id)):
        assert_problem(response, 422, "validation-error")
        assert response.problem["errors"][0]["field"] == END_USER_HEADER.lower()
    # Nothing was created, read as another owner or erased.
    assert create_calls(emulator) == created
    assert person.results(session_id).status == 200
