"""Route 53 evaluation: `RoutingTree` answers a query the way Route 53 would.

`serve()` walks the records `plan()` made (geolocation, failover, weighted, latency, aliases
and health), so tests and `plan()` itself prove, for every country and failure, who answers.
Pure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Mapping, Optional

from .. import catalog
from .model import DEFAULT_LOCATION, Cell, Decision, HealthCheck, Record, RoutingError

if TYPE_CHECKING:
    from ..config import ResidencyException

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
            # Only an alias leaf (to a load balancer) evaluates target health, and it reflects the
            # load balancer's targets: healthy while the cell is up. (The record says so itself:
            # `plan()` sets evaluate_target_health on a leaf only for an alias endpoint.)
            return r.endpoint not in failed
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
            region = catalog.find_region(r.region or "")  # a latency record carries an AWS region
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
