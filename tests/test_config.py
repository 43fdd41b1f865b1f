"""Bad stack config is rejected before any resource, with a message naming stack, key, value and what is allowed."""
import copy
import datetime as dt
import json

import pytest

from components.core.config import ConfigError, load
from offline_helpers import REPO, stack_config

TODAY = dt.date(2026, 11, 23)


def raw(stack: str = "dev", **changes) -> dict:
    """A stack's config as Pulumi hands it to the program: flat keys, structured values as JSON."""
    cfg = copy.deepcopy(stack_config(stack))
    for key, value in changes.items():
        cfg[key] = value
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items() if v is not None}


def cells(stack: str = "dev") -> list:
    return copy.deepcopy(stack_config(stack)["platform:cells"])


def error(values: dict, stack: str = "dev") -> str:
    with pytest.raises(ConfigError) as e:
        load(stack, values, today=TODAY)
    msg = str(e.value)
    assert f"stack {stack!r}" in msg
    return msg


# Every stack file of the project (not a hand-kept list: a new stack is checked the day it is added).
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml"))


def test_stack_files_are_found():
    assert {"dev", "prod-global"} <= set(STACKS)


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_file_is_valid(stack):
    cfg = load(stack, raw(stack), today=TODAY)
    assert cfg.stack == stack


def test_dev_topology():
    cfg = load("dev", raw(), today=TODAY)
    assert [(c.cloud, c.region, c.residency) for c in cfg.cells] == [
        ("aws", "us-west-2", "us"), ("gcp", "europe-west1", "eu"), ("azure", "centralindia", "in")]
    assert cfg.cells[0].role == "primary"
    assert cfg.zone("eu").strict and cfg.zone("in").strict and not cfg.zone("us").strict
    assert not cfg.protect_stateful
    assert load("prod-aws-us-west-2", raw("prod-aws-us-west-2"), today=TODAY).protect_stateful


def test_unknown_cloud():
    c = cells(); c[0]["cloud"] = "oracle"
    msg = error(raw(**{"platform:cells": c}))
    assert "platform:cells[0].cloud" in msg and "'oracle'" in msg.replace('"', "'") and "'aws'" in msg


def test_gcp_region_with_aws_name_suggests_europe_west1():
    c = cells(); c[1]["region"] = "eu-west-1"
    msg = error(raw(**{"platform:cells": c}))
    assert "platform:cells[1].region" in msg and "eu-west-1" in msg
    assert "not a gcp region" in msg and "did you mean 'europe-west1'" in msg


def test_azure_region_with_aws_name_suggests_centralindia():
    c = cells(); c[2]["region"] = "ap-south-1"
    msg = error(raw(**{"platform:cells": c}))
    assert "platform:cells[2].region" in msg and "did you mean 'centralindia'" in msg


def test_region_outside_claimed_zone():
    c = cells(); c[1]["region"] = "europe-west2"  # London is not in the EEA
    msg = error(raw(**{"platform:cells": c}))
    assert "platform:cells[1].residency" in msg and "'uk'" in msg and "europe-west1" in msg


def test_duplicate_cell_names():
    c = cells(); c[2]["name"] = c[0]["name"]
    msg = error(raw(**{"platform:cells": c}))
    assert "platform:cells[2].name" in msg and "duplicate" in msg


def test_unknown_top_level_key_did_you_mean():
    values = raw(); values["platform:workolad"] = values.pop("platform:workload")
    msg = error(values)
    assert "platform:workolad" in msg and "did you mean 'platform:workload'" in msg


def test_unknown_nested_key_did_you_mean():
    c = cells(); c[0]["cluster"]["max_node"] = 3
    msg = error(raw(**{"platform:cells": c}))
    assert "platform:cells[0].cluster.max_node" in msg and "did you mean 'max_nodes'" in msg


def test_wrong_type():
    c = cells(); c[0]["cluster"]["min_nodes"] = "two"
    msg = error(raw(**{"platform:cells": c}))
    assert "platform:cells[0].cluster.min_nodes" in msg and "integer" in msg


def test_min_nodes_above_max_nodes():
    c = cells(); c[0]["cluster"].update(min_nodes=5, max_nodes=2)
    msg = error(raw(**{"platform:cells": c}))
    assert "platform:cells[0].cluster.max_nodes" in msg and "min_nodes (5)" in msg


def test_negative_weight():
    c = cells(); c[0]["weight"] = -1
    msg = error(raw(**{"platform:cells": c}))
    assert "platform:cells[0].weight" in msg and "greater than or equal to 0" in msg


def test_all_weights_zero_in_weighted_mode():
    c = cells()
    for cell in c:
        cell["weight"] = 0
    dns = dict(stack_config("dev")["platform:dns"], routing="weighted")
    msg = error(raw(**{"platform:cells": c, "platform:dns": dns}))
    assert "weight" in msg and "all weights are 0" in msg


@pytest.mark.parametrize("interval", [5, 20, 60])
def test_health_check_interval_10_or_30(interval):
    dns = copy.deepcopy(stack_config("dev")["platform:dns"]); dns["health_check"]["request_interval"] = interval
    msg = error(raw(**{"platform:dns": dns}))
    assert "platform:dns.health_check.request_interval" in msg and "10" in msg and "30" in msg


@pytest.mark.parametrize("threshold", [0, 11])
def test_failure_threshold_1_to_10(threshold):
    dns = copy.deepcopy(stack_config("dev")["platform:dns"]); dns["health_check"]["failure_threshold"] = threshold
    msg = error(raw(**{"platform:dns": dns}))
    assert "platform:dns.health_check.failure_threshold" in msg


