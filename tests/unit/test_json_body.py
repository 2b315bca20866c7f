"""read_json_body: what it refuses, where each limit lies, and that it reads every body within them as json does."""

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liveness_api.errors import MalformedJson
from liveness_api.json_body import MAX_DEPTH, Refusal, read_json_body

ROOT = Path(__file__).resolve().parents[2]


def nested(depth: int, leaf: str = "0") -> str:
    """`depth` levels of arrays and objects, alternating, around `leaf`."""
    text = leaf
    for level in range(depth):
        text = f"[{text}]" if level % 2 else f'{{"a": {text}}}'
    return text


def reason(text: str) -> str:
    with pytest.raises(MalformedJson) as refused:
        read_json_body(text)
    return refused.value.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1" + "9" * 5000, Refusal.OUT_OF_RANGE),
        ("-" + "9" * 309, Refusal.OUT_OF_RANGE),
        ("1e400", Refusal.OUT_OF_RANGE),
        ("-1.5E+99999", Refusal.OUT_OF_RANGE),
        ("1" + "0" * 5000 + ".5", Refusal.OUT_OF_RANGE),
        ("1e-400", Refusal.OUT_OF_RANGE),
        ("-0.0001e-99999", Refusal.OUT_OF_RANGE),
        ("NaN", Refusal.NOT_A_NUMBER),
        ('{"auditImagesLimit": -Infinity}', Refusal.NOT_A_NUMBER),
        ("[Infinity]", Refusal.NOT_A_NUMBER),
        ('{"a": 1, "a": 1}', Refusal.DUPLICATE_NAME),
        ('[{"b": {"a": 1, "a": 2}}]', Refusal.DUPLICATE_NAME),
        ('{"\\ud800": 1}', Refusal.LONE_SURROGATE),
        ('{"a": ["x", "\\udfff"]}', Refusal.LONE_SURROGATE),
        ('"\\ude00\\ud83d"', Refusal.LONE_SURROGATE),
        ('["\ud800"]', Refusal.LONE_SURROGATE),
        ("[" * 100_000 + "]" * 100_000, Refusal.TOO_DEEP),
        ('{"a":' * 100_000 + "1" + "}" * 100_000, Refusal.TOO_DEEP),
        (nested(MAX_DEPTH + 1), Refusal.TOO_DEEP),
        (nested(MAX_DEPTH, "[]"), Refusal.TOO_DEEP),
    ],
)
def test_refuses_what_json_does_not_allow_or_a_double_cannot_hold(text: str, expected: Refusal) -> None:
    assert reason(text) is expected


@pytest.mark.parametrize("text", ['{"auditImagesLimit": ', "[1,]", "{'a': 1}", '"\\x"', "", "1 2", "\x00"])
def test_refuses_what_is_not_json_at_all(text: str) -> None:
    assert reason(text) not in set(Refusal)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (nested(MAX_DEPTH), json.loads(nested(MAX_DEPTH))),
        ("1.7976931348623157e308", sys.float_info.max),
        ("-" + str(2**1000), -(2**1000)),
        ("1" + "0" * 308, 10**308),
        ("5e-324", 5e-324),
        ("0e-99999", 0.0),
        ("-0.000", 0.0),
        ('"\\ud83d\\ude00"', "\N{GRINNING FACE}"),
        ('{"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}', {"a": {"a": 1}, "b": [{"a": 2}, {"a": 3}]}),
    ],
)
def test_reads_the_edges_of_each_limit(text: str, value: Any) -> None:
    assert read_json_body(text) == value


def test_the_reason_never_quotes_the_body() -> None:
    secret = "Jane Doe, 1970-01-01"
    for text in (f'{{"{secret}": 1, "{secret}": 2}}', f'{{"{secret}": 1e999}}', f'{{"{secret}": NaN}}', f'["{secret}'):
        assert "Jane" not in str(MalformedJson(reason(text)))


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


# I-JSON: finite doubles, integers a double can hold, and text without surrogates (the default alphabet's).
ijson = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**1000), max_value=2**1000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=40,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(ijson)
def test_any_body_within_the_limits_reads_as_json_reads_it(value: Any) -> None:
    text = json.dumps(value, ensure_ascii=False)

    if _depth(value) > MAX_DEPTH:
        assert reason(text) is Refusal.TOO_DEEP
    else:
        assert read_json_body(text) == json.loads(text)


def test_the_api_docs_state_the_depth_limit() -> None:
    documented = re.search(r"nested more than (\d+) deep", (ROOT / "docs" / "api.md").read_text())

    assert documented is not None
    assert int(documented.group(1)) == MAX_DEPTH
