#!/usr/bin/env python3
"""CDK entry point (`cdk synth` runs this through cdk.json's "app")."""

import sys

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
