"""The demo page words a failed check's feedback as a sentence and a retry hint, with the real detector streaming to
the local endpoint; the feedback is scripted on the session before the page sees it."""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import LocalStack, wait_for_event


def test_a_spoof_in_low_light_tells_the_person_to_find_better_lighting(page: Any, local_stack: LocalStack) -> None:
    def script_low_light(route: Any) -> None:
        response = route.fetch()
        session_id = response.json()["sessionId"]
        script = {"feedback": [{"code": "LOW_LIGHTING_DETECTED"}]}
        assert local_stack.control(f"/sessions/{session_id}/feedback", script).status_code == 204
        route.fulfill(response=response)

    page.route(re.compile(r".*/sessions$"), script_low_light)
    page.get_by_label("A spoof (NOT_LIVE)").check()
    page.get_by_role("button", name="Start the check").click()

    wait_for_event(page, "verdict")
    verdict = page.get_by_test_id("verdict")
    assert verdict.locator("strong").inner_text() == "NOT_LIVE"
    [item] = verdict.get_by_test_id("feedback").locator("li").all()
    assert item.get_attribute("data-code") == "LOW_LIGHTING_DETECTED"
    assert "Find better lighting and try again." in item.inner_text()
