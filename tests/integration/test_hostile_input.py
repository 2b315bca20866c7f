"""Hostile input, generated: whatever body, header or path a caller sends, the function never answers 5xx and never
logs an ERROR. A body it cannot read is a 400 malformed-json with one WARNING line; no other answer warns.

The bodies are JSON-ish text built from fragments an attacker would try: numbers past a double's range or Python's
integer-string limit, NaN and Infinity, deep nesting, duplicate names, lone surrogates and odd Unicode, invalid
escapes, truncations and stray characters, and bytes that are not UTF-8. Examples are bounded and derandomized, as
in tests/e2e/test_fuzz.py, so a run takes seconds and repeats exactly.
"""

import io
import json
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liveness_api.contract import IDEMPOTENCY_HEADER
from liveness_local.backend import LocalBackend
from liveness_local.events import CallerIdentity, api_gateway_event
from tests.integration.conftest import log_records

FIELDS = ("auditImagesLimit", "challengePreferences", "type", "versions", "minimum", "maximum")

# Unicode at its edges: lone surrogates, noncharacters, controls, combining marks, bidi overrides, astral planes.
odd_characters = st.characters() | st.sampled_from(
    ["\ud800", "\udfff", "\ufffe", "\uffff", "\x00", "\x1f", "\u0301", "\u202e", "\U0010ffff", "\N{GRINNING FACE}"]
)

digits = st.builds(lambda digit, count: digit * count, st.sampled_from("0123456789"), st.integers(1, 6000))
number_texts = st.builds(
    lambda sign, whole, fraction, exponent: f"{sign}{whole}{fraction}{exponent}",
    st.sampled_from(["", "-", "+", "--"]),
    digits | st.integers(0, 10).map(str),
    st.just("") | digits.map(lambda d: "." + d) | st.just("."),
    st.just("") | st.integers(-100_000, 100_000).map(lambda e: f"e{e}") | st.sampled_from(["E+", "e-0", "e999999"]),
)
literal_texts = st.sampled_from(["null", "true", "false", "NaN", "Infinity", "-Infinity", "nul", "True", "None"])
string_texts = st.lists(
    odd_characters.map(lambda c: json.dumps(c)[1:-1])  # a character as JSON escapes it
    | odd_characters  # or raw, control characters included
    | st.sampled_from(["\\ud800", "\\udc00\\ud83d", "\\ud83d\\ude00", "\\x", "\\u12", '\\"', "\\"]),
    max_size=12,
).map(lambda parts: '"' + "".join(parts) + '"')
key_texts = st.sampled_from(FIELDS).map(json.dumps) | string_texts


def _object(members: list[tuple[str, str]]) -> str:
    return "{" + ",".join(f"{name}:{value}" for name, value in members) + "}"


json_ish = st.recursive(
    number_texts | literal_texts | string_texts,
    lambda children: (
        st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]")
        | st.lists(st.tuples(key_texts, children), max_size=4).map(_object)
    ),
    max_leaves=12,
)
deeply_nested = st.builds(
    lambda opening, closing, depth, inner: opening * depth + inner + closing * depth,
    st.sampled_from(["[", '{"auditImagesLimit":', '{"challengePreferences":[']),
    st.sampled_from(["]", "}", "]}"]),
    st.integers(1, 20_000),
    json_ish,
)


@st.composite
def mangled(draw: st.DrawFn, text: str) -> str:
    """`text` cut short anywhere, up to two stray characters after the cut."""
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.just("") | st.text(odd_characters, max_size=2))


hostile_bodies = (
    json_ish
    | json_ish.map(lambda value: _object([(json.dumps("auditImagesLimit"), value)]))
    | deeply_nested
    | json_ish.flatmap(mangled)
    | st.text(odd_characters, max_size=30)
    | st.binary(max_size=30)
)


def invoke(backend: LocalBackend, log_output: io.StringIO, event: dict[str, Any]) -> int:
    """The status the function answers `event` with, having checked the log lines it wrote for it."""
    log_output.seek(0)
    log_output.truncate()
    response = backend.invoke(event)
    status: int = response["statusCode"]
    records = log_records(log_output.getvalue())
    assert status < 500, response["body"]
    assert not [record for record in records if record["level"] in {"ERROR", "CRITICAL"} or "exception" in record]
    warnings = [record["message"] for record in records if record["level"] == "WARNING"]
    if status == 400:
        assert "malformed-json" in response["body"]
        assert warnings == ["Malformed request body"]
    else:
        assert warnings == []
    return status


# The log stream fixture is shared by the examples of one test; `invoke` empties it before each.
HOSTILE = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@HOSTILE
@given(body=hostile_bodies)
def test_no_body_makes_the_create_route_fail(backend: LocalBackend, log_output: io.StringIO, body: str | bytes) -> None:
    # A new caller each time, so the per-caller limits do not turn every later example into a 429.
    identity = CallerIdentity.iam(f"fuzz-{uuid.uuid4().hex[:8]}")
    event = api_gateway_event(
        "POST", "/sessions", body=body, headers={"Content-Type": "application/json"}, identity=identity
    )

    invoke(backend, log_output, event)


header_values = st.text(odd_characters, max_size=80) | st.lists(
    st.text(odd_characters, max_size=8), min_size=1, max_size=3
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "Application/JSON", "text/plain", "", " ", ";"]
) | st.text(odd_characters, max_size=20)


@HOSTILE
@given(
    route=st.sampled_from(["POST /sessions", "GET /sessions/{}/results", "DELETE /sessions/{}"]),
    session_id=st.uuids().map(str) | st.text(odd_characters, max_size=40),
    headers=st.fixed_dictionaries(
        {},
        optional={
            IDEMPOTENCY_HEADER: header_values,
            IDEMPOTENCY_HEADER.lower(): header_values,
            "Content-Type": content_types,
            "content-type": content_types,
            "Origin": header_values,
        },
    ),
    body=st.none() | st.just("{}") | hostile_bodies,
)
def test_no_header_path_or_body_makes_any_route_fail(
    backend: LocalBackend, log_output: io.StringIO, route: str, session_id: str, headers: dict[str, Any], body: Any
) -> None:
    method, path = route.split(" ")
    identity = CallerIdentity.iam(f"fuzz-{uuid.uuid4().hex[:8]}")

    invoke(
        backend,
        log_output,
        api_gateway_event(method, path.format(session_id), body=body, headers=headers, identity=identity),
    )
