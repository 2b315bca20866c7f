"""Schemathesis against the local server, from the committed openapi.json: whatever a client sends within (or just
outside) the documented schema, the API never answers 5xx, always answers as documented, and never leaks a
traceback.

The local server runs with a generous throttle (see conftest): at the stage's 4 requests per second the local
gateway would answer most generated requests with 429, which would test the throttle instead of the API. Examples
are bounded per operation and derandomized, so a run is fast and repeatable (in CI and everywhere else).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.e2e.conftest import Target

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 25

schema = schemathesis.openapi.from_path(ROOT / "openapi.json")


def no_traceback_in_body(ctx: Any, response: Any, case: Any) -> bool | None:
    """Stack traces go to the logs, never to the client."""
    text = response.text or ""
    if "Traceback" in text or 'File "' in text:
        raise AssertionError(f"the response body contains a traceback: {text[:500]}")
    return None


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_openapi_document(case: Any, target: Target) -> None:
    if target.deployed:
        pytest.skip("fuzzes the local server only: a deployed API would need every generated request signed")
    case.call_and_validate(
        base_url=target.base_url,
        session=target.http,
        checks=[not_a_server_error, response_schema_conformance, no_traceback_in_body],
        timeout=30,
    )
