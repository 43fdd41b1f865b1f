"""The two sides of a review diff: one stack through this repository's offline engine, in a child
process (same engine, same mocks on both sides, so every difference comes from the program or the
stack config), then the classified difference of the two reports.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..project import load_project
from .classify import diff_resources
from .model import StackDiff

ENGINE_ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass
class SideRun:
    report: Optional[dict]
    missing: bool = False     # the stack (or the whole project) does not exist on this side
    error: Optional[str] = None


def run_side(project_dir: Path, stack: str, packs: list[str], pack_configs: list[str], tmp: Path,
             side: str = "head", assume_applied: bool = True) -> SideRun:
    """One stack through this repository's offline engine, in a child process (assume-applied by
    default: the diff compares values; `preview --all` passes its mode)."""
    if not (project_dir / "Pulumi.yaml").exists() or not load_project(project_dir).stack_file(stack).exists():
        return SideRun(None, missing=True)
    out = tmp / f"{side}-{stack}.json"
    args = [sys.executable, "-m", "offline", "preview", stack, "--quiet", "--json", str(out),
            "--project-dir", str(project_dir)] + (["--assume-applied"] if assume_applied else [])
    for i, pack in enumerate(packs):
        args += ["--policy-pack", str(Path(pack).resolve())]
        if i < len(pack_configs):
            args += ["--policy-pack-config", str(Path(pack_configs[i]).resolve())]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ENGINE_ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(args, cwd=ENGINE_ROOT, capture_output=True, text=True, env=env)
    if proc.returncode not in (0, 1) or not out.exists():
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
        return SideRun(None, error=f"exit {proc.returncode}: {tail}")
    return SideRun(json.loads(out.read_text()))


def diff_stack(stack: str, base_dir: Path, head_dir: Path, base_ref: str, packs: list[str],
               pack_configs: list[str], tmp: Path) -> StackDiff:
    with ThreadPoolExecutor(max_workers=2) as pool:  # two child processes at once
        # The PR is judged on the head's verdicts only: the base runs without packs.
        base_future = pool.submit(run_side, base_dir, stack, [], [], tmp, "base")
        head = run_side(head_dir, stack, packs, pack_configs, tmp, "head")
        base = base_future.result()
    if base.error or head.error:
        side = "base" if base.error else "working tree"
        return StackDiff(stack, base_ref, [], 0, [], head.report, error=f"{side}: {base.error or head.error}")
    changes, unchanged, renamed = diff_resources(
        (base.report or {}).get("resources", []), (head.report or {}).get("resources", []))
    from ..apply.routing import policy_switches
    from ..pricing import cost_change
    switches = policy_switches((base.report or {}).get("resources", []), (head.report or {}).get("resources", []))
    return StackDiff(stack, base_ref, changes, unchanged, renamed, head.report, base_missing=base.missing,
                     cost=cost_change(base.report, head.report), base_routing=(base.report or {}).get("routing"), apply_alerts=switches)
