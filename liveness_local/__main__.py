"""`python -m liveness_local`: the local server (see liveness_local/server.py)."""

import sys

from liveness_local.server import main

sys.exit(main())
