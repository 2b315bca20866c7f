"""`make bench`: cold start, warm overhead and size of the handler, each measured beside a bare boto3 baseline."""

import sys
from pathlib import Path

# liveness_local imports the handler's contract; under pytest `lambda_src` is on the path already.
_LAMBDA_SRC = str(Path(__file__).resolve().parent.parent / "lambda_src")
if _LAMBDA_SRC not in sys.path:
    sys.path.append(_LAMBDA_SRC)
