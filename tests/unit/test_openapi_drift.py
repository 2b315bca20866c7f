"""The committed openapi.json is exactly what the handler's routes and models generate (`make openapi`), and it says
exactly what the handler sends: the content of every response, Retry-After, stable operationIds and links."""

import json
from pathlib import Path

import pytest

from infra.config import load_cdk_json_config
from liveness_api.contract import Routes
from liveness_api.problems import PROBLEM_CONTENT_TYPE
from liveness_local.openapi import documented_app, main, openapi_document, render

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_openapi_document_matches_the_code() -> None:
    config = load_cdk_json_config()
    generated = render(openapi_document(documented_app(config), config.authorization))

    assert (ROOT / "openapi.json").read_text() == generated, "Regenerate it: make openapi"


def test_the_check_fails_on_a_stale_document(tmp_path: Path) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text((ROOT / "openapi.json").read_text().replace("createSession", "makeSession"))

    assert main(["--check", str(stale)]) == 1
    assert main(["--check", str(ROOT / "openapi.json")]) == 0


# What the document promises, checked on the committed file (the fuzzer checks the handler keeps each promise).
DOCUMENT = json.loads((ROOT / "openapi.json").read_text())
OPERATIONS = {
    operation["operationId"]: (method.upper(), path, operation)
    for path, methods in DOCUMENT["paths"].items()
    for method, operation in methods.items()
}


def test_every_operation_has_its_stable_operation_id() -> None:
    assert {(method, path) for method, path, _ in OPERATIONS.values()} == set(Routes.ALL)
    assert set(OPERATIONS) == {
        "createSession",
        "getSessionResults",
        "eraseSession",
        "consumeVerdict",
        "enrolPerson",
        "eraseEnrolment",
    }


@pytest.mark.parametrize("operation_id", ["createSession", "getSessionResults", "eraseSession", "consumeVerdict"])
def test_each_response_declares_the_content_the_handler_sends(operation_id: str) -> None:
    responses = OPERATIONS[operation_id][2]["responses"]
    assert len([status for status in responses if status.startswith("2")]) == 1, responses
    for status, response in responses.items():
        if status == "204":
            assert "content" not in response, "a 204 has no body"
        elif status.startswith("2"):
            assert set(response["content"]) == {"application/json"}, (status, response)
        else:
            assert response["content"] == {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for status in ("429", "503"):
        header = responses[status]["headers"]["Retry-After"]
        assert header["schema"]["type"] == "integer"
        # The handler's 503s always carry it; API Gateway's own throttle answers 429 without it.
        assert header.get("required", False) is (status == "503")


def test_a_created_session_links_to_the_routes_that_take_its_id() -> None:
    links = OPERATIONS["createSession"][2]["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == {"getSessionResults", "eraseSession", "consumeVerdict"}
    for link in links.values():
        _, path, operation = OPERATIONS[link["operationId"]]
        assert [parameter["name"] for parameter in operation["parameters"] if parameter["in"] == "path"] == [
            "sessionId"
        ]
        assert link["parameters"] == {"sessionId": "$response.body#/sessionId"}, path


def test_the_document_holds_only_the_schemas_it_uses() -> None:
    text = json.dumps(DOCUMENT["paths"]) + json.dumps(DOCUMENT["components"]["schemas"])
    for name in DOCUMENT["components"]["schemas"]:
        assert f'"#/components/schemas/{name}"' in text, name
