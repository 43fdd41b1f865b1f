"""Residency zones: the region catalog shipped with the pack, narrowed by policy config.

`catalog.json` is `python -m components.core.catalog` of the project (a test keeps the copy equal),
so the pack stays self-contained: it runs wherever `pulumi preview --policy-pack` runs it.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

_HERE = Path(__file__).resolve().parent
CATALOG = json.loads((_HERE / "catalog.json").read_text())
# package -> the types of its schema with a location input (`located`) and without (`unlocated`):
# gen_locations.py, from the provider schemas and the cloud plugins' location inputs.
_LOCATED = json.loads((_HERE / "locations.json").read_text())
LOCATED_TYPES: dict[str, frozenset] = {pkg: frozenset(v["located"]) for pkg, v in _LOCATED.items()}
UNLOCATED_TYPES: dict[str, frozenset] = {pkg: frozenset(v["unlocated"]) for pkg, v in _LOCATED.items()}

GLOBAL_ZONE = "global"


class _Unknown:
    """A value the engine does not know yet (preview): judged "cannot verify", never guessed."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN
# Zones whose traffic may leave them by default: no federal localisation mandate applies to the
# US zone. Every other zone is strict unless `zones.<zone>.strict: false` says otherwise (fail closed).
DEFAULT_RELAXED_ZONES = frozenset({"us"})

# region name -> (cloud, catalog row); region names do not collide across clouds.
REGIONS: dict[str, tuple[str, dict]] = {
    name: (cloud, row) for cloud, rows in CATALOG["regions"].items() for name, row in rows.items()
}
GCS_MULTI_REGIONS: dict[str, list[str]] = CATALOG["gcs_multi_regions"]
COUNTRY_ZONES: dict[str, str] = CATALOG["country_zones"]
COUNTRY_CONTINENT: dict[str, str] = CATALOG["countries"]
CATALOG_ZONES = frozenset(row["zone"] for _, row in REGIONS.values())


def region_zone(region: str) -> Optional[str]:
    found = REGIONS.get(region)
    return found[1]["zone"] if found else None


def countries_of_zone(zone: str) -> list[str]:
    return sorted(c for c, z in COUNTRY_ZONES.items() if z == zone)


@dataclass(frozen=True)
class Location:
    """Where a resource lives: one region, the regions a multi-region spans, or `global`.

    `unknown` = not known during preview; `unrecognized` = a value the catalog does not know
    (judged fail closed: it cannot be shown to be in any zone)."""

    kind: str  # region | multi | global | unknown | unrecognized
    value: str
    regions: tuple[str, ...] = ()
    source: str = ""

    def describe(self) -> str:
        where = f" ({self.source})" if self.source else ""
        if self.kind == "multi":
            return f"{self.value} = {', '.join(self.regions)}{where}"
        return f"{self.value}{where}"


def parse_location(value: Any, source: str = "") -> Location:
    """A location string of any cloud: a region, a GCP zone, a GCS multi/dual-region, `global`."""
    if is_unknown(value):
        return Location("unknown", "<unknown>", source=source)
    text = str(value).strip()
    low = text.lower().replace(" ", "")  # Azure accepts display names: "West Europe"
    if low == "global":
        return Location("global", "global", source=source)
    if low in REGIONS:
        return Location("region", low, (low,), source)
    multi = GCS_MULTI_REGIONS.get(text.upper())
    if multi:
        return Location("multi", text.upper(), tuple(multi), source)
    zonal = re.match(r"^([a-z]+-[a-z]+\d+)-[a-z]$", low)  # GCP zone: europe-west1-b
    if zonal and zonal.group(1) in REGIONS:
        return Location("region", zonal.group(1), (zonal.group(1),), source)
    return Location("unrecognized", text, source=source)


class ConfigProblem(Exception):
    pass


@dataclass(frozen=True)
class ResidencyException:
    zone: str
    fallback_cell: str
    reason: str
    approver: str
    expires: dt.date
    # The stacks the approval is for: it applies in those stacks only, so an approval for one
    # stack's failover path cannot be borrowed by another stack.
    stacks: tuple[str, ...] = ()

    def describe(self) -> str:
        return (f"exception for zone {self.zone!r} -> {self.fallback_cell!r} (approved by {self.approver}, "
                f"expires {self.expires.isoformat()}: {self.reason})")


@dataclass
class Zones:
    """The zone model a policy judges with: catalog defaults + its policy config."""

    narrowed: dict[str, frozenset[str]] = field(default_factory=dict)
    strictness: dict[str, bool] = field(default_factory=dict)
    exceptions: list[ResidencyException] = field(default_factory=list)
    # Zones served by the whole platform (a cell stack sees only its own cells): edge guards refuse them.
    served: frozenset[str] = frozenset()
    problems: list[str] = field(default_factory=list)  # config errors, reported as violations

    def known(self, zone: str) -> bool:
        return zone == GLOBAL_ZONE or zone in CATALOG_ZONES or zone in self.strictness

    def strict(self, zone: Optional[str]) -> bool:
        if zone is None or zone == GLOBAL_ZONE:
            return False
        return self.strictness.get(zone, zone not in DEFAULT_RELAXED_ZONES)

    def allowed_region(self, zone: str, region: str) -> bool:
        if zone in self.narrowed:
            return region in self.narrowed[zone]
        return region_zone(region) == zone

    def allows(self, zone: str, loc: Location) -> Optional[bool]:
        """Whether `loc` lies in `zone`; None when it cannot be known (unknown at preview)."""
        if loc.kind == "unknown":
            return None
        if zone == GLOBAL_ZONE:
            return loc.kind != "unrecognized"  # global resources may live anywhere the catalog knows
        if loc.kind in ("region", "multi"):
            return all(self.allowed_region(zone, r) for r in loc.regions)
        return False  # `global` or unrecognized: not inside a residency zone

    def allowed_list(self, zone: str) -> str:
        regions = sorted(self.narrowed.get(zone) or (r for r in REGIONS if region_zone(r) == zone))
        return ", ".join(regions) or "none"

    def active_exceptions(self, today: dt.date, stack: Optional[str] = None) -> list[ResidencyException]:
        """Unexpired approvals for `stack` (every stack's when None)."""
        return [e for e in self.exceptions if e.expires >= today and (stack is None or stack in e.stacks)]

    def expired_exceptions(self, today: dt.date, stack: Optional[str] = None) -> list[ResidencyException]:
        return [e for e in self.exceptions if e.expires < today and (stack is None or stack in e.stacks)]


