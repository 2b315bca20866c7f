"""The preflight checks. Each takes the clients it reads from and the stack's config and returns its findings; none
writes anything. A call the identity may not make is a finding too (it says which permission would let it check),
never a traceback."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from infra.config import FACE_LIVENESS_REGIONS, StackConfig
from infra.config.platform import LAMBDA_MIN_UNRESERVED_CONCURRENCY
from tools.preflight.assembly import DeployNeeds

REKOGNITION_QUOTAS: Final = "rekognition"
SERVICE_QUOTAS_CONSOLE: Final = "Service Quotas console (https://console.aws.amazon.com/servicequotas/)"


class Level(StrEnum):
    OK = "ok"
    NOTE = "note"
    PROBLEM = "PROBLEM"


@dataclass(frozen=True)
class Finding:
    level: Level
    check: str
    text: str

    def line(self) -> str:
        return f"{self.level.value:<8} {self.check}: {self.text}"


@dataclass(frozen=True)
class Clients:
    """botocore clients, one per service the checks read from, all in the stack's region."""

    sts: Any
    ssm: Any
    lambda_: Any
    service_quotas: Any
    iam: Any
    rekognition: Any


def error_code(error: Exception) -> str:
    return error.response["Error"]["Code"] if isinstance(error, ClientError) else type(error).__name__


def could_not(check: str, call: str, error: Exception) -> Finding:
    """A read the identity may not make: the check is left undone, and the line says what would let it run."""
    code = error_code(error)
    if code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}:
        return Finding(
            Level.PROBLEM, check, f"could not check: your identity may not call {call}; allow it, or check by hand"
        )
    return Finding(Level.PROBLEM, check, f"could not check: {call} failed with {code}")


def check_region(config: StackConfig, rekognition: Any) -> Iterator[Finding]:
    """The region is one of Face Liveness's, and Rekognition answers there: a session that does not exist is
    "not found" where Face Liveness runs, refused where it does not."""
    check = "region"
    if config.region not in FACE_LIVENESS_REGIONS:
        yield Finding(
            Level.PROBLEM,
            check,
            f"Face Liveness is not offered in {config.region}: pick one of {', '.join(FACE_LIVENESS_REGIONS)} "
            "(-c region=...)",
        )
        return
    try:
        rekognition.get_face_liveness_session_results(SessionId=str(uuid.uuid4()))
    except ClientError as error:
        if error_code(error) == "SessionNotFoundException":
            yield Finding(Level.OK, check, f"Face Liveness answers in {config.region}")
            return
        yield could_not(check, "rekognition:GetFaceLivenessSessionResults", error)
        return
    except BotoCoreError as error:
        yield Finding(Level.PROBLEM, check, f"could not reach Rekognition in {config.region}: {error}")
        return
    yield Finding(Level.OK, check, f"Face Liveness answers in {config.region}")


def check_bootstrap(ssm: Any, needs: DeployNeeds, account: str, region: str) -> Iterator[Finding]:
    """The account and region are bootstrapped, at least at the version the assembly requires."""
    check = "bootstrap"
    fix = f"run: npx cdk bootstrap aws://{account}/{region}"
    try:
        value = ssm.get_parameter(Name=needs.version_parameter)["Parameter"]["Value"]
    except ClientError as error:
        if error_code(error) == "ParameterNotFound":
            yield Finding(Level.PROBLEM, check, f"{account}/{region} is not CDK-bootstrapped; {fix}")
        else:
            yield could_not(check, f"ssm:GetParameter on {needs.version_parameter}", error)
        return
    version = int(value)
    if version < needs.min_bootstrap_version:
        yield Finding(
            Level.PROBLEM,
            check,
            f"bootstrap version {version} is older than the {needs.min_bootstrap_version} this stack needs; {fix}",
        )
        return
    yield Finding(Level.OK, check, f"bootstrapped at version {version} (needs {needs.min_bootstrap_version})")


def check_lambda_concurrency(lambda_: Any, config: StackConfig) -> Iterator[Finding]:
    """The reservation (if any) fits what the account has unreserved, keeping Lambda's floor free."""
    check = "lambda concurrency"
    try:
        settings = lambda_.get_account_settings()["AccountLimit"]
    except (ClientError, BotoCoreError) as error:
        yield could_not(check, "lambda:GetAccountSettings", error)
        return
    quota, unreserved = settings["ConcurrentExecutions"], settings["UnreservedConcurrentExecutions"]
    capacity = config.capacity
    reservation = capacity.reserved_concurrent_executions
    if reservation is not None and reservation > unreserved - LAMBDA_MIN_UNRESERVED_CONCURRENCY:
        yield Finding(
            Level.PROBLEM,
            check,
            f"reservedConcurrency={config.reserved_concurrency} reserves {reservation}, but only "
            f"{max(unreserved - LAMBDA_MIN_UNRESERVED_CONCURRENCY, 0)} of the account's {quota} can still be "
            f"reserved (Lambda keeps {LAMBDA_MIN_UNRESERVED_CONCURRENCY} free); set -c reservedConcurrency=off, or "
            f"request more 'Concurrent executions' for Lambda in the {SERVICE_QUOTAS_CONSOLE}",
        )
        return
    if reservation is not None and quota != config.account_concurrency:
        yield Finding(
            Level.NOTE,
            check,
            f"the account's quota is {quota}, not accountConcurrency={config.account_concurrency}: set "
            f"-c accountConcurrency={quota} so synth checks the reservation against it",
        )
    summary = f"{quota} concurrent executions, {unreserved} unreserved; reservation: {reservation or 'none'}"
    yield Finding(Level.OK, check, summary)


