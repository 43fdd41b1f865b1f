"""Pure model of the global routing tree: which cell answers a country, under which failures.

`plan()` turns the cells and the DNS config into a `RoutingTree`: the Route 53
records (name, routing policy, alias target, evaluate-target-health, health
check) that `components/global_traffic/records.py` creates one for one. `RoutingTree.serve()`
evaluates that same tree the way Route 53 does, so the tests (and `plan()`
itself) can prove, for every country and every failure, who answers.

The tree, for the public name `<public>` = `dns.public_label` (`api`), below the domain:

- `<cell>`: one leaf per cell, type A, answering the cell's endpoint (an alias to
  the ALB for AWS, an A record for GCP and Azure). It is the cell's own name too.
- everything else is type CNAME, so that what a resolver caches is a CNAME with
  `dns.ttl` (30 s), whatever the cell's cloud. An A-typed tree would have to alias
  the ALB, and resolvers keep an ELB alias answer for the ELB's own 60 s: 10 s x 3
  + 60 s = 90 s. CNAMEs cannot live at the zone apex, hence the public label.
- `<zone>.pool.<public>`: the cells of one residency zone under `dns.within_zone`
  (latency / weighted / failover; failover over more than two cells is a chain
  `<zone>.pool.<public>` -> `<zone>-2.pool.<public>` -> ...). Members are CNAMEs
  to their cell's leaf and carry the cell's health check.
- `<zone>.fallback.<public>`: only for a zone with a residency exception:
  PRIMARY = the zone's pool, SECONDARY = a CNAME to the exception's fallback cell.
- `world.pool.<public>`: every cell under `dns.routing` (latency when the public
  name routes by geolocation): the default answer for everybody not pinned to a zone.
- `<public>`: geolocation records (country -> its zone's pool) plus the default
  `*` -> the world pool. Countries of a *strict* zone get records that do NOT
  evaluate target health, so Route 53 never falls back from them to the
  continent or default record (its fallback from an unhealthy geolocation
  record is what would send a strict zone's users to another zone's cell).
  Non-strict zones evaluate target health and so fail over to the default.
  When `dns.routing` is not `geolocation`, only strict zones are pinned; with
  no pinned country at all the public name is the world pool itself.

Aliases inside the tree are CNAME aliases to CNAME record sets of the same zone:
Route 53 answers them with the target's records and TTL, and evaluates the
target set's health. The pools live under the public label, so their names
never collide with a record of another type.

Pure: imports the region catalog only (config types for annotations).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Literal, Mapping, Optional, Sequence

from . import catalog

if TYPE_CHECKING:  # annotations only: routing stays importable without pydantic models
    from ..contract import CellSpec
    from .config import CellSpecConfig, CellStackRef, DnsOptions, ResidencyException, ZoneOptions

Policy = Literal["simple", "geolocation", "latency", "weighted", "failover"]

WORLD = "world"        # label prefix of the pool that answers everybody not pinned to a zone
DEFAULT_LOCATION = "*"  # Route 53's default geolocation record
LEAF_TYPE, TREE_TYPE = "A", "CNAME"
ROLE_ORDER = {"primary": 0, "active": 1, "secondary": 2}



class RoutingError(ValueError):
    """The cells and DNS config cannot form a residency-safe routing tree (message names the key)."""


@dataclass(frozen=True)
class Cell:
    """What routing needs to know about a cell: plain values, known before any resource exists."""

    name: str
    cloud: str
    region: str
    residency: str
    role: str = "active"
    weight: int = 100

    @property
    def nearest_aws(self) -> str:
        return catalog.region(self.cloud, self.region).nearest_aws

    @classmethod
    def from_config(cls, c: "CellSpecConfig | CellStackRef | CellSpec") -> "Cell":
        return cls(c.name, c.cloud, c.region, c.residency, c.role, c.weight)


@dataclass(frozen=True)
class HealthCheck:
    """A cell's endpoint check, or a CALCULATED check over `children` (healthy when >= threshold are)."""

    id: str
    cell: Optional[str] = None
    children: tuple[str, ...] = ()
    threshold: int = 1


