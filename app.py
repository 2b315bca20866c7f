#!/usr/bin/env python3
"""CDK entry point (`cdk synth` runs this through cdk.json's "app")."""

import sys
from pathlib import Path

# The stack reads names (routes, environment variables, metric namespace) from the handler's own modules.
sys.path.insert(0, str(Path(__file__).parent / "lambda_src"))

from infra.app_factory import build_app
from infra.config import ConfigError


def main() -> int:
    try:
        app, _ = build_app()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
