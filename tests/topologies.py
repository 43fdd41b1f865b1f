"""Hypothesis strategies for valid platform topologies, and the one place that sets
how many examples the property tests run and with which seed.

A topology is a stack config as a user writes it (`platform:*` keys): 1-12 cells on any of the
three clouds, in regions the catalog places in zones us/eu/in/uk/ch/br, each zone strict or not,
every routing mode and within-zone mode, and optional residency exceptions (a strict zone's
fallback to a cell of another zone, approved until a future date).

Override for a longer exploration: TOPOLOGY_SEED=7 TOPOLOGY_MODEL_EXAMPLES=2000 pytest -k topolog
"""
from __future__ import annotations

import datetime as dt
import os

from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis import strategies as st

from components.core import catalog

# ---- the knobs: seed and example counts, in one place ---------------------------------------
SEED = int(os.environ.get("TOPOLOGY_SEED", "20261126"))
MODEL_EXAMPLES = int(os.environ.get("TOPOLOGY_MODEL_EXAMPLES", "100"))   # pure routing model: ~ms each
STACK_EXAMPLES = int(os.environ.get("TOPOLOGY_STACK_EXAMPLES", "3"))     # whole stacks, both packs: ~10 s each
STACK_MAX_CELLS = 3  # whole stacks: enough for cross-zone and in-zone failover, small enough to stay fast

MODEL_SETTINGS = settings(max_examples=MODEL_EXAMPLES, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
# Whole stacks: no shrinking (each example is a child process); the failing config is printed.
STACK_SETTINGS = settings(max_examples=STACK_EXAMPLES, deadline=None, database=None,
                          phases=[Phase.explicit, Phase.generate],
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
with_seed = seed(SEED)

ZONES = ("us", "eu", "in", "uk", "ch", "br")
ROUTING = ("latency", "geolocation", "weighted", "failover")
WITHIN_ZONE = ("latency", "weighted", "failover")
TODAY = dt.date(2026, 11, 26)  # config validation date (exceptions expire after it)

# (cloud, region, zone) for every catalog region of the six zones.
PLACES = tuple((cloud, region, zone) for zone in ZONES for cloud in catalog.CLOUDS
               for region in catalog.zone_regions(zone, cloud))


def _cell(i: int, place: tuple[str, str, str], role: str, weight: int) -> dict:
    cloud, region, zone = place
    cell = {"name": f"{cloud[:2]}{i}-{region}"[:22].rstrip("-"), "cloud": cloud, "region": region,
            "residency": zone, "role": role, "weight": weight, "network_cidr": f"10.{10 + i}.0.0/16",
            "cluster": {"min_nodes": 1, "max_nodes": 3, "api_allowed_cidrs": ["203.0.113.0/24"]}}
    if cloud == "gcp":
        cell["project"] = f"acme-platform-test-{i}"  # one GCP cell per project (Workload Identity)
    return cell


@st.composite
def topologies(draw, min_cells: int = 1, max_cells: int = 12) -> dict:
    """A valid stack config (raw Pulumi config, as stacks/Pulumi.<stack>.yaml holds it)."""
    places = draw(st.lists(st.sampled_from(PLACES), min_size=min_cells, max_size=max_cells))
    cells = [_cell(i, p, draw(st.sampled_from(("primary", "secondary", "active"))),
                   draw(st.integers(0, 255))) for i, p in enumerate(places)]
    if not any(c["weight"] for c in cells):
        cells[0]["weight"] = 1  # all-zero weights are a config error in weighted routing
    served = sorted({c["residency"] for c in cells})
    zones = {z: {"strict": draw(st.booleans())} for z in served}
    cfg = {
        "aws:region": "us-west-2", "gcp:project": "acme-platform-test", "gcp:region": "europe-west1",
        "azure-native:location": "westeurope",
        "platform:environment": "dev",
        "platform:cells": cells,
        "platform:dns": {
            "domain": "test.inference.example.com",
            "routing": draw(st.sampled_from(ROUTING)),
            "within_zone": draw(st.sampled_from(WITHIN_ZONE)),
            "ttl": draw(st.sampled_from((5, 30, 60))),
            "health_check": {"request_interval": draw(st.sampled_from((10, 30))),
                             "failure_threshold": draw(st.integers(1, 10))},
        },
        "platform:workload": {
            "image": "ghcr.io/acme/inference@sha256:" + "3f1c9a5e0b7d2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e",
            "replicas": 2, "port": 8080, "health_path": "/health"},
        "platform:zones": zones,
    }
    exceptions = []
    for z in served:
        others = [c["name"] for c in cells if c["residency"] != z]
        if zones[z]["strict"] and others and draw(st.booleans()):
            exceptions.append({"zone": z, "fallback_cell": draw(st.sampled_from(others)),
                               "reason": "generated: capacity during a migration", "approver": "dpo@acme.example",
                               "expires": (TODAY + dt.timedelta(days=draw(st.integers(1, 365)))).isoformat()})
    if exceptions:
        cfg["platform:exceptions"] = exceptions
    return cfg