@dataclass(frozen=True)
class Record:
    """One Route 53 record. Records with the same `name` form a group with one policy."""

    name: str                         # label relative to the domain
    policy: Policy
    set_id: Optional[str] = None
    endpoint: Optional[str] = None    # leaf: answers this cell's endpoint
    alias: Optional[str] = None       # alias to another name of the tree
    cname: Optional[str] = None       # plain CNAME (with the tree's TTL) to this cell's leaf
    evaluate_target_health: bool = False
    health_check: Optional[str] = None
    country: Optional[str] = None     # geolocation: ISO country, or DEFAULT_LOCATION
    continent: Optional[str] = None   # geolocation by continent (the model handles it; plan() makes none)
    region: Optional[str] = None      # latency
    weight: Optional[int] = None      # weighted
    failover: Optional[Literal["PRIMARY", "SECONDARY"]] = None
    exception: Optional[int] = None   # index of the residency exception this record implements

    @property
    def type(self) -> str:
        return LEAF_TYPE if self.endpoint is not None else TREE_TYPE

    @property
    def target(self) -> str:
        """The name this record sends the resolver on to (not for leaves)."""
        return self.alias if self.alias is not None else self.cname


@dataclass(frozen=True)
class Decision:
    """Route 53's answer for a country: `cells` = every cell it may answer with (latency depends on
    the resolver, weighted is random), `cell` = the most likely one, `path` = the records walked."""

    country: str
    cell: Optional[str]
    cells: frozenset[str]
    reason: str
    path: tuple[str, ...]
    exception: Optional[int] = None   # index of the residency exception that made this answer


@dataclass(frozen=True)
class _Answer:
    cells: frozenset[str]
    cell: Optional[str]
    path: tuple[str, ...]
    exception: Optional[int]


