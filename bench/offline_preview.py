"""How long the offline preview of a stack takes, next to the bare floor.

The floor is a fresh interpreter importing the SDK modules the program uses;
everything above it is the program, the mocks and the engine. Not a test: run it
by hand and put the figures in the issue note.

    .venv/bin/python bench/offline_preview.py [STACK] [--runs N] [--policy-pack DIR]...
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
    a = p.parse_args()
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


if __name__ == "__main__":
    main()
