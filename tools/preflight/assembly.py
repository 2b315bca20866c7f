"""What the cloud assembly `cdk synth` wrote says a deploy needs: the bootstrap version, the SSM parameter that
holds the account's, and the roles the CDK CLI assumes (deploy, asset publishing, lookups)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

CLOUD_ASSEMBLY: Final = Path("cdk.out")
# The defaults of `cdk bootstrap` (qualifier hnb659fds) and of the stack synthesizer, for a missing cdk.out.
DEFAULT_VERSION_PARAMETER: Final = "/cdk-bootstrap/hnb659fds/version"
DEFAULT_ROLE_PATTERN: Final = (
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-%s-role-${AWS::AccountId}-%s"
)
DEFAULT_MIN_VERSION: Final = 6


@dataclass(frozen=True)
class DeployNeeds:
    """`role_arns` keep the assembly's placeholders (`${AWS::AccountId}`, `${AWS::Partition}`): `for_account`
    fills them in."""

    min_bootstrap_version: int
    version_parameter: str
    role_arns: tuple[str, ...]

    def for_account(self, account: str, partition: str = "aws") -> tuple[str, ...]:
        return tuple(
            arn.replace("${AWS::AccountId}", account).replace("${AWS::Partition}", partition) for arn in self.role_arns
        )

    @classmethod
    def defaults(cls, region: str) -> DeployNeeds:
        return cls(
            DEFAULT_MIN_VERSION,
            DEFAULT_VERSION_PARAMETER,
            tuple(DEFAULT_ROLE_PATTERN % (role, region) for role in ("deploy", "file-publishing")),
        )

    @classmethod
    def of_assembly(cls, stack_name: str, region: str, outdir: Path = CLOUD_ASSEMBLY) -> DeployNeeds:
        """From `<outdir>/manifest.json`, or CDK's defaults when there is no assembly (synth has not run)."""
        manifest = outdir / "manifest.json"
        if not manifest.is_file():
            return cls.defaults(region)
        artifacts: dict[str, Any] = json.loads(manifest.read_text())["artifacts"]
        stack = artifacts.get(stack_name, {}).get("properties", {})
        assets = artifacts.get(f"{stack_name}.assets", {}).get("properties", {})
        if not stack:
            return cls.defaults(region)
        roles = [stack["assumeRoleArn"]]
        if asset_file := assets.get("file"):
            asset_manifest = json.loads((outdir / asset_file).read_text())
            roles += sorted(
                {
                    destination["assumeRoleArn"]
                    for asset in asset_manifest.get("files", {}).values()
                    for destination in asset.get("destinations", {}).values()
                    if "assumeRoleArn" in destination
                }
            )
        # The lookup role is used only for context lookups, which this stack makes none of.
        versions = [stack.get("requiresBootstrapStackVersion", 0), assets.get("requiresBootstrapStackVersion", 0)]
        return cls(
            max(versions) or DEFAULT_MIN_VERSION,
            stack.get("bootstrapStackVersionSsmParameter", DEFAULT_VERSION_PARAMETER),
            tuple(roles),
        )
