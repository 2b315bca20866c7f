"""Compare synthesized CloudFormation templates, asset hashes aside: does a change leave what is deployed alone?

    python -m tools.compare_templates OLD NEW            # two templates, or two cdk.out directories
    python -m tools.compare_templates --rev main         # synthesize main and the working tree in every mode
    python -m tools.compare_templates --baseline DIR     # the working tree against DIR/<mode>/ (kept synth outputs)

Exit status: 0 when the templates are the same, 1 on any difference (each printed with its JSON path), 2 when a
template is missing or a synth fails.

The modes are the three caller modes a template can take (`MODES`): cdk.json as committed, COGNITO with an
authenticated identity pool, and IAM with guests and WAF. `--rev` extracts the revision with `git archive` into a
temporary directory (no worktree, nothing in the repository changes) and synthesizes it with this checkout's
virtualenv and CDK CLI, each source on its own import path.

Allowed to differ, and only that: the hash of a file asset (the Lambda code's `S3Key`, the `aws:asset:path`
metadata) and the logical id CDK derives from a function's code and configuration for a Lambda Version (the
function's own properties are still compared, so a real change to the function still shows). Everything else,
other logical ids included (a changed logical id replaces the resource on deploy), must match.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

REPO: Final = Path(__file__).resolve().parent.parent
CDK: Final = REPO / "node_modules" / ".bin" / "cdk"
ORIGIN: Final = "https://app.example.com"
MODES: Final[Mapping[str, tuple[str, ...]]] = {
    "default": (),
    "cognito": ("authorization=COGNITO", "identityPool=authenticated", f"corsAllowedOrigins={ORIGIN}"),
    "guestwaf": ("identityPool=guest", "waf=true", f"corsAllowedOrigins={ORIGIN}"),
}
SYNTH_ENV: Final = {
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_VERSION_CHECK": "true",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}
TEMPLATE_SUFFIX: Final = ".template.json"
ASSET_HASH: Final = re.compile(r"[0-9a-f]{64}")
ASSET_PLACEHOLDER: Final = "<asset-hash>"
# CDK names a Lambda Version `<function id>CurrentVersion<hash>`, the hash taken over the function's configuration
# and code: a new code asset gives it a new logical id.
CODE_DERIVED_TYPES: Final = frozenset({"AWS::Lambda::Version"})
SHOWN_CHARS: Final = 160


def asset_hashes(template: Mapping[str, Any]) -> set[str]:
    """The file-asset hashes a template names: in `aws:asset:path` metadata and in S3 keys of asset objects."""
    found: set[str] = set()

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for child_key, child in node.items():
                walk(child, child_key)
        elif isinstance(node, list):
            for child in node:
                walk(child, key)
        elif isinstance(node, str) and key in {"aws:asset:path", "S3Key"}:
            found.update(ASSET_HASH.findall(node))

    walk(template)
    return found


def normalized(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template with asset hashes replaced by a placeholder and code-derived logical ids by a stable name."""
    text = json.dumps(template, sort_keys=True)
    for digest in asset_hashes(template):
        text = text.replace(digest, ASSET_PLACEHOLDER)
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") in CODE_DERIVED_TYPES:
            path = resource.get("Metadata", {}).get("aws:cdk:path") or re.sub(r"[0-9A-Fa-f]{8,}$", "", logical_id)
            text = re.sub(rf"\b{re.escape(logical_id)}\b", f"<code-derived:{path}>", text)
    result: dict[str, Any] = json.loads(text)
    return result


def _shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def differences(old: Any, new: Any, path: str = "$") -> Iterator[str]:
    """Every place where `new` differs from `old`, as `path: old -> new` lines."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            child = f"{path}.{key}"
            if key not in new:
                yield f"{child}: removed (was {_shown(old[key])})"
            elif key not in old:
                yield f"{child}: added {_shown(new[key])}"
            else:
                yield from differences(old[key], new[key], child)
    elif isinstance(old, list) and isinstance(new, list):
        for index, (old_item, new_item) in enumerate(zip(old, new, strict=False)):
            yield from differences(old_item, new_item, f"{path}[{index}]")
        for index in range(len(new), len(old)):
            yield f"{path}[{index}]: removed (was {_shown(old[index])})"
        for index in range(len(old), len(new)):
            yield f"{path}[{index}]: added {_shown(new[index])}"
    elif old != new or type(old) is not type(new):
        yield f"{path}: {_shown(old)} -> {_shown(new)}"


def compare_templates(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """What differs between two templates beyond asset hashes; empty when they deploy the same thing."""
    return list(differences(normalized(old), normalized(new)))


def templates_in(path: Path) -> dict[str, Path]:
    """A template file by its own name, or every template of a cdk.out directory by file name."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.is_dir():
        return {found.name: found for found in sorted(path.glob(f"*{TEMPLATE_SUFFIX}"))}
    return {path.name: path}


