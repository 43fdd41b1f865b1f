"""Route 53 as residency sees it: which cells can answer a country's query, failures included.

Route 53 records are global: they live nowhere, so they are judged by what they point at.
A record set is every record of one (name, type) among A/AAAA/CNAME (and aliases, which are
A/AAAA/CNAME records): only those send users somewhere. Resolution, as Route 53 does it:

- geolocation: the most specific record matching the country (subdivision, country, continent,
  default `*`); when that record is unhealthy Route 53 answers from the next broader one, down to
  `*`. So a country can reach every record on that chain up to the first one that cannot fail.
- failover: PRIMARY, and SECONDARY whenever PRIMARY can be unhealthy.
- latency / weighted / multivalue / cidr / geoproximity: any record of the set.
- a record can fail when it has a health check, or is an alias with `evaluateTargetHealth` whose
  target can fail (an AWS endpoint, or a record set all of whose records can fail).
- an alias (or CNAME) to another record set of the stack is followed; anything else is an
  endpoint, i.e. a cell.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from stack_view import Res, StackView, is_unknown
from zones import COUNTRY_CONTINENT

RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
# Only these record types send users to an endpoint (an alias is an A/AAAA/CNAME record too).
# TXT, MX, CAA, NS... with a set identifier (e.g. one multivalue TXT per cell for certificate
# validation) are routing policies on data nobody connects to: they are no traffic route.
ROUTED_TYPES = ("A", "AAAA", "CNAME")
ROUTING_POLICIES = ("geolocationRoutingPolicies", "failoverRoutingPolicies", "latencyRoutingPolicies",
                    "weightedRoutingPolicies", "cidrRoutingPolicy", "geoproximityRoutingPolicy")


def norm_name(name) -> str:
    return str(name).strip().rstrip(".").lower()


@dataclass
class Target:
    """One answer a record can give: another record set, or an endpoint (value may be unknown)."""

    value: object  # str or UNKNOWN
    alias: bool
    evaluate_health: bool
    prop: str  # the record property it comes from (for property dependencies)


@dataclass
class Record:
    res: Res
    name: str
    type: str
    set_id: Optional[str]
    health_check: object  # None, a value or UNKNOWN
    targets: list[Target]
    geo: Optional[dict] = None
    failover: Optional[str] = None

    @property
    def policy(self) -> str:
        p = self.res.props
        if self.geo is not None:
            return "geolocation"
        if self.failover is not None:
            return "failover"
        for key in ROUTING_POLICIES:
            if p.get(key):
                return key.replace("RoutingPolicies", "").replace("RoutingPolicy", "")
        return "multivalue" if p.get("multivalueAnswerRoutingPolicy") else "simple"

    def label(self) -> str:
        what = self.set_id or self.res.name
        if self.geo is not None:
            g = self.geo
            where = g.get("subdivision") or g.get("country") or g.get("continent") or "?"
            return f"{self.name} geolocation {where} ({what})"
        if self.failover:
            return f"{self.name} failover {self.failover} ({what})"
        return f"{self.name} {self.policy} ({what})"


@dataclass
class Leaf:
    """An endpoint a country can reach, the record that answers with it and the entry record."""

    target: Target
    record: Record
    entry: Record


def _first(policies: Any) -> Any:
    """The one routing-policy block of a record; an unknown list is an unknown block."""
    if is_unknown(policies):
        return policies
    return (policies or [None])[0]


@dataclass
class DnsModel:
    sets: dict[tuple[str, str], list[Record]] = field(default_factory=dict)

    @classmethod
    def build(cls, view: StackView) -> "DnsModel":
        model = cls()
        for r in view.resources:
            if r.type != RECORD:
                continue
            p = r.props
            name, rtype = p.get("name"), p.get("type")
            if not is_unknown(rtype) and rtype is not None and str(rtype).upper() not in ROUTED_TYPES:
                continue  # not a route users follow (an unknown type is kept: fail closed)
            if is_unknown(name) or is_unknown(rtype) or name is None:
                name = f"<unknown name of {r.name}>"
            targets = []
            aliases = p.get("aliases")
            if is_unknown(aliases):  # a first preview: the whole list is not known yet
                targets.append(Target(aliases, True, True, "aliases"))
                aliases = []
            for alias in aliases or []:
                if is_unknown(alias):
                    targets.append(Target(alias, True, True, "aliases"))
                    continue
                ev = alias.get("evaluateTargetHealth")
                targets.append(Target(alias.get("name"), True, bool(ev) or is_unknown(ev), "aliases"))
            records = p.get("records")
            if is_unknown(records):
                targets.append(Target(records, False, False, "records"))
            else:
                targets += [Target(v, False, False, "records") for v in records or []]
            geo = _first(p.get("geolocationRoutingPolicies"))
            failover = _first(p.get("failoverRoutingPolicies"))
            rec = Record(res=r, name=norm_name(name), type=str(rtype), set_id=p.get("setIdentifier"),
                         health_check=p.get("healthCheckId"), targets=targets,
                         geo=geo if isinstance(geo, dict) else None,
                         failover=failover.get("type") if isinstance(failover, dict) else None)
            model.sets.setdefault((rec.name, rec.type), []).append(rec)
        return model

    def record_set(self, target: Target) -> Optional[list[Record]]:
        """The record set of this stack a target names (alias or CNAME), if any."""
        if is_unknown(target.value) or target.value is None:
            return None
        name = norm_name(target.value)
        for rtype in ("A", "AAAA", "CNAME"):
            if (name, rtype) in self.sets:
                return self.sets[(name, rtype)]
        return None

    def internal_names(self) -> set[tuple[str, str]]:
        out = set()
        for records in self.sets.values():
            for rec in records:
                for t in rec.targets:
                    rs = self.record_set(t)
                    if rs:
                        out.add((rs[0].name, rs[0].type))
        return out

    def has_routing(self, records: list[Record], seen=()) -> bool:
        for rec in records:
            if rec.policy != "simple":
                return True
            for t in rec.targets:
                rs = self.record_set(t)
                if rs and id(rs) not in seen and self.has_routing(rs, seen + (id(rs),)):
                    return True
        return False

    def roots(self) -> list[list[Record]]:
        """Entry points: record sets no other record points at, with routing somewhere below
        (a plain per-cell name that is not routed is a direct address, not a routing decision)."""
        internal = self.internal_names()
        return [rs for key, rs in sorted(self.sets.items()) if key not in internal and self.has_routing(rs)]

    # ---- resolution --------------------------------------------------------------------------

    def can_fail(self, rec: Record, seen=()) -> bool:
        if rec.health_check is not None:
            return True
        for t in rec.targets:
            if t.alias and t.evaluate_health:
                rs = self.record_set(t)
                if rs is None:
                    return True  # an AWS endpoint (ELB...) evaluated for health
                if id(rs) not in seen and all(self.can_fail(r, seen + (id(rs),)) for r in rs):
                    return True
        return False

    def _geo_chain(self, records: list[Record], country: str) -> list[Record]:
        continent = COUNTRY_CONTINENT.get(country)
        by_rank: list[list[Record]] = [[], [], [], []]
        for rec in records:
            g = rec.geo or {}
            if g.get("country") == country and g.get("subdivision"):
                by_rank[0].append(rec)  # some of the country's users only: also a candidate
            elif g.get("country") == country:
                by_rank[1].append(rec)
            elif g.get("continent") and g.get("continent") == continent:
                by_rank[2].append(rec)
            elif g.get("country") == "*":
                by_rank[3].append(rec)
        chain: list[Record] = []
        # Subdivision records serve part of the country; the rest of it starts at the country record.
        chain += by_rank[0]
        for rank in by_rank[1:]:
            chain += rank
            if rank and not any(self.can_fail(r) for r in rank):
                break
        return chain

    def reach(self, records: list[Record], country: str, entry: Optional[Record] = None, seen=()) -> list[Leaf]:
        """Every endpoint a client in `country` can be answered with from this record set."""
        if id(records) in seen:
            return []
        seen = seen + (id(records),)
        kinds = {r.policy for r in records}
        if kinds == {"geolocation"}:
            chosen = self._geo_chain(records, country)
        elif kinds == {"failover"}:
            primary = [r for r in records if r.failover == "PRIMARY"]
            secondary = [r for r in records if r.failover != "PRIMARY"]
            chosen = primary + (secondary if not primary or any(self.can_fail(r) for r in primary) else [])
        else:
            chosen = records
        leaves: list[Leaf] = []
        for rec in chosen:
            for t in rec.targets:
                rs = self.record_set(t)
                if rs is not None:
                    leaves += self.reach(rs, country, entry or rec, seen)
                else:
                    leaves.append(Leaf(t, rec, entry or rec))
        return leaves
