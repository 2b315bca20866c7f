"""`python -m liveness_local`: the local server (see liveness_local/server.py).

A bad knob, a bad value or a busy port is told in a line or two that say how to fix it, never a traceback.
"""

import sys

from infra.config import ConfigError
from liveness_local.server import StartupError, main

try:
    status = main()
except (ConfigError, StartupError) as error:
    print(f"error: {error}", file=sys.stderr)
    status = 2
sys.exit(status)
