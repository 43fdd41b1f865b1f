"""Regenerates locations.json from the provider schemas (a maintainer's tool, not used at run time).

    python policy/residency/gen_locations.py tests/schemas/located > policy/residency/locations.json

Which resource types carry a location input is the provider's business, not ours. For each cloud
package of facts.json (generated from the cloud plugins), every type of the schema is `located` (it
has one of the plugin's location inputs) or `unlocated` (it has none), e.g.:
- AWS (v7): every regional resource has a `region` input; the types without one are the
  global services (IAM, Route 53, CloudFront, Organizations, ...).
- GCP: a type with `region`, `location` or `zone` is regional/zonal (the provider's region
  when unset); a type with none is global (networks, firewalls, service accounts, IAM).
- Azure: a type with `location` is placed (the resource group's location when unset); a type
  without is a child of something that is (a vault's key, an account's container).
A type in neither list is unknown to the schema the pack was built from: it fails closed.
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

FACTS = Path(__file__).resolve().parent / "facts.json"


def build(schema_dir: Path, facts: dict | None = None) -> dict:
    facts = facts or json.loads(FACTS.read_text())
    out = {}
    for cloud in facts["clouds"].values():
        inputs = set(cloud["location"]["inputs"])
        for pkg in cloud["packages"]:
            with gzip.open(schema_dir / f"{pkg}.json.gz") as f:
                resources = json.load(f)["resources"]
            props = {t: set(r.get("inputProperties") or {}) for t, r in resources.items()}
            out[pkg] = {"located": sorted(t for t, p in props.items() if p & inputs),
                        "unlocated": sorted(t for t, p in props.items() if not p & inputs)}
    return out


if __name__ == "__main__":
    json.dump(build(Path(sys.argv[1])), sys.stdout, indent=0, sort_keys=True)
    sys.stdout.write("\n")
