"""Reading the knobs from `cdk.json`'s context (the CDK app's context, cdk.json plus `-c` values, or a plain dict).

Every way in says what is wrong in the knobs' own words: an unknown key names the closest knob, a bad value names
the knob and what it accepts, a rule across knobs says which knobs to change.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from infra.config.knobs import StackConfig
from infra.config.values import FLAG_ERROR, knob_problem

CDK_JSON: Final = Path(__file__).resolve().parents[2] / "cdk.json"
# Context keys the CDK CLI itself writes into cdk.json without a colon.
CDK_OWN_KEYS: Final = frozenset({"acknowledged-issue-numbers"})
# Pydantic's prefix on the message of a ValueError raised by a validator; the rest is the validator's own words.
_VALUE_ERROR: Final = "Value error, "


class ConfigError(ValueError):
    """The configuration cannot produce a safe stack; the message says which knob and why."""


def config_keys() -> frozenset[str]:
    """Every knob's context key."""
    return frozenset(field.alias or name for name, field in StackConfig.model_fields.items())


def load_config(get_context: Callable[[str], Any]) -> StackConfig:
    """Build the config from a context getter (the CDK app's `node.try_get_context`, or a dict's `get`). A knob the
    context does not name takes its default from the model."""
    values = {key: value for key in config_keys() if (value := get_context(key)) is not None}
    try:
        return StackConfig.model_validate(values)
    except ValidationError as error:
        raise ConfigError(describe(error, values)) from None


def load_context(context: Mapping[str, Any]) -> StackConfig:
    """The config of a whole context (cdk.json's with the `-c` values), refusing a key that is no knob: a typo
    would otherwise leave the knob it meant at its default without a word."""
    if unknown := unknown_context_keys(context):
        raise ConfigError("; ".join(unknown_key_problem(key) for key in unknown))
    return load_config(context.get)


def describe(error: ValidationError, values: Mapping[str, Any]) -> str:
    """Each problem once, in the knobs' words: a union's members each report a failure, one line is enough."""
    schema = StackConfig.model_json_schema(by_alias=True)["properties"]
    problems: dict[str, str] = {}
    for item in error.errors():
        message = item["msg"].removeprefix(_VALUE_ERROR) if item["msg"].startswith(_VALUE_ERROR) else None
        key = str(item["loc"][0]) if item["loc"] else ""
        if key not in schema:
            # A rule across knobs (the model's own check): its message names them.
            problems.setdefault(message or item["msg"], message or item["msg"])
            continue
        own_message = None if message == FLAG_ERROR else message
        problems.setdefault(key, knob_problem(key, values.get(key), schema[key], own_message))
    return "; ".join(problems.values())


def unknown_context_keys(context: Mapping[str, Any]) -> list[str]:
    """Keys in the context that are neither ours nor CDK's own (`@aws-cdk/...`, `aws:...`, the lookups' keys in
    cdk.context.json, which all hold a colon, and `cdk acknowledge`'s list): typos."""
    return sorted(
        key
        for key in context
        if ":" not in key and not key.startswith("@") and key not in config_keys() and key not in CDK_OWN_KEYS
    )


def unknown_key_problem(key: str) -> str:
    """`key` is no knob: the closest knob's name (case aside), or where the list is."""
    by_lower = {known.lower(): known for known in config_keys()}
    close = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.6)
    hint = f"did you mean {by_lower[close[0]]}?" if close else "every knob is listed in docs/configuration.md"
    return f"{key} is not a knob of this stack: {hint}"


def load_cdk_json_config(path: Path = CDK_JSON, overrides: Sequence[str] = ()) -> StackConfig:
    """The config as `cdk synth -c KEY=VALUE ...` would see it (values as strings, as the CLI passes them); used by
    the local server and preflight."""
    return load_context(cdk_json_context(path, overrides))


def cdk_json_context(path: Path = CDK_JSON, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """cdk.json's context with `KEY=VALUE` overrides."""
    context: dict[str, Any] = json.loads(path.read_text())["context"]
    for override in overrides:
        key, separator, value = override.partition("=")
        if not separator or not key:
            raise ConfigError(f"-c takes KEY=VALUE (e.g. -c authorization=COGNITO), not {override!r}")
        context[key] = value
    return context
