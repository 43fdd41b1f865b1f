"""The platform plan: everything a stack decides before it registers a resource, computed once.

`PlatformPlan.of(cfg, endpoint_kinds)` turns a validated config into plain values:

- `strict`: zone -> strict, over the configured zones and every placed cell's zone (in-stack cells
  and the cell stacks prod-global references);
- `placements`: each placed cell as routing sees it (in-stack cells first, in config order, then
  the referenced ones), its leaf record type from its cloud's endpoint kind;
- `edge`: per in-stack cell, what its edge guard refuses (the same strict map and exceptions the
  tree is built from);
- `cells`: per in-stack cell, its `CellSpec` (what the cell's cloud builds; the hosted zone id and
  the stack's DNS validator are resources, added by the assembly with `with_dns`);
- `tree`: the residency-safe Route 53 record tree when this stack owns the global name, else None.

The cells (`assemble.py` -> each cloud's cell), the global traffic layer and the dashboard read
these values; none of them recomputes a strict map, a tree or a guard. Two readers computing the
same decision twice is how a cell's guard and the tree came to disagree in review.

Pure: no pulumi. Which record type a cloud's endpoint needs is the driver's (`endpoint_kinds`,
cloud -> `AliasTarget.kind | Address.kind`), passed in so the core never loads a cloud SDK.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from . import placement, routing
from .cell_contract import AliasTarget, CellSpec, EdgeGuardSpec
from .config import PlatformConfig


@dataclass(frozen=True)
class PlatformPlan:
    stack: str
    strict: Mapping[str, bool]
    placements: tuple[routing.Cell, ...]
    edge: Mapping[str, EdgeGuardSpec]
    cells: tuple[CellSpec, ...]
    tree: Optional[routing.RoutingTree]
    builds_global_traffic: bool

    @classmethod
    def of(cls, cfg: PlatformConfig, endpoint_kinds: Mapping[str, str]) -> "PlatformPlan":
        placed: list[Any] = [*cfg.cells, *cfg.cell_stacks]
        strict = placement.strict_map(cfg.zones, placed)
        unknown = sorted({c.cloud for c in placed} - set(endpoint_kinds))
        if unknown:
            raise routing.RoutingError(f"no endpoint kind for cloud(s) {', '.join(unknown)}: no driver declares one")
        placements = tuple(routing.Cell.from_config(c, alias_endpoint=endpoint_kinds[c.cloud] == AliasTarget.kind)
                           for c in placed)
        edge = {c.name: EdgeGuardSpec.for_cell(c, cfg, strict=strict) for c in cfg.cells}
        cells = tuple(CellSpec.from_config(c, cfg, edge_guard=edge[c.name]) for c in cfg.cells)
        owns = builds_global_traffic(cfg)
        tree = None
        if owns and placements:
            assert cfg.dns is not None
            # `checked`: config.load ran placement.problems on these cells already.
            tree = routing.plan(list(placements), cfg.dns, strict, cfg.exceptions, checked=True)
        return cls(stack=cfg.stack, strict=strict, placements=placements, edge=edge, cells=cells, tree=tree,
                   builds_global_traffic=owns)

    def placement(self, name: str) -> routing.Cell:
        return next(p for p in self.placements if p.name == name)


def builds_global_traffic(cfg: PlatformConfig) -> bool:
    """Whether this stack owns the global name: a stack that references cell stacks (prod-global),
    or a dev/staging stack with its cells inside. A prod cell stack never does: each would claim
    the same public name in the shared zone."""
    return cfg.dns is not None and (bool(cfg.cell_stacks) or cfg.environment != "prod")


def with_dns(spec: CellSpec, zone_id: Any = None, dns_validator: Any = None) -> CellSpec:
    """`spec` with the stack's hosted zone id and DNS validator (resources, known only at build)."""
    return dataclasses.replace(spec, zone_id=zone_id, dns_validator=dns_validator)
