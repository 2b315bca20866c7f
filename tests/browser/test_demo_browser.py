"""The demo page with the real Amplify detector in headless Chromium, against `make local`'s server.

Each test clicks through the page as a person would; the fake camera shows a still face, which passes the local
streaming endpoint's lenient oval, and the scripted outcome decides the verdict.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.browser.conftest import LocalStack, created_session, events, wait_for_event


def test_a_live_check_shows_live_and_erasing_removes_the_images(page: Any, local_stack: LocalStack) -> None:
    page.get_by_role("button", name="Start the check").click()

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
