"""Regenerates the provider schemas vendored for the tests (trimmed, gzipped).

    python tests/schemas/regenerate.py [FULL_SCHEMA_DIR]      (default: ../shared/schemas/full)

FULL_SCHEMA_DIR holds `<package>.json.gz`, the schemas of the pinned SDK versions (as
`pulumi package get-schema <package>@<version>` prints them). Written here:
- `<package>.json.gz`: the resources the project registers (every stack's offline run, plus
  every type token named in components/, tests/ and policy/) and every type they reach.
- `located/<package>.json.gz`: every resource of the package with only its location inputs
  (region/location/zone), what policy/residency/gen_locations.py reads.
"""
from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PACKAGES = ("aws", "gcp", "azure-native", "kubernetes")
_TOKEN = re.compile(r"""["'`]((?:aws|gcp|azure-native|kubernetes):[\w./-]+:\w+)["'`]""")


def used_types() -> set[str]:
    types: set[str] = set()
    for folder in ("components", "tests", "policy", "offline"):
        for f in (REPO / folder).rglob("*.py"):
            types |= set(_TOKEN.findall(f.read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "all.json"
        subprocess.run([sys.executable, "-m", "offline", "preview", "--all", "--json", str(out)],
                       cwd=REPO, capture_output=True, text=True)
        for report in json.loads(out.read_text())["stacks"].values():
            types |= {r["type"] for r in report.get("resources", [])}
    return types


def _refs(value, out: set[str]) -> None:
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/types/"):
            out.add(ref[len("#/types/"):])
        for v in value.values():
            _refs(v, out)
    elif isinstance(value, list):
        for v in value:
            _refs(v, out)


def trim(schema: dict, wanted: set[str]) -> dict:
    resources = {t: r for t, r in schema["resources"].items() if t in wanted}
    types: dict = {}
    todo: set[str] = set()
    _refs(resources, todo)
    while todo:
        t = todo.pop()
        if t in types or t not in schema.get("types", {}):
            continue
        types[t] = schema["types"][t]
        _refs(types[t], todo)
    return {"name": schema.get("name"), "version": schema.get("version"), "resources": resources, "types": types}


def located(schema: dict) -> dict:
    keys = {"region", "location", "zone"}
    return {"name": schema.get("name"), "version": schema.get("version"),
            "resources": {t: {"inputProperties": {k: {} for k in sorted(set(r.get("inputProperties") or {}) & keys)}}
                          for t, r in schema["resources"].items()}}


def write(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    with gzip.GzipFile(path, "wb", mtime=0) as f:  # reproducible bytes
        f.write(data)


def main(full: Path) -> None:
    wanted = used_types()
    for pkg in PACKAGES:
        with gzip.open(full / f"{pkg}.json.gz") as f:
            schema = json.load(f)
        write(HERE / f"{pkg}.json.gz", trim(schema, wanted))
        if pkg != "kubernetes":  # gen_locations reads aws, gcp and azure-native
            write(HERE / "located" / f"{pkg}.json.gz", located(schema))
    print(f"{len(wanted)} types", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "schemas" / "full")
