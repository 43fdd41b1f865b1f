"""Planning: cells + DNS config -> the `RoutingTree` of Route 53 records (see `routing/__init__.py`).

Pure.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Optional, Sequence

from .. import catalog, placement
from .model import DEFAULT_LOCATION, ROLE_ORDER, WORLD, Cell, HealthCheck, Record, RoutingError
from .route53 import RoutingTree

if TYPE_CHECKING:
    from ..config import DnsOptions, ResidencyException

def ranked_latency_regions(cell: Cell) -> list[str]:
    """AWS regions a cell's latency record may carry, best first: the catalog's nearest, then the
    regions of the cell's own zone by distance, then the rest by distance."""
    nearest = cell.nearest_aws
    others = sorted((r for r in catalog.AWS_REGION_COORDINATES if r != nearest),
                    key=lambda r: (catalog.find_region(r).zone != cell.residency, catalog.distance_km(nearest, r)))
    return [nearest, *others]


def assign_latency_regions(cells: Sequence[Cell]) -> tuple[dict[str, str], list[str]]:
    """One distinct latency region per cell (Route 53 measures latency per region, so two records
    with the same region cannot be told apart). The higher role (then config order) keeps its
    nearest region; a later cell takes its next nearest free one, and the move is reported."""
    taken: dict[str, str] = {}
    out: dict[str, str] = {}
    notes = []
    for cell in sorted(cells, key=lambda c: (ROLE_ORDER.get(c.role, 9), cells.index(c))):
        choice = next((r for r in ranked_latency_regions(cell) if r not in taken), None)
        if choice is None:
            raise RoutingError(f"cell {cell.name!r}: every AWS latency region is taken by another cell")
        if choice != cell.nearest_aws:
            notes.append(f"latency record of {cell.name!r} carries {choice} (next nearest): its nearest AWS "
                         f"region {cell.nearest_aws} is already carried by {taken[cell.nearest_aws]!r}")
        taken[choice] = cell.name
        out[cell.name] = choice
    return out, notes


def _pool(label: str, cells: list[Cell], policy: str, regions: Mapping[str, str],
          records: list[Record], public: str, stem: Optional[str] = None, depth: int = 1) -> None:
    """Records of `label` sharing traffic among `cells` by `policy`; members are CNAMEs to their
    cell's leaf and carry its health check.

    Failover has one PRIMARY and one SECONDARY, so more than two cells become a chain: the
    SECONDARY aliases `<stem>-2.pool.<public>`, which fails over among the rest, and so on."""
    stem = stem or label.split(".")[0]

    def member(c: Cell, **kw) -> Record:
        return Record(label, policy, set_id=c.name, cname=c.name, health_check=c.name, **kw)

    if policy == "latency":
        records += [member(c, region=regions[c.name]) for c in cells]
    elif policy == "weighted":
        records += [member(c, weight=c.weight) for c in cells]
    else:
        ordered = sorted(cells, key=lambda c: (ROLE_ORDER.get(c.role, 9), cells.index(c)))
        records.append(member(ordered[0], failover="PRIMARY"))
        rest = ordered[1:]
        if len(rest) == 1:
            records.append(member(rest[0], failover="SECONDARY"))
        elif rest:
            standby = f"{stem}-{depth + 1}.pool.{public}"
            records.append(Record(label, "failover", set_id="standby", alias=standby,
                                  evaluate_target_health=True, failover="SECONDARY"))
            _pool(standby, rest, "failover", regions, records, public, stem, depth + 1)


def plan(cells: Sequence[Cell], dns: "DnsOptions", strict: Mapping[str, bool],
         exceptions: Sequence["ResidencyException"] = (), checked: bool = False) -> RoutingTree:
    """The record tree for `cells` (see `routing/__init__.py`). `strict` maps zone -> strict.

    `checked`: the cells come from a stack config that `config.load` validated, which ran the
    same `placement.problems()`; otherwise (hand-built cells) plan runs it here."""
    if not cells:
        raise RoutingError("no cell to route to")
    public = dns.public_label
    if not checked:
        problems = placement.problems(cells, public, strict, exceptions, domain=dns.domain)
        if problems:
            raise RoutingError("\n".join(problems))
    cells = list(cells)
    regions, notes = assign_latency_regions(cells)
    served = list(dict.fromkeys(c.residency for c in cells))
    strict_zones = frozenset(z for z in set(strict) | set(served) if strict.get(z, True))
    records: list[Record] = []
    health_checks = [HealthCheck(c.name, cell=c.name) for c in cells]

    for c in cells:  # leaves: an alias to a load balancer evaluates its own target health
        records.append(Record(c.name, "simple", endpoint=c.name, evaluate_target_health=c.alias_endpoint))

    pinned = [z for z in served if z in strict_zones or dns.routing == "geolocation"]
    entry: dict[str, str] = {}
    for zone in pinned:
        label = f"{zone}.pool.{public}"
        _pool(label, [c for c in cells if c.residency == zone], dns.within_zone, regions, records, public)
        entry[zone] = label
    for i, ex in enumerate(exceptions):
        # PRIMARY evaluates the zone's pool (unhealthy only when every cell of the zone is), so the
        # fallback takes traffic only then; the calculated check below raises the alarm for it.
        label = f"{ex.zone}.fallback.{public}"
        records.append(Record(label, "failover", set_id=ex.zone, alias=entry[ex.zone],
                              evaluate_target_health=True, failover="PRIMARY"))
        records.append(Record(label, "failover", set_id=ex.fallback_cell, cname=ex.fallback_cell,
                              health_check=ex.fallback_cell, failover="SECONDARY", exception=i))
        health_checks.append(HealthCheck(f"{ex.zone}-any", children=tuple(
            c.name for c in cells if c.residency == ex.zone), threshold=1))
        entry[ex.zone] = label
        notes.append(f"residency exception for zone {ex.zone!r}: when all its cells are down, "
                     f"{ex.fallback_cell!r} answers (approved by {ex.approver}, expires {ex.expires}): {ex.reason}")

    world_policy = "latency" if dns.routing == "geolocation" else dns.routing
    countries = [(zone, country) for zone in pinned for country in catalog.countries_of_zone(zone)]
    if countries:
        world = f"{WORLD}.pool.{public}"
        _pool(world, cells, world_policy, regions, records, public)
        for zone, country in countries:
            # Strict: never evaluated, so never skipped for a broader record (Route 53's fallback).
            records.append(Record(public, "geolocation", set_id=country, alias=entry[zone], country=country,
                                  evaluate_target_health=zone not in strict_zones))
        records.append(Record(public, "geolocation", set_id="default", alias=world,
                              country=DEFAULT_LOCATION, evaluate_target_health=False))
    else:
        _pool(public, cells, world_policy, regions, records, public)

    tree = RoutingTree(
        cells=tuple(cells), records=tuple(records), health_checks=tuple(health_checks),
        strict_zones=strict_zones, exceptions=tuple(exceptions), latency_regions=regions, notes=tuple(notes),
        request_interval=dns.health_check.request_interval, failure_threshold=dns.health_check.failure_threshold,
        ttl=dns.ttl, public=public,
    )
    # The tree is built to keep strict zones in; prove it before a record is created.
    violations = tree.residency_violations(catalog.COUNTRY_CONTINENT, tree.failure_scenarios())
    if violations:
        raise RoutingError("routing tree would break residency:\n" + "\n".join(violations[:10]))
    return tree
