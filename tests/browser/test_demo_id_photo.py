"""The demo's "verify against an ID photo" in headless Chromium: the person picks a photo, the page creates the check
with a DOCUMENT match, uploads the photo with the presigned POST to the twin's S3 POST Object (another origin, as
S3 is), runs the real detector, and shows the verdict and the match in words.

The emulator cannot see faces: by default a session's ID photo shows its own live face (MATCH); the page's local
choice "Someone else" scripts the session's document face through `POST /_local/sessions/{id}/faces` (NO_MATCH).
"""

from __future__ import annotations

import re
from typing import Any

from tests.browser.conftest import FACE, LocalStack, created_session, events, picture_for_docs, wait_for_event


def _start_with_the_id_photo(page: Any, whose_face: str | None = None) -> None:
    page.get_by_role("checkbox", name="Verify against an ID photo").check()
    page.get_by_label(re.compile("^ID photo")).set_input_files(str(FACE))
    if whose_face is not None:
        page.get_by_label(whose_face).check()
    page.get_by_role("button", name="Start the check").click()
    wait_for_event(page, "verdict")


def _results(local_stack: LocalStack, session_id: str) -> dict[str, Any]:
    response = local_stack.http.get(f"{local_stack.base_url}/sessions/{session_id}/results", timeout=30)
    assert response.status_code == 200, response.text
    results: dict[str, Any] = response.json()
    return results


def test_an_id_photo_of_the_live_face_matches_and_erasing_removes_it(page: Any, local_stack: LocalStack) -> None:
    _start_with_the_id_photo(page)

    session_id = created_session(page)
    assert "documentUploaded" in [event["event"] for event in events(page)]
    assert page.get_by_test_id("verdict").locator("strong").inner_text() == "LIVE"
    match = page.get_by_test_id("match")
    assert match.locator("strong").inner_text() == "ID photo: MATCH"
    assert "matches the face on the ID photo" in match.inner_text()
    results = _results(local_stack, session_id)
    assert results["decision"] == "LIVE"
    assert results["match"]["outcome"] == "MATCH"
    assert results["match"]["similarity"] >= results["match"]["threshold"]
    stored = [item["key"] for item in local_stack.images(session_id) if not item["deleteMarker"]]
    assert any(key.endswith(f"{session_id}/document") for key in stored), stored
    picture_for_docs(page, "demo.png", height=560)

    page.get_by_role("button", name="Erase my data").click()

    page.get_by_test_id("erased").wait_for(timeout=30_000)
    assert local_stack.images(session_id) == []


def test_an_id_photo_of_someone_else_does_not_match(page: Any, local_stack: LocalStack) -> None:
    _start_with_the_id_photo(page, whose_face="Someone else (NO_MATCH)")

    assert page.get_by_test_id("verdict").locator("strong").inner_text() == "LIVE"
    match = page.get_by_test_id("match")
    assert match.locator("strong").inner_text() == "ID photo: NO_MATCH"
    assert "does not match the face on the ID photo" in match.inner_text()
    results = _results(local_stack, created_session(page))
    assert results["match"]["outcome"] == "NO_MATCH"
    assert results["match"]["similarity"] < results["match"]["threshold"]
