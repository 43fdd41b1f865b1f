"""The provider schemas the suite checks against are vendored (tests/schemas/), so a clone without
../shared passes; they must cover every resource type the shipped stacks register."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import schema_check
from offline_helpers import preview_stack

PACKS = ("policy/encryption", "policy/residency")  # same key as tests/test_stacks.py: one cached run per stack

STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (Path(__file__).resolve().parent.parent / "stacks").glob("Pulumi.*.yaml"))


def test_vendored_schemas_are_in_the_repository():
    assert schema_check.SCHEMAS.is_relative_to(Path(__file__).resolve().parent)
    assert schema_check.available()
    for pkg in ("aws", "gcp", "azure-native"):
        with gzip.open(schema_check.SCHEMAS / "located" / f"{pkg}.json.gz") as f:
            located = json.load(f)
        # The location index lists the whole package (gen_locations classifies every type).
        assert len(located["resources"]) > len(schema_check.schema(pkg)["resources"])
        assert located["version"] == schema_check.schema(pkg)["version"]


@pytest.mark.parametrize("stack", STACKS)
def test_vendored_schemas_cover_every_type_the_stack_registers(stack, tmp_path):
    run = preview_stack(stack, tmp_path, packs=PACKS)
    assert run.report is not None, run.stderr
    missing = sorted({r["type"] for r in run.resources if (pkg := schema_check._package_of(r["type"]))
                      and r["type"] not in schema_check.schema(pkg)["resources"]})
    assert missing == [], f"run tests/schemas/regenerate.py: {missing}"
