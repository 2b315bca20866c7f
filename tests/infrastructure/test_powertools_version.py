"""The Powertools the function gets in Lambda (the published layer) is the version the tests run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import aws_lambda_powertools

from infra.config import LAMBDA_PYTHON_VERSION, POWERTOOLS_VERSION, powertools_layer_parameter

if TYPE_CHECKING:
    from tests.infrastructure.conftest import Synth

REQUIREMENTS_DEV = Path(__file__).resolve().parents[2] / "requirements-dev.txt"


def layer_parameter(synth: Synth) -> str:
    """The SSM parameter path the function's only layer is resolved from at deploy time."""
    layers = synth.only("AWS::Lambda::Function")["Properties"]["Layers"]
    assert len(layers) == 1
    parameter = synth.json["Parameters"][layers[0]["Ref"]]
    assert parameter["Type"] == "AWS::SSM::Parameter::Value<String>"
    return str(parameter["Default"])


def pinned_powertools() -> str:
    pins: list[str] = re.findall(
        r"^aws-lambda-powertools(?:\[[^\]]*\])?==(\S+)", REQUIREMENTS_DEV.read_text(), re.MULTILINE
    )
    assert len(pins) == 1, "requirements-dev.txt must pin aws-lambda-powertools exactly once"
    return pins[0]


def test_deployed_layer_is_the_tested_version(synth: Synth) -> None:
    path = layer_parameter(synth)
    assert path == powertools_layer_parameter()
    assert path.startswith("/aws/service/powertools/python/")
    assert path.endswith(f"/{POWERTOOLS_VERSION}")
    assert aws_lambda_powertools.__version__ == POWERTOOLS_VERSION, "installed Powertools differs from the layer"
    assert pinned_powertools() == POWERTOOLS_VERSION, "requirements-dev.txt pins another Powertools"


def test_layer_matches_runtime_and_architecture(synth: Synth) -> None:
    path = layer_parameter(synth).split("/")
    function = synth.only("AWS::Lambda::Function")["Properties"]
    assert function["Architectures"] == ["arm64"]
    assert "arm64" in path
    assert function["Runtime"] == f"python{LAMBDA_PYTHON_VERSION}"
    assert f"python{LAMBDA_PYTHON_VERSION}" in path
