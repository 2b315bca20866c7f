"""`python -m tools.preflight [-c KEY=VALUE ...]` (`make preflight ARGS="..."`): the account checks before a deploy.

Exits 1 when a check found a problem (each on one line with its fix), 2 when the knobs themselves are wrong.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from infra.config import ConfigError, StackConfig
from infra.config.context import load_cdk_json_config
from tools.preflight.assembly import CLOUD_ASSEMBLY, DeployNeeds
from tools.preflight.checks import Clients, Finding, Level, run_checks

# Preflight is interactive: a call that hangs should fail fast and say so, not retry for a minute.
CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "total_max_attempts": 2})


def aws_clients(region: str) -> Clients:
    session = boto3.Session(region_name=region)

    def client(service: str) -> object:
        return session.client(service, config=CLIENT_CONFIG)

    return Clients(
        sts=client("sts"),
        ssm=client("ssm"),
        lambda_=client("lambda"),
        service_quotas=client("service-quotas"),
        iam=client("iam"),
        rekognition=client("rekognition"),
    )


def report(findings: list[Finding]) -> int:
    for finding in findings:
        print(finding.line())
    problems = sum(finding.level is Level.PROBLEM for finding in findings)
    print(f"preflight: {problems} problem(s)" if problems else "preflight: nothing in the way of `make deploy`")
    return 1 if problems else 0


def main(argv: list[str] | None = None, *, clients: Clients | None = None, assembly: Path = CLOUD_ASSEMBLY) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.preflight", description=__doc__.split("\n\n")[0])
    parser.add_argument("-c", "--context", action="append", default=[], metavar="KEY=VALUE", help="a knob, as cdk -c")
    args = parser.parse_args(argv)
    try:
        config: StackConfig = load_cdk_json_config(overrides=args.context)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        used = clients or aws_clients(config.region)
    except BotoCoreError as error:
        # A profile that does not exist, or a config file that does not parse.
        return report([Finding(Level.PROBLEM, "credentials", f"{error}: fix AWS_PROFILE or ~/.aws/config")])
    return report(run_checks(used, config, lambda: DeployNeeds.of_assembly(config.stack_name, config.region, assembly)))


if __name__ == "__main__":
    sys.exit(main())