def compare_paths(old: Path, new: Path, label: str = "") -> int:
    """Print the differences between two templates (or cdk.out directories); return how many were found."""
    old_templates, new_templates = templates_in(old), templates_in(new)
    if old.is_file() and new.is_file():
        old_templates, new_templates = {"template": old}, {"template": new}
    if not old_templates or not new_templates:
        raise FileNotFoundError(f"no {TEMPLATE_SUFFIX} in {old if not old_templates else new}")
    found = 0
    for name in sorted(old_templates.keys() | new_templates.keys()):
        where = f"{label}{name}"
        if name not in new_templates or name not in old_templates:
            print(f"{where}: only in {old if name in old_templates else new}")
            found += 1
            continue
        lines = compare_templates(*(json.loads(p[name].read_text()) for p in (old_templates, new_templates)))
        for line in lines:
            print(f"{where} {line}")
        found += len(lines)
    return found


def synthesize(source: Path, context: tuple[str, ...], outdir: Path) -> None:
    """`cdk synth` of the app in `source`, with this checkout's CLI and virtualenv but `source`'s own packages."""
    env = {
        **os.environ,
        **SYNTH_ENV,
        # Ahead of the virtualenv's path file, which names this checkout: the app imports its own code.
        "PYTHONPATH": os.pathsep.join((str(source), str(source / "lambda_src"))),
    }
    command = [str(CDK), "synth", "--quiet", "--app", f"{sys.executable} app.py", "-o", str(outdir)]
    for value in context:
        command += ["-c", value]
    subprocess.run(command, cwd=source, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def extract(revision: str, into: Path) -> None:
    """The files of `revision` (any git revision) in `into`, without touching the repository's worktrees."""
    archive = into / "source.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", "--format=tar", revision], cwd=REPO, stdout=out, check=True)  # noqa: S603,S607
    with tarfile.open(archive) as tar:
        tar.extractall(into / "src", filter="data")
    archive.unlink()


def compare_modes(baseline: Path, modes: list[str], work: Path) -> int:
    """Synthesize the working tree in each mode and compare with `baseline/<mode>/`."""
    found = 0
    for mode in modes:
        print(f"synthesizing the working tree ({mode})", file=sys.stderr)
        synthesize(REPO, MODES[mode], work / "new" / mode)
        found += compare_paths(baseline / mode, work / "new" / mode, label=f"[{mode}] ")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.compare_templates", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="OLD NEW: two templates or two cdk.out directories")
    parser.add_argument("--rev", help="a git revision to synthesize and compare with the working tree")
    parser.add_argument("--baseline", type=Path, help="a directory of earlier synth outputs, one per mode")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    args = parser.parse_args(argv)
    if sum((bool(args.paths), args.rev is not None, args.baseline is not None)) != 1 or len(args.paths) not in {0, 2}:
        parser.error("give OLD NEW, or --rev REV, or --baseline DIR")
    try:
        if args.paths:
            found = compare_paths(*args.paths)
        else:
            with tempfile.TemporaryDirectory(prefix="compare-templates-") as temp:
                work = Path(temp)
                baseline = args.baseline
                if args.rev is not None:
                    extract(args.rev, work)
                    baseline = work / "old"
                    for mode in args.modes:
                        print(f"synthesizing {args.rev} ({mode})", file=sys.stderr)
                        synthesize(work / "src", MODES[mode], baseline / mode)
                found = compare_modes(baseline, args.modes, work)
    except (FileNotFoundError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("templates are the same, asset hashes aside" if not found else f"{found} difference(s)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