EXCEPTION = {"zone": "in", "fallback_cell": "aws-us-west-2", "reason": "India cell capacity during migration",
             "approver": "dpo@example.com", "expires": "2027-01-31"}


def test_valid_exception_accepted():
    cfg = load("dev", raw(**{"platform:exceptions": [EXCEPTION]}), today=TODAY)
    assert cfg.exceptions[0].expires == dt.date(2027, 1, 31)


@pytest.mark.parametrize("missing", ["reason", "expires", "approver"])
def test_exception_without_reason_or_expiry(missing):
    ex = {k: v for k, v in EXCEPTION.items() if k != missing}
    msg = error(raw(**{"platform:exceptions": [ex]}))
    assert f"platform:exceptions[0].{missing}" in msg and "Field required" in msg


def test_expired_exception():
    msg = error(raw(**{"platform:exceptions": [dict(EXCEPTION, expires="2026-11-01")]}))
    assert "platform:exceptions[0].expires" in msg and "expired" in msg


def test_image_must_be_pinned_by_digest():
    wl = dict(stack_config("dev")["platform:workload"], image="ghcr.io/acme/inference:latest")
    msg = error(raw(**{"platform:workload": wl}))
    assert "platform:workload.image" in msg and "sha256" in msg


def test_several_problems_reported_together():
    c = cells(); c[1]["region"] = "eu-west-1"; c[2]["region"] = "ap-south-1"
    msg = error(raw(**{"platform:cells": c}))
    assert "cells[1].region" in msg and "cells[2].region" in msg


def test_geo_redundant_gcp_bucket_is_rejected():
    c = cells()
    c[1]["bucket"] = {"geo_redundant": True}
    msg = error(raw(**{"platform:cells": c}))
    assert "platform:cells[1].bucket.geo_redundant = true (cell 'gcp-europe-west1')" in msg
    assert "not supported on gcp" in msg and "allowed: false" in msg


def test_geo_redundant_aws_bucket_needs_a_second_aws_region_in_the_zone():
    from components.contract import CellSpec

    c = cells()
    c[0]["bucket"] = {"geo_redundant": True}
    cfg = load("dev", raw(**{"platform:cells": c}), today=TODAY)
    assert CellSpec.from_config(cfg.cells[0], cfg).replica_region == "us-west-1"
    # Narrow `us` to a single AWS region: nowhere left to replicate to.
    zones = {**stack_config("dev")["platform:zones"], "us": {"strict": False, "regions": ["us-west-2"]}}
    msg = error(raw(**{"platform:cells": c, "platform:zones": zones}))
    assert "platform:cells[0].bucket.geo_redundant = true (cell 'aws-us-west-2')" in msg
    assert "as narrowed by platform:zones.us.regions" in msg and "allowed: false here" in msg
    # Narrowed to two regions: the replica goes to the one left, not to the catalog's nearest.
    zones["us"]["regions"] = ["us-west-2", "us-east-2"]
    cfg = load("dev", raw(**{"platform:cells": c, "platform:zones": zones}), today=TODAY)
    assert CellSpec.from_config(cfg.cells[0], cfg).replica_region == "us-east-2"


def test_every_config_error_at_once():
    """An unknown key, values pydantic refuses and a cross-key rule, all in one error."""
    import datetime as dt

    from components.core import config as cfgmod

    raw = {"platform:environment": "prod", "platform:cels": "[]",
           "platform:cells": json.dumps([{"name": "cell-a", "cloud": "aws", "region": "us-west-99", "residency": "us"},
                                         {"name": "cell-b", "cloud": "aws", "region": "us-east-1", "residency": "us",
                                          "weight": 999}]),
           "platform:dns": json.dumps({"domain": "example.com", "zone_id": "ZONE1", "parent_zone_id": "ZONE2"})}
    with pytest.raises(cfgmod.ConfigError) as e:
        cfgmod.load("s", raw, today=dt.date(2026, 1, 1))
    lines = str(e.value).splitlines()
    assert any("platform:cels: unknown key" in l for l in lines)
    assert any("cells[0].region" in l and "us-west-99" in l for l in lines)
    assert any("cells[1].weight" in l for l in lines)
    # a cross-key rule on a key that is itself valid is reported in the same error
    assert any("dns.parent_zone_id" in l and "one of the two" in l for l in lines)
    # and none about a key that failed (its consequences would only repeat the error)
    assert any("dns.alarm_email" in l for l in lines) and len(lines) == 5, lines


# ---- platform:cells[i].network_cidr ---------------------------------------------------------------

@pytest.mark.parametrize("index, value", [(0, "10.10.0.0/24"), (1, "not-a-cidr"), (2, "10.30.0.0/23"),
                                          (0, "8.8.0.0/16"), (1, "10.20.0.1/16")])
def test_bad_network_cidr_is_a_config_error_naming_stack_and_index(index, value):
    raw = copy.deepcopy(stack_config("dev"))
    raw["platform:cells"][index]["network_cidr"] = value
    with pytest.raises(ConfigError) as err:
        load("dev", raw)
    assert "stack 'dev'" in str(err.value) and f"platform:cells[{index}].network_cidr" in str(err.value)
    assert f"network_cidr = \"{value}\"" in str(err.value) or f"network_cidr = {value!r}" in str(err.value)
