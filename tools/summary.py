"""`python -m tools.summary cdk.out/<Stack>.template.json`: where the template is and what it deploys."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def summarize(template_path: Path) -> str:
    template = json.loads(template_path.read_text())
    resources = template.get("Resources", {})
    counts = Counter(resource["Type"] for resource in resources.values())
    width = max((len(kind) for kind in counts), default=0)
    lines = [f"Template: {template_path}", f"Resources: {sum(counts.values())}"]
    lines += [f"  {kind:<{width}}  {count}" for kind, count in sorted(counts.items())]
    if outputs := template.get("Outputs"):
        lines.append(f"Outputs: {', '.join(sorted(outputs))}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tools.summary cdk.out/<Stack>.template.json", file=sys.stderr)
        return 2
    path = Path(argv[0])
    if not path.is_file():
        print(f"error: no template at {path} (run `make synth` first)", file=sys.stderr)
        return 1
    print(summarize(path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
