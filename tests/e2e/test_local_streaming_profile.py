"""`python -m liveness_local -c localStreaming=...` picks the streaming endpoint's settings: strict by default (what
the service sends), lenient on request (a still face passes). Over the real socket of a real server process."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from websockets.sync.client import connect

from liveness_local import eventstream
from liveness_local.streaming import PATH
from tests.e2e.conftest import local_server

READY = (r"listening on (http://\S+)", r"on (wss://\S+) ")


def _oval_width(base_url: str, streaming_url: str) -> int:
    created = requests.post(f"{base_url}/sessions", json={}, timeout=30)
    assert created.status_code == 201, created.text
    query = urlencode(
        {
            "session-id": created.json()["sessionId"],
            "video-width": "640",
            "video-height": "480",
            "challenge-versions": "FaceMovementAndLightChallenge_2.0.0",
        }
    )
    # The server's certificate is made fresh at its start: this test trusts it as the browser test does, blindly.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with connect(f"{streaming_url}{PATH}?{query}", ssl=context, open_timeout=10) as connection:
        message = eventstream.decode_one(connection.recv(timeout=10))  # type: ignore[arg-type]
    [body] = json.loads(message.payload)["SessionInformation"]["Challenge"].values()
    width: int = body["OvalParameters"]["Width"]
    return width


@pytest.mark.parametrize(("arguments", "width"), [((), 288), (("-c", "localStreaming=lenient"), 198)])
def test_the_knob_picks_the_streaming_settings(tmp_path: Path, arguments: tuple[str, ...], width: int) -> None:
    with local_server(tmp_path / "server.log", "--streaming-port", "0", *arguments, ready=READY) as (base, wss):
        assert _oval_width(base, wss) == width
