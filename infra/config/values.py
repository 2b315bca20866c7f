"""How knob values are read and how a wrong one is told: the strict boolean the docs promise, and the words for
what a knob accepts, from its JSON schema (docs/configuration.md's "allowed" column and synth's errors alike).

A person reads these messages, not a developer: a knob's name, what it was given and what it accepts, never a
validator's type names or a regular expression.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from pydantic import BeforeValidator

# What docs/configuration.md says a boolean knob takes: JSON's true and false in cdk.json, the same words with -c.
FLAG_WORDS: Final = {"true": True, "false": False}
FLAG_ERROR: Final = "expected true or false"


def _flag(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in FLAG_WORDS:
        return FLAG_WORDS[value]
    raise ValueError(FLAG_ERROR)


# A boolean knob: `true` or `false` (JSON booleans, or those words from -c), nothing else: no `yes`, `on` or `1`.
Flag = Annotated[bool, BeforeValidator(_flag)]


def allowed(schema: dict[str, Any]) -> str:
    """The values a knob accepts, in words, from its JSON schema."""
    if "anyOf" in schema:
        # A knob's examples sit beside its options: each option that is text shows them.
        examples: dict[str, Any] = {"examples": schema["examples"]} if "examples" in schema else {}
        return " or ".join(allowed({**examples, **option}) for option in schema["anyOf"])
    if "const" in schema:
        return f"`{schema['const']}`"
    if "enum" in schema:
        return ", ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type")
    if kind == "boolean":
        return "`true`, `false`"
    if kind == "null":
        return "none"
    if kind == "array":
        return "list"
    if kind in {"integer", "number"}:
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum")
        above = ">" if "exclusiveMinimum" in schema else ">="
        if low is not None and high is not None:
            return f"{kind} {low:,}-{high:,}" if above == ">=" else f"{kind} > {low:,} and <= {high:,}"
        if low is not None:
            return f"{kind} {above} {low:,}"
        return str(kind)
    if "examples" in schema:
        return f"text like `{schema['examples'][0]}`"
    return "text"


def knob_problem(key: str, given: Any, schema: dict[str, Any], message: str | None) -> str:
    """One knob's problem in one sentence: `message` where the knob's own check wrote one (it names the rule),
    otherwise what the knob accepts."""
    shown = given if isinstance(given, str) else repr(given)
    if message:
        return f"{key}={shown}: {message}"
    return f"{key}={shown} is not allowed; {key} takes {allowed(schema).replace('`', '')}"
