"""The CDK app's package. It reads names and closed sets from the handler's own modules (`lambda_src/`)."""

import sys
from pathlib import Path

_LAMBDA_SRC = str(Path(__file__).resolve().parent.parent / "lambda_src")
if _LAMBDA_SRC not in sys.path:
    sys.path.append(_LAMBDA_SRC)
