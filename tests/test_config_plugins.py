"""The config schema reads every cloud from its plugin: each plugin's settings.py holds the whole settings
protocol, its model is mounted at cells[i].<cloud>, and core's config names no cloud."""
from __future__ import annotations

import re
import types

import pytest
from pydantic import BaseModel

from components.clouds.plugins import PLUGINS
from components.core.config import ConfigError, load, schema
from offline_helpers import REPO, stack_config


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_every_plugin_has_the_whole_settings_protocol(cloud):
    module = PLUGINS[cloud].settings()
    assert schema.missing_settings(cloud, module) == []
    assert schema.CellSpecConfig.model_fields[cloud].annotation.__args__[0] is module.CellSettings
    assert PLUGINS[cloud].deployer_identity in schema.DeployerOptions.model_fields
    for name in (*getattr(module, "ACCESS_FIELDS", {}),):
        assert name in schema.AccessOptions.model_fields


def test_a_settings_module_missing_a_part_is_told_what_in_words():
    stub = types.SimpleNamespace(CellSettings=dict, check=lambda *a: [])
    said = schema.missing_settings("aws", stub)
    assert "aws: settings.py has no NETWORK_PREFIXES: the sizes of network_cidr its cell's address plan fits" in said
    assert any("spec_fields" in s for s in said)
    assert "aws: settings.py's CellSettings is not a pydantic model" in said
    assert any("lacks 'aws_role_arn'" in s for s in said)


def test_core_config_names_no_cloud():
    """No cloud's name as code (a string, a key, an identifier) in core's config; prose may cite a cloud's
    limit (e.g. a WAF's minimum rate) in a description."""
    for path in sorted((REPO / "components" / "core" / "config").glob("*.py")):
        text = path.read_text()
        hits = [m.group(0) for m in re.finditer(r"\b(aws|gcp|azure)\b", text)]
        assert hits == [], f"{path.name} names a cloud: {hits}"


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_a_plugins_settings_on_another_clouds_cell_are_refused(cloud):
    raw = stack_config("dev")
    others = [i for i, c in enumerate(raw["platform:cells"]) if c["cloud"] != cloud]
    assert others, "dev has a cell on another cloud"
    i = others[0]
    raw["platform:cells"][i][cloud] = {}
    with pytest.raises(ConfigError) as err:
        load("dev", raw)
    cell = raw["platform:cells"][i]
    assert (f"stack 'dev': platform:cells[{i}].{cloud} = {{}} (cell {cell['name']!r}): "
            f"{'an' if cloud[0] in 'aeiou' else 'a'} {cloud} setting, and this cell is on {cell['cloud']}; "
            f"allowed: only on {cloud} cells") in str(err.value)


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_a_bad_plugin_setting_names_stack_key_cell_and_what_is_allowed(cloud):
    raw = stack_config("dev")
    i = next(i for i, c in enumerate(raw["platform:cells"]) if c["cloud"] == cloud)
    raw["platform:cells"][i][cloud] = {"no_such_setting": 1}
    with pytest.raises(ConfigError) as err:
        load("dev", raw)
    allowed = ", ".join(sorted(PLUGINS[cloud].settings().CellSettings.model_fields))
    assert (f"stack 'dev': platform:cells[{i}].{cloud}.no_such_setting (cell {raw['platform:cells'][i]['name']!r}): "
            f"unknown key; allowed: {allowed}") in str(err.value)


def test_the_cloud_of_a_cell_is_one_of_the_registered_plugins():
    raw = stack_config("dev")
    raw["platform:cells"][0]["cloud"] = "oracle"
    with pytest.raises(ConfigError) as err:
        load("dev", raw)
    assert "platform:cells[0].cloud = \"oracle\"" in str(err.value)
    assert all(f"'{c}'" in str(err.value) for c in PLUGINS)
    assert issubclass(schema.CellSpecConfig, BaseModel)
