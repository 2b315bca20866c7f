"""cfn-lint finds nothing in the synthesized templates, a browser mode's included (W3005 is CDK's own redundant
DependsOn)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cfnlint.api import ManualArgs, lint_file

if TYPE_CHECKING:
    from tests.infrastructure.conftest import Combos, Synth


def test_cfn_lint_is_clean(synth: Synth) -> None:
    matches = lint_file(synth.template_path, config=ManualArgs(ignore_checks=["W3005"], regions=[synth.config.region]))
    assert [str(match) for match in matches] == []


def test_cfn_lint_is_clean_in_a_browser_mode(combos: Combos) -> None:
    # The browser modes add what the two fixtures above do not have: the image bucket's CORS, the user pool, the
    # identity pool's roles and WAF.
    built = combos[("COGNITO", "authenticated", True)]
    matches = lint_file(built.template_path, config=ManualArgs(ignore_checks=["W3005"], regions=[built.config.region]))
    assert [str(match) for match in matches] == []
