"""What an Azure cell accepts in config (pure: see clouds/aws/settings.py for why this module exists).

Nothing beyond the cloud-neutral schema today: `bucket.geo_redundant` maps to GZRS/ZRS inside
the zone (`bucket.replication_sku`), which the cell decides at build time."""
from __future__ import annotations

from typing import Any


# Sizes of `network_cidr` the cell's address plan fits (the plan gives AKS half the range and cuts /24s for the gateway and a /28 for the API server from the rest: /22 is the smallest).
NETWORK_PREFIXES = range(8, 23)


def check(index: int, cell: Any, cfg: Any) -> list[str]:
    return []


def spec_fields(cell: Any, cfg: Any) -> dict:
    return {}
