"""cfn-lint finds nothing in the synthesized templates (W3005 is CDK's own redundant DependsOn)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cfnlint.api import ManualArgs, lint_file

if TYPE_CHECKING:
    from tests.infrastructure.conftest import Synth


def test_cfn_lint_is_clean(synth: Synth) -> None:
    matches = lint_file(synth.template_path, config=ManualArgs(ignore_checks=["W3005"], regions=[synth.config.region]))
    assert [str(match) for match in matches] == []
