"""`python -m liveness_local`: the local server (see liveness_local/server.py)."""

import sys
from pathlib import Path

# The handler's package root, as in the Lambda runtime (app.py does the same for the CDK app).
LAMBDA_SRC = str(Path(__file__).resolve().parent.parent / "lambda_src")
if LAMBDA_SRC not in sys.path:
    sys.path.insert(0, LAMBDA_SRC)

from liveness_local.server import main  # noqa: E402

sys.exit(main())
