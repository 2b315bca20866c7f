"""Reading the knobs from `cdk.json`'s context (the CDK app's context, cdk.json plus `-c` values, or a plain dict)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from infra.config.knobs import StackConfig

CDK_JSON: Final = Path(__file__).resolve().parents[2] / "cdk.json"


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
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"Invalid cdk.json context: {problems}") from None


def unknown_context_keys(context: Mapping[str, Any]) -> list[str]:
    """Keys in cdk.json's context that are neither ours nor CDK's own (`@aws-cdk/...`, `aws:...`): typos."""
    return sorted(key for key in context if ":" not in key and not key.startswith("@") and key not in config_keys())


def load_cdk_json_config(path: Path = CDK_JSON) -> StackConfig:
    """The config as `cdk synth` would see it with no `-c` overrides; used by the local server."""
    context: dict[str, Any] = json.loads(path.read_text())["context"]
    return load_config(context.get)
