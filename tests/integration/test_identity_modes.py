"""One owner per person, in every mode: the handler binds sessions to the field the configured mode names, with
request contexts shaped exactly as API Gateway's REST proxy integration sends them, and a request shaped for another
mode cannot pick its owner."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from infra.config import function_environment, load_cdk_json_config, load_config
from liveness_api.environment import EnvVar
from liveness_api.identity import CallerMode, resolve_caller
from liveness_api.settings import Settings
from liveness_local.backend import LocalBackend, LocalFunction
from liveness_local.events import CallerIdentity, api_gateway_event, local_identity_pool_id
from tests.integration.conftest import Api, ApiResponse, Function

ACCOUNT = "123456789012"
REGION = "us-east-1"
USER_POOL = f"cognito-idp.{REGION}.amazonaws.com/{REGION}_AbCdEfGhI"
POOL_ROLE_ID = "AROA3EXAMPLEPOOLROLE"
ADDRESS = "203.0.113.24"
# The stack's identity pool, as the twin deploys the function in the identity-pool modes.
IDENTITY_POOL_ID = local_identity_pool_id(load_cdk_json_config().region)


# requestContext.identity and requestContext.authorizer, field for field as API Gateway fills them ---------------


def _identity(**fields: Any) -> dict[str, Any]:
    """`requestContext.identity`: every key API Gateway sends, null unless given."""
    return {
        "cognitoIdentityPoolId": None,
        "accountId": None,
        "cognitoIdentityId": None,
        "caller": None,
        "sourceIp": ADDRESS,
        "principalOrgId": None,
        "accessKey": None,
        "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None,
        "userArn": None,
        "userAgent": "aws-sdk-js/3.700.0",
        "user": None,
        **fields,
    }


def iam_context(role: str, *, session: str = "worker-1", account: str = ACCOUNT) -> dict[str, Any]:
    """AWS_IAM, signed with a role's own credentials, in an STS session of this name."""
    caller = f"AROA3EXAMPLEROLEID:{session}"
    return {
        "identity": _identity(
            accountId=account,
            caller=caller,
            user=caller,
            accessKey="ASIA3EXAMPLEKEY",
            userArn=f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        )
    }


def identity_pool_context(
    identity_id: str, *, guest: bool = False, source_ip: str = ADDRESS, pool_id: str = IDENTITY_POOL_ID
) -> dict[str, Any]:
    """AWS_IAM, signed with identity-pool credentials (enhanced flow): the role ARN is the pool role's, shared by
    every identity of the pool; only `cognitoIdentityId` tells users apart. The pool is the stack's (the twin's)
    unless `pool_id` names another."""
    caller = f"{POOL_ROLE_ID}:CognitoIdentityCredentials"
    role = "FaceLivenessApi-GuestRole" if guest else "FaceLivenessApi-AuthenticatedRole"
    return {
        "identity": _identity(
            cognitoIdentityPoolId=pool_id,
            accountId=ACCOUNT,
            cognitoIdentityId=identity_id,
            caller=caller,
            user=caller,
            accessKey="ASIA3EXAMPLEPOOLKEY",
            sourceIp=source_ip,
            cognitoAuthenticationType="unauthenticated" if guest else "authenticated",
            cognitoAuthenticationProvider=None if guest else f"{USER_POOL},{USER_POOL}:CognitoSignIn:{uuid.uuid4()}",
            userArn=f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/CognitoIdentityCredentials",
        )
    }


def user_pool_context(sub: str) -> dict[str, Any]:
    """A Cognito user-pool authorizer: the verified ID token's claims, as strings; no AWS identity."""
    return {
        "authorizer": {
            "claims": {
                "sub": sub,
                "email_verified": "true",
                "iss": f"https://{USER_POOL}",
                "cognito:username": sub,
                "origin_jti": str(uuid.uuid4()),
                "aud": "4example1client2id3abc",
                "event_id": str(uuid.uuid4()),
                "token_use": "id",
                "auth_time": "1764621000",
                "exp": "Mon Dec 01 21:30:00 UTC 2026",
                "iat": "Mon Dec 01 20:30:00 UTC 2026",
                "jti": str(uuid.uuid4()),
                "email": "person@example.com",
            }
        },
        "identity": _identity(),
    }


