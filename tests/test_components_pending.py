"""Findings of issue #24 whose fix lives in components/ (being restructured on another branch).

The tests are written against the shipped stacks and the config loader; they fail today and are
marked xfail(strict=True), so they turn into errors the day the components part lands and must then
simply lose their mark."""
from __future__ import annotations

import copy

import pytest

import schema_check
from components.core import config
from offline_helpers import preview_stack, stack_config

PACKS = ("policy/encryption", "policy/residency")  # as tests/test_stacks.py: the runs are shared
PENDING = "issue #24, components part pending"
KEY_TYPES = ("aws:kms/key:Key", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey",
             "azure-native:keyvault:Vault", "azure-native:keyvault:Key")


def _taggable(res: dict) -> bool:
    pkg = res["type"].split(":")[0]
    if pkg != "aws":
        return False
    schema = schema_check.schema("aws")["resources"].get(res["type"]) or {}
    return "tags" in schema.get("inputProperties", {})


@pytest.mark.skipif(not schema_check.available(), reason="../shared/schemas/full is not beside this checkout")
@pytest.mark.xfail(strict=True, reason=f"global layer resources carry no `cell` label: {PENDING}")
@pytest.mark.parametrize("stack", ["dev", "prod-global"])
def test_global_layer_resources_are_labelled_cell_global(stack, tmp_path_factory):
    run = preview_stack(stack, tmp_path_factory.mktemp(stack), packs=PACKS)
    assert run.report is not None, run.stderr[-2000:]
    layer = [r for r in run.resources if _taggable(r)
             and ((r["inputs"].get("tags") or {}).get("residency") == "global"
                  or any(a["type"] == "platform:dns:GlobalTraffic" for a in run.ancestors(r)))]
    assert layer, "the stack has a global traffic layer"
    unlabelled = [f"{r['type']} {r['name']}: cell={(r['inputs'].get('tags') or {}).get('cell')!r}" for r in layer
                  if (r["inputs"].get("tags") or {}).get("cell") != "global"]
    assert unlabelled == []


@pytest.mark.xfail(strict=True, reason=f"prod-global's alarm key is not protected: {PENDING}")
def test_every_key_in_a_prod_stack_is_protected(tmp_path_factory):
    unprotected = []
    for stack in ("prod-aws-us-west-2", "prod-gcp-europe-west1", "prod-azure-centralindia", "prod-global"):
        run = preview_stack(stack, tmp_path_factory.mktemp(stack), packs=PACKS)
        assert run.report is not None, run.stderr[-2000:]
        keys = [r for r in run.resources if r["type"] in KEY_TYPES]
        assert keys, f"{stack} holds keys"
        unprotected += [f"{stack}: {r['type']} {r['name']}" for r in keys if not r["protect"]]
    assert unprotected == []


@pytest.mark.parametrize("index, value", [(0, "10.10.0.0/24"), (1, "not-a-cidr"), (2, "10.30.0.0/23"),
                                          (0, "8.8.0.0/16"), (1, "10.20.0.1/16")])
def test_bad_network_cidr_is_a_config_error_naming_stack_and_index(index, value):
    raw = copy.deepcopy(stack_config("dev"))
    raw["platform:cells"][index]["network_cidr"] = value
    with pytest.raises(config.ConfigError) as err:
        config.load("dev", raw)
    assert "stack 'dev'" in str(err.value) and f"platform:cells[{index}].network_cidr" in str(err.value)
    assert f"network_cidr = \"{value}\"" in str(err.value) or f"network_cidr = {value!r}" in str(err.value)
