"""The demo page with the real Amplify detector in headless Chromium, against `make local`'s server.

Each test clicks through the page as a person would; the fake camera shows a face that starts at arm's length and
comes closer until it fills the oval the local streaming endpoint sends by default (the service's), and the scripted
outcome decides the verdict.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import (
    MID_CHECK_HINT,
    VERDICT_TIMEOUT_MS,
    LocalStack,
    created_session,
    events,
    picture_for_docs,
    wait_for_event,
)


def test_a_live_check_shows_live_and_erasing_removes_the_images(page: Any, local_stack: LocalStack) -> None:
    page.get_by_role("button", name="Start the check").click()

    # Mid-check: the detector's oval and its hint, as a person sees them.
    page.get_by_text(MID_CHECK_HINT).first.wait_for(timeout=VERDICT_TIMEOUT_MS)
    picture_for_docs(page, "detector.png", height=820)
    wait_for_event(page, "verdict")
    assert "analysisComplete" in [event["event"] for event in events(page)]
    verdict = page.get_by_test_id("verdict")
    assert verdict.locator("strong").inner_text() == "LIVE"
    session_id = created_session(page)
    results = local_stack.http.get(f"{local_stack.base_url}/sessions/{session_id}/results", timeout=30).json()
    assert results["decision"] == "LIVE"
    stored = [item["key"] for item in local_stack.images(session_id) if not item["deleteMarker"]]
    assert any(key.endswith(f"{session_id}/reference.jpg") for key in stored), stored

    page.get_by_role("button", name="Erase my data").click()

    page.get_by_test_id("erased").wait_for(timeout=30_000)
    assert local_stack.images(session_id) == []
    after = local_stack.http.get(f"{local_stack.base_url}/sessions/{session_id}/results", timeout=30)
    assert after.status_code == 404


def test_a_scripted_spoof_shows_not_live(page: Any, local_stack: LocalStack) -> None:
    page.get_by_label("A spoof (NOT_LIVE)").check()
    page.get_by_role("button", name="Start the check").click()

    wait_for_event(page, "verdict")
    assert page.get_by_test_id("verdict").locator("strong").inner_text() == "NOT_LIVE"
    results = local_stack.http.get(
        f"{local_stack.base_url}/sessions/{created_session(page)}/results", timeout=30
    ).json()
    assert results["decision"] == "NOT_LIVE"


def test_streaming_to_an_expired_session_shows_the_detector_s_error(page: Any, local_stack: LocalStack) -> None:
    def expire_before_the_page_sees_it(route: Any) -> None:
        response = route.fetch()
        session_id = response.json()["sessionId"]
        assert local_stack.control(f"/sessions/{session_id}/expire").status_code == 204
        route.fulfill(response=response)

    page.route(re.compile(r".*/sessions$"), expire_before_the_page_sees_it)
    page.get_by_role("button", name="Start the check").click()

    wait_for_event(page, "detectorError")
    [error] = [event["detail"] for event in events(page) if event["event"] == "detectorError"]
    assert error["name"] == "SessionNotFoundException", error
    assert "expired" in page.get_by_role("alert").inner_text()
    assert "analysisComplete" not in [event["event"] for event in events(page)]


@dataclass
class _Relay:
    """What the detector sent on its streaming socket, and the codes it closed it with."""

    sent: list[bytes] = field(default_factory=list)
    closes: list[int | None] = field(default_factory=list)


def _relay_stream(page: Any, on_sent: Callable[[str, int], None] | None = None) -> _Relay:
    """Pass the detector's socket through, recording it; `on_sent(session_id, count)` runs before each message
    reaches the endpoint."""
    relay = _Relay()

    def route(socket: Any) -> None:
        server = socket.connect_to_server()
        session_id = parse_qs(urlsplit(socket.url).query)["session-id"][0]

        def forward(message: str | bytes) -> None:
            relay.sent.append(message.encode() if isinstance(message, str) else message)
            if on_sent is not None:
                on_sent(session_id, len(relay.sent))
            server.send(message)

        def closed(code: int | None, reason: str | None) -> None:
            relay.closes.append(code)
            server.close(code=code, reason=reason)

        socket.on_message(forward)
        socket.on_close(closed)

    page.route_web_socket(re.compile(r".*start-face-liveness-session-websocket.*"), route)
    return relay


def test_a_session_that_expires_while_the_browser_streams_shows_the_expired_wording(
    page: Any, local_stack: LocalStack
) -> None:
    def expire_once_video_flows(session_id: str, count: int) -> None:
        if count == 2:  # the detector is recording: the session is IN_PROGRESS
            assert local_stack.control(f"/sessions/{session_id}/expire").status_code == 204

    relay = _relay_stream(page, expire_once_video_flows)
    page.get_by_role("button", name="Start the check").click()

    wait_for_event(page, "detectorError")
    [error] = [event["detail"] for event in events(page) if event["event"] == "detectorError"]
    assert error["name"] == "SessionNotFoundException", error
    assert len(relay.sent) >= 2
    assert "expired" in page.get_by_role("alert").inner_text()
    results = local_stack.http.get(
        f"{local_stack.base_url}/sessions/{created_session(page)}/results", timeout=30
    ).json()
    assert results["decision"] == "EXPIRED"


def test_a_face_that_never_fills_the_oval_times_out_and_its_session_is_failed(
    still_page: Any, local_stack: LocalStack
) -> None:
    relay = _relay_stream(still_page)
    still_page.get_by_role("button", name="Start the check").click()

    wait_for_event(still_page, "detectorError")
    [error] = [event["detail"] for event in events(still_page) if event["event"] == "detectorError"]
    assert error["state"] == "TIMEOUT", error
    url = f"{local_stack.base_url}/sessions/{created_session(still_page)}/results"
    deadline = time.monotonic() + 10
    results: dict[str, Any] = {}
    while results.get("decision") != "FAILED" and time.monotonic() < deadline:
        results = local_stack.http.get(url, timeout=30).json()
        time.sleep(0.2)
    assert results.get("decision") == "FAILED", results
    # The pinned detector closes with 4001 on an oval-fit timeout and sends no close-code message first.
    assert relay.closes == [4001]
    assert relay.sent, "the detector streamed nothing"
    assert not [message for message in relay.sent if b"closeCode" in message]


def test_the_page_is_usable_by_keyboard_and_on_a_phone(page: Any) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    start = page.get_by_role("button", name="Start the check")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.textContent") == "Start the check":
            break
    else:
        pytest.fail("Start the check cannot be reached with Tab")
    assert start.bounding_box()["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # Every radio has a label; the outcome group has a legend.
    assert page.get_by_role("group", name=re.compile("what should the emulated check decide")).count() == 1
    assert page.get_by_role("radio").count() == 3
    # The ID photo is a labelled choice, its file picker too once chosen.
    page.get_by_role("checkbox", name="Verify against an ID photo").check()
    assert page.get_by_label(re.compile("^ID photo")).get_attribute("type") == "file"
    assert page.get_by_role("group", name=re.compile("whose face should the emulated ID photo show")).count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_throttled_api_is_explained_with_its_wait(page: Any, local_stack: LocalStack) -> None:
    # Every attempt botocore makes is throttled: the API answers 429 `throttled` with Retry-After.
    fault = {"code": "ThrottlingException", "times": 3, "operation": "CreateFaceLivenessSession"}
    assert local_stack.control("/faults", fault).status_code == 204
    page.get_by_role("button", name="Start the check").click()

    alert = page.get_by_role("alert")
    alert.wait_for(timeout=30_000)
    assert re.search(r"busy right now\. Please wait \d+ seconds?", alert.inner_text()), alert.inner_text()


def test_a_cool_down_says_how_long_to_wait(page: Any) -> None:
    problem = {
        "type": "urn:face-liveness-api:problem:too-many-failed-checks",
        "title": "Too many failed liveness checks",
        "status": 429,
        "detail": "Too many failed checks.",
        "requestId": "test",
    }
    page.route(
        re.compile(r".*/sessions$"),
        lambda route: route.fulfill(
            status=429,
            headers={"Content-Type": "application/problem+json", "Retry-After": "1800"},
            body=json.dumps(problem),
        ),
    )
    page.get_by_role("button", name="Start the check").click()

    alert = page.get_by_role("alert")
    alert.wait_for(timeout=30_000)
    assert "new checks are paused" in alert.inner_text()
    assert "30 minutes" in alert.inner_text()
    # Every error links to the troubleshooting page, at the section that explains it.
    help_link = page.get_by_role("link", name=re.compile("Troubleshooting")).get_attribute("href")
    assert help_link.endswith("/assets/troubleshooting.html#429-too-many-failed-checks-a-cool-down"), help_link
