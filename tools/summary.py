"""`python -m tools.summary [cdk.out]`: what `make synth` built, read from the cloud assembly it wrote.

For each stack: the template, the caller mode and region it was built for (whatever `-c` knobs chose them), AWS
WAF on or off, the cdk-nag result (synth stops at any unacknowledged finding, so the count of acknowledged ones and
where they are listed), the cfn-lint result (run here, on that template), and the resources by type. Exits 1 when
cfn-lint finds something.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from liveness_api.environment import EnvVar

CLOUD_ASSEMBLY: Final = Path("cdk.out")
# W3005: CDK's own redundant DependsOn, which cfn-lint flags in every CDK template.
CFN_LINT_IGNORED: Final = ("W3005",)
ACKNOWLEDGED: Final = "aws:cdk:acknowledged-rules"
NAG_PACK: Final = "AwsSolutions-"

Lint = Callable[[Path, str], list[str]]


def cfn_lint(template: Path, region: str) -> list[str]:
    """cfn-lint's findings on one template, one line each (the venv's cfn-lint, next to this interpreter)."""
    command = [str(Path(sys.executable).with_name("cfn-lint")), "--ignore-checks", *CFN_LINT_IGNORED]
    result = subprocess.run(  # noqa: S603 - our own venv's cfn-lint on our own template
        [*command, "--regions", region, "--", str(template)], capture_output=True, text=True, check=False
    )
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def stacks(outdir: Path) -> list[tuple[str, dict[str, Any]]]:
    """The stack artifacts of the assembly, by id."""
    artifacts: dict[str, dict[str, Any]] = json.loads((outdir / "manifest.json").read_text())["artifacts"]
    return [(name, a) for name, a in artifacts.items() if a.get("type") == "aws:cloudformation:stack"]


def acknowledged_findings(outdir: Path, artifact: dict[str, Any]) -> int:
    """The cdk-nag findings the stack acknowledges (infra/nag.py), as the assembly's metadata records them."""
    entries: dict[str, list[dict[str, Any]]] = {}
    if metadata_file := artifact.get("additionalMetadataFile"):
        entries = json.loads((outdir / metadata_file).read_text())
    entries |= artifact.get("metadata", {})
    return sum(
        key.removeprefix("Annotation::").startswith(NAG_PACK)
        for records in entries.values()
        for record in records
        if record["type"] == ACKNOWLEDGED
        for key in record["data"]
    )


def caller_mode(template: dict[str, Any]) -> str:
    """The caller mode the function was built for, from its environment (one place the stack writes it)."""
    for resource in template.get("Resources", {}).values():
        if resource["Type"] == "AWS::Lambda::Function":
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            if EnvVar.CALLER_MODE in variables:
                return str(variables[EnvVar.CALLER_MODE])
    return "unknown"


def summarize_stack(outdir: Path, name: str, artifact: dict[str, Any], lint: Lint) -> tuple[str, bool]:
    """The summary of one stack, and whether cfn-lint passed it."""
    template_path = outdir / artifact["properties"]["templateFile"]
    template = json.loads(template_path.read_text())
    region = artifact.get("environment", "aws://unknown/unknown").rsplit("/", 1)[1]
    resources = template.get("Resources", {})
    counts = Counter(resource["Type"] for resource in resources.values())
    waf = "on" if counts["AWS::WAFv2::WebACL"] else "off"
    findings = lint(template_path, region)
    lines = [
        f"Stack: {name}  mode: {caller_mode(template)}  region: {region}  WAF: {waf}",
        f"Template: {template_path}",
        f"cdk-nag (AwsSolutions): no unacknowledged findings; {acknowledged_findings(outdir, artifact)} acknowledged, "
        "each with its reason in infra/nag.py",
        "cfn-lint: no findings" if not findings else f"cfn-lint: {len(findings)} finding line(s):",
        *(f"  {finding}" for finding in findings),
        f"Resources: {sum(counts.values())}",
    ]
    width = max((len(kind) for kind in counts), default=0)
    lines += [f"  {kind:<{width}}  {count}" for kind, count in sorted(counts.items())]
    if outputs := template.get("Outputs"):
        lines.append(f"Outputs: {', '.join(sorted(outputs))}")
    return "\n".join(lines), not findings


def summarize(outdir: Path, lint: Lint = cfn_lint) -> tuple[str, bool]:
    """Every stack's summary, and whether cfn-lint passed them all."""
    parts = [summarize_stack(outdir, name, artifact, lint) for name, artifact in stacks(outdir)]
    return "\n\n".join(text for text, _ in parts), all(clean for _, clean in parts)


def main(argv: list[str]) -> int:
    if len(argv) > 1:
        print("usage: python -m tools.summary [cdk.out]", file=sys.stderr)
        return 2
    outdir = Path(argv[0]) if argv else CLOUD_ASSEMBLY
    if not (outdir / "manifest.json").is_file():
        print(f"error: no cloud assembly in {outdir} (run `make synth` first)", file=sys.stderr)
        return 1
    text, clean = summarize(outdir)
    print(text)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
