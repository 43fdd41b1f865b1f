"""Who owns an endpoint a DNS record answers with: a resource of the stack, a cell stack's exports
(StackReference), the record's health check, or the region in a provider hostname.

A model of the stack (like route53.py's DnsModel), used by the DNS and edge rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from cloud_facts import DNS_MODULE_PREFIXES
from route53 import HEALTH_CHECK, Leaf, norm_name
from stack_view import ENDPOINT_PROPS, Res, StackView, dig, region_in_hostname, what
from zones import GLOBAL_ZONE, is_unknown, region_zone


@dataclass(frozen=True)
class Owner:
    zone: Optional[str]
    cell: Optional[str]
    how: str
    unknown: bool = False


class Endpoints:
    """Who owns an endpoint a record answers with: a resource of the stack, a cell stack's
    exports (StackReference), the record's health check, or the region in a provider hostname."""

    def __init__(self, view: StackView):
        self.view = view
        self.values: dict[str, Owner] = {}
        self.cells: dict[str, str] = {}  # cell name -> zone
        for r in view.resources:
            if r.type.startswith(DNS_MODULE_PREFIXES):
                continue
            zone = view.zone_of(r).zone
            cell = view.cell_name(r)
            if cell and zone:
                self.cells.setdefault(cell, zone)
            candidates = [r.props.get(k) for k in ENDPOINT_PROPS]
            candidates += dig(r.props, "dnsSettings", "fqdn")
            for v in candidates:
                if isinstance(v, str) and v:
                    self.values.setdefault(norm_name(v), Owner(zone, cell, what(r)))
            if r.type == "pulumi:pulumi:StackReference":
                exports = r.props.get("outputs")
                for export in (exports.values() if isinstance(exports, dict) else []):
                    if isinstance(export, dict) and isinstance(export.get("residency"), str):
                        cell_name = export.get("name") if isinstance(export.get("name"), str) else None
                        if cell_name:
                            self.cells.setdefault(cell_name, export["residency"])
                        for k in ("endpoint_hostname", "endpoint_ip"):
                            if isinstance(export.get(k), str) and export[k]:
                                self.values.setdefault(norm_name(export[k]), Owner(
                                    export["residency"], cell_name, f"cell {cell_name} exported by stack {r.name}"))

    def _from_resources(self, res: list[Res], how: str) -> Optional[Owner]:
        owners = {(self.view.zone_of(d).zone, self.view.cell_name(d)) for d in res
                  if not d.type.startswith(DNS_MODULE_PREFIXES) and self.view.zone_of(d).zone is not None}
        if len(owners) == 1:
            zone, cell = owners.pop()
            return Owner(zone, cell, how)
        return None

    def _health_check(self, leaf: Leaf) -> Optional[Owner]:
        rec = leaf.record
        for hc in self.view.deps_of(rec.res, "healthCheckId"):
            if hc.type != HEALTH_CHECK:
                continue
            tags = hc.props.get("tags")
            if isinstance(tags, dict) and isinstance(tags.get("residency"), str) and tags["residency"] != GLOBAL_ZONE:
                return Owner(tags["residency"], tags.get("cell"), f"health check {hc.name} tags")
            for k in ("fqdn", "ipAddress"):
                v = hc.props.get(k)
                if isinstance(v, str) and norm_name(v) in self.values:
                    return self.values[norm_name(v)]
                if isinstance(v, str) and region_in_hostname(v):
                    return Owner(region_zone(region_in_hostname(v)), None, f"health check {hc.name} target {v}")
        return None

    def owner(self, leaf: Leaf) -> Owner:
        t, rec = leaf.target, leaf.record
        if not is_unknown(t.value) and t.value is not None and norm_name(t.value) in self.values:
            return self.values[norm_name(t.value)]
        found = self._from_resources(self.view.deps_of(rec.res, t.prop), f"what {rec.res.name}.{t.prop} depends on")
        if found is None:
            found = self._health_check(leaf)
        if found is None and not is_unknown(t.value) and t.value is not None:
            region = region_in_hostname(str(t.value))
            if region:
                found = Owner(region_zone(region), None, f"region {region} in the hostname")
        if found is None and rec.set_id in self.cells:
            found = Owner(self.cells[rec.set_id], rec.set_id, f"set identifier {rec.set_id}")
        if found is not None:
            return found
        return Owner(None, None, "", unknown=is_unknown(t.value))