@dataclass(frozen=True)
class RoutingTree:
    cells: tuple[Cell, ...]
    records: tuple[Record, ...]
    health_checks: tuple[HealthCheck, ...]
    strict_zones: frozenset[str]
    exceptions: tuple["ResidencyException", ...] = ()
    latency_regions: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()       # decisions worth logging (latency regions moved, exceptions)
    request_interval: int = 10
    failure_threshold: int = 3
    ttl: int = 30
    public: str = "api"               # label of the public name

    # ---- lookups -------------------------------------------------------------
    def cell(self, name: str) -> Cell:
        found = next((c for c in self.cells if c.name == name), None)
        if found is None:
            raise KeyError(f"no such cell: {name}")
        return found

    def group(self, name: str) -> list[Record]:
        return [r for r in self.records if r.name == name]

    def names(self) -> list[str]:
        return list(dict.fromkeys(r.name for r in self.records))

    @property
    def served_zones(self) -> frozenset[str]:
        return frozenset(c.residency for c in self.cells)

    # ---- failover time ---------------------------------------------------------
    def answer_ttl(self, cell: str) -> int:
        """How long resolvers may keep sending a client to `cell` after the tree stops answering it.

        What they cache for the public name is the CNAME to `<cell>.<domain>` with the tree's TTL;
        the leaf behind it (an ALB alias keeps the ELB's 60 s) is only reached through that CNAME,
        so its TTL does not delay a failover (it would if the tree aliased the ALB: the ELB's 60 s)."""
        self.cell(cell)  # an unknown cell is an error, not a default
        return self.ttl

    def failover_seconds(self, cell: str) -> int:
        """Worst case from `cell` failing to the last client leaving it: the health check needs
        `failure_threshold` failed probes `request_interval` apart, then cached answers expire."""
        return self.request_interval * self.failure_threshold + self.answer_ttl(cell)

    @property
    def worst_case_failover_seconds(self) -> int:
        return max(self.failover_seconds(c.name) for c in self.cells)

    # ---- Route 53 evaluation ---------------------------------------------------
    def _check_healthy(self, hc_id: str, failed: frozenset[str]) -> bool:
        hc = next(h for h in self.health_checks if h.id == hc_id)
        if hc.cell is not None:
            return hc.cell not in failed
        return sum(self._check_healthy(c, failed) for c in hc.children) >= hc.threshold

    def _record_healthy(self, r: Record, country: str, failed: frozenset[str]) -> bool:
        if r.health_check and not self._check_healthy(r.health_check, failed):
            return False
        if not r.evaluate_target_health:
            return True  # no check of its own and target health not evaluated: always healthy
        if r.endpoint is not None:
            # Evaluating an ALB alias reflects the load balancer's targets; a plain A record
            # has no health of its own. Either way the cell's own check already covers it.
            return r.endpoint not in failed or self.cell(r.endpoint).cloud != "aws"
        if r.alias is None:
            return True  # a plain CNAME has no target health; its health check was asked above
        return self._group_healthy(r.alias, country, failed)

    def _group_healthy(self, name: str, country: str, failed: frozenset[str]) -> bool:
        """Health of an alias target group: a group is unhealthy only when every record in it
        that could answer is (for geolocation: every record applicable to the country)."""
        group = self.group(name)
        if group and group[0].policy == "geolocation":
            group = self._geo_applicable(group, country)
        return any(self._record_healthy(r, country, failed) for r in group)

    @staticmethod
    def _geo_applicable(group: list[Record], country: str) -> list[Record]:
        """Applicable geolocation records, most specific first: country, continent, default."""
        continent = catalog.COUNTRY_CONTINENT.get(country)
        out = [r for r in group if r.country == country and country != DEFAULT_LOCATION]
        out += [r for r in group if r.continent is not None and r.continent == continent]
        out += [r for r in group if r.country == DEFAULT_LOCATION]
        return out

    def _resolve(self, name: str, country: str, failed: frozenset[str], path: tuple[str, ...]) -> _Answer:
        if name in path:
            raise RoutingError(f"alias loop through {name!r}: {' -> '.join(path)}")
        group = self.group(name)
        if not group:
            return _Answer(frozenset(), None, path + (f"{name or '@'}: no record",), None)
        policy = group[0].policy
        healthy = [r for r in group if self._record_healthy(r, country, failed)]
        if policy == "simple":
            candidates, chosen = group, group[0]
        elif policy == "geolocation":
            applicable = self._geo_applicable(group, country)
            if not applicable:
                return _Answer(frozenset(), None, path + (f"{name or '@'}: no record for {country} and no default",),
                               None)
            ok = [r for r in applicable if self._record_healthy(r, country, failed)]
            # Route 53 walks to the next broader record when one is unhealthy; with none
            # healthy it answers from the most specific one anyway.
            chosen = ok[0] if ok else applicable[0]
            candidates = [chosen]
        elif policy == "failover":
            primary = next((r for r in group if r.failover == "PRIMARY"), None)
            secondary = next((r for r in group if r.failover == "SECONDARY"), None)
            if primary is not None and primary in healthy:
                chosen = primary
            elif secondary is not None and secondary in healthy:
                chosen = secondary
            else:  # Route 53 answers with the primary when the secondary is unhealthy too
                chosen = primary or secondary
            candidates = [chosen]
        elif policy == "weighted":
            live = [r for r in healthy if r.weight] or healthy or [r for r in group if r.weight] or group
            candidates = live
            chosen = max(live, key=lambda r: r.weight or 0)
        else:  # latency: whichever healthy record the resolver measures fastest
            candidates = healthy or group  # all unhealthy: Route 53 treats them all as healthy
            chosen = self._nearest(candidates, country)
        step = f"{name or '@'} ({policy}{' ' + chosen.set_id if chosen.set_id else ''})"
        answers = [self._follow(r, country, failed, path + (step,)) for r in candidates]
        main = answers[candidates.index(chosen)]
        cells = frozenset().union(*(a.cells for a in answers))
        return _Answer(cells, main.cell, main.path, main.exception)

    def _follow(self, r: Record, country: str, failed: frozenset[str], path: tuple[str, ...]) -> _Answer:
        if r.endpoint is not None:
            return _Answer(frozenset({r.endpoint}), r.endpoint, path, r.exception)
        inner = self._resolve(r.target, country, failed, path)
        return _Answer(inner.cells, inner.cell, inner.path,
                       r.exception if r.exception is not None else inner.exception)

    def _nearest(self, records: list[Record], country: str) -> Record:
        """Latency is measured by Route 53 per resolver; geography is the model's stand-in for it:
        a record whose region is in the country, else on its continent, else the first."""
        continent = catalog.COUNTRY_CONTINENT.get(country)

        def rank(r: Record) -> int:
            region = catalog.AWS.get(r.region or "")
            if region is not None and region.country == country:
                return 0
            if region is not None and region.continent == continent:
                return 1
            return 2

        return min(records, key=rank)

    def serve(self, country: str, failed: Iterable[str] = ()) -> Decision:
        """Who answers a DNS query from `country` (ISO code; anything unknown is a default-only location)
        while the cells in `failed` are down (and their health checks have noticed)."""
        failed = frozenset(failed)
        unknown = set(failed) - {c.name for c in self.cells}
        if unknown:
            raise KeyError(f"no such cell: {', '.join(sorted(unknown))}")
        a = self._resolve(self.public, country, failed, ())
        zone = catalog.zone_of_country(country) if country in catalog.COUNTRY_CONTINENT else None
        if a.cell is None:
            reason = f"{country}: no answer ({a.path[-1] if a.path else 'empty tree'})"
        else:
            where = self.cell(a.cell).residency
            why = []
            if a.cell in failed:
                why.append(f"{a.cell} is down but nothing healthier may answer")
            if a.exception is not None:
                ex = self.exceptions[a.exception]
                why.append(f"residency exception for zone {ex.zone!r} (approved by {ex.approver}, "
                           f"expires {ex.expires}): {ex.reason}")
            elif zone in self.strict_zones and zone in self.served_zones:
                why.append(f"strict zone {zone!r}: only its cells may answer")
            reason = (f"{country} -> {a.cell} ({where}) via {' -> '.join(a.path)}"
                      + (f"; {'; '.join(why)}" if why else ""))
        return Decision(country, a.cell, a.cells, reason, a.path, a.exception)

    def residency_violations(self, countries: Iterable[str], failure_sets: Iterable[Iterable[str]]) -> list[str]:
        """Every (country, failure) where a served strict zone's country could be answered by a cell of
        another zone without a residency exception covering it."""
        problems = []
        failure_sets = [frozenset(f) for f in failure_sets]
        for country in countries:
            zone = catalog.zone_of_country(country)
            if zone not in self.strict_zones or zone not in self.served_zones:
                continue
            for failed in failure_sets:
                d = self.serve(country, failed)
                allowed = {c.name for c in self.cells if c.residency == zone}
                if d.exception is not None:
                    allowed.add(self.exceptions[d.exception].fallback_cell)
                outside = sorted(d.cells - allowed)
                if outside or d.cell is None:
                    problems.append(f"{country} (strict zone {zone!r}) with {sorted(failed) or 'no'} failed cells: "
                                    f"{'answered by ' + ', '.join(outside) if outside else 'no answer'}; {d.reason}")
        return problems

    def failure_scenarios(self) -> list[frozenset[str]]:
        """No failure, each single cell, and each whole zone down (the case a strict zone must survive)."""
        out = [frozenset()] + [frozenset({c.name}) for c in self.cells]
        for z in sorted(self.served_zones):
            out.append(frozenset(c.name for c in self.cells if c.residency == z))
        out.append(frozenset(c.name for c in self.cells))
        return list(dict.fromkeys(out))


