"""Regenerates locations.json from the provider schemas (a maintainer's tool, not used at run time).

    python policy/residency/gen_locations.py /work/shared/schemas/full > policy/residency/locations.json

Which resource types carry a location input is the provider's business, not ours:
- AWS (v7): every regional resource has a `region` input; the types without one are the
  global services (IAM, Route 53, CloudFront, Organizations, ...).
- GCP: a type with `region`, `location` or `zone` is regional/zonal (the provider's region
  when unset); a type with none is global (networks, firewalls, service accounts, IAM).
- Azure: a type with `location` is placed (the resource group's location when unset); a type
  without is a child of something that is (a vault's key, an account's container).
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path


def _inputs(schema: dict) -> dict[str, set[str]]:
    return {t: set(r.get("inputProperties") or {}) for t, r in schema["resources"].items()}


def build(schema_dir: Path) -> dict:
    def load(pkg: str) -> dict[str, set[str]]:
        with gzip.open(schema_dir / f"{pkg}.json.gz") as f:
            return _inputs(json.load(f))

    aws, gcp, azure = load("aws"), load("gcp"), load("azure-native")
    return {
        "aws_global": sorted(t for t, props in aws.items() if "region" not in props),
        "gcp_located": sorted(t for t, props in gcp.items() if props & {"region", "location", "zone"}),
        "azure_located": sorted(t for t, props in azure.items() if "location" in props),
    }


if __name__ == "__main__":
    json.dump(build(Path(sys.argv[1])), sys.stdout, indent=0, sort_keys=True)
    sys.stdout.write("\n")
