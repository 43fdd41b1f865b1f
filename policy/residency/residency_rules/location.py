"""Location rules: every resource belongs to a known package, every location-bearing one has a
residency zone, and lies in it."""
from __future__ import annotations

import datetime as dt

import cloud_facts
from stack_view import DATA_TYPES, StackView, what
from zones import GLOBAL_ZONE, Zones

from .common import judge, zoned
from .rule_shape import Finding, cannot_verify, violation


def check_zone_known(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    out = []
    serving = serving_global(view)
    # Resources whose own label claims `global` (what inherits the zone is judged with what it belongs to).
    claims = {r.urn for r in view.resources if (own := view.label_zone(r)) is not None and own.zone == GLOBAL_ZONE}
    for r in view.resources:
        loc = view.location_of(r)
        if loc is None:
            continue  # not location-bearing: global services are judged by what they point at
        z = view.zone_of(r)
        if z.zone is None:
            if z.unknown:
                out.append(cannot_verify(f"{what(r)}: residency zone cannot be verified: {z.source}", r.urn))
            else:
                out.append(violation((
                    f"{what(r)} lives in {loc.describe()} but its residency zone cannot be decided "
                    f"({z.source}); an unlabelled location-bearing resource fails closed"), r.urn))
        elif not zones.known(z.zone):
            out.append(violation(f"{what(r)}: residency {z.zone!r} (from {z.source}) is not a known zone", r.urn))
        elif z.zone == GLOBAL_ZONE and loc.kind != "global" and r.urn in claims and r.urn not in serving:
            # `global` is a claim only a global service can make: a regional resource may carry it only
            # while it serves one (a Route 53 health check's alarm, its topic and key), never for itself.
            out.append(violation((
                f"{what(r)} lives in {loc.describe()} but claims zone {GLOBAL_ZONE!r} (from {z.source}); only "
                "resources of a global service, or regional ones that exist to serve one (a health check's alarm, "
                "its topic and key), may be global; data stores belong to a residency zone"), r.urn))
    return out


def serving_global(view: StackView) -> set[str]:
    """URNs of regional resources labelled `global` that exist to serve a global service: they refer
    to a resource of a global service (one with no location, e.g. a Route 53 health check), or every
    resource that refers to them is itself such a resource. Derived from the graph, not from a list."""
    labelled = {r.urn for r in view.resources
                if (z := view.label_zone(r)) is not None and z.zone == GLOBAL_ZONE and not r.is_component}
    refs = {r.urn: {u for us in r.prop_deps.values() for u in us} | set(r.deps) for r in view.resources}
    users: dict[str, set[str]] = {}
    for urn, targets in refs.items():
        for t in targets:
            users.setdefault(t, set()).add(urn)

    def global_service(urn: str) -> bool:
        x = view.by_urn.get(urn)
        return x is not None and not x.is_component and not x.type.startswith("pulumi:") and (
            view.location_of(x) is None or view.location_of(x).kind == "global")

    serving = {u for u in labelled if any(global_service(t) for t in refs.get(u, ()))}
    changed = True
    while changed:
        changed = False
        for u in labelled - serving:
            # Unlabelled users (a topic policy, a subscription) are attachments of `u`, not what it serves.
            mine = {x for x in users.get(u, ()) if x in view.by_urn and not view.by_urn[x].is_component
                    and (view.label_zone(view.by_urn[x]) is not None or global_service(x))}
            if mine and all(x in serving or global_service(x) for x in mine):
                serving.add(u)
                changed = True
    return serving


def check_location(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    out = []
    for r, zone in zoned(view, zones):
        loc = view.location_of(r)
        if loc is None:
            continue  # not location-bearing: residency-zone-known says so
        if loc.kind == "global" and r.type not in DATA_TYPES:
            continue  # a global control-plane object (certificate map, pool...) holds no data
        out += judge(r, zone, loc, zones, f"{what(r)} (zone {zone!r} from {view.zone_of(r).source})")
    return out


def check_package_known(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    """A resource of a package no cloud plugin declares (and not declared non-cloud) fails closed:
    nobody has said where its resources live."""
    return [violation((
        f"{what(r)} ({r.type}) is of package {r.package!r}, which is no cloud plugin's and not declared non-cloud: where it "
        "lives cannot be determined, so it fails closed (a new cloud: its plugin in components/clouds/<cloud>/"
        "plugin.py, then python policy/shared/facts.py)"), r.urn)
        for r in view.resources if not r.type.startswith("pulumi:") and cloud_facts.kind(r.package) is None]
