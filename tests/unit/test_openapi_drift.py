"""The committed openapi.json is exactly what the handler's routes and models generate (`make openapi`)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_openapi_document_matches_the_code() -> None:
    # A subprocess: generating the document imports the handler, which binds to the process's one LocalBackend.
    result = subprocess.run(
        [sys.executable, "-m", "liveness_local.openapi", "--check", str(ROOT / "openapi.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{result.stderr}\nRegenerate it: make openapi"
