"""The compute zones of each GCP region of the catalog (components/core/catalog.py GCP).

Known before anything runs: a `compute.get_zones` invoke would call the Compute API while the
program runs, before the same program has enabled compute.googleapis.com in a fresh project
(preview and up fail with SERVICE_DISABLED). Zones are stable facts of a region, listed at
https://cloud.google.com/compute/docs/regions-zones; a region added to the catalog must be added
here too (tests/test_gcp_cell.py checks both lists agree).
"""
from __future__ import annotations

# Zone letters per region; most regions have a, b and c.
_LETTERS = {
    "us-central1": "abcf",
    "us-east1": "bcd",
    "europe-west1": "bcd",
}
_DEFAULT = "abc"
REGIONS = (
    "us-central1", "us-east1", "us-east4", "us-west1", "us-west2", "northamerica-northeast1",
    "southamerica-east1", "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6",
    "europe-west8", "europe-west9", "europe-north1", "europe-southwest1", "europe-central2", "asia-south1",
    "asia-south2", "asia-southeast1", "asia-northeast1", "asia-northeast3", "asia-east2",
    "australia-southeast1", "me-central1", "africa-south1",
)


def zones_of(region: str) -> list[str]:
    """The zones of `region` (sorted); a region this table does not know is a clear error."""
    if region not in REGIONS:
        raise ValueError(f"GCP region {region!r} has no zone list in components/clouds/gcp/zones.py; "
                         f"allowed: {', '.join(REGIONS)}")
    return [f"{region}-{letter}" for letter in _LETTERS.get(region, _DEFAULT)]
