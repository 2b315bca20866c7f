"""`python -m liveness_local` (and so `make local`) tells a bad knob, a bad value or a busy port in a line that says
how to fix it, never a traceback; and the README's `-c authorization=COGNITO` works without naming an origin."""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from liveness_local.server import bind_problem, config_with_context


def run_local(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "liveness_local", *args], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-c", "identityPol=guest"), "error: identityPol is not a knob of this stack: did you mean identityPool?"),
        (("-c", "waf=yes"), "error: waf=yes is not allowed; waf takes true, false or auto"),
        (("-c", "identityPool"), "error: -c takes KEY=VALUE (e.g. -c authorization=COGNITO), not 'identityPool'"),
    ],
)
def test_a_bad_knob_is_one_line_with_its_fix(args: tuple[str, ...], message: str) -> None:
    result = run_local(*args)

    assert (result.returncode, result.stderr) == (2, message + "\n")


def test_a_busy_port_is_one_line_naming_the_option_to_change(busy_port: int) -> None:
    result = run_local("--port", str(busy_port))

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: port {busy_port} is already in use (another `make local`?): stop what holds it (`lsof -i "
        f':{busy_port}` shows it), or pick another port with --port N (make local ARGS="--port N")'
    ]


def test_other_bind_failures_name_the_port_and_option() -> None:
    privileged = bind_problem(OSError(errno.EACCES, "Permission denied"), 80, "--port")
    other = bind_problem(OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"), 3001, "--streaming-port")

    assert str(privileged) == "port 80 needs privileges: pick one above 1023 with --port N"
    assert (
        str(other)
        == "cannot listen on port 3001: Cannot assign requested address; pick another with --streaming-port N"
    )


def test_a_browser_mode_gets_the_servers_own_origin_unless_one_is_named() -> None:
    cognito = config_with_context(["authorization=COGNITO"], 3100)
    named = config_with_context(["identityPool=guest", "corsAllowedOrigins=https://app.example.com"], 3100)
    plain = config_with_context(["livenessThreshold=80"], 3100)

    assert (cognito.caller_mode, cognito.cors_allowed_origins) == ("user-pool", ("http://localhost:3100",))
    assert named.cors_allowed_origins == ("https://app.example.com",)
    assert (plain.caller_mode, plain.cors_allowed_origins, plain.liveness_threshold) == ("iam", (), 80)
