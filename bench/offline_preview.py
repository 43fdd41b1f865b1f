"""How long the offline preview of a stack takes, next to the bare floor.

The floor is a fresh interpreter importing the SDK modules the program uses;
everything above it is the program, the mocks and the engine. Not a test: run it
by hand and put the figures in the issue note.

    .venv/bin/python bench/offline_preview.py [STACK] [--runs N] [--policy-pack DIR]... [--apply-overhead]

--apply-overhead: the preview with the apply checks (offline/apply) against the same preview without
them (`--no-apply-checks`), runs interleaved so machine load hits both alike, plus the checks alone
in-process over the stack's JSON report. Target: the checks add at most 10%.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FLOOR = "import pulumi, pulumi_aws, pulumi_gcp, pulumi_azure_native, pulumi_kubernetes"


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("stack", nargs="?", default="dev")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--policy-pack", action="append", default=[])
    p.add_argument("--apply-overhead", action="store_true")
    a = p.parse_args()
    if a.apply_overhead:
        return apply_overhead(a.stack, a.runs)
    floor = [timed([sys.executable, "-c", FLOOR]) for _ in range(a.runs)]
    cmd = [sys.executable, "-m", "offline", "preview", a.stack, "--quiet"]
    for pack in a.policy_pack:
        cmd += ["--policy-pack", pack]
    runs = [timed(cmd) for _ in range(a.runs)]
    f, r = statistics.median(floor), statistics.median(runs)
    print(f"floor (import SDKs):          median {f:6.2f} s over {a.runs} runs")
    print(f"offline preview {a.stack:<13} median {r:6.2f} s over {a.runs} runs "
          f"({' '.join(a.policy_pack) or 'no packs'})")
    print(f"above the floor:              {r - f:6.2f} s ({r / f:.1f}x)")


def apply_overhead(stack: str, runs: int) -> None:
    import json
    import tempfile

    sys.path.insert(0, str(REPO))
    from offline import apply
    from offline.project import load_project, stack_config

    base = [sys.executable, "-m", "offline", "preview", stack, "--quiet"]
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
