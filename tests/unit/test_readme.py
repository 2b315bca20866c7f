"""The README is the front door: its configuration table and commands must match the code."""

import re
from pathlib import Path

from infra.config import StackConfig, config_keys

README = (Path(__file__).parents[2] / "README.md").read_text()
# Every package of the repository but the tests.
PACKAGES = ("infra", "lambda_src", "liveness_local", "bench")


def test_every_configuration_knob_is_documented_with_its_default() -> None:
    documented = dict(re.findall(r"^\| `(\w+)` \| `?([^|`]*)`? \|", README, flags=re.MULTILINE))
    defaults = StackConfig()

    assert set(documented) >= config_keys(), "knobs missing from the README's configuration table"
    for name, field in StackConfig.model_fields.items():
        value = getattr(defaults, name)
        shown = documented[field.alias or name]
        if value is None:
            assert shown == "none", field.alias
        elif isinstance(value, bool):
            assert shown == str(value).lower(), field.alias
        elif isinstance(value, tuple):
            assert shown == "[]", field.alias
        else:
            assert float(shown) == float(value) if isinstance(value, int | float) else shown == value, field.alias


def test_documented_make_targets_exist() -> None:
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    for target in set(re.findall(r"^make (\w+)", README, flags=re.MULTILINE)):
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE), target


def test_the_code_layout_names_every_module() -> None:
    root = Path(__file__).parents[2]
    sources = [root / "app.py"] + [path for package in PACKAGES for path in (root / package).rglob("*.py")]
    modules = {str(path.relative_to(root)) for path in sources if path.name != "__init__.py"}
    modules |= {"infra/constructs/observability/__init__.py"}
    layout = README[README.index("### Code layout") : README.index("## Run it locally")]
    named = set(re.findall(r"`([\w/]+\.py)`", layout))

    assert modules - named == set(), "modules missing from the README's code layout"
    assert named - modules == set(), "the README's code layout names modules that do not exist"
