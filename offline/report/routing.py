"""Who is served by which cell: the routing section of the JSON report, and its
before/after in a review diff.

The stack's own routing plan (components/core/routing: `plan()` builds the Route 53 record tree
the program creates, `RoutingTree.serve()` evaluates it as Route 53 does) answers, for every
country of the catalog, which cell serves it with every cell up, and where each cell's countries
go when that cell is down. The plan comes from the project the run loaded (its `components`
package is already imported by the program), so a review diff's base side reports the base's plan.

A project without that routing model (or a stack without `platform:dns`) has no routing section.
"""
from __future__ import annotations

import importlib
from collections import defaultdict
from typing import Optional


def _modules():
    return (importlib.import_module("components.core.config"), importlib.import_module("components.core.routing"),
            importlib.import_module("components.core.catalog"))


def routing_summary(stack: str, config: dict) -> Optional[dict]:
    """{"routing", "within_zone", "public_name", "served": {cell: [countries]}, "failover": {cell:
    {"to": {other: [countries]}}}} or None. A set of cells that may answer (weighted, latency)
    is named `a+b`."""
    try:
        config_mod, routing, catalog = _modules()
        cfg = config_mod.load(stack, config)
        if cfg.dns is None:
            return None
        placements = [routing.Cell.from_config(c) for c in [*cfg.cells, *cfg.cell_stacks]]
        if not placements:
            return None
        tree = routing.plan(placements, cfg.dns, routing.strict_map(cfg.zones, placements), cfg.exceptions,
                            checked=True)
        countries = sorted(catalog.COUNTRY_CONTINENT)
    except Exception:  # noqa: BLE001 - not this project's routing model: no section
        return None

    def who(country: str, failed=()) -> str:
        d = tree.serve(country, failed)
        return "+".join(sorted(d.cells)) if d.cells else (d.cell or "no answer")

    served: dict[str, list[str]] = defaultdict(list)
    now = {c: who(c) for c in countries}
    for country, cell in now.items():
        served[cell].append(country)
    failover: dict[str, dict] = {}
    for p in placements:
        moved: dict[str, list[str]] = defaultdict(list)
        for country, cell in now.items():
            if p.name in cell.split("+"):
                moved[who(country, {p.name})].append(country)
        failover[p.name] = {"to": dict(sorted(moved.items()))}
    return {"routing": cfg.dns.routing, "within_zone": cfg.dns.within_zone, "public_name": cfg.dns.public_name,
            "served": dict(sorted(served.items())), "failover": failover}


def _by_country(summary: Optional[dict]) -> dict[str, str]:
    return {c: cell for cell, cs in ((summary or {}).get("served") or {}).items() for c in cs}


def routing_change(base: Optional[dict], head: Optional[dict]) -> list[str]:
    """Before/after lines of who is served by which cell (empty: nothing changed)."""
    if base == head or (not base and not head):
        return []
    lines = []
    b_mode = f"{base['routing']}/{base['within_zone']}" if base else "none"
    h_mode = f"{head['routing']}/{head['within_zone']}" if head else "none"
    if b_mode != h_mode:
        lines.append(f"routing mode: {b_mode} -> {h_mode}")
    before, after = _by_country(base), _by_country(head)
    moves: dict[tuple[str, str], list[str]] = defaultdict(list)
    for country in sorted(set(before) | set(after)):
        a, b = before.get(country, "none"), after.get(country, "none")
        if a != b:
            moves[(a, b)].append(country)
    for (a, b), cs in sorted(moves.items(), key=lambda kv: -len(kv[1])):
        shown = " ".join(cs[:12]) + (f" … (+{len(cs) - 12})" if len(cs) > 12 else "")
        lines.append(f"{len(cs)} countr{'y' if len(cs) == 1 else 'ies'}: {a} -> {b} ({shown})")
    for cell in sorted(set((base or {}).get("failover", {})) | set((head or {}).get("failover", {}))):
        fb = ((base or {}).get("failover", {}).get(cell) or {}).get("to", {})
        fh = ((head or {}).get("failover", {}).get(cell) or {}).get("to", {})
        if fb != fh:
            lines.append(f"when {cell} is down: {_targets(fb)} -> {_targets(fh)}")
    return lines


def _targets(to: dict) -> str:
    return ", ".join(f"{cell} ({len(cs)})" for cell, cs in to.items()) or "nothing"
