"""The demo's help when something is off: a browser that has not accepted the local streaming endpoint's certificate,
and the troubleshooting page every error links to; and the page pointed at a deployed stack (config.json as
`make demo-config` writes it), with Cognito and STS answered by the test, since nothing here reaches AWS.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any
from urllib.parse import parse_qs

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from liveness_local.server import CALLER_HEADER
from tests.browser.conftest import LocalStack, created_session, events

CERTIFICATE_ANCHOR = "the-local-demo-says-the-connection-to-the-liveness-service-timed-out"


def test_a_browser_without_the_certificate_is_told_to_accept_it_with_the_link(
    untrusting_page: Any, local_stack: LocalStack
) -> None:
    _own_caller(untrusting_page, "demo-help-untrusting")
    certificate_page = local_stack.streaming_url.replace("wss://", "https://", 1) + "/"
    # Before any check, the page already says so.
    notice = untrusting_page.get_by_test_id("certificate-notice")
    notice.wait_for(timeout=30_000)
    assert notice.get_by_role("link", name=certificate_page).get_attribute("href") == certificate_page
    untrusting_page.get_by_role("button", name="Start the check").click()

    steps = untrusting_page.get_by_test_id("certificate-steps")
    steps.wait_for(timeout=60_000)
    [error] = [event["detail"] for event in events(untrusting_page) if event["event"] == "detectorError"]
    assert error["state"] == "CONNECTION_TIMEOUT", error
    assert "has not accepted its certificate" in untrusting_page.get_by_role("alert").inner_text()
    assert steps.get_by_role("link").get_attribute("href") == certificate_page
    help_link = untrusting_page.get_by_role("link", name=re.compile("Troubleshooting"))
    href = help_link.get_attribute("href")
    assert href is not None
    assert href.endswith(f"/assets/troubleshooting.html#{CERTIFICATE_ANCHOR}")

    _erase(untrusting_page, local_stack)

    # The link leads to the section that explains the certificate step.
    untrusting_page.goto(href)
    section = untrusting_page.locator(f"#{CERTIFICATE_ANCHOR}")
    assert "connection to the liveness service timed out" in section.inner_text()


def _own_caller(page: Any, caller: str) -> None:
    """A caller of its own: a check that never streams holds one of the caller's open-session slots for 3 minutes
    (erasing does not free it), and the other browser tests share the default caller's two."""
    page.set_extra_http_headers({CALLER_HEADER: caller})


def _erase(page: Any, local_stack: LocalStack) -> None:
    """The check that never streamed is erased from the error, as a person would (it would stay open 3 minutes)."""
    page.get_by_role("button", name="Erase my data").click()
    page.get_by_test_id("erased").wait_for(timeout=30_000)
    after = local_stack.http.get(f"{local_stack.base_url}/sessions/{created_session(page)}/results", timeout=30)
    assert after.status_code == 404


def test_a_trusted_browser_never_sees_the_certificate_steps(page: Any, local_stack: LocalStack) -> None:
    # The same failure with the certificate accepted: the endpoint is gone (its socket is refused by the test).
    _own_caller(page, "demo-help-trusting")
    page.wait_for_function("(window.livenessDemoEvents || []).some(e => e.event === 'certificateChecked')")
    assert [event["detail"] for event in events(page) if event["event"] == "certificateChecked"] == [True]
    assert page.get_by_test_id("certificate-notice").count() == 0
    page.route_web_socket(re.compile(r".*start-face-liveness-session-websocket.*"), lambda socket: socket.close())
    page.get_by_role("button", name="Start the check").click()

    page.get_by_role("alert").wait_for(timeout=60_000)
    assert page.get_by_test_id("certificate-steps").count() == 0
    assert "certificateNotAccepted" not in [event["event"] for event in events(page)]
    _erase(page, local_stack)


STACK = {
    "apiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/api/",
    "region": "us-east-1",
    "troubleshootingUrl": "https://example.com/docs/troubleshooting.md",
}
FAKE_KEY = ("ASIAFAKEGUESTKEY0001", "fake-guest-secret", "fake-guest-session-token")
STS_ANSWER = f"""<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>{FAKE_KEY[0]}</AccessKeyId>
<SecretAccessKey>{FAKE_KEY[1]}</SecretAccessKey><SessionToken>{FAKE_KEY[2]}</SessionToken>
<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"""


def _serve_config(page: Any, auth: dict[str, str]) -> None:
    page.route(re.compile(r".*/config\.json$"), lambda route: route.fulfill(json={**STACK, "auth": auth}))
    page.reload()


def _cors(route: Any, status: int, body: str, content_type: str) -> None:
    route.fulfill(
        status=status,
        body=body,
        headers={"Content-Type": content_type, "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*"},
    )


