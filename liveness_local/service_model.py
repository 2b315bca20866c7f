"""Check a value against every constraint of a botocore service-model shape.

botocore validates parameters before sending, but only required members, types, minimum lengths and minimum
values; the service enforces the rest (maximums, patterns, enums). An emulated service has to enforce all of
them, or code that the real service would reject passes locally.

Values are the Python objects a boto3 caller passes or receives: dict for structures and maps, list or tuple
for lists, bytes for blobs, datetime for timestamps.
"""

import base64
import binascii
import functools
import re
import reprlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StringShape, StructureShape

_PYTHON_TYPES: Mapping[str, tuple[type, ...]] = {
    "structure": (Mapping,),
    "map": (Mapping,),
    "list": (list, tuple),
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "blob": (bytes, bytearray),
    "timestamp": (datetime,),
}
_NUMBER_TYPES = frozenset({"integer", "long", "float", "double"})
_SIZED_TYPES = frozenset({"string", "blob", "list", "map"})

# Messages go into error responses and logs: cut long values short.
_repr = reprlib.Repr()
_repr.maxstring = 80


def operation_model(service: str, operation: str) -> OperationModel:
    """`operation` of `service` (their API names), as botocore's service model describes it."""
    return _service_model(service).operation_model(operation)


@functools.cache
def _service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def validate(shape: Shape, value: Any, path: str = "") -> list[str]:
    """Every way `value` breaks `shape`, one message per problem, each led by the member path
    (`Settings.ChallengePreferences[0].Type: ...`). An empty list means the value is valid.

    Messages never quote a value of a sensitive shape, or of anything inside one.

    Raises ValueError when the model's pattern is not a Python regular expression (some models use Java-only
    syntax such as `\\p{L}`): an emulator that silently skipped the check would accept what the service rejects.
    """
    return _validate(shape, value, path, hidden=False)


def _validate(shape: Shape, value: Any, path: str, hidden: bool) -> list[str]:
    where = path or shape.name
    hidden = hidden or bool(shape.metadata.get("sensitive"))
    if isinstance(shape, StructureShape) and shape.is_document_type:
        return []  # a document member holds any JSON value
    if not _has_type(shape, value):
        return [f"{where}: expected {shape.type_name}, got {type(value).__name__}"]
    problems = _check_bounds(shape, value, where, hidden)
    if isinstance(shape, StructureShape):
        problems += _check_structure(shape, value, path, hidden)
    elif isinstance(shape, ListShape):
        for index, item in enumerate(value):
            problems += _validate(shape.member, item, f"{where}[{index}]", hidden)
    elif isinstance(shape, MapShape):
        for key, item in value.items():
            problems += _validate(shape.key, key, f"{where} key {_show(key, hidden)}", hidden)
            problems += _validate(shape.value, item, f"{where}[{_show(key, hidden)}]", hidden)
    elif isinstance(shape, StringShape):
        problems += _check_string(shape, value, where, hidden)
    return problems


def _has_type(shape: Shape, value: object) -> bool:
    # bool is an int subclass, yet True is no integer to a service.
    is_bool_as_number = isinstance(value, bool) and shape.type_name != "boolean"
    return isinstance(value, _PYTHON_TYPES[shape.type_name]) and not is_bool_as_number


def _check_bounds(shape: Shape, value: Any, where: str, hidden: bool) -> list[str]:
    """The model's `min`/`max`: a value range for numbers, a length for strings, blobs, lists and maps."""
    if shape.type_name in _NUMBER_TYPES:
        measured, shown = value, _show(value, hidden)
    elif shape.type_name in _SIZED_TYPES:
        measured = len(value)
        shown = f"length {measured}"
    else:
        return []
    minimum, maximum = shape.metadata.get("min"), shape.metadata.get("max")
    if minimum is not None and measured < minimum:
        return [f"{where}: {shown} is below the minimum {minimum}"]
    if maximum is not None and measured > maximum:
        return [f"{where}: {shown} is above the maximum {maximum}"]
    return []


def _check_structure(shape: StructureShape, value: Mapping[str, Any], path: str, hidden: bool) -> list[str]:
    problems = [
        f"{_member_path(path, name)}: required member is missing"
        for name in shape.required_members
        if name not in value
    ]
    for name, member_value in value.items():
        member = shape.members.get(name)
        if member is None:
            problems.append(f"{_member_path(path, name)}: unknown member, expected one of {', '.join(shape.members)}")
        else:
            problems += _validate(member, member_value, _member_path(path, name), hidden)
    if shape.is_tagged_union and len(value) != 1:
        problems.append(f"{path or shape.name}: a union takes exactly one member, got {len(value)}")
    return problems


def _check_string(shape: StringShape, value: str, where: str, hidden: bool) -> list[str]:
    problems = []
    if shape.enum and value not in shape.enum:
        problems.append(f"{where}: {_show(value, hidden)} is not one of {', '.join(shape.enum)}")
    pattern = shape.metadata.get("pattern")
    # The service matches the whole value even where the model leaves the pattern unanchored (`\S*`).
    if pattern is not None and _compile(pattern, where).fullmatch(value) is None:
        problems.append(f"{where}: {_show(value, hidden)} does not match the pattern {pattern}")
    return problems


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)  # `re` keeps its own cache of compiled patterns
    except re.error as error:
        raise ValueError(f"{where}: the model's pattern {pattern!r} is not a Python regular expression") from error


def _member_path(path: str, name: object) -> str:
    return f"{path}.{name}" if path else str(name)


def _show(value: object, hidden: bool) -> str:
    return "<sensitive>" if hidden else _repr.repr(value)


def from_wire(shape: Shape, value: Any) -> Any:
    """`value` as JSON decoded it from a request body, with each blob's base64 text turned back into bytes, as a
    boto3 caller passed it (JSON protocols send blobs as base64). Text that is not base64 stays text, so `validate`
    reports it."""
    if isinstance(shape, StructureShape) and isinstance(value, Mapping) and not shape.is_document_type:
        return {
            name: from_wire(shape.members[name], item) if name in shape.members else item
            for name, item in value.items()
        }
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [from_wire(shape.member, item) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, Mapping):
        return {key: from_wire(shape.value, item) for key, item in value.items()}
    if shape.type_name == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            return value
    return value


def to_wire(value: Any) -> Any:
    """A response body as JSON protocols send it: timestamps as epoch seconds (blobs are json_response's)."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, Mapping):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    return value
