"""Assembles a stack: cells -> workload on each cell -> global traffic -> exports.

`__main__.py` calls `build()` with the validated config; nothing here reads
pulumi.Config.
"""
from __future__ import annotations

import importlib
from typing import Optional

import pulumi

from . import tags
from .cell import CellComponent, CellSpec
from .config import PlatformConfig
from .zone import global_aws_provider, public_zone

# cloud -> "module:Class" of its cell component.
CELL_COMPONENTS = {
    "aws": "components.aws.cell:AwsCell",
    "gcp": "components.gcp.cell:GcpCell",
    "azure": "components.azure.cell:AzureCell",
}


def _cell_class(cloud: str) -> Optional[type[CellComponent]]:
    module, _, cls = CELL_COMPONENTS[cloud].partition(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except ModuleNotFoundError as e:
        if e.name is not None and module.startswith(e.name):
            return None  # this cloud's cell has not landed yet
        raise


def build_cells(cfg: PlatformConfig, zone_id: Optional[pulumi.Input[str]] = None) -> list[CellComponent]:
    cells = []
    for cell_cfg in cfg.cells:
        cls = _cell_class(cell_cfg.cloud)
        if cls is None:
            pulumi.log.warn(f"cell {cell_cfg.name!r}: no {cell_cfg.cloud} cell component in this build; skipped")
            continue
        cells.append(cls(CellSpec.from_config(cell_cfg, cfg, zone_id=zone_id)))
    return cells


def build(cfg: PlatformConfig) -> None:
    tags.register_stack_labels(cfg.environment)
    zone_id = None
    if cfg.dns:
        zone_id = public_zone(cfg.dns, global_aws_provider(), protect=cfg.protect_stateful)
    cells = build_cells(cfg, zone_id=zone_id)
    for cell in cells:
        pulumi.export(cell.spec.name, cell.outputs.as_dict())
