"""`make local`, `synth`, `diff`, `deploy` and `preflight` hand ARGS to the command they run, as the README shows
(`make local ARGS="-c authorization=COGNITO --port 3100"`); CI's deploy turns cdk's approval prompt off."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
ARGS = "-c authorization=COGNITO --port 3100"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def planned(*make_args: str) -> list[str]:
    """The commands `make -n` would run (none is run)."""
    result = subprocess.run(["make", "-n", *make_args], cwd=REPO, capture_output=True, text=True, check=True)
    return result.stdout.splitlines()


@pytest.mark.parametrize(
    ("target", "command"),
    [
        ("local", "-m liveness_local"),
        ("synth", "cdk synth --quiet"),
        ("diff", "cdk diff"),
        ("deploy", "cdk deploy"),
        ("preflight", "-m tools.preflight"),
    ],
)
def test_each_target_passes_args_to_its_command(target: str, command: str) -> None:
    lines = [line for line in planned(target, f"ARGS={ARGS}") if command in line]

    assert lines, f"make {target} runs no {command}"
    assert all(ARGS in line for line in lines)


def test_deploy_asks_before_broadening_unless_ci_says_never() -> None:
    (default,) = [line for line in planned("deploy") if "cdk deploy" in line]
    (ci,) = [line for line in planned("deploy", "APPROVAL=never") if "cdk deploy" in line]

    assert "--require-approval broadening" in default
    assert "--require-approval never" in ci
