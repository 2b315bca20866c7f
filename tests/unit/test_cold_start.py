"""What the cold start relies on: the entry module Lambda imports, and botocore told which services we use."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from botocore.exceptions import UnknownServiceError

from infra.config import function_environment, load_cdk_json_config
from liveness_api.contract import LAMBDA_HANDLER
from liveness_api.dependencies import SERVICES, aws_session

REPO = Path(__file__).parents[2]

# Imports the entry module as Lambda would, then reports what it left behind. A fake snapshot_restore_py stands
# in for the module that only Lambda's runtime ships, so the SnapStart hook can be seen registering.
_PROBE = textwrap.dedent(
    """
    import gc, json, random, sys, types
    hooks = []
    if sys.argv[1] == "with-snapstart-module":
        fake = types.ModuleType("snapshot_restore_py")
        fake.register_after_restore = hooks.append
        sys.modules["snapshot_restore_py"] = fake
    module_name, _, attribute = sys.argv[2].rpartition(".")
    entry = __import__(module_name, fromlist=[attribute])
    gc_enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    from liveness_local.events import api_gateway_event

    class Context:
        function_name = "probe"
        memory_limit_in_mb = 512
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:probe"
        aws_request_id = "probe-invocation"

        def get_remaining_time_in_millis(self):
            return 15000

    # A route the API does not have: answered by the app's own error mapping, without any AWS call.
    answer = getattr(entry, attribute)(api_gateway_event("GET", "/nowhere", request_id="probe-request"), Context())
    print(json.dumps({
        "gc_enabled": gc_enabled,
        "frozen": frozen,
        "answer": [answer["statusCode"], json.loads(answer["body"])],
        "hooks": [f"{hook.__module__}.{hook.__qualname__}" for hook in hooks],
        "reseeds_random": hooks == [random.seed],
    }))
    """
)


def probe_entry(mode: str) -> dict[str, object]:
    config = load_cdk_json_config()
    environment = {
        **os.environ,
        **function_environment(
            config, bucket="images", key_arn="arn:aws:kms:us-east-1:1:key/k", table="sessions", collection="faces"
        ),
        "PYTHONPATH": str(REPO / "lambda_src"),
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, mode, LAMBDA_HANDLER],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_the_entry_serves_the_handler_and_leaves_the_collector_running() -> None:
    # Its own process: the entry module freezes the heap it finds, which must not be this test worker's.
    report = probe_entry("plain")

    answer = report["answer"]
    assert isinstance(answer, list)
    status, problem = answer
    assert status == 404
    assert (problem["type"], problem["requestId"]) == ("urn:face-liveness-api:problem:route-not-found", "probe-request")
    assert report["gc_enabled"] is True  # paused only while the handler was imported
    frozen = report["frozen"]
    assert isinstance(frozen, int)
    assert frozen > 10_000  # init's objects, left out of every later collection
    assert report["hooks"] == []


def test_with_snapstart_the_entry_reseeds_random_after_every_restore() -> None:
    report = probe_entry("with-snapstart-module")

    assert report["reseeds_random"] is True, report["hooks"]


def test_botocore_loads_the_services_the_function_uses() -> None:
    session = aws_session()

    for service in SERVICES:
        client = session.create_client(service, region_name="us-east-1")
        assert client.meta.service_model.service_name == service
    assert session.get_available_services() == sorted(SERVICES)


def test_botocore_refuses_a_service_the_function_does_not_use() -> None:
    # Narrowing the check must not turn a typo or a new, unplanned dependency into a confusing failure later.
    with pytest.raises(UnknownServiceError):
        aws_session().create_client("sqs", region_name="us-east-1")
