"""How long the offline preview of a stack takes, next to the bare floor.

Two floors: a fresh interpreter importing the SDK modules the program uses; and the same plus
registering as many resources (same types and names, empty inputs) under Pulumi's mocks, the
least any run of the stack can cost. Everything above the second is the program's own work, the
project's mocks, capture and the policy packs. Not a test: run it by hand and put the figures in
the issue note.

    .venv/bin/python bench/offline_preview.py [STACK] [--runs N] [--policy-pack DIR]... [--assume-applied]
                                              [--apply-overhead]

By default: the dry run (as `python -m offline preview` runs) of STACK (dev) with both packs, and its
ratio to the registration floor measured in the same run (issue #34 target: at most 1.3x).

--apply-overhead: the preview with the apply checks (offline/apply) against the same preview without
them (`--no-apply-checks`), runs interleaved so machine load hits both alike, plus the checks alone
in-process over the stack's JSON report. Target: the checks add at most 10%.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PACKS = ["policy/encryption", "policy/residency"]
TARGET_RATIO = 1.3  # issue #34: dev, both packs, dry run, against import + register
SDK = {"aws": "pulumi_aws", "gcp": "pulumi_gcp", "azure-native": "pulumi_azure_native", "kubernetes": "pulumi_kubernetes"}
# Importing the SDK modules of the stack's resource types (argv[1]: a JSON list of [type, name]).
FLOOR = """
import importlib, json, sys
import pulumi
for m in sorted({m for m in json.load(open(sys.argv[1]))["modules"]}):
    importlib.import_module(m)
"""
# The same plus registering the stack's resources under mocks.
REGISTER_FLOOR = FLOOR + """
from pulumi.runtime import mocks, set_mocks
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

class Mocks(mocks.Mocks):
    def new_resource(self, args):
        return [args.name + "-id", args.inputs]

    def call(self, args):
        return {}

set_mocks(Mocks(), project="floor", stack="floor", preview=json.load(open(sys.argv[1]))["dry_run"])
for type_, name in json.load(open(sys.argv[1]))["resources"]:
    pulumi.CustomResource(type_, name, {})
_sync_await(wait_for_rpcs())
"""


def sdk_module(type_: str):
    """aws:s3/bucket:Bucket -> pulumi_aws.s3; kubernetes:apps/v1:Deployment -> pulumi_kubernetes.apps.v1."""
    pkg, module = type_.split(":")[:2]
    if pkg not in SDK:
        return None
    if pkg == "kubernetes":
        name = f"{SDK[pkg]}.{module.replace('/', '.').replace('.k8s.io', '')}"
    else:
        name = f"{SDK[pkg]}.{module.split('/')[0]}"
    import importlib.util

    try:  # a custom resource (a CRD such as azmonitoring.coreos.com) has no SDK module
        return name if importlib.util.find_spec(name) is not None else None
    except ModuleNotFoundError:
        return None


def timed(cmd: list[str], ok: tuple[int, ...] = (0, 1)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("stack", nargs="?", default="dev")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--policy-pack", action="append", default=None,
                   help="default: both packs (policy/encryption, policy/residency)")
    p.add_argument("--assume-applied", action="store_true", help="measure the all-known run instead of the dry run")
    p.add_argument("--apply-overhead", action="store_true")
    a = p.parse_args()
    if a.apply_overhead:
        return apply_overhead(a.stack, a.runs)
    packs = DEFAULT_PACKS if a.policy_pack is None else a.policy_pack
    cmd = [sys.executable, "-m", "offline", "preview", a.stack, "--quiet"] + (["--assume-applied"] if a.assume_applied else [])
    for pack in packs:
        cmd += ["--policy-pack", pack]
    with tempfile.TemporaryDirectory() as tmp:
        report, names = Path(tmp) / "report.json", Path(tmp) / "resources.json"
        timed(cmd + ["--json", str(report)])  # warm-up run; also gives the stack's resources
        resources = [r for r in json.loads(report.read_text())["resources"]
                     if not r["type"].startswith("pulumi:providers:") and r["type"] != "pulumi:pulumi:Stack"]
        names.write_text(json.dumps({"dry_run": not a.assume_applied,
                                     "resources": [[r["type"], r["name"]] for r in resources],
                                     "modules": sorted({m for r in resources if (m := sdk_module(r["type"]))})}))
        floor, register, runs = [], [], []
        for _ in range(a.runs):  # interleaved, so a busy machine weighs on all three alike
            floor.append(timed([sys.executable, "-c", FLOOR, str(names)], ok=(0,)))  # a floor that failed is no floor
            register.append(timed([sys.executable, "-c", REGISTER_FLOOR, str(names)], ok=(0,)))
            runs.append(timed(cmd))
    f, g, r = statistics.median(floor), statistics.median(register), statistics.median(runs)
    print(f"floor (import SDKs):          median {f:6.2f} s over {a.runs} runs")
    print(f"floor (+ register {len(resources):4d} res.): median {g:6.2f} s over {a.runs} runs")
    mode = "assume-applied" if a.assume_applied else "dry run"
    print(f"offline preview {a.stack:<13} median {r:6.2f} s over {a.runs} runs "
          f"({mode}; {' '.join(packs) or 'no packs'})")
    print(f"above the import floor:       {r - f:6.2f} s ({r / f:.1f}x)")
    print(f"above the registration floor: {r - g:6.2f} s ({r / g:.2f}x)")
    # Each run's own ratio (the three were timed back to back): machine load moves all three alike.
    per_run = sorted(x / y for x, y in zip(runs, register))
    print(f"ratio to the registration floor (import + register), {a.stack} {mode} with {len(packs)} pack(s): "
          f"{statistics.median(per_run):.2f}x median of {a.runs} paired runs "
          f"(min {per_run[0]:.2f}x, max {per_run[-1]:.2f}x; target <= {TARGET_RATIO}x)")


def apply_overhead(stack: str, runs: int) -> None:
    import json
    import tempfile

    sys.path.insert(0, str(REPO))
    from offline import apply
    from offline.project import load_project, stack_config

    base = [sys.executable, "-m", "offline", "preview", stack, "--quiet", "--assume-applied"]  # checks need values
    with_, without = [], []
    for _ in range(runs):
        without.append(timed(base + ["--no-apply-checks"]))
        with_.append(timed(base))
    w, wo = statistics.median(with_), statistics.median(without)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        subprocess.run(base + ["--json", str(out)], cwd=REPO, capture_output=True)
        report = json.loads(out.read_text())
    config, _ = stack_config(load_project(), stack)
    times = []
    for _ in range(max(runs, 5)):
        start = time.perf_counter()
        apply.check(apply.Graph(report["resources"], report["invokes"], config, stack))
        times.append(time.perf_counter() - start)
    c = statistics.median(times)
    print(f"preview {stack} without apply checks: median {wo:6.2f} s over {runs} runs")
    print(f"preview {stack} with apply checks:    median {w:6.2f} s over {runs} runs ({(w - wo) / wo:+.1%})")
    print(f"apply checks alone (in-process):  median {c * 1000:6.1f} ms ({c / wo:.2%} of the preview)")


if __name__ == "__main__":
    main()
