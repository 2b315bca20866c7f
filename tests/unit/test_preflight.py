"""`make preflight`: each check on a ready account and on a fresh one, offline. moto answers STS and SSM (it
implements both); botocore's Stubber answers what moto does not implement (Lambda's GetAccountSettings, Service
Quotas' ListServiceQuotas for Rekognition, IAM's SimulatePrincipalPolicy, Face Liveness), so every request is still
serialized and every answer parsed by botocore against the services' models."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from tools.preflight.__main__ import main
from tools.preflight.assembly import DeployNeeds
from tools.preflight.checks import Clients, principal_arn

REGION = "us-east-1"
READS = ("Get", "List", "Simulate", "Describe")
_accounts = itertools.count(210000000001)


class Account:
    """One fake account: moto's STS and SSM, stubbed Lambda, Service Quotas, IAM and Rekognition, and every
    operation any of them was asked."""

    def __init__(self, account: str) -> None:
        self.account = account
        # The identity moto's GetCallerIdentity answers with: an IAM user, simulated as is.
        self.caller = f"arn:aws:sts::{account}:user/moto"
        session = boto3.Session(region_name=REGION)
        self.clients = Clients(
            sts=session.client("sts"),
            ssm=session.client("ssm"),
            lambda_=session.client("lambda"),
            service_quotas=session.client("service-quotas"),
            iam=session.client("iam"),
            rekognition=session.client("rekognition"),
        )
        self.operations: list[str] = []
        self.stubs = {
            name: Stubber(getattr(self.clients, name)) for name in ("lambda_", "service_quotas", "iam", "rekognition")
        }
        for name in ("sts", "ssm", "lambda_", "service_quotas", "iam", "rekognition"):
            getattr(self.clients, name).meta.events.register("before-parameter-build", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.operations.append(model.name)

    def bootstrapped(self, version: str) -> None:
        self.clients.ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value=version, Type="String")
        self.operations.clear()

    def face_liveness(self, error: str = "SessionNotFoundException") -> None:
        self.stubs["rekognition"].add_client_error(
            "get_face_liveness_session_results", error, expected_params={"SessionId": ANY}
        )

    def lambda_concurrency(self, quota: int, unreserved: int) -> None:
        limit = {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": quota,
            "UnreservedConcurrentExecutions": unreserved,
        }
        self.stubs["lambda_"].add_response("get_account_settings", {"AccountLimit": limit, "AccountUsage": {}}, {})

    def rekognition_quotas(self, create: float, results: float) -> None:
        quotas = [
            {"QuotaName": f"Transactions per second for {operation}", "QuotaCode": code, "Value": value}
            for operation, code, value in (
                ("CreateFaceLivenessSession", "L-00000001", create),
                ("GetFaceLivenessSessionResults", "L-00000002", results),
            )
        ]
        self.stubs["service_quotas"].add_response(
            "list_service_quotas", {"Quotas": quotas}, {"ServiceCode": "rekognition"}
        )

    def assume_role(self, decision: str, region: str = REGION) -> None:
        for kind in ("deploy", "file-publishing"):
            role = f"arn:aws:iam::{self.account}:role/cdk-hnb659fds-{kind}-role-{self.account}-{region}"
            self.stubs["iam"].add_response(
                "simulate_principal_policy",
                {"EvaluationResults": [{"EvalActionName": "sts:AssumeRole", "EvalDecision": decision}]},
                {
                    "PolicySourceArn": self.caller,
                    "ActionNames": ["sts:AssumeRole"],
                    "ResourceArns": [role],
                },
            )

    def preflight(self, capsys: pytest.CaptureFixture[str], tmp_path: Path, *context: str) -> tuple[int, list[str]]:
        for stub in self.stubs.values():
            stub.activate()
        status = main([arg for knob in context for arg in ("-c", knob)], clients=self.clients, assembly=tmp_path)
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()
        return status, capsys.readouterr().out.splitlines()


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[Account]:
    # An account of its own per test: moto keeps its state per account, and another suite's mock may still be live.
    account = str(next(_accounts))
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("MOTO_ACCOUNT_ID", account),
    ):
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield Account(account)


def test_a_ready_account_passes_with_read_calls_only(
    account: Account, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    account.bootstrapped("21")
    account.face_liveness()
    account.lambda_concurrency(quota=1000, unreserved=1000)
    account.rekognition_quotas(create=25, results=25)
    account.assume_role("allowed")

    status, lines = account.preflight(capsys, tmp_path)

    assert status == 0, lines
    assert [line.split()[0] for line in lines[:-1]] == ["ok"] * 7
    assert lines[-1] == "preflight: nothing in the way of `make deploy`"
    assert set(account.operations) == {
        "GetCallerIdentity",
        "GetFaceLivenessSessionResults",
        "GetParameter",
        "GetAccountSettings",
        "ListServiceQuotas",
        "SimulatePrincipalPolicy",
    }
    assert all(operation.startswith(READS) for operation in account.operations)


def test_a_fresh_account_gets_one_line_per_problem_each_with_its_fix(
    account: Account, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    account.face_liveness()
    account.lambda_concurrency(quota=10, unreserved=10)
    account.rekognition_quotas(create=5, results=25)
    account.assume_role("implicitDeny")

    status, lines = account.preflight(capsys, tmp_path, "reservedConcurrency=auto")

    assert status == 1
    problems = {line.split(":")[0].split(None, 1)[1]: line for line in lines if line.startswith("PROBLEM")}
    assert set(problems) == {"bootstrap", "lambda concurrency", "rekognition quotas", "permissions"}
    assert f"run: npx cdk bootstrap aws://{account.account}/{REGION}" in problems["bootstrap"]
    assert "set -c reservedConcurrency=off" in problems["lambda concurrency"]
    assert "set -c createSessionQuotaTps=5" in problems["rekognition quotas"]
    assert "sts:AssumeRole on the account's cdk-* bootstrap roles" in problems["permissions"]
    assert lines[-1] == "preflight: 4 problem(s)"


def test_an_old_bootstrap_and_a_region_without_face_liveness_are_problems(
    account: Account, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    account.bootstrapped("5")
    account.face_liveness("AccessDeniedException")
    account.lambda_concurrency(quota=1000, unreserved=1000)
    account.rekognition_quotas(create=25, results=25)
    account.assume_role("allowed")

    status, lines = account.preflight(capsys, tmp_path)

    assert status == 1
    assert any("bootstrap version 5 is older than the 6 this stack needs" in line for line in lines)
    assert any("may not call rekognition:GetFaceLivenessSessionResults" in line for line in lines)


def test_a_region_outside_face_liveness_is_refused_without_asking_rekognition(
    account: Account, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    account.bootstrapped("21")
    account.lambda_concurrency(quota=1000, unreserved=1000)
    account.rekognition_quotas(create=5, results=5)
    account.assume_role("allowed", region="eu-central-1")

    status, lines = account.preflight(capsys, tmp_path, "region=eu-central-1", "allowUnlistedRegion=true")

    assert status == 1
    assert any(line.startswith("PROBLEM  region: Face Liveness is not offered in eu-central-1") for line in lines)
    assert "GetFaceLivenessSessionResults" not in account.operations


def test_a_bad_knob_is_one_line_and_no_aws_call(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status = main(["-c", "waf=yes"], assembly=tmp_path)

    assert status == 2
    assert capsys.readouterr().err == "error: waf=yes is not allowed; waf takes true, false or auto\n"


def test_the_roles_and_bootstrap_version_come_from_the_cloud_assembly(tmp_path: Path) -> None:
    role = "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-custom-%s-role-${AWS::AccountId}-eu-west-1"
    stack = {
        "type": "aws:cloudformation:stack",
        "properties": {
            "assumeRoleArn": role % "deploy",
            "requiresBootstrapStackVersion": 6,
            "bootstrapStackVersionSsmParameter": "/cdk-bootstrap/custom/version",
        },
    }
    assets = {"type": "cdk:asset-manifest", "properties": {"file": "S.assets.json", "requiresBootstrapStackVersion": 9}}
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": {"S": stack, "S.assets": assets}}))
    publishing = {"assumeRoleArn": role % "file-publishing"}
    (tmp_path / "S.assets.json").write_text(json.dumps({"files": {"a": {"destinations": {"d": publishing}}}}))

    needs = DeployNeeds.of_assembly("S", "eu-west-1", tmp_path)

    assert (needs.min_bootstrap_version, needs.version_parameter) == (9, "/cdk-bootstrap/custom/version")
    assert needs.for_account("111122223333") == (
        "arn:aws:iam::111122223333:role/cdk-custom-deploy-role-111122223333-eu-west-1",
        "arn:aws:iam::111122223333:role/cdk-custom-file-publishing-role-111122223333-eu-west-1",
    )
    assert DeployNeeds.of_assembly("S", "eu-west-1", tmp_path / "missing") == DeployNeeds.defaults("eu-west-1")


def test_an_assumed_role_is_simulated_as_its_role_with_its_path(account: Account) -> None:
    role_arn = f"arn:aws:iam::{account.account}:role/team/deployer"
    role = {
        "Path": "/team/",
        "RoleName": "deployer",
        "RoleId": "AROAEXAMPLEEXAMPLE1",
        "Arn": role_arn,
        "CreateDate": "2026-01-01T00:00:00Z",
    }
    account.stubs["iam"].add_response("get_role", {"Role": role}, {"RoleName": "deployer"})
    account.stubs["iam"].activate()

    caller = f"arn:aws:sts::{account.account}:assumed-role/deployer/alice"
    assert principal_arn(account.clients.iam, caller) == role_arn
    assert principal_arn(account.clients.iam, f"arn:aws:iam::{account.account}:root") is None
    account.stubs["iam"].assert_no_pending_responses()