def service_quotas(client: Any, service_code: str) -> list[dict[str, Any]]:
    quotas: list[dict[str, Any]] = []
    for page in client.get_paginator("list_service_quotas").paginate(ServiceCode=service_code):
        quotas += page["Quotas"]
    return quotas


def check_rekognition_quotas(client: Any, config: StackConfig) -> Iterator[Finding]:
    """Each Rekognition-backed route's throttle stays below the account's applied quota for its operation."""
    check = "rekognition quotas"
    try:
        quotas = service_quotas(client, REKOGNITION_QUOTAS)
    except (ClientError, BotoCoreError) as error:
        yield could_not(check, "servicequotas:ListServiceQuotas", error)
        return
    capacity = config.capacity
    routes = (
        ("CreateFaceLivenessSession", "createSession", capacity.create_session_throttle, capacity.create_session_quota),
        ("GetFaceLivenessSessionResults", "getResults", capacity.get_results_throttle, capacity.get_results_quota),
    )
    for operation, prefix, throttle, assumed in routes:
        applied = [quota for quota in quotas if operation in quota.get("QuotaName", "")]
        if not applied:
            yield Finding(
                Level.NOTE, check, f"Service Quotas lists no {operation} quota here; the stack assumes {assumed} TPS"
            )
            continue
        value = int(applied[0]["Value"])
        if throttle.rate_limit >= value or throttle.burst_limit > value:
            yield Finding(
                Level.PROBLEM,
                check,
                f"{prefix}RateLimit {throttle.rate_limit}/s, burst {throttle.burst_limit}, do not fit the account's "
                f"{operation} quota of {value} TPS; set -c {prefix}QuotaTps={value} (the auto throttles follow it)",
            )
        elif value != assumed:
            yield Finding(
                Level.NOTE,
                check,
                f"the account's {operation} quota is {value} TPS, the stack assumes {assumed}: set "
                f"-c {prefix}QuotaTps={value} to size the throttles from it",
            )
        else:
            yield Finding(Level.OK, check, f"{operation}: {value} TPS, throttle {throttle.rate_limit}/s")


def principal_arn(iam: Any, caller_arn: str) -> str | None:
    """The IAM user or role behind the caller (an assumed role's session names the role without its path), or None
    for the account's root user."""
    if caller_arn.endswith(":root"):
        return None
    if ":assumed-role/" in caller_arn:
        role_name = caller_arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
        arn: str = iam.get_role(RoleName=role_name)["Role"]["Arn"]
        return arn
    return caller_arn


def check_deploy_permissions(iam: Any, caller_arn: str, role_arns: tuple[str, ...]) -> Iterator[Finding]:
    """The identity may assume the bootstrap roles `cdk deploy` works through (they create the stack's resources
    with the CloudFormation execution role, so that is all the identity itself needs)."""
    check = "permissions"
    try:
        principal = principal_arn(iam, caller_arn)
    except (ClientError, BotoCoreError) as error:
        yield could_not(check, "iam:GetRole", error)
        return
    if principal is None:
        yield Finding(Level.NOTE, check, "you are the account's root user: it can deploy, but use an IAM role instead")
        return
    denied: list[str] = []
    for role in role_arns:
        try:
            results = iam.simulate_principal_policy(
                PolicySourceArn=principal, ActionNames=["sts:AssumeRole"], ResourceArns=[role]
            )["EvaluationResults"]
        except (ClientError, BotoCoreError) as error:
            yield could_not(check, "iam:SimulatePrincipalPolicy", error)
            return
        if any(result["EvalDecision"] != "allowed" for result in results):
            denied.append(role.rsplit("/", 1)[1])
    if denied:
        yield Finding(
            Level.PROBLEM,
            check,
            f"{principal} may not assume {', '.join(denied)}, which cdk deploy works through; allow it "
            "sts:AssumeRole on the account's cdk-* bootstrap roles",
        )
        return
    yield Finding(Level.OK, check, f"{principal} may assume the bootstrap roles cdk deploy uses")


def run_checks(clients: Clients, config: StackConfig, needs_for: Callable[[], DeployNeeds]) -> list[Finding]:
    """Every check, in the order a deploy would meet them. Without credentials, only that is said."""
    try:
        identity = clients.sts.get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        return [
            Finding(
                Level.PROBLEM,
                "credentials",
                f"no usable AWS credentials ({error_code(error)}): export AWS_PROFILE=<profile> (after "
                "`aws sso login` if it is an SSO profile), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            )
        ]
    account, caller = identity["Account"], identity["Arn"]
    partition = caller.split(":", 2)[1]
    needs = needs_for()
    findings = [Finding(Level.OK, "credentials", f"{caller} in account {account}")]
    findings += check_region(config, clients.rekognition)
    findings += check_bootstrap(clients.ssm, needs, account, config.region)
    findings += check_lambda_concurrency(clients.lambda_, config)
    findings += check_rekognition_quotas(clients.service_quotas, config)
    findings += check_deploy_permissions(clients.iam, caller, needs.for_account(account, partition))
    return findings
