"""The stack's one `PlatformPlan` (components/core/plan.py).

- its parts equal what the code before it computed, separately, in each reader (the cells' specs
  and edge guards in contract.py, the routing tree in GlobalTraffic, the dashboard's rows in
  assemble.py), for every shipped stack: the plan changed who computes, not what;
- it is computed once per program: a stack program counts the plan's constructions and every
  strict map, routing tree and edge guard computed after config validation.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import yaml

from offline_helpers import REPO, preview_config, stack_config

STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml"))


def _cfg(stack: str):
    from components.core import config

    raw = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return config.load(stack, {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()})


def _kinds() -> dict[str, str]:
    from components.clouds.drivers import DRIVERS

    return {cloud: d.endpoint_kind for cloud, d in DRIVERS.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_the_plan_equals_what_each_reader_computed_before(stack):
    from components.contract import AliasTarget, CellSpec, EdgeGuardSpec
    from components.core import placement, routing
    from components.core.plan import PlatformPlan

    cfg = _cfg(stack)
    kinds = _kinds()
    plan = PlatformPlan.of(cfg, kinds)
    placed = [*cfg.cells, *cfg.cell_stacks]

    # contract.EdgeGuardSpec.for_cell: its own strict map over every placed cell.
    strict = placement.strict_map(cfg.zones, placed)
    assert plan.strict == strict
    for cell in cfg.cells:
        zones = routing.refused_zones(cell.name, cell.residency, cfg.served_zones, strict, cfg.exceptions)
        assert plan.edge[cell.name].refused_zones == zones
        assert plan.edge[cell.name] == EdgeGuardSpec.for_cell(cell, cfg)
    assert list(plan.edge) == [c.name for c in cfg.cells]

    # assemble.cell_spec: CellSpec.from_config per configured cell, in config order.
    assert plan.cells == tuple(CellSpec.from_config(c, cfg) for c in cfg.cells)

    # GlobalTraffic: placements (in-stack cells, then referenced) with the leaf type from the endpoint,
    # the strict map over those placements, the tree only where the stack owns the global name.
    owns = cfg.dns is not None and (bool(cfg.cell_stacks) or cfg.environment != "prod")
    assert plan.builds_global_traffic is owns
    placements = [dataclasses.replace(routing.Cell.from_config(c), alias_endpoint=kinds[c.cloud] == AliasTarget.kind)
                  for c in placed]
    assert list(plan.placements) == placements
    if owns and placements:
        old = routing.plan(placements, cfg.dns, routing.strict_map(cfg.zones, placements), cfg.exceptions,
                           checked=True)
        assert plan.tree == old
        assert plan.tree.records  # the comparison is over a real tree
    else:
        assert plan.tree is None

    # The dashboard: one row per placed cell (config cells, then cell stacks), as before.
    from components.observability import dashboard

    assert [(s.cell, s.cloud, s.region, s.residency) for s in dashboard.sources(plan)] == [
        (c.name, c.cloud, c.region, c.residency) for c in placed]


def test_the_shipped_stacks_cover_every_part_of_the_plan():
    # Otherwise the comparison above would be vacuous for a part (no tree, no referenced cell).
    from components.core.plan import PlatformPlan

    plans = [PlatformPlan.of(_cfg(s), _kinds()) for s in STACKS]
    assert any(p.tree is not None and p.cells for p in plans), "no stack with cells and a tree"
    assert any(p.tree is not None and not p.cells for p in plans), "no stack routing only referenced cells"
    assert any(p.tree is None and p.cells for p in plans), "no cell stack without the global name"
    assert any(p.edge[c.name].refused for p in plans for c in p.cells), "no cell refusing a zone"


def test_a_driver_that_declares_no_endpoint_kind_fails_before_any_resource():
    from components.core import routing
    from components.core.plan import PlatformPlan

    kinds = _kinds()
    kinds.pop("gcp")
    with pytest.raises(routing.RoutingError, match="gcp"):
        PlatformPlan.of(_cfg("dev"), kinds)


COUNTING = '''
import pulumi
from components.core import cell_contract, placement, routing
from components.core import plan as plan_module
from components.stack_config import load_stack_config

cfg = load_stack_config()  # config.load's own strict map is validation, before the plan
counts = {"plans": 0, "strict_maps": 0, "trees": 0, "guards": 0}


def counting(key, fn):
    def wrapper(*a, **k):
        counts[key] += 1
        return fn(*a, **k)
    return wrapper


placement.strict_map = counting("strict_maps", placement.strict_map)
routing.strict_map = counting("strict_maps", routing.strict_map)
routing.plan = counting("trees", routing.plan)
routing.refused_zones = counting("guards", routing.refused_zones)
of = plan_module.PlatformPlan.of.__func__
plan_module.PlatformPlan.of = classmethod(counting("plans", of))

from components.assemble import build

build(cfg)
pulumi.export("counts", dict(counts, cells=len(cfg.cells)))
'''


def test_the_plan_is_computed_once_per_program(tmp_path):
    run = preview_config(stack_config("dev"), tmp_path, stack="dev", program=COUNTING)
    assert run.returncode == 0, run.stderr[-3000:]
    counts = run.report["outputs"]["counts"]
    assert counts["cells"] >= 3
    # One plan, one strict map, one routing tree; one guard per cell (each cell's, in the plan).
    assert counts == {"plans": 1, "strict_maps": 1, "trees": 1, "guards": counts["cells"], "cells": counts["cells"]}
    # ... and the program built what the plan says: a health check per cell, the edge guards export.
    assert len(run.of_type("aws:route53/healthCheck:HealthCheck")) >= counts["cells"]
    assert set(run.report["outputs"]["edge_guards"]) == {c["name"] for c in stack_config("dev")["platform:cells"]}


@pytest.mark.parametrize("component", ["components.global_traffic.records:GlobalTraffic",
                                       "components.workload:InferenceService"])
def test_the_stack_level_components_take_name_args_opts(component):
    # The shape of every ComponentResource here (Piece's too): (name, <X>Args, opts), the Args a frozen dataclass.
    import dataclasses as dc
    import importlib
    import inspect

    module, cls_name = component.split(":")
    mod = importlib.import_module(module)
    cls = getattr(mod, cls_name)
    params = list(inspect.signature(cls.__init__).parameters)
    assert params == ["self", "name", "args", "opts"], params
    args_cls = getattr(mod, f"{cls_name}Args")
    assert dc.is_dataclass(args_cls) and args_cls.__dataclass_params__.frozen
