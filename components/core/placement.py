"""Placement: where cells are, and which zones may never lose their traffic or data.

The one place in `components/` that decides "is zone X strict" and checks that a set of
placed cells (their names, the public label, the residency exceptions) can mean what the
config says. `config.load` runs `problems()` once for a stack; `routing.plan` runs the same
function only for cells it was handed without that check (tests, hand-built cells), so a
stack never sees a rule twice or two wordings of one rule.

The residency policy pack keeps its own copy of the default (`policy/residency/zones.py`):
a CrossGuard pack must stay self-contained and cannot import the program.

Pure: no pulumi, no pydantic (a test scans the imports of `components/core/`).
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Protocol, Sequence

PROJECT = "platform"  # the config namespace of this project's own keys (Pulumi.yaml `name`)

# Zones whose traffic may fail over anywhere unless configured otherwise. Every other zone,
# configured or not, is strict (fail closed).
RELAXED_BY_DEFAULT = frozenset({"us"})
DEFAULT_ZONES: Mapping[str, bool] = {"us": False, "eu": True, "in": True, "uk": True, "ch": True}


def default_strict(zone: str) -> bool:
    """Strictness of a zone the config does not mention."""
    return zone not in RELAXED_BY_DEFAULT


class _ZoneLike(Protocol):
    strict: bool


class Placed(Protocol):
    """What placement needs of a cell (config cells, cell-stack references, routing cells)."""

    name: str
    residency: str


class ExceptionLike(Protocol):
    zone: str
    fallback_cell: str


def strict_map(zones: Mapping[str, _ZoneLike], cells: Iterable[Placed]) -> dict[str, bool]:
    """zone -> strict for every configured or served zone."""
    out = {z: o.strict for z, o in zones.items()}
    for c in cells:
        out.setdefault(c.residency, default_strict(c.residency))
    return out


def exception_problems(cells: Sequence[Placed], strict: Mapping[str, bool],
                       exceptions: Sequence[ExceptionLike]) -> list[tuple[int, str, str]]:
    """(index, key, message) for every residency exception that cannot mean what it says."""
    by_name = {c.name: c for c in cells}
    served = {c.residency for c in cells}
    seen: dict[str, int] = {}
    out = []
    for i, ex in enumerate(exceptions):
        if ex.zone not in served:
            out.append((i, "zone", f"zone {ex.zone!r} has no cell, so it has no traffic to fail over; "
                                   f"allowed: {', '.join(sorted(served))}"))
        elif not strict.get(ex.zone, default_strict(ex.zone)):
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


def problems(cells: Sequence[Placed], public_label: Optional[str], strict: Mapping[str, bool],
             exceptions: Sequence[ExceptionLike], keys: Optional[Sequence[str]] = None,
             domain: str = "<domain>") -> list[str]:
    """Every placement rule a set of cells breaks, as `platform:<key> = <value>: <why>` lines.

    `keys[i]` is where cell i sits in the config (`cells[0]`, `cell_stacks[1]`); default `cells[i]`."""
    keys = list(keys) if keys is not None else [f"cells[{i}]" for i in range(len(cells))]
    out = []
    seen: set[str] = set()
    for key, c in zip(keys, cells):
        if c.name in seen:
            out.append(f"{PROJECT}:{key}.name = {c.name!r}: duplicate cell name; cell names must be unique "
                       "across cells and cell_stacks")
        seen.add(c.name)
    if public_label is not None and public_label in seen:
        out.append(f"{PROJECT}:dns.public_label = {public_label!r}: it is also a cell name, and "
                   f"{public_label}.{domain} is that cell's own name; allowed: any DNS "
                   f"label that is not one of {', '.join(sorted(seen))}")
    for i, key, msg in exception_problems(cells, strict, exceptions):
        value: Any = getattr(exceptions[i], key)
        out.append(f"{PROJECT}:exceptions[{i}].{key} = {value!r}: {msg}")
    return out
