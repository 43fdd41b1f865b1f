"""Edge residency: what each cell refuses at its load balancer, and what a client that bypasses DNS gets.

DNS residency (the routing tree) is best effort: Route 53 answers by the resolver's location,
so a VPN, a resolver abroad without ECS, a cached answer or a direct call to `<cell>.<domain>`
reaches any cell. Each cell therefore refuses, at its edge (a WAF geo rule -> HTTP 451), the
countries of every *served strict* zone other than its own, minus the zones whose active
residency exception names this cell as the fallback (the exception's expiry ends the allowance).

Only *served* strict zones: a strict zone without any cell (say `uk` in dev) has nowhere its
users may legally be served; the routing tree sends them to the world pool as before (no DNS
record can do better), and refusing them at every edge would turn that into an outage of the
whole country. A cell stack (prod) does not see the other stacks' cells: it names the zones the
whole platform serves in `platform:edge.served_zones`.

Pure: no pulumi.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Iterable, Literal, Mapping, Optional, Sequence

from .. import catalog
from ..placement import default_strict
from .route53 import RoutingTree

# Route 53 health checkers' IPv4 ranges (service ROUTE53_HEALTHCHECKS), by checker region, plus
# the GLOBAL block. Source: https://ip-ranges.amazonaws.com/ip-ranges.json (and
# `aws route53 get-checker-ip-ranges`), snapshot taken 2026-11-26. AWS "rarely changes" them and
# announces changes in advance; refresh with:
#   curl -s https://ip-ranges.amazonaws.com/ip-ranges.json |
#     jq -r '.prefixes[] | select(.service=="ROUTE53_HEALTHCHECKS") | "\(.region) \(.ip_prefix)"'
ROUTE53_CHECKER_RANGES_SOURCE = "https://ip-ranges.amazonaws.com/ip-ranges.json (ROUTE53_HEALTHCHECKS)"
ROUTE53_CHECKER_RANGES_DATE = "2026-11-26"
ROUTE53_CHECKER_RANGES: Mapping[str, tuple[str, ...]] = {
    "GLOBAL": ("15.177.0.0/18",),
    "us-east-1": ("107.23.255.0/26", "54.243.31.192/26"),
    "us-west-1": ("54.183.255.128/26", "54.241.32.64/26"),
    "us-west-2": ("54.244.52.192/26", "54.245.168.0/26"),
    "eu-west-1": ("176.34.159.192/26", "54.228.16.0/26"),
    "ap-southeast-1": ("54.251.31.128/26", "54.255.254.192/26"),
    "ap-southeast-2": ("54.252.254.192/26", "54.252.79.128/26"),
    "ap-northeast-1": ("54.248.220.0/26", "54.250.253.192/26"),
    "sa-east-1": ("177.71.207.128/26", "54.232.40.64/26"),
}


def checker_cidrs() -> tuple[str, ...]:
    """Every Route 53 health checker range, in a stable order."""
    return tuple(c for region in ROUTE53_CHECKER_RANGES for c in ROUTE53_CHECKER_RANGES[region])


def zone_endpoint(zone: str, public_label: str, domain: Optional[str]) -> str:
    """The name a refused client of `zone` should call: its zone's pool (`<zone>.pool.<public>.<domain>`)."""
    return f"{zone}.pool.{public_label}.{domain or '<domain>'}"


def refused_zones(cell: str, zone: str, served_zones: Iterable[str], strict: Mapping[str, bool],
                  exceptions: Sequence = (), today: Optional[_dt.date] = None) -> tuple[str, ...]:
    """The strict zones whose countries `cell` (of `zone`) refuses, sorted.

    `exceptions`: anything with zone, fallback_cell, expires; an active one naming `cell` as the
    fallback lets that zone's countries in (DNS sends them here when the whole zone is down)."""
    today = today or _dt.date.today()
    allowed = {ex.zone for ex in exceptions if ex.fallback_cell == cell and ex.expires >= today}
    return tuple(sorted(z for z in set(served_zones)
                        if z != zone and strict.get(z, default_strict(z)) and z not in allowed))


def countries_of(zones: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(c for z in zones for c in catalog.countries_of_zone(z)))


Outcome = Literal["served", "refused", "down"]


@dataclass(frozen=True)
class EdgePlan:
    """Per cell, the zones (and so the countries) its edge refuses."""

    refused: Mapping[str, tuple[str, ...]]   # cell -> refused zones

    @classmethod
    def of(cls, tree: RoutingTree, served_zones: Iterable[str] = (), today: Optional[_dt.date] = None) -> "EdgePlan":
        """The guard of every cell of `tree` (`served_zones` adds zones served by cells outside the tree)."""
        served = set(tree.served_zones) | set(served_zones)
        strict = {z: z in tree.strict_zones for z in served}
        return cls({c.name: refused_zones(c.name, c.residency, served, strict, tree.exceptions, today)
                    for c in tree.cells})

    def countries(self, cell: str) -> tuple[str, ...]:
        return countries_of(self.refused[cell])

    def admits(self, cell: str, country: str) -> bool:
        return country not in self.countries(cell)

    def bypass(self, tree: RoutingTree, country: str, failed: Iterable[str] = ()) -> dict[str, Outcome]:
        """What a client in `country` that calls every cell directly (DNS bypassed) gets from each."""
        failed = frozenset(failed)
        return {c.name: ("down" if c.name in failed else "served" if self.admits(c.name, country) else "refused")
                for c in tree.cells}

    def violations(self, tree: RoutingTree, countries: Iterable[str],
                   failure_sets: Iterable[Iterable[str]]) -> list[str]:
        """Every (country, failure) where a served strict zone's country is served out of zone with DNS
        bypassed (outside an exception), or where DNS answers with a cell whose edge refuses the
        client (an outage the guard would cause)."""
        out = []
        failure_sets = [frozenset(f) for f in failure_sets]
        countries = list(countries)
        for country in countries:
            zone = catalog.zone_of_country(country)
            for failed in failure_sets:
                if zone in tree.strict_zones and zone in tree.served_zones:
                    ok = {c.name for c in tree.cells if c.residency == zone}
                    ok |= {ex.fallback_cell for ex in tree.exceptions if ex.zone == zone}
                    leaked = sorted(cell for cell, o in self.bypass(tree, country, failed).items()
                                    if o == "served" and cell not in ok)
                    if leaked:
                        out.append(f"{country} (strict zone {zone!r}), DNS bypassed, {sorted(failed) or 'no'} failed "
                                   f"cells: served by {', '.join(leaked)}")
                d = tree.serve(country, failed)
                refusing = sorted(c for c in d.cells if c not in failed and not self.admits(c, country))
                if refusing:
                    out.append(f"{country}, {sorted(failed) or 'no'} failed cells: DNS answers {', '.join(refusing)}, "
                               "whose edge refuses it (outage)")
        return out

    def report(self) -> dict[str, dict]:
        """Per cell: refused zones and countries (the stack's export and the Markdown report)."""
        return {cell: {"refused_zones": list(zones), "refused_countries": list(countries_of(zones))}
                for cell, zones in self.refused.items()}

