"""Builds the CDK app: context, typed config, the stack and cdk-nag. Shared by app.py and the tests."""

from __future__ import annotations

import json
import os
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.config import CDK_JSON, load_context
from infra.nag import acknowledge_findings
from infra.stack import FaceLivenessStack


def cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def build_app(
    context: dict[str, Any] | None = None, outdir: str | None = None, *, acknowledge: bool = True
) -> tuple[App, FaceLivenessStack]:
    """The app as `cdk synth` builds it. cdk.json's context (feature flags included) is the base, so running
    `python app.py` or a test gives the same template as the CLI; `context` overrides it, and the CLI's own
    context (CDK_CONTEXT_JSON: cdk.json plus `-c` values) overrides both. Raises ConfigError on a bad config.

    `acknowledge=False` leaves out infra/nag.py's acknowledgements, so tests can check that each one is needed."""
    app = App(context={**cdk_json_context(), **(context or {})}, outdir=outdir)
    # The whole context, so that a misspelled `-c` key stops synth instead of leaving its knob at the default.
    config = load_context(app.node.get_all_context())
    stack = FaceLivenessStack(
        app,
        config.stack_name,
        config=config,
        env=Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=config.region),
    )
    # cdk-nag 3.x is a validation plugin: an unacknowledged finding fails synthesis.
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    if acknowledge:
        acknowledge_findings(stack)
    return app, stack
