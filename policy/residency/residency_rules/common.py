"""What the residency rules share: their declaration defaults, what "inside a zone" means, and the
fail-closed judgement of a store that data is kept in or sent to.

A check is `check(view, zones, today) -> list[Finding]` over the whole stack (stack_view.StackView).
A value that is known but cannot be placed in the zone is a violation (the pack fails closed); a
value unknown during preview is a cannot-verify note (the advisory `residency-cannot-verify`).
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Optional

from stack_view import Res, StackView
from zones import Location, Zones, is_unknown, region_zone

from .rule_shape import Finding, Framework, Rule, cannot_verify, violation

TOPICS = ("residency",)
GDPR_CHAPTER_V = Framework(name="GDPR", version="2016/679", reference="Chapter V (Art. 44-49)",
                           specification="Transfers of personal data to third countries or international organisations")


def rule(**fields: Any) -> Rule:
    """A rule of this pack: `Rule(**fields)` with the pack's defaults (a mandatory stack rule, topic
    `residency`; the zone of an unlabelled resource comes from its ancestors, which only AnalyzeStack sees)."""
    return Rule(**{"scope": "stack", "topics": TOPICS, **fields})


def zoned(view: StackView, zones: Zones, types: Optional[Iterable[str]] = None) -> Iterator[tuple[Res, str]]:
    """(resource, zone) for every resource (of `types`) whose residency zone is a known zone; the
    others are residency-zone-known's to report."""
    types = None if types is None else frozenset(types)
    for r in view.resources:
        if types is not None and r.type not in types:
            continue
        zone = view.zone_of(r).zone
        if zone is None or not zones.known(zone):
            continue
        yield r, zone


def judge(r: Res, zone: str, loc: Location, zones: Zones, what: str) -> list[Finding]:
    """One location against one zone: [] when inside, a violation when outside, a note when unknown."""
    if loc.kind == "unknown":
        return [cannot_verify(f"{what}: location {loc.describe()} is unknown during preview", r.urn)]
    if loc.kind == "unrecognized":
        return [violation((
            f"{what}: location {loc.describe()} is not a region of the catalog, so it cannot be shown to lie in "
            f"zone {zone!r} (fail closed)"), r.urn)]
    if zones.allows(zone, loc):
        return []
    if loc.kind == "global":
        return [violation(f"{what}: location 'global' is not inside zone {zone!r}", r.urn)]
    outside = [f"{reg} ({region_zone(reg)})" for reg in loc.regions if not zones.allowed_region(zone, reg)]
    return [violation((
        f"{what} is in {loc.describe()}: {', '.join(outside)} outside zone {zone!r}; "
        f"allowed regions of {zone!r}: {zones.allowed_list(zone)}"), r.urn)]


def judge_store(view: StackView, r: Res, zone: str, zones: Zones, store: Optional[Res], ref: Any, what: str,
                noun: str, shown: Optional[str] = None) -> list[Finding]:
    """`r`, of zone `zone`, keeps or sends data to the `noun` that `ref` names; `store` is that resource
    when the stack holds it (`shown`: how to name it, default its resource name).

    Fail closed: a store the stack does not hold cannot be shown to lie in the zone, so a known
    reference to one is a violation; an unknown reference (preview) is a cannot-verify note, and so
    is a held store whose location is unknown. A held store is judged where it lives."""
    if store is None:
        if is_unknown(ref):
            return [cannot_verify(f"{what} a {noun} unknown during preview", r.urn)]
        return [violation((
            f"{what} {noun} {ref!r}, which is not in this stack: its location cannot be shown to lie in zone "
            f"{zone!r} (fail closed)"), r.urn)]
    name = shown or store.name
    loc = view.location_of(store)
    if loc is None:
        return [cannot_verify(f"{what} {noun} {name!r}, which has no location", r.urn)]
    return judge(r, zone, loc, zones, f"{what} {noun} {name!r}")
