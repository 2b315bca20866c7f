"""The GitHub Actions workflows a team adopts: actionlint finds nothing in them, and each does what
docs/deploy-from-ci.md says (tests on pull requests, cdk diff only with a role, deploys from main only through OIDC
behind an environment's approval)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).with_name("actionlint")


def actionlint(*files: Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, files)], cwd=cwd, capture_output=True, text=True, check=False
    )


def workflow(name: str) -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True)
    return document


def run_lines(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    result = actionlint(*files)

    assert {path.name for path in files} == {"pull-request.yml", "deploy.yml"}
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: echo ${{ github.event.head_commit.message }}\n"
        "      - uses: aws-actions/configure-aws-credentials@v6\n"
    )

    result = actionlint(broken, cwd=tmp_path)

    assert result.returncode == 1
    assert "potentially untrusted" in result.stdout
    assert 'missing input "aws-region"' in result.stdout


def test_pull_requests_run_the_tests_and_diff_only_with_a_role() -> None:
    flow = workflow("pull-request.yml")

    assert list(flow["on"]) == ["pull_request"]
    assert flow["permissions"] == {"contents": "read"}
    assert run_lines(flow["jobs"]["test"]) == ["make test"]
    diff = flow["jobs"]["diff"]
    assert "vars.AWS_DIFF_ROLE_ARN != ''" in diff["if"]
    assert "head.repo.full_name == github.repository" in diff["if"]  # no OIDC token for forks
    assert diff["permissions"] == {"contents": "read", "id-token": "write"}
    assert run_lines(diff) == ["make diff"]


def test_main_deploys_through_oidc_behind_an_approval() -> None:
    flow = workflow("deploy.yml")
    job = flow["jobs"]["deploy"]

    assert flow["on"]["push"] == {"branches": ["main"]}
    assert flow["concurrency"]["cancel-in-progress"] is False
    assert job["needs"] == "test"
    assert job["environment"] == "production"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    (credentials,) = [step for step in job["steps"] if step.get("uses", "").startswith("aws-actions/")]
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    assert not any("secrets." in str(step) for step in job["steps"])  # OIDC: no long-lived keys
    assert run_lines(job) == ["make preflight", "make deploy APPROVAL=never"]
