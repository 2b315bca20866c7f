"""The demo site's routes: the page, its settings, assets with the types browsers insist on, and nothing else."""

import json
from pathlib import Path

import pytest

from liveness_local.demo_site import DemoSite
from liveness_local.gateway import HttpRequest


def _get(target: str, host: str = "127.0.0.1:3000", method: str = "GET") -> HttpRequest:
    return HttpRequest(method, target, (("Host", host),), b"")


@pytest.fixture
def site(tmp_path: Path) -> DemoSite:
    (tmp_path / "assets" / "tfjs").mkdir(parents=True)
    (tmp_path / "index.html").write_text("<!doctype html><title>demo</title>")
    (tmp_path / "assets" / "tfjs" / "tfjs-backend-wasm.wasm").write_bytes(b"\0asm")
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    return DemoSite(tmp_path)


def test_the_page_and_its_assets_are_served_with_their_types(site: DemoSite) -> None:
    page = site.respond(_get("/"), {})
    wasm = site.respond(_get("/assets/tfjs/tfjs-backend-wasm.wasm"), {})
    script = site.respond(_get("/assets/app.js?v=1"), {})

    assert (page.status, page.header("Content-Type")) == (200, "text/html; charset=utf-8")
    assert (wasm.status, wasm.header("Content-Type"), wasm.body) == (200, "application/wasm", b"\0asm")
    assert script.header("Content-Type") == "text/javascript; charset=utf-8"
    assert script.header("X-Content-Type-Options") == "nosniff"


def test_config_json_names_the_api_as_the_browser_reached_it(site: DemoSite) -> None:
    settings = {"region": "us-east-1", "streamingEndpoint": "wss://127.0.0.1:3001", "localControls": True}

    config = json.loads(site.respond(_get("/config.json", host="localhost:3000"), settings).body)
    odd = json.loads(site.respond(_get("/config.json", host="evil.example/<script>"), settings).body)

    assert config == {"apiUrl": "http://localhost:3000", **settings}
    assert odd["apiUrl"] == "http://127.0.0.1"


def test_only_reads_of_its_own_paths_are_the_site_s(site: DemoSite) -> None:
    assert site.handles(_get("/"))
    assert site.handles(_get("/assets/model/model.json"))
    assert site.handles(_get("/config.json", method="HEAD"))
    assert not site.handles(_get("/sessions"))
    assert not site.handles(_get("/openapi.json"))
    assert not site.handles(HttpRequest("POST", "/", (), b""))
    assert not site.handles(_get("/assets/%2e%2e/secret"))


def test_nothing_outside_the_build_is_served(site: DemoSite, tmp_path: Path) -> None:
    (tmp_path.parent / "secret.txt").write_text("no")
    assert site.respond(_get("/assets/../../secret.txt"), {}).status == 404
    assert site.respond(_get("/assets/missing.js"), {}).status == 404


def test_an_unbuilt_demo_says_how_to_build_it(tmp_path: Path) -> None:
    answer = DemoSite(tmp_path / "dist").respond(_get("/"), {})
    assert answer.status == 503
    assert b"make local" in answer.body
