"""Recall and false alarms of both policy packs on tests/pack_corpus/: programs written the way users
write them, outside the platform's components, each with the mandatory violations it must draw
(expect.yaml; an empty list is a compliant twin).

    python bench/pack_recall.py [--mode dry-run|assume-applied|both] [--jobs 2]

Recall: expected violations found / expected. False alarms: compliant programs with any mandatory
violation, and unexpected mandatory violations in the others. Exit 1 when recall < 100% or any alarm.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "pack_corpus"
PACKS = ("policy/encryption", "policy/residency")


def run(program: Path, mode: str, tmp: Path) -> dict:
    out = tmp / f"{program.name}-{mode}.json"
    args = [sys.executable, "-m", "offline", "preview", "test", "--quiet", "--json", str(out),
            "--project-dir", str(program)]
    for p in PACKS:
        args += ["--policy-pack", str(ROOT / p)]
    if mode == "assume-applied":
        args.append("--assume-applied")
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode not in (0, 1) or not out.exists():
        return {"error": f"exit {proc.returncode}: {(proc.stderr or proc.stdout)[-1500:]}"}
    return json.loads(out.read_text())


def judge(program: Path, report: dict) -> dict:
    expected = {(v["pack"], v["policy"], v["resource"])
                for v in (yaml.safe_load((program / "expect.yaml").read_text()) or {}).get("violations") or []}
    if "error" in report:
        return {"program": program.name, "expected": len(expected), "found": 0, "alarms": [], "error": report["error"]}
    names = {r["urn"]: r["name"] for r in report.get("resources", [])}
    got = {(p["pack"], p["policy"], names.get(p["urn"], p["urn"].split("::")[-1]))
           for p in report.get("policy", []) if p["level"] == "mandatory"}
    # A violation found on the expected resource by the expected rule counts; anything else mandatory is an alarm.
    return {"program": program.name, "expected": len(expected), "found": len(expected & got),
            "missed": sorted(expected - got), "alarms": sorted(got - expected)}


def measure(mode: str, jobs: int = 2) -> list[dict]:
    programs = sorted(p for p in CORPUS.iterdir() if (p / "Pulumi.yaml").exists())
    with tempfile.TemporaryDirectory() as tmp_s, ThreadPoolExecutor(jobs) as pool:
        reports = list(pool.map(lambda p: run(p, mode, Path(tmp_s)), programs))
    return [judge(p, r) for p, r in zip(programs, reports)]


def summary(results: list[dict]) -> tuple[float, int, int]:
    expected = sum(r["expected"] for r in results)
    found = sum(r["found"] for r in results)
    compliant = [r for r in results if r["expected"] == 0]
    flagged = sum(1 for r in compliant if r["alarms"] or r.get("error"))
    return (found / expected if expected else 1.0), flagged, sum(len(r["alarms"]) for r in results)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=("dry-run", "assume-applied", "both"), default="both")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    worst = 0
    for mode in (("dry-run", "assume-applied") if args.mode == "both" else (args.mode,)):
        results = measure(mode, args.jobs)
        recall, flagged, alarms = summary(results)
        compliant = sum(1 for r in results if r["expected"] == 0)
        print(f"{mode}: {len(results)} programs, recall {recall:.0%} "
              f"({sum(r['found'] for r in results)}/{sum(r['expected'] for r in results)}), "
              f"compliant programs flagged {flagged}/{compliant}, unexpected mandatory violations {alarms}")
        for r in results:
            if r.get("missed") or r["alarms"] or r.get("error"):
                print(f"  {r['program']}: missed {r.get('missed')}, alarms {r['alarms']}"
                      + (f", error {r['error'][:300]}" if r.get("error") else ""))
                worst = 1
    return worst


if __name__ == "__main__":
    sys.exit(main())
