"""The demo web app (web/, built into web/dist by `make local`), served by the local server beside the API.

    GET /              the page
    GET /config.json   its settings: the API's URL (this server, as the browser named it), the region and the
                       streaming endpoint (`config.endpointOverride`)
    GET /assets/...    the bundle, the tfjs wasm binaries and the face model, all from the build: no CDN

Only GET and HEAD of these paths; everything else stays the API's. When web/dist is missing the page says how
to build it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from liveness_local.gateway import HttpRequest, HttpResponse

WEB_DIST: Final = Path(__file__).resolve().parent.parent / "web" / "dist"
CONTENT_TYPES: Final[Mapping[str, str]] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
    # tfjs streams the wasm binaries: browsers insist on this type (amplify-ui #5490).
    ".wasm": "application/wasm",
    ".bin": "application/octet-stream",
}
_PAGES: Final = frozenset({"/", "/index.html", "/config.json", "/build.json"})
_HOST: Final = re.compile(r"^[A-Za-z0-9.\[\]:-]{1,255}$")
_ASSET: Final = re.compile(r"^/assets/[A-Za-z0-9._/-]+$")
_NOT_BUILT: Final = (
    b"<!doctype html><title>Demo not built</title><h1>The demo is not built</h1>"
    b"<p>Run <code>make local</code> (it builds web/dist when missing or stale), or <code>make web</code>.</p>"
)


class DemoSite:
    def __init__(self, root: Path = WEB_DIST) -> None:
        self.root = root

    def handles(self, request: HttpRequest) -> bool:
        path = request.target.split("?", 1)[0]
        return request.method in ("GET", "HEAD") and (path in _PAGES or bool(_ASSET.match(path)))

    def respond(self, request: HttpRequest, settings: Mapping[str, Any]) -> HttpResponse:
        path = request.target.split("?", 1)[0]
        if path == "/config.json":
            body = json.dumps({"apiUrl": _origin(request), **settings}).encode()
            return _ok(body, CONTENT_TYPES[".json"])
        relative = "index.html" if path == "/" else path.lstrip("/")
        file = (self.root / relative).resolve()
        if not file.is_relative_to(self.root.resolve()) or ".." in relative.split("/") or not file.is_file():
            if relative == "index.html":
                return HttpResponse(503, (("Content-Type", CONTENT_TYPES[".html"]),), _NOT_BUILT)
            return HttpResponse(404, (("Content-Type", "text/plain; charset=utf-8"),), b"Not found\n")
        return _ok(file.read_bytes(), CONTENT_TYPES.get(file.suffix, "application/octet-stream"))


def _origin(request: HttpRequest) -> str:
    """The API's URL as the browser reached this server (127.0.0.1 or localhost): same origin, no CORS."""
    host = request.header("Host") or ""
    return f"http://{host}" if _HOST.match(host) else "http://127.0.0.1"


def _ok(body: bytes, content_type: str) -> HttpResponse:
    headers = (
        ("Content-Type", content_type),
        ("Cache-Control", "no-cache"),
        ("X-Content-Type-Options", "nosniff"),
    )
    return HttpResponse(200, headers, body)
