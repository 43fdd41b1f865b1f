"""What an AWS cell accepts in config, and what it derives from it into its `CellSpec`.

Pure (no pulumi, a test scans it with `components/core/`): `config.load` runs `check()` for
every aws cell before any resource is registered; the driver's `spec_fields()` runs when the
cell is built.
"""
from __future__ import annotations

from typing import Any

from ...core import catalog
from ...core.placement import PROJECT


def no_replica_region(region: str, zone: str, narrowed: bool) -> str:
    """Why an aws cell in `region` cannot be geo-redundant: its zone has no second AWS region."""
    where = f" as narrowed by {PROJECT}:zones.{zone}.regions" if narrowed else ""
    with_two = [z for z in catalog.known_zones() if len(catalog.zone_regions(z, "aws")) >= 2]
    return (f"an aws cell replicates its bucket to another AWS region of its zone, and zone {zone!r}{where} has "
            f"no AWS region besides {region}; allowed: false here (true only for aws cells in zone "
            f"{', '.join(with_two)})")


# Sizes of `network_cidr` the cell's address plan fits (a VPC is /16 at most; the plan cuts 4 quarters (2 AZs x private/public) with room for nodes and pods (VPC CNI) down to /20).
NETWORK_PREFIXES = range(16, 21)


def check(index: int, cell: Any, cfg: Any) -> list[str]:
    """Problems of `platform:cells[index]` (an aws cell) as `platform:<key> ...: <why>` lines."""
    if not cell.bucket.geo_redundant:
        return []
    narrowed = cfg.zone(cell.residency).regions
    if catalog.aws_replica_region(cell.region, cell.residency, narrowed) is None:
        key = f"{PROJECT}:cells[{index}].bucket.geo_redundant = true (cell {cell.name!r})"
        return [f"{key}: {no_replica_region(cell.region, cell.residency, narrowed is not None)}"]
    return []


def spec_fields(cell: Any, cfg: Any) -> dict:
    """With `bucket.geo_redundant`: where the replica lives (nearest other AWS region of the zone,
    within `platform:zones.<zone>.regions`; `check()` has rejected a zone without one)."""
    if not cell.bucket.geo_redundant:
        return {}
    return {"replica_region": catalog.aws_replica_region(cell.region, cell.residency,
                                                         cfg.zone(cell.residency).regions)}
