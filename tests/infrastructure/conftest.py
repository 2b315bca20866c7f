"""Synthesizes the stack once per test session (jsii starts in about 4 s; each synth costs well under 1 s).

`default` is cdk.json as committed. `variant` turns on every optional path at once: SnapStart, CORS with one
origin, removalPolicy=destroy, an allow-list of invoking principals and a reserved concurrency, under another stack
name, with a function of another size and timeout. `combos` is every combination of the caller-mode knobs
(authorization x identityPool x waf), each synthesized when a test first asks for it.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, CfnElement, Stack
from aws_cdk.assertions import Template
from constructs import IConstruct

from infra.app_factory import build_app
from infra.config import StackConfig
from infra.stack import FaceLivenessStack

VARIANT_CONTEXT: dict[str, Any] = {
    "stackName": "FaceLivenessVariant",
    "snapStart": True,
    "corsAllowedOrigins": ["https://app.example.com"],
    "removalPolicy": "destroy",
    "allowedPrincipalArns": [
        "arn:aws:iam::123456789012:role/liveness-backend",
        "arn:aws:iam::210987654321:user/ops/alice",
    ],
    # A reservation, which the default leaves off, on an account large enough for it.
    "reservedConcurrency": "auto",
    "accountConcurrency": 2000,
    "lambdaTimeoutSeconds": 20,
    "lambdaMemoryMb": 1024,
}
ORIGIN = "https://app.example.com"
# The constructs whose resources `Synth.only` leaves out (construct ids in infra/stack.py).
BACKGROUND_CONSTRUCTS = ("Settlement", "Events")
AUTHORIZATIONS = ("IAM", "COGNITO")
IDENTITY_POOLS = ("off", "authenticated", "guest")
Combo = tuple[str, str, bool]
COMBOS: list[Combo] = list(itertools.product(AUTHORIZATIONS, IDENTITY_POOLS, (True, False)))


@dataclass(frozen=True)
class Synth:
    app: App
    stack: FaceLivenessStack
    template: Template
    template_path: Path
    outdir: Path

    @property
    def config(self) -> StackConfig:
        return self.stack.config

    @property
    def json(self) -> dict[str, Any]:
        return dict(self.template.to_json())

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: dict(value) for key, value in self.template.find_resources(resource_type).items()}

    def api_resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """The resources of the type that serve the API, without settlement's and events' (tested in
        test_infra_events.py), which have functions, roles, queues and secrets of their own."""
        background = {
            self.stack.get_logical_id(element)
            for part in BACKGROUND_CONSTRUCTS
            for element in self.stack.node.find_child(part).node.find_all()
            if isinstance(element, CfnElement)
        }
        return {key: value for key, value in self.resources(resource_type).items() if key not in background}

    def only(self, resource_type: str) -> dict[str, Any]:
        """The API's one resource of the type (`api_resources`)."""
        found = list(self.api_resources(resource_type).values())
        assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
        return found[0]

    def logical_id(self, construct: IConstruct) -> str:
        element = construct if isinstance(construct, CfnElement) else construct.node.default_child
        return Stack.of(construct).get_logical_id(element)  # type: ignore[arg-type]

    def ref(self, construct: IConstruct) -> dict[str, str]:
        return {"Ref": self.logical_id(construct)}

    def arn(self, construct: IConstruct) -> dict[str, list[str]]:
        return {"Fn::GetAtt": [self.logical_id(construct), "Arn"]}


def synthesize(context: dict[str, Any] | None, outdir: Path) -> Synth:
    """Synthesize as `cdk synth` does: this runs the cdk-nag validation plugin, so a finding fails here."""
    app, stack = build_app(context, outdir=str(outdir))
    assembly = app.synth()
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    template_path = outdir / artifact.template_file
    return Synth(app, stack, Template.from_json(json.loads(template_path.read_text())), template_path, outdir)


@pytest.fixture(scope="session")
def default(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(None, tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize(VARIANT_CONTEXT, tmp_path_factory.mktemp("cdk-variant"))


@pytest.fixture(scope="session", params=["default", "variant"])
def synth(request: pytest.FixtureRequest) -> Synth:
    """Both configurations, for properties that must hold whatever the knobs say."""
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def combo_context(authorization: str, identity_pool: str, waf: bool) -> dict[str, Any]:
    context: dict[str, Any] = {"authorization": authorization, "identityPool": identity_pool, "waf": waf}
    if authorization == "COGNITO" or identity_pool != "off":
        context["corsAllowedOrigins"] = [ORIGIN]
    return context


def combo_id(combo: Combo) -> str:
    authorization, identity_pool, waf = combo
    return f"{authorization}-{identity_pool}-{'waf' if waf else 'nowaf'}"


class Combos:
    """Each caller-mode combination, synthesized once when a test first asks for it."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp_path_factory = tmp_path_factory
        self._built: dict[Combo, Synth] = {}

    def __getitem__(self, combo: Combo) -> Synth:
        if combo not in self._built:
            outdir = self._tmp_path_factory.mktemp(combo_id(combo))
            self._built[combo] = synthesize(combo_context(*combo), outdir)
        return self._built[combo]


@pytest.fixture(scope="session")
def combos(tmp_path_factory: pytest.TempPathFactory) -> Combos:
    return Combos(tmp_path_factory)
