"""What a GCP cell accepts in config (pure: see clouds/aws/settings.py for why this module exists)."""
from __future__ import annotations

from typing import Any

from ...core.placement import PROJECT


# Sizes of `network_cidr` the cell's address plan fits (the plan gives pods half the range and nodes/services/proxy-only subnets eighths of the other half: /19 is the smallest that fits a node pool).
NETWORK_PREFIXES = range(8, 20)


def check(index: int, cell: Any, cfg: Any) -> list[str]:
    out = []
    if cell.bucket.geo_redundant:
        # A regional bucket is already redundant across the region's zones; a dual-region would
        # put data in a second region, and its CMEK would have to live outside the cell's region.
        out.append(f"{PROJECT}:cells[{index}].bucket.geo_redundant = true (cell {cell.name!r}): not supported on "
                   "gcp (a regional bucket is already replicated across the region's zones); allowed: false")
    if not (cell.project or cfg.gcp_project):
        out.append(f"{PROJECT}:cells[{index}].project: missing for a gcp cell; set it or gcp:project")
    return out


def spec_fields(cell: Any, cfg: Any) -> dict:
    """The project the cell lives in: its own `project`, else the stack's `gcp:project`."""
    return {"gcp_project": cell.project or cfg.gcp_project}
