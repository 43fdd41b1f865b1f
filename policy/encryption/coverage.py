"""Generates COVERAGE.md: every candidate type of the provider schemas (a key, encryption or TLS
property; schema_facts.json) and what judges it: a type rule, the schema-derived customer-managed-key
rule, a declared reason it needs none, or nothing yet (the pack then reports it, advisory).

    python policy/encryption/coverage.py [--check]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from encryption_rules import CMK_RULE, COVERAGE_RULE, RULES, stores  # noqa: E402
from gen_schema_facts import write_or_check  # noqa: E402

OUT = HERE / "COVERAGE.md"
KINDS = {"k": "key", "e": "encryption", "t": "TLS"}


def verdicts() -> dict[str, str]:
    """candidate type -> what judges it."""
    by_type: dict[str, list[str]] = {}
    for r in RULES:
        if r in (CMK_RULE, COVERAGE_RULE):
            continue
        for t in (*r.types, *r.reads):
            by_type.setdefault(t, []).append(r.id)
    out = {}
    for t in stores.FACTS["candidates"]:
        if t in by_type:
            out[t] = "rule: " + ", ".join(sorted(set(by_type[t])))
        elif t in CMK_RULE.types:
            out[t] = f"rule: {CMK_RULE.id} ({' / '.join(stores.FACTS['cmk'][t])})"
        elif t in stores.NOT_APPLICABLE:
            out[t] = "not applicable: " + stores.NOT_APPLICABLE[t]
        else:
            out[t] = f"not judged yet ({COVERAGE_RULE.id}, advisory)"
    return out


def render() -> str:
    v = verdicts()
    lines = ["# Encryption pack coverage (generated: `python policy/encryption/coverage.py`)", "",
             "Every resource type of the pinned provider schemas whose inputs hold a key, encryption or TLS/protocol",
             "property (policy/encryption/schema_facts.json, from gen_schema_facts.py), and what judges it. Do not edit:",
             "tests/test_encryption_coverage.py fails when this table and the schemas or rules disagree.", "",
             f"Schemas: {', '.join(f'{k} {ver}' for k, ver in sorted(stores.FACTS['schemas'].items()))}.", ""]
    pkgs = sorted({t.split(":")[0] for t in v})
    lines += ["| provider | candidate types | type rules | schema CMK rule | not applicable | not judged yet |",
              "|---|---:|---:|---:|---:|---:|"]
    for pkg in pkgs:
        mine = [x for t, x in v.items() if t.split(":")[0] == pkg]
        count = lambda prefix: sum(1 for x in mine if x.startswith(prefix))  # noqa: E731
        lines.append(f"| {pkg} | {len(mine)} | {count('rule: ') - count(f'rule: {CMK_RULE.id}')} | "
                     f"{count(f'rule: {CMK_RULE.id}')} | {count('not applicable')} | {count('not judged')} |")
    lines += ["", "| type | properties | judged by |", "|---|---|---|"]
    for t in sorted(v):
        kinds = ", ".join(KINDS[k] for k in stores.FACTS["candidates"][t])
        lines.append(f"| `{t}` | {kinds} | {v[t]} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    return write_or_check(OUT, render(), args.check, Path(__file__))


if __name__ == "__main__":
    sys.exit(main())
