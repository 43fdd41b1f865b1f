"""Generates schema_facts.json: what the provider schemas say about encryption, for the pack to read.

    python policy/encryption/gen_schema_facts.py [SCHEMA_DIR]      # default: tests/schemas/full
    python policy/encryption/gen_schema_facts.py --check [SCHEMA_DIR]

From every resource type of the aws, gcp and azure-native schemas (rebuilt from the pinned SDKs):
- `cmk`: the top-level input properties that name a customer-managed key (`kmsKeyId`, `kmsKeyName`,
  `keyVaultKeyUri`, ...). The pack's `encryption-cmk-from-schema` rule requires one of them set on
  every such type no other rule judges: the pack's standard (customer-managed keys) applied to every
  store the providers can key, without a hand-kept list.
- `candidates`: every type whose inputs (to three levels of nesting) hold an encryption, key or
  TLS/protocol property, with the kinds found (k: key, e: encryption switch, t: TLS/protocol). The
  pack reports a candidate type no rule judges (advisory `encryption-type-not-covered`), and
  tests/test_encryption_coverage.py keeps COVERAGE.md, the table of candidates and their rules, in
  step with the schemas: a new type with such a property fails it until the table is regenerated.

The pack reads only the JSON (it must run when its directory is copied alone); this script is the
one place the name patterns live.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "schema_facts.json"
# Every cloud plugin's packages (the facts generated beside this file from the registry).
PACKAGES = tuple(pkg for c in json.loads((HERE / "facts.json").read_text())["clouds"].values() for pkg in c["packages"])
MAX_DEPTH = 3

# A top-level input naming the customer-managed key that encrypts the resource's data.
CMK_PROPERTY = re.compile(
    r"^(kmsKeyId|kmsKeyArn|kmsKeyName|kmsKeyIdentifier|kmsMasterKeyId|kmsKey|kmsEncryptionKey|kmsKeySelfLink|"
    r"encryptionKey|encryptionKeyName|customerManagedKey|keyVaultKeyUri|keyVaultKeyId|diskEncryptionSetI[Dd]|"
    r"cmkKeyId|sseKmsKeyId|encryptionKmsKeyArn)$")
# Properties that hold a key (nested too), switch encryption, or set a transport protocol / TLS.
KEY_LEAF = re.compile(r"(kms|cmek|cmk|keyvaultkey|keyvaulturi|keyurl|keyarn|diskencryptionset|customermanagedkey)", re.I)
ENCRYPTION_LEAF = re.compile(r"encrypt", re.I)
TLS_LEAF = re.compile(r"(tls|ssl|https|protocolpolicy|minimumprotocol|transitencryption)", re.I)


def _ref(p: dict) -> str | None:
    for holder in (p, p.get("items") or {}, p.get("additionalProperties") or {}):
        ref = holder.get("$ref") if isinstance(holder, dict) else None
        if ref and ref.startswith("#/types/"):
            return ref[len("#/types/"):]
    return None


def _kinds(schema: dict, props: dict, depth: int, seen: frozenset) -> set[str]:
    kinds: set[str] = set()
    for name, p in (props or {}).items():
        if KEY_LEAF.search(name):
            kinds.add("k")
        if ENCRYPTION_LEAF.search(name):
            kinds.add("e")
        if TLS_LEAF.search(name):
            kinds.add("t")
        ref = _ref(p)
        if ref and depth < MAX_DEPTH and ref not in seen:
            t = schema["types"].get(ref) or {}
            if t.get("type") == "object":
                kinds |= _kinds(schema, t.get("properties") or {}, depth + 1, seen | {ref})
    return kinds


def facts(schema_dir: Path) -> dict:
    out: dict = {"schemas": {}, "cmk": {}, "candidates": {}}
    for pkg in PACKAGES:
        with gzip.open(schema_dir / f"{pkg}.json.gz") as fh:
            schema = json.load(fh)
        out["schemas"][pkg] = schema.get("version")
        for token in sorted(schema["resources"]):
            inputs = schema["resources"][token].get("inputProperties") or {}
            cmk = sorted(k for k in inputs if CMK_PROPERTY.match(k))
            if cmk:
                out["cmk"][token] = cmk
            kinds = _kinds(schema, inputs, 1, frozenset())
            if kinds:
                out["candidates"][token] = "".join(sorted(kinds))
    return out


def render(data: dict) -> str:
    return json.dumps(data, indent=0, sort_keys=True) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("schema_dir", nargs="?", default=str(ROOT / "tests" / "schemas" / "full"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    return write_or_check(OUT, render(facts(Path(args.schema_dir))), args.check, Path(__file__))


def write_or_check(out: Path, text: str, check: bool, generator: Path) -> int:
    """Write a generated file, or with `check` say (exit 1) that it differs from what `generator` makes."""
    if check:
        if not out.exists() or out.read_text() != text:
            print(f"{out} is out of date; run python {generator.relative_to(ROOT)}", file=sys.stderr)
            return 1
        return 0
    out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