def test_a_guest_stack_signs_each_call_with_the_basic_flow_s_credentials(page: Any) -> None:
    targets: list[str] = []

    def cognito_identity(route: Any) -> None:
        if route.request.method == "OPTIONS":
            return _cors(route, 200, "", "text/plain")
        target = route.request.headers["x-amz-target"]
        targets.append(target)
        answer = {"IdentityId": "us-east-1:guest-1"} if target.endswith("GetId") else {"Token": "open-id-token"}
        return _cors(route, 200, json.dumps(answer), "application/x-amz-json-1.1")

    assumed: list[dict[str, list[str]]] = []

    def sts(route: Any) -> None:
        assumed.append(parse_qs(route.request.post_data or ""))
        _cors(route, 200, STS_ANSWER, "text/xml")

    created: list[Any] = []

    def api(route: Any) -> None:
        if route.request.method == "OPTIONS":
            return _cors(route, 200, "", "text/plain")
        created.append(route.request)
        problem = {"type": "urn:face-liveness-api:problem:access-denied", "title": "Forbidden", "status": 403}
        return _cors(route, 403, json.dumps(problem), "application/problem+json")

    page.route("https://cognito-identity.us-east-1.amazonaws.com/", cognito_identity)
    page.route("https://sts.us-east-1.amazonaws.com/", sts)
    page.route(re.compile(r"https://abc123\.execute-api\..*"), api)
    guest = {
        "authorization": "IAM",
        "identityPoolId": "us-east-1:11111111-2222-3333-4444-555555555555",
        "guestRoleArn": "arn:aws:iam::123456789012:role/guest",
    }
    _serve_config(page, guest)
    assert page.get_by_role("heading", name="Sign in").count() == 0
    page.get_by_role("button", name="Start the check").click()

    page.get_by_role("alert").wait_for(timeout=30_000)
    assert targets == ["AWSCognitoIdentityService.GetId", "AWSCognitoIdentityService.GetOpenIdToken"]
    [form] = assumed
    assert form["RoleArn"] == [guest["guestRoleArn"]]
    assert form["WebIdentityToken"] == ["open-id-token"]
    [request] = created
    assert request.url == "https://abc123.execute-api.us-east-1.amazonaws.com/api/sessions"
    _assert_signed_by_sigv4(request)
    # The page's error links to the stack's own troubleshooting page, at the section for credentials.
    help_link = page.get_by_role("link", name=re.compile("Troubleshooting")).get_attribute("href")
    assert help_link == STACK["troubleshootingUrl"] + "#the-detector-cannot-get-credentials-or-gets-accessdenied"


def _assert_signed_by_sigv4(request: Any) -> None:
    """botocore recomputes the signature over the headers the page signed, with the same key: they agree."""
    headers = request.headers
    authorization = headers["authorization"]
    match = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=(\S+)/(\d{8})/us-east-1/execute-api/aws4_request, "
        r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
        authorization,
    )
    assert match, authorization
    assert match[1] == FAKE_KEY[0]
    assert headers["x-amz-security-token"] == FAKE_KEY[2]
    signed = {name: headers[name] for name in match[3].split(";") if name != "host"}
    aws_request = AWSRequest(method=request.method, url=request.url, data=request.post_data, headers=signed)
    aws_request.headers["host"] = "abc123.execute-api.us-east-1.amazonaws.com"
    stamp = datetime.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    aws_request.context["timestamp"] = stamp.strftime("%Y%m%dT%H%M%SZ")
    auth = SigV4Auth(Credentials(*FAKE_KEY), "execute-api", "us-east-1")
    canonical = auth.canonical_request(aws_request)
    assert auth.signature(auth.string_to_sign(aws_request, canonical), aws_request) == match[4]


@pytest.mark.parametrize("authorization", ["COGNITO", "IAM"])
def test_a_stack_of_signed_in_users_asks_for_a_sign_in_and_explains_a_wrong_password(
    page: Any, authorization: str
) -> None:
    asked: list[str] = []

    def cognito_idp(route: Any) -> None:
        if route.request.method == "OPTIONS":
            return _cors(route, 200, "", "text/plain")
        asked.append(route.request.headers["x-amz-target"])
        wrong = {"__type": "NotAuthorizedException", "message": "Incorrect username or password."}
        return _cors(route, 400, json.dumps(wrong), "application/x-amz-json-1.1")

    page.route("https://cognito-idp.us-east-1.amazonaws.com/", cognito_idp)
    signed_in_users = {
        "authorization": authorization,
        "userPoolId": "us-east-1_AbC123",
        "userPoolClientId": "1example23456789abcdefghij",
        "identityPoolId": "us-east-1:11111111-2222-3333-4444-555555555555",
    }
    _serve_config(page, signed_in_users)
    assert page.get_by_role("button", name="Start the check").count() == 0
    page.get_by_label("User name").fill("someone@example.com")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    alert = page.get_by_role("alert")
    alert.wait_for(timeout=30_000)
    assert alert.inner_text() == "The user name or password is wrong."
    assert asked == ["AWSCognitoIdentityProviderService.InitiateAuth"]