def new_identity_id() -> str:
    return f"{REGION}:{uuid.uuid4()}"


class ContextApi(Api):
    """Calls the handler with exactly this requestContext identity (and authorizer)."""

    def __init__(self, function: Function, context: dict[str, Any]) -> None:
        super().__init__(function, CallerIdentity())
        self.context = context

    def event(self, method: str, path: str, body: str | None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        event = super().event(method, path, body, headers)
        request_context = event["requestContext"]
        request_context.pop("authorizer", None)
        request_context.update(self.context)
        return event


@pytest.fixture
def in_mode(backend: LocalBackend, emulator: Any) -> Callable[[CallerMode], LocalFunction]:
    """The function as deployed in a mode. These tests are about who owns what, and every guest here comes from one
    address: its open-session cap and per-minute limit (tests/integration/test_open_sessions.py) are lifted."""

    def deployed(mode: CallerMode) -> LocalFunction:
        settings = backend.function_in_mode(mode).settings
        return backend.deploy(settings.model_copy(update={"max_open_sessions": 20, "address_creates_per_minute": 1000}))

    return deployed


def assert_owns(owner: Api, stranger: Api) -> None:
    """`owner` creates, reads and erases its session; `stranger` cannot tell it exists."""
    created = owner.create()
    assert created.status == 201, created.body
    session_id = created.body["sessionId"]
    assert owner.results(session_id).status == 200
    foreign = stranger.results(session_id)
    assert (foreign.status, foreign.body["type"]) == (404, "urn:face-liveness-api:problem:session-not-found")
    assert stranger.erase(session_id).status == 404
    assert owner.erase(session_id).status == 204


def assert_refused(response: ApiResponse) -> None:
    assert response.status == 403
    assert response.problem["type"] == "urn:face-liveness-api:problem:caller-identity-missing"


# Owners, mode by mode ------------------------------------------------------------------------------------------


def test_plain_iam_binds_sessions_to_the_principal_arn(in_mode) -> None:
    function = in_mode(CallerMode.IAM)
    assert_owns(ContextApi(function, iam_context("alice-app")), ContextApi(function, iam_context("mallory-app")))


def test_identity_pool_binds_sessions_to_the_identity_id_not_the_shared_role(in_mode) -> None:
    function = in_mode(CallerMode.IDENTITY_POOL)
    alice, mallory = identity_pool_context(new_identity_id()), identity_pool_context(new_identity_id())
    # The same assumed-role ARN for both: binding to it would let every user of the pool read every session.
    assert alice["identity"]["userArn"] == mallory["identity"]["userArn"]
    assert_owns(ContextApi(function, alice), ContextApi(function, mallory))


def test_guest_mode_binds_guests_and_signed_in_users_to_their_identity_ids(in_mode) -> None:
    function = in_mode(CallerMode.IDENTITY_POOL_GUESTS)
    guest = ContextApi(function, identity_pool_context(new_identity_id(), guest=True))
    other_guest = ContextApi(function, identity_pool_context(new_identity_id(), guest=True))
    user = ContextApi(function, identity_pool_context(new_identity_id()))
    assert_owns(guest, other_guest)
    assert_owns(user, guest)


def test_user_pool_binds_sessions_to_the_token_sub(in_mode) -> None:
    function = in_mode(CallerMode.USER_POOL)
    assert_owns(
        ContextApi(function, user_pool_context(str(uuid.uuid4()))),
        ContextApi(function, user_pool_context(str(uuid.uuid4()))),
    )


# A request shaped for another mode cannot pick its owner ---------------------------------------------------------


def test_in_user_pool_mode_only_the_claims_sub_counts(in_mode) -> None:
    function = in_mode(CallerMode.USER_POOL)
    sub = str(uuid.uuid4())
    alice = ContextApi(function, user_pool_context(sub))
    session_id = alice.create().body["sessionId"]
    # The same sub, whatever else the request context carries, is the same owner.
    with_identity = user_pool_context(sub)
    with_identity["identity"] = identity_pool_context(new_identity_id())["identity"]
    assert ContextApi(function, with_identity).results(session_id).status == 200
    # No claims: no owner, whatever AWS identity the context names.
    for context in (identity_pool_context(new_identity_id()), iam_context("alice-app")):
        assert_refused(ContextApi(function, context).create())
    assert_refused(ContextApi(function, {"authorizer": {"claims": {"sub": ""}}, "identity": _identity()}).create())


def test_in_identity_pool_mode_plain_iam_principals_and_guests_are_refused(in_mode) -> None:
    function = in_mode(CallerMode.IDENTITY_POOL)
    assert_refused(ContextApi(function, iam_context("ops-admin")).create())
    assert_refused(ContextApi(function, identity_pool_context(new_identity_id(), guest=True)).create())
    # User-pool claims are no identity in a SigV4 mode (API Gateway would never send them here anyway).
    claims_only = user_pool_context(str(uuid.uuid4()))
    assert_refused(ContextApi(function, claims_only).create())


def test_in_guest_mode_plain_iam_principals_are_refused(in_mode) -> None:
    function = in_mode(CallerMode.IDENTITY_POOL_GUESTS)
    assert_refused(ContextApi(function, iam_context("ops-admin")).create())


def test_in_plain_iam_mode_identity_pool_credentials_are_refused(in_mode) -> None:
    # Their userArn is the pool role's, shared by every user of that pool: never an owner.
    function = in_mode(CallerMode.IAM)
    assert_refused(ContextApi(function, identity_pool_context(new_identity_id())).create())
    assert_refused(ContextApi(function, user_pool_context(str(uuid.uuid4()))).create())


@pytest.mark.parametrize("mode", [CallerMode.IDENTITY_POOL, CallerMode.IDENTITY_POOL_GUESTS], ids=str)
def test_identity_pool_modes_accept_only_the_stacks_own_pool(in_mode, mode: CallerMode) -> None:
    function = in_mode(mode)
    identity_id = new_identity_id()
    own = ContextApi(function, identity_pool_context(identity_id))
    session_id = own.create().body["sessionId"]
    # Another pool of the account whose roles may invoke the API, even naming the same identity id; or none.
    foreign = identity_pool_context(identity_id, pool_id=f"{REGION}:{uuid.uuid4()}")
    poolless = identity_pool_context(identity_id, pool_id="")
    guest = identity_pool_context(new_identity_id(), guest=True, pool_id=f"{REGION}:{uuid.uuid4()}")
    for context in (foreign, poolless, *([guest] if mode.limits_addresses else [])):
        stranger = ContextApi(function, context)
        for response in (stranger.create(), stranger.results(session_id), stranger.erase(session_id)):
            assert response.status == 403
            assert response.problem["type"] == "urn:face-liveness-api:problem:identity-pool-not-accepted"
    assert own.erase(session_id).status == 204


@pytest.mark.parametrize("identity_pool", ["authenticated", "guest"])
def test_identity_pool_modes_will_not_start_without_the_stacks_pool(identity_pool: str) -> None:
    config = load_config({"identityPool": identity_pool, "corsAllowedOrigins": "https://app.example.com"}.get)
    environment = function_environment(
        config,
        bucket="b",
        key_arn="arn:aws:kms:us-east-1:1:key/k",
        table="t",
        collection="faces",
        address_key_secret="arn:aws:secretsmanager:us-east-1:1:secret:address-key",
    )
    with pytest.raises(ValueError, match=EnvVar.IDENTITY_POOL_ID):
        Settings.from_environ({**environment, "AWS_REGION": REGION})


def test_the_same_person_is_a_different_owner_in_another_mode() -> None:
    # Owners carry their kind, so an identity id can never be read as a sub or an ARN, and vice versa.
    value = new_identity_id()
    owners = {
        resolve_caller(identity_pool_context(value), CallerMode.IDENTITY_POOL, identity_pool_id=IDENTITY_POOL_ID).owner,
        resolve_caller(user_pool_context(value), CallerMode.USER_POOL).owner,
    }
    assert len(owners) == 2


# The address, the mode and the environment -------------------------------------------------------------------------


def test_only_guest_mode_hands_the_address_on() -> None:
    guest = identity_pool_context(new_identity_id(), guest=True)
    assert resolve_caller(guest, CallerMode.IDENTITY_POOL_GUESTS, identity_pool_id=IDENTITY_POOL_ID).address == ADDRESS
    signed_in = identity_pool_context(new_identity_id())
    assert resolve_caller(signed_in, CallerMode.IDENTITY_POOL, identity_pool_id=IDENTITY_POOL_ID).address is None
    assert resolve_caller(iam_context("a"), CallerMode.IAM).address is None
    assert resolve_caller(user_pool_context("s"), CallerMode.USER_POOL).address is None


@pytest.mark.parametrize(
    ("authorization", "identity_pool", "mode"),
    [
        ("IAM", "off", CallerMode.IAM),
        ("IAM", "authenticated", CallerMode.IDENTITY_POOL),
        ("IAM", "guest", CallerMode.IDENTITY_POOL_GUESTS),
        ("COGNITO", "off", CallerMode.USER_POOL),
        ("COGNITO", "authenticated", CallerMode.USER_POOL),
        ("COGNITO", "guest", CallerMode.USER_POOL),
    ],
)
def test_the_stack_passes_its_mode_to_the_function(authorization, identity_pool, mode) -> None:
    context = {"authorization": authorization, "identityPool": identity_pool}
    if (authorization, identity_pool) != ("IAM", "off"):
        context["corsAllowedOrigins"] = "https://app.example.com"
    config = load_config(context.get)
    secret = "arn:aws:secretsmanager:us-east-1:1:secret:address-key" if mode.limits_addresses else ""
    environment = function_environment(
        config,
        bucket="b",
        key_arn="arn:aws:kms:us-east-1:1:key/k",
        table="t",
        collection="faces",
        address_key_secret=secret,
        identity_pool_id=IDENTITY_POOL_ID if mode.identity_pool_callers else "",
    )
    assert environment[EnvVar.CALLER_MODE] == mode
    assert Settings.from_environ({**environment, "AWS_REGION": REGION}).caller_mode is mode


def test_guest_mode_will_not_start_without_its_address_key() -> None:
    config = load_config({"identityPool": "guest", "corsAllowedOrigins": "https://app.example.com"}.get)
    environment = function_environment(
        config, bucket="b", key_arn="arn:aws:kms:us-east-1:1:key/k", table="t", collection="faces"
    )
    with pytest.raises(ValueError, match=EnvVar.ADDRESS_KEY_SECRET):
        Settings.from_environ({**environment, "AWS_REGION": REGION})


# The local gateway speaks every mode ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(CallerMode))
def test_local_callers_are_shaped_as_api_gateway_shapes_them(mode: CallerMode) -> None:
    headers = {"User-Agent": "aws-sdk-js/3.700.0"}
    event = api_gateway_event("POST", "/sessions", headers=headers, identity=CallerIdentity.for_mode(mode, "alice"))
    context = event["requestContext"]
    shaped = {
        CallerMode.IAM: iam_context("alice"),
        CallerMode.IDENTITY_POOL: identity_pool_context("x"),
        CallerMode.IDENTITY_POOL_GUESTS: identity_pool_context("x", guest=True),
        CallerMode.USER_POOL: user_pool_context("x"),
    }[mode]
    assert set(context["identity"]) == set(shaped["identity"])
    assert {name for name, value in context["identity"].items() if value is not None} == {
        name for name, value in shaped["identity"].items() if value is not None
    }
    assert (context.get("authorizer") is None) == ("authorizer" not in shaped)
    # One name, one owner; two names, two owners; valid in its own mode only.
    alice = resolve_caller(context, mode, identity_pool_id=IDENTITY_POOL_ID).owner
    again = api_gateway_event("GET", "/x", identity=CallerIdentity.for_mode(mode, "alice"))["requestContext"]
    bob = api_gateway_event("GET", "/x", identity=CallerIdentity.for_mode(mode, "bob"))["requestContext"]
    assert (
        resolve_caller(again, mode, identity_pool_id=IDENTITY_POOL_ID).owner
        == alice
        != resolve_caller(bob, mode, identity_pool_id=IDENTITY_POOL_ID).owner
    )