# ---- planning -----------------------------------------------------------------------

def ranked_latency_regions(cell: Cell) -> list[str]:
    """AWS regions a cell's latency record may carry, best first: the catalog's nearest, then the
    regions of the cell's own zone by distance, then the rest by distance."""
    nearest = cell.nearest_aws
    others = sorted((r for r in catalog.AWS_REGION_COORDINATES if r != nearest),
                    key=lambda r: (catalog.AWS[r].zone != cell.residency, catalog.distance_km(nearest, r)))
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


def exception_problems(cells: Sequence[Cell], strict: Mapping[str, bool],
                       exceptions: Sequence["ResidencyException"]) -> list[tuple[int, str, str]]:
    """(index, key, message) for every residency exception that cannot mean what it says."""
    by_name = {c.name: c for c in cells}
    served = {c.residency for c in cells}
    seen: dict[str, int] = {}
    out = []
    for i, ex in enumerate(exceptions):
        if ex.zone not in served:
            out.append((i, "zone", f"zone {ex.zone!r} has no cell, so it has no traffic to fail over; "
                                   f"allowed: {', '.join(sorted(served))}"))
        elif not strict.get(ex.zone, True):
            out.append((i, "zone", f"zone {ex.zone!r} is not strict: it fails over anywhere without an exception"))
        if ex.zone in seen:
            out.append((i, "zone", f"zone {ex.zone!r} already has exceptions[{seen[ex.zone]}]; one fallback per zone"))
        seen.setdefault(ex.zone, i)
        fb = by_name.get(ex.fallback_cell)
        if fb is None:
            out.append((i, "fallback_cell", f"no such cell; allowed: {', '.join(sorted(by_name))}"))
        elif fb.residency == ex.zone:
            out.append((i, "fallback_cell", f"cell {fb.name!r} is in zone {ex.zone!r} already; in-zone failover "
                                            "needs no exception"))
    return out


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
         exceptions: Sequence["ResidencyException"] = ()) -> RoutingTree:
    """The record tree for `cells` (see the module docstring). `strict` maps zone -> strict."""
    if not cells:
        raise RoutingError("no cell to route to")
    names = [c.name for c in cells]
    if len(set(names)) != len(names):
        raise RoutingError(f"duplicate cell names: {', '.join(sorted({n for n in names if names.count(n) > 1}))}")
    public = dns.public_label
    if public in names:
        raise RoutingError(f"platform:dns.public_label = {public!r}: also a cell name (that cell's own name)")
    problems = exception_problems(cells, strict, exceptions)
    if problems:
        raise RoutingError("\n".join(f"platform:exceptions[{i}].{k}: {m}" for i, k, m in problems))
    cells = list(cells)
    regions, notes = assign_latency_regions(cells)
    served = list(dict.fromkeys(c.residency for c in cells))
    strict_zones = frozenset(z for z in set(strict) | set(served) if strict.get(z, True))
    records: list[Record] = []
    health_checks = [HealthCheck(c.name, cell=c.name) for c in cells]

    for c in cells:  # leaves: an ALB alias evaluates the load balancer's own target health
        records.append(Record(c.name, "simple", endpoint=c.name, evaluate_target_health=c.cloud == "aws"))

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


def strict_map(zones: Mapping[str, "ZoneOptions"], cells: Sequence[Cell]) -> dict[str, bool]:
    """zone -> strict for every configured or served zone (an unconfigured zone is strict, except `us`,
    as `PlatformConfig.zone()` decides)."""
    out = {z: o.strict for z, o in zones.items()}
    for c in cells:
        out.setdefault(c.residency, c.residency != "us")
    return out
