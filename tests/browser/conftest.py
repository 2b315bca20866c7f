"""The demo in headless Chromium (Debian's `chromium`) with the real Amplify detector and a fake camera.

- The local server (`python -m liveness_local`, a subprocess as in tests/e2e) serves the API, the built demo
  (web/dist; `make test` builds it) and the streaming endpoint, each on a free port.
- Chromium is driven by Python Playwright pointed at the system binary (`CHROMIUM`, default /usr/bin/chromium);
  Playwright never downloads a browser here. Its camera is a Y4M made from tests/browser/data/face.jpg (see
  data/README.md for the picture's licence): a person who moves closer until the face fills the endpoint's default
  (strict) oval. The streaming endpoint's self-signed certificate is trusted by its SPKI hash, for this browser only
  (`untrusting_page`: not trusted, as in a browser where the person skipped accepting it).
- Without Chromium, the built demo or Playwright, every test here skips, saying what to install.
- A failing test leaves a screenshot and the page's console in test-artifacts/browser/.
- docs/demo.png (the verdict) and docs/detector.png (the detector mid-check) are taken by the live tests, when
  missing or with UPDATE_DEMO_SCREENSHOT=1 (`UPDATE_DEMO_SCREENSHOT=1 make test-browser`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import local_server

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "web" / "dist"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
FACE = Path(__file__).parent / "data" / "face.jpg"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
INSTALL_HINT = "install Chromium (Debian/Ubuntu: sudo apt-get install -y chromium) and run make test"
# Chromium's headless flags for this machine, then the fake camera and the certificate pin.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
)


def why_skip() -> str | None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).is_file():
        return f"browser test skipped: no Chromium at {CHROMIUM}; {INSTALL_HINT}"
    if not (DIST / "index.html").is_file():
        return "browser test skipped: the demo is not built (make web)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser test skipped: Python Playwright is missing (make install)"
    return None


VERDICT_TIMEOUT_MS = 90_000
DOCS = ROOT / "docs"
# The detector's own hints while its oval is on screen (amplify-ui's displayText): the check is under way.
MID_CHECK_HINT = re.compile(r"Move closer|Keep moving closer|Hold still")


def picture_for_docs(page: Any, name: str, height: int) -> None:
    """Keep docs/<name> in step with the page: written when missing, or when UPDATE_DEMO_SCREENSHOT is set."""
    path = DOCS / name
    if os.environ.get("UPDATE_DEMO_SCREENSHOT") or not path.exists():
        page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": 900, "height": height})


def events(page: Any) -> list[dict[str, Any]]:
    """What the page recorded (`window.livenessDemoEvents`), in order."""
    recorded: list[dict[str, Any]] = page.evaluate("window.livenessDemoEvents || []")
    return recorded


def created_session(page: Any) -> str:
    [created] = [event for event in events(page) if event["event"] == "sessionCreated"]
    return str(created["detail"])


def wait_for_event(page: Any, name: str) -> None:
    """Wait until the page records `name`, or gives up (a detector error, or a check that could not start)."""
    page.wait_for_function(
        f"(window.livenessDemoEvents || []).some(e => [{json.dumps(name)}, 'detectorError', 'startError']"
        ".includes(e.event))",
        timeout=VERDICT_TIMEOUT_MS,
    )
    names = [event["event"] for event in events(page)]
    assert name in names, f"the page recorded {events(page)}"


@dataclass
class LocalStack:
    base_url: str
    streaming_url: str
    spki: str
    log: Path
    http: requests.Session

    def control(self, path: str, payload: Any = None) -> requests.Response:
        return self.http.post(f"{self.base_url}/_local{path}", json=payload, timeout=30)

    def images(self, session_id: str) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.base_url}/_local/sessions/{session_id}/images", timeout=30)
        response.raise_for_status()
        objects: list[dict[str, Any]] = response.json()["objects"]
        return objects


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    reason = why_skip()
    if reason:
        pytest.skip(reason)
    log_path = tmp_path_factory.mktemp("browser-server") / "server.log"
    env = {"LIVENESS_STREAM_RECORD_DIR": os.environ["RECORD_FRAMES"]} if os.environ.get("RECORD_FRAMES") else None
    ready = (r"listening on (http://\S+)", r"on (wss://\S+) ", r"SPKI sha256 ([A-Za-z0-9+/=]+)")
    with local_server(log_path, "--streaming-port", "0", ready=ready, env=env) as (base_url, streaming_url, spki):
        http = requests.Session()
        try:
            yield LocalStack(base_url, streaming_url, spki, log=log_path, http=http)
        finally:
            http.close()


@pytest.fixture(scope="session")
def fake_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.browser.y4m import write_approaching_y4m

    # The streaming endpoint's default (strict) oval needs a face that comes closer, as a person's does.
    return write_approaching_y4m(FACE, tmp_path_factory.mktemp("camera") / "face.y4m")


@pytest.fixture(scope="session")
def still_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.browser.y4m import write_y4m

    return write_y4m(FACE, tmp_path_factory.mktemp("still-camera") / "still.y4m")


@pytest.fixture
def page(local_stack: LocalStack, fake_camera: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from _browser_page(local_stack, fake_camera, request)


@pytest.fixture
def still_page(local_stack: LocalStack, still_camera: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The demo with a camera whose face never moves: it cannot fill the strict oval."""
    yield from _browser_page(local_stack, still_camera, request)


@pytest.fixture
def untrusting_page(local_stack: LocalStack, fake_camera: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The demo in a browser that was never told to accept the streaming endpoint's certificate."""
    yield from _browser_page(local_stack, fake_camera, request, trust_certificate=False)


def _browser_page(
    local_stack: LocalStack, fake_camera: Path, request: pytest.FixtureRequest, *, trust_certificate: bool = True
) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    console: list[str] = []
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    flags = [*CHROMIUM_FLAGS, f"--use-file-for-fake-video-capture={fake_camera}"]
    if trust_certificate:
        flags.append(f"--ignore-certificate-errors-spki-list={local_stack.spki}")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=flags, viewport={"width": 900, "height": 820}
        )
        try:
            browser_page = context.new_page()
            browser_page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            browser_page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
            browser_page.goto(local_stack.base_url + "/")
            yield browser_page
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                browser_page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
                (ARTIFACTS / f"{request.node.name}.console.txt").write_text("\n".join(console))
                shutil.copy(local_stack.log, ARTIFACTS / f"{request.node.name}.server.log")
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
