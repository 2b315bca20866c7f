"""cdk-nag: synth has no unacknowledged AwsSolutions finding, and every acknowledgement is specific and needed."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from aws_cdk import App
from cdk_nag import AwsSolutionsChecks

from infra.app_factory import build_app
from infra.nag import acknowledgements

if TYPE_CHECKING:
    from tests.infrastructure.conftest import Synth

# The variant's context (tests/infrastructure/conftest.py), repeated: test modules cannot import conftest.
VARIANT_CONTEXT: dict[str, Any] = {
    "stackName": "FaceLivenessVariant",
    "snapStart": True,
    "corsAllowedOrigins": ["https://app.example.com"],
    "removalPolicy": "destroy",
}


def findings(app: App) -> list[str]:
    report = AwsSolutionsChecks().validate_scope(app)
    return [violation.rule_name for violation in report.violations]


@pytest.fixture(scope="session", params=["default", "variant"])
def unacknowledged(request: pytest.FixtureRequest) -> tuple[dict[str, Any] | None, list[str]]:
    """What cdk-nag reports when infra/nag.py acknowledges nothing."""
    context = VARIANT_CONTEXT if request.param == "variant" else None
    app, _ = build_app(context, acknowledge=False)
    return context, findings(app)


def test_no_unacknowledged_findings(synth: Synth) -> None:
    # The fixture's synth already ran the plugin (a finding would have failed it); this names any finding.
    assert findings(synth.app) == []
    assert "AwsSolutions" not in synth.outdir.joinpath("validation-report.json").read_text()


def test_every_acknowledgement_is_still_needed(unacknowledged: tuple[dict[str, Any] | None, list[str]]) -> None:
    context, reported = unacknowledged
    _, stack = build_app(context)
    acknowledged = {ack.finding_id for ack in acknowledgements(stack)}
    assert acknowledged - set(reported) == set(), "stale acknowledgement: remove it from infra/nag.py"
    assert set(reported) == acknowledged


def test_acknowledgements_have_specific_reasons(synth: Synth) -> None:
    acks = acknowledgements(synth.stack)
    assert acks
    for ack in acks:
        assert ack.finding_id.startswith("AwsSolutions-")
        assert len(ack.reason) >= 40, ack.finding_id
    reasons = Counter(ack.reason for ack in acks)
    assert [reason for reason, count in reasons.items() if count > 1] == []


def test_wildcard_acknowledgements_name_their_resources(default: Synth) -> None:
    iam5 = sorted(ack.finding_id for ack in acknowledgements(default.stack) if "IAM5" in ack.finding_id)
    bucket = default.logical_id(default.stack.storage.image_bucket)
    prefix = default.config.image_key_prefix
    # `*` on the function's policy, the settlement worker's and the outbox forwarder's (infra/nag_events.py).
    assert iam5 == [
        *["AwsSolutions-IAM5[Resource::*]"] * 3,
        # The function and the settlement worker both decide face matches.
        *[f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/{prefix}*/document]"] * 2,
        *[f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/{prefix}*/reference.jpg]"] * 2,
        f"AwsSolutions-IAM5[Resource::<{bucket}.Arn>/{prefix}*]",
    ]
