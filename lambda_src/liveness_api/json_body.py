"""How the API reads a request body: JSON (RFC 8259) within limits RFC 8259 section 9 lets a parser set, namely
those I-JSON (RFC 7493) names for interoperable messages. A body outside them raises `MalformedJson`, which the
handler answers as a 400; none reaches the handler's catch-all as a ValueError or RecursionError.

- A number a double cannot hold, which would overflow to infinity or a nonzero one underflow to zero (RFC 8259
  section 6, RFC 7493 section 2.2). Checked before an integer is converted, so a long one never meets Python's
  integer-string limit (a ValueError) or its quadratic conversion.
- NaN and Infinity, which Python's json accepts though they are not JSON.
- Nesting deeper than `MAX_DEPTH`. The request model is four levels deep, and past the interpreter's recursion
  limit the parser itself would raise RecursionError.
- A member name twice in one object (RFC 7493 section 2.3): parsers disagree on which one counts, so a filter in
  front of the function (AWS WAF's JSON inspection) and the function could read different bodies.
- A lone surrogate in a string (RFC 7493 section 2.1): not Unicode text, and not encodable as UTF-8 on its way to
  AWS.

`read_json_body` is what the resolver parses a body with (its `json_body_deserializer`).
"""

from __future__ import annotations

import json
import math
import re
from enum import StrEnum
from typing import Any, Final

from liveness_api.errors import MalformedJson

# docs/api.md states it (a unit test keeps the two equal).
MAX_DEPTH: Final = 32


class Refusal(StrEnum):
    """Why a body is refused, other than JSON's syntax: the words the log line and the client's detail carry."""

    NOT_UTF8 = "bytes that are not UTF-8"
    TOO_DEEP = f"arrays and objects nested deeper than {MAX_DEPTH} levels"
    OUT_OF_RANGE = "a number outside the range of a double"
    NOT_A_NUMBER = "NaN or Infinity, which JSON does not have"
    DUPLICATE_NAME = "a member name twice in one object"
    LONE_SURROGATE = "a string with a lone surrogate"


_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def read_json_body(text: str) -> Any:
    """The body's value, or `MalformedJson` naming the first rule it breaks."""
    try:
        value = json.loads(
            text,
            parse_float=_double,
            parse_int=_integer,
            parse_constant=_constant,
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as error:
        # json's own messages are fixed words ("Expecting value"); the position is a number: neither quotes the body.
        raise MalformedJson(f"{error.msg} at character {error.pos}") from None
    except RecursionError:
        raise MalformedJson(Refusal.TOO_DEEP) from None
    _check_depth_and_strings(value)
    return value


def _double(text: str) -> float:
    value = float(text)
    # A nonzero digit before the exponent that still gives 0.0 is an underflow, not a zero.
    if math.isinf(value) or (value == 0 and text.lower().partition("e")[0].strip("-0.")):
        raise MalformedJson(Refusal.OUT_OF_RANGE)
    return value


def _integer(text: str) -> int:
    _double(text)
    return int(text)


def _constant(_: str) -> Any:
    raise MalformedJson(Refusal.NOT_A_NUMBER)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise MalformedJson(Refusal.DUPLICATE_NAME)
    return members


def _check_depth_and_strings(value: Any) -> None:
    # A loop, not recursion: the value may be nested almost to the recursion limit.
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                raise MalformedJson(Refusal.LONE_SURROGATE)
        elif isinstance(item, dict | list):
            if depth == MAX_DEPTH:
                raise MalformedJson(Refusal.TOO_DEEP)
            children = [*item, *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
