"""Location rules: every resource belongs to a known package, every location-bearing one has a
residency zone, and lies in it."""
from __future__ import annotations

import datetime as dt

import cloud_facts
from key_refs import KEY_TYPES
from stack_view import DATA_TYPES, StackView, what
from zones import GLOBAL_ZONE, Zones

from .common import judge, zoned
from .rule_shape import Finding, cannot_verify, violation


def check_zone_known(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    out = []
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
        elif z.zone == GLOBAL_ZONE and r.type in DATA_TYPES and r.type not in KEY_TYPES:
            # A key may serve global plumbing (an alarm topic); customer data never lives in `global`.
            out.append(violation((
                f"{what(r)} holds data but its zone is {GLOBAL_ZONE!r} (from {z.source}); data stores and "
                "keys must belong to a residency zone"), r.urn))
    return out


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
