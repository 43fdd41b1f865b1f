"""Region catalog: the one place that knows where each cloud region is.

Pure data and lookups, no cloud SDK. Everything that reasons about residency
(config validation, routing, the residency pack's exported copy) reads it.

For every region a cell may use: its country (ISO 3166-1 alpha-2), continent
(Route 53 continent codes), residency zone(s), the nearest AWS region (what a
Route 53 latency record must carry), and for Azure the paired region that its
geo-redundant storage replicates to.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence


# EEA = EU27 + Iceland, Liechtenstein, Norway. Not the UK, not Switzerland:
# GDPR adequacy is not residency.
EEA_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "IS LI NO".split()
)

# Country -> continent (Route 53 geolocation continent codes). Every country a
# region sits in, plus enough of the rest of the world that the routing model
# can prove where "everybody else" goes.
COUNTRY_CONTINENT: Mapping[str, str] = {
    **{c: "EU" for c in EEA_COUNTRIES},
    "GB": "EU", "CH": "EU", "UA": "EU", "RS": "EU", "TR": "AS",
    "US": "NA", "CA": "NA", "MX": "NA",
    "BR": "SA", "AR": "SA", "CL": "SA", "CO": "SA",
    "IN": "AS", "SG": "AS", "JP": "AS", "KR": "AS", "HK": "AS", "TW": "AS", "ID": "AS",
    "AE": "AS", "IL": "AS", "QA": "AS", "SA": "AS", "CN": "AS", "BD": "AS", "LK": "AS",
    "AU": "OC", "NZ": "OC",
    "ZA": "AF", "NG": "AF", "EG": "AF", "KE": "AF",
}


# Zone ids that are not simply the lower-cased country code.
_COUNTRY_ZONE = {"GB": "uk"}


def zone_of_country(country: str) -> str:
    """Default residency zone of a country: `eu` for the EEA, else its own code (`uk`, `ch`, `us`, `in`...)."""
    if country in EEA_COUNTRIES:
        return "eu"
    return _COUNTRY_ZONE.get(country, country.lower())


@dataclass(frozen=True)
class Region:
    cloud: str
    name: str
    country: str
    nearest_aws: str
    pair: str | None = None  # Azure paired region (geo-redundant replication target)

    @property
    def continent(self) -> str:
        return COUNTRY_CONTINENT[self.country]

    @property
    def zones(self) -> tuple[str, ...]:
        return (zone_of_country(self.country),)

    @property
    def zone(self) -> str:
        return self.zones[0]


def _regions(cloud: str, rows: str) -> dict[str, Region]:
    out = {}
    for line in rows.strip().splitlines():
        parts = line.split()
        name, country, nearest = parts[:3]
        pair = parts[3] if len(parts) > 3 else None
        out[name] = Region(cloud, name, country, nearest, pair)
    return out


def _catalog() -> tuple[dict[str, dict[str, Region]], dict[str, tuple[str, ...]], dict[str, dict[str, str]]]:
    """Every plugin's regions (`CloudPlugin.regions_module`): regions by cloud, multi-regions, counterparts."""
    from ..clouds.plugins import PLUGINS  # pure: the plugins import no SDK

    regions, multi, counterparts = {}, {}, {}
    for cloud, plugin in PLUGINS.items():
        module = plugin.regions()
        regions[cloud] = _regions(cloud, module.ROWS)
        multi.update(getattr(module, "MULTI_REGIONS", {}))
        counterparts.update(getattr(module, "COUNTERPARTS", {}))
    return regions, multi, counterparts


_REGIONS, _MULTI_REGIONS, _COUNTERPARTS = _catalog()
# Region names do not collide across clouds (a test holds it): one index by name.
_REGIONS_BY_NAME: Mapping[str, Region] = {r.name: r for regions in _REGIONS.values() for r in regions.values()}

# The clouds of the catalog (the plugins' registry order) and their regions.
CLOUDS: tuple[str, ...] = tuple(_REGIONS)
REGIONS: Mapping[str, Mapping[str, Region]] = _REGIONS

# Multi- and dual-region locations (GCS's), judged by the regions they span.
GCS_MULTI_REGIONS: Mapping[str, tuple[str, ...]] = _MULTI_REGIONS


def __getattr__(name: str) -> Mapping[str, Region]:
    """`catalog.<CLOUD>` (upper case): that cloud's regions, e.g. the latency regions' table."""
    if name.lower() in _REGIONS and name.isupper():
        return _REGIONS[name.lower()]
    raise AttributeError(name)


class UnknownRegion(KeyError):
    pass


def region(cloud: str, name: str) -> Region:
    try:
        return REGIONS[cloud][name]
    except KeyError:
        raise UnknownRegion(f"{cloud}:{name}") from None


def find_region(name: str) -> Region | None:
    """The region of that name in whichever cloud has it (names do not collide across clouds)."""
    for regions in REGIONS.values():
        if name in regions:
            return regions[name]
    return None


def suggest_region(cloud: str, name: str) -> str | None:
    """Best guess for a region name that is not `cloud`'s: the counterpart region, else the closest spelling."""
    if name in _COUNTERPARTS and cloud in _COUNTERPARTS[name]:
        return _COUNTERPARTS[name][cloud]
    other = find_region(name)
    if other is not None:
        same_country = [r.name for r in REGIONS[cloud].values() if r.country == other.country]
        if same_country:
            return same_country[0]
    import difflib

    close = difflib.get_close_matches(name, list(REGIONS[cloud]), n=1)
    return close[0] if close else None


