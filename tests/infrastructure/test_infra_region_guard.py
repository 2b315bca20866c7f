"""Face Liveness exists in a few regions only: the app refuses others unless told AWS has added them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.app_factory import build_app
from infra.config import FACE_LIVENESS_REGIONS, ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_unlisted_region_is_refused_with_the_allowed_list() -> None:
    with pytest.raises(ConfigError) as error:
        build_app({"region": "eu-central-1"})
    message = str(error.value)
    assert "eu-central-1" in message
    assert all(region in message for region in FACE_LIVENESS_REGIONS)
    assert "allowUnlistedRegion" in message


def test_unlisted_region_synthesizes_when_allowed(tmp_path: Path) -> None:
    app, stack = build_app({"region": "eu-central-1", "allowUnlistedRegion": True}, outdir=str(tmp_path))
    app.synth()
    assert stack.region == "eu-central-1"
    template = json.loads((tmp_path / f"{stack.stack_name}.template.json").read_text())
    assert template["Outputs"]["Region"]["Value"] == "eu-central-1"


def test_app_py_prints_the_config_error_without_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"region": "eu-central-1"}),
        "CDK_OUTDIR": str(tmp_path),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": os.environ.get(
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"
        ),
    }
    result = subprocess.run(
        [sys.executable, "app.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1
    assert "eu-central-1" in result.stderr
    assert "us-east-1" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.template.json"))
