"""The price catalog (`catalog.json`): on-demand list prices per cloud, region and SKU key.

Each entry carries its unit, the public page or price-list API it comes from and, through the
catalog, the date the prices were taken. Lookups that miss return None: the caller lists the
resource as "not priced" instead of counting it as zero.

A region of a cloud's region table (components/core/catalog.py) with no published price recorded
for a SKU is listed under `estimates.<cloud>.regions`, with the region whose price stands in for it
(`estimates.<cloud>.from`) and why: a lookup there returns that region's price marked
`estimated_from`, and the bill shows it apart ("estimated"). Never a silent zero, never a number
made up for the region.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

CATALOG_FILE = Path(__file__).resolve().parent / "catalog.json"

# Units whose price is per hour of existence; the monthly figure is price x hours_per_month.
HOURLY_UNITS = frozenset({"hour", "gateway-hour", "VM-hour", "LCU-hour", "NLCU-hour", "capacity unit-hour"})


@dataclass(frozen=True)
class Price:
    cloud: str
    region: str
    key: str
    price: float
    unit: str
    source: str
    note: str = ""
    vcpus: Optional[int] = None
    verified_by: str = ""  # a recorded price-API response (tests/pricing_samples) the price was checked against
    estimated_from: str = ""  # the region whose price stands in for this one's (catalog `estimates`)


class Catalog:
    def __init__(self, doc: dict):
        self.doc = doc
        self.currency: str = doc["currency"]
        self.hours_per_month: float = float(doc["hours_per_month"])
        self.date: str = doc["catalog_date"]

    def get(self, cloud: str, region: Optional[str], key: str) -> Optional[Price]:
        regions = self.doc["prices"].get(cloud, {})
        entry = (regions.get(region or "") or {}).get(key)
        where = region or ""
        if entry is None:  # global services (Route 53, App Service certificates) are priced once
            entry = regions.get("global", {}).get(key)
            where = "global"
        estimated_from = ""
        if entry is None and region:
            est = self.estimate_of(cloud, region)
            if est is not None and est["from"] != region:
                entry = (regions.get(est["from"]) or {}).get(key)
                where, estimated_from = region, est["from"]
        if entry is None:
            return None
        return Price(cloud, where, key, float(entry["price"]), entry["unit"], entry["source"],
                     entry.get("note", ""), entry.get("vcpus"), "" if estimated_from else entry.get("verified_by", ""),
                     estimated_from)

    def estimate_of(self, cloud: str, region: str) -> Optional[dict]:
        """{"from": region, "why": ...} when `region`'s missing prices are estimated from another's."""
        est = (self.doc.get("estimates") or {}).get(cloud) or {}
        why = (est.get("regions") or {}).get(region)
        return None if why is None else {"from": est["from"], "why": why}

    def unverified_regions(self) -> dict[str, str]:
        """`cloud/region` -> why its prices are not checked against the price API (catalog `verification`)."""
        return (self.doc.get("verification") or {}).get("unverified_regions") or {}

    def regions(self, cloud: str) -> list[str]:
        return sorted(r for r in self.doc["prices"].get(cloud, {}) if r != "global")


@lru_cache(maxsize=4)
def load_catalog(path: str = str(CATALOG_FILE)) -> Catalog:
    return Catalog(json.loads(Path(path).read_text()))