def zone_regions(zone: str, cloud: str | None = None) -> list[str]:
    clouds = [cloud] if cloud else list(CLOUDS)
    return [r.name for c in clouds for r in REGIONS[c].values() if zone in r.zones]


# Approximate location (lat, lon) of each AWS region of the catalog. Only used to rank regions by
# distance: the "next nearest" latency region of a cell, the replica region of a bucket.
AWS_REGION_COORDINATES: Mapping[str, tuple[float, float]] = {
    "us-east-1": (38.9, -77.4), "us-east-2": (40.0, -83.0), "us-west-1": (37.4, -121.9),
    "us-west-2": (45.8, -119.7), "ca-central-1": (45.5, -73.6), "eu-west-1": (53.3, -6.3),
    "eu-west-2": (51.5, -0.1), "eu-west-3": (48.9, 2.35), "eu-central-1": (50.1, 8.7),
    "eu-central-2": (47.4, 8.5), "eu-north-1": (59.3, 18.1), "eu-south-1": (45.5, 9.2),
    "eu-south-2": (41.6, -0.9), "ap-south-1": (19.1, 72.9), "ap-south-2": (17.4, 78.5),
    "ap-southeast-1": (1.35, 103.8), "ap-southeast-2": (-33.9, 151.2), "ap-northeast-1": (35.7, 139.7),
    "ap-northeast-2": (37.6, 127.0), "ap-east-1": (22.3, 114.2), "sa-east-1": (-23.5, -46.6),
    "me-central-1": (24.5, 54.4), "af-south-1": (-33.9, 18.4),
}


def distance_km(a: str, b: str) -> float:
    """Great-circle distance between two AWS regions of the catalog."""
    (la1, lo1), (la2, lo2) = AWS_REGION_COORDINATES[a], AWS_REGION_COORDINATES[b]
    p1, p2, dl = math.radians(la1), math.radians(la2), math.radians(lo2 - lo1)
    cos = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0 * math.acos(max(-1.0, min(1.0, cos)))


def replica_region(region: str, zone: str, allowed: Sequence[str] | None = None) -> str | None:
    """Where a cell in `region` replicates its bucket: the nearest other region of the same cloud in
    `zone` (within `allowed`, the stack's `platform:zones.<zone>.regions`, when given); None if there
    is none. Distances are between latency regions (`AWS_REGION_COORDINATES`), so a cloud whose regions
    are not latency regions has no replica region here."""
    home = find_region(region)
    if home is None or region not in AWS_REGION_COORDINATES:
        return None
    candidates = [r for r in zone_regions(zone, home.cloud) if r != region and (allowed is None or r in allowed)
                  and r in AWS_REGION_COORDINATES]
    return min(candidates, key=lambda r: (distance_km(region, r), r)) if candidates else None


aws_replica_region = replica_region  # the name the AWS bucket's callers know


def known_zones() -> list[str]:
    return sorted({r.zone for regions in REGIONS.values() for r in regions.values()})


def countries_of_zone(zone: str) -> list[str]:
    return sorted(c for c in COUNTRY_CONTINENT if zone_of_country(c) == zone)


def location_zones(location: str) -> set[str]:
    """Zones a location string lies in: a region of any cloud, or a GCS multi/dual-region.

    Empty set when the location is unknown (callers fail closed)."""
    r = find_region(location) or find_region(location.lower())
    if r is not None:
        return set(r.zones)
    spans = GCS_MULTI_REGIONS.get(location.upper())
    if spans:
        return set().union(*(set(_REGIONS_BY_NAME[s].zones) for s in spans))
    return set()


def pair_leaves_zone(name: str) -> bool:
    """True when geo-redundant storage in `name` would replicate out of the region's zone (to its
    paired region), or when the region has no pair at all, so geo-redundancy is not on offer."""
    r = find_region(name)
    if r is None or r.pair is None:
        return True
    return _REGIONS_BY_NAME[r.pair].zone != r.zone


azure_pair_leaves_zone = pair_leaves_zone  # the name the Azure bucket's callers know


def export() -> dict:
    """The catalog as plain JSON data (shipped inside the residency pack, kept in sync by a test)."""
    return {
        "eea": sorted(EEA_COUNTRIES),
        "countries": dict(sorted(COUNTRY_CONTINENT.items())),
        # country -> default residency zone (what a geolocation record's country belongs to)
        "country_zones": {c: zone_of_country(c) for c in sorted(COUNTRY_CONTINENT)},
        "regions": {
            cloud: {
                r.name: {"country": r.country, "zone": r.zone, "nearest_aws": r.nearest_aws, "pair": r.pair}
                for r in regions.values()
            }
            for cloud, regions in REGIONS.items()
        },
        "gcs_multi_regions": {k: list(v) for k, v in GCS_MULTI_REGIONS.items()},
    }


if __name__ == "__main__":  # python -m components.core.catalog > policy/residency/catalog.json
    import json
    import sys

    json.dump(export(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