ZONES_SCHEMA = {
    "type": "object",
    "description": "Per zone: `strict` (default true, except `us`) and `regions` narrowing the catalog's regions.",
    "additionalProperties": {
        "type": "object",
        "properties": {
            "strict": {"type": "boolean"},
            "regions": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": False,
    },
}

SERVED_ZONES_SCHEMA = {
    "type": "array", "items": {"type": "string"},
    "description": "Zones served by cells of other stacks too (residency-edge-guard refuses their countries).",
}

EXCEPTIONS_SCHEMA = {
    "type": "array",
    "description": "Justified DNS fallbacks out of a strict zone. Expired exceptions no longer apply.",
    "items": {
        "type": "object",
        "properties": {
            "zone": {"type": "string"},
            "fallback_cell": {"type": "string", "description": "cell name, endpoint or set identifier"},
            "reason": {"type": "string", "minLength": 10},
            "approver": {"type": "string", "minLength": 3},
            "expires": {"type": "string", "format": "date"},
            "stacks": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                       "description": "the stacks the approval applies in (no other stack can use it)"},
        },
        "required": ["zone", "fallback_cell", "reason", "approver", "expires", "stacks"],
        "additionalProperties": False,
    },
}


def _exception(i: int, raw: Any) -> ResidencyException:
    where = f"exceptions[{i}]"
    if not isinstance(raw, Mapping):
        raise ConfigProblem(f"{where}: expected an object with zone, fallback_cell, reason, approver, expires")
    missing = [k for k in ("zone", "fallback_cell", "reason", "approver", "expires", "stacks") if not raw.get(k)]
    if missing:
        raise ConfigProblem(f"{where}: missing {', '.join(missing)} (an exception needs all of zone, "
                            "fallback_cell, reason, approver, expires and the stacks it is approved for)")
    extra = sorted(set(raw) - {"zone", "fallback_cell", "reason", "approver", "expires", "stacks"})
    if extra:
        raise ConfigProblem(f"{where}: unknown key(s) {', '.join(extra)}")
    if len(str(raw["reason"]).strip()) < 10:
        raise ConfigProblem(f"{where}.reason: {raw['reason']!r} is not a justification (at least 10 characters)")
    if len(str(raw["approver"]).strip()) < 3:
        raise ConfigProblem(f"{where}.approver: {raw['approver']!r} does not name an approver")
    try:
        expires = dt.date.fromisoformat(str(raw["expires"]))
    except ValueError:
        raise ConfigProblem(f"{where}.expires: {raw['expires']!r} is not a date (YYYY-MM-DD)") from None
    stacks = raw["stacks"]
    if not isinstance(stacks, list) or not all(isinstance(x, str) and x for x in stacks):
        raise ConfigProblem(f"{where}.stacks: {stacks!r} is not a list of stack names")
    return ResidencyException(str(raw["zone"]), str(raw["fallback_cell"]), str(raw["reason"]).strip(),
                              str(raw["approver"]).strip(), expires, tuple(stacks))


def from_config(config: Mapping[str, Any]) -> Zones:
    """Policy config -> Zones. Bad entries become `problems` (reported), never a crash."""
    zones = Zones()
    raw_zones = config.get("zones") or {}
    if not isinstance(raw_zones, Mapping):
        zones.problems.append("zones: expected an object of zone -> {strict, regions}")
        raw_zones = {}
    for name, opts in raw_zones.items():
        if not isinstance(opts, Mapping):
            zones.problems.append(f"zones.{name}: expected an object with strict and/or regions")
            continue
        if "strict" in opts:
            zones.strictness[name] = bool(opts["strict"])
        regions = opts.get("regions")
        if regions is not None:
            bad = [r for r in regions if region_zone(str(r)) != name]
            if bad:
                # Config may narrow a zone, never widen it: a region of another zone is an error.
                zones.problems.append(
                    f"zones.{name}.regions: {', '.join(map(str, bad))} not in zone {name!r} per the region catalog "
                    "(config may narrow a zone, not widen it)")
            zones.narrowed[name] = frozenset(str(r) for r in regions if region_zone(str(r)) == name)
    served = config.get("served_zones") or []
    if not isinstance(served, list) or not all(isinstance(z, str) for z in served):
        zones.problems.append("served_zones: expected a list of zone names")
    else:
        zones.served = frozenset(served)
    for i, raw in enumerate(config.get("exceptions") or []):
        try:
            zones.exceptions.append(_exception(i, raw))
        except ConfigProblem as e:
            zones.problems.append(str(e))
    return zones
