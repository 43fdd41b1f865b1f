"""The cloud facts this pack reads: `facts.json` beside this file, generated from the project's
cloud plugins by `python policy/shared/facts.py` (a test keeps it equal), so the pack stays
self-contained and names no cloud itself.

A package that is neither a cloud's nor declared non-cloud there is unknown: its resources fail
closed (residency-package-known), and the locator places them nowhere it could show in a zone.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

FACTS = json.loads((Path(__file__).resolve().parent / "facts.json").read_text())
CLOUDS: dict[str, dict] = FACTS["clouds"]
PACKAGES: dict[str, dict] = FACTS["packages"]


def _union(role: str) -> frozenset[str]:
    return frozenset(t for c in CLOUDS.values() for t in c[role])


# Types that hold customer data (or the keys to it): they must belong to a real residency zone,
# never to `global`, and never live in a `global` location.
DATA_TYPES = _union("data_types")
KEY_TYPES = _union("key_types")
CLUSTER_TYPES = _union("cluster_types")
LOAD_BALANCER_TYPES = _union("load_balancer_types")
TELEMETRY_TYPES = _union("telemetry_types")
# Packages whose resources are real objects with labels (a cloud's, or a cluster's objects).
LABELLED_PACKAGES = frozenset(p for p, f in PACKAGES.items() if f["kind"] in ("cloud", "cluster"))
# Packages whose resources only group others or live nowhere: judged by what is in them.
GROUPING_PACKAGES = frozenset(p for p, f in PACKAGES.items() if f["kind"] in ("component", "local"))
# Module prefixes (`<package>:<module>/`) of a global DNS layer: records, zones, health checks.
DNS_MODULE_PREFIXES = tuple(m + "/" for c in CLOUDS.values() for m in c.get("dns_modules", ()))
LABEL_PROPS_BY_TYPE: dict[str, list[str]] = {t: v for c in CLOUDS.values()
                                             for t, v in c["label_properties_by_type"].items()}


def cloud(package: str) -> Optional[dict]:
    """The facts of the cloud a package belongs to, or None."""
    name = (PACKAGES.get(package) or {}).get("cloud")
    return CLOUDS.get(name) if name else None


def kind(package: str) -> Optional[str]:
    """cloud | cluster | component | local | engine, or None for a package nobody declared."""
    return (PACKAGES.get(package) or {}).get("kind")
