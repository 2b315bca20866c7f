"""tools/compare_templates.py: asset hashes and the names CDK derives from code may differ, nothing else."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tools.compare_templates import compare_templates, main

OLD_HASH = "a" * 64
NEW_HASH = "b" * 64


def template(code_hash: str, version_id: str, memory: int = 512) -> dict[str, Any]:
    return {
        "Resources": {
            "Function": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Code": {"S3Key": f"{code_hash}.zip"}, "MemorySize": memory},
                "Metadata": {"aws:cdk:path": "Stack/Function/Resource", "aws:asset:path": f"asset.{code_hash}"},
            },
            version_id: {
                "Type": "AWS::Lambda::Version",
                "Properties": {"FunctionName": {"Ref": "Function"}},
                "Metadata": {"aws:cdk:path": "Stack/Function/CurrentVersion/Resource"},
            },
            "Alias": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {"FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]}},
            },
        }
    }


def test_a_new_code_asset_and_its_version_id_are_no_difference() -> None:
    old = template(OLD_HASH, "FunctionCurrentVersion1234ABCD" + "0" * 32)
    new = template(NEW_HASH, "FunctionCurrentVersion9876FEDC" + "f" * 32)

    assert compare_templates(old, new) == []


def test_any_other_change_is_reported_with_its_path() -> None:
    old = template(OLD_HASH, "FunctionCurrentVersion1234ABCD" + "0" * 32)
    new = template(NEW_HASH, "FunctionCurrentVersion9876FEDC" + "f" * 32, memory=1024)
    renamed = copy.deepcopy(old)
    renamed["Resources"]["Function2"] = renamed["Resources"].pop("Function")

    assert compare_templates(old, new) == ["$.Resources.Function.Properties.MemorySize: 512 -> 1024"]
    # A new logical id replaces the resource on deploy: reported, though the resource is the same.
    assert [line.split(" (was")[0].split(" {")[0] for line in compare_templates(old, renamed)] == [
        "$.Resources.Function: removed",
        "$.Resources.Function2: added",
    ]


def test_the_command_exits_1_on_a_difference_0_without_and_2_without_a_template(tmp_path: Path) -> None:
    paths = {}
    for name, memory in (("old", 512), ("same", 512), ("changed", 256)):
        paths[name] = tmp_path / name / "Stack.template.json"
        paths[name].parent.mkdir()
        paths[name].write_text(json.dumps(template(OLD_HASH, "V", memory)))

    assert main([str(paths["old"].parent), str(paths["same"].parent)]) == 0
    assert main([str(paths["old"]), str(paths["changed"])]) == 1
    assert main([str(paths["old"].parent), str(tmp_path / "missing")]) == 2
