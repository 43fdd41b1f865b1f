"""Run every Pulumi Python program under some directories through the offline engine, in both modes.

    python bench/program_corpus.py DIR... [--mode dry-run|assume-applied|both] [--jobs 2]
                                   [--policy-pack DIR]... [--no-packs] [--json FILE] [--timeout 300]

A program is a directory holding a `Pulumi.yaml` whose runtime is python; its stacks are its
`Pulumi.<stack>.yaml` files (in `stackConfigDir` when the project sets one). A project with none runs as
a new stack `dev` with no config (`pulumi stack init dev`), from a copy, so the directory is never
written to. Each (program, stack, mode) is one `python -m offline preview` child process, classified
by what the engine said:

    pass          exit 0
    policy-fail   exit 1 (a mandatory policy violation or an apply-check error: a verdict, not a fault)
    config-error  exit 2 (the stack's config is refused, naming the key)
    program-error exit 3 (the program raised: its own fault, or a package it needs is not installed)
    engine-error  exit 4, any other exit, a crash without a report, or no answer within --timeout

It prints one row per run and the counts per mode, and exits 1 when any run is an engine error: the
engine must finish any program, whatever the program does. This is the held-out check run against
every change of the engine (`.github/workflows/offline-engine.yml`, README "Offline engine").
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
PACKS = ("policy/encryption", "policy/residency")
MODES = ("dry-run", "assume-applied")
OUTCOMES = ("pass", "policy-fail", "config-error", "program-error", "engine-error")
BY_EXIT = {0: "pass", 1: "policy-fail", 2: "config-error", 3: "program-error"}
NEW_STACK = "dev"
SKIP_DIRS = {".git", "node_modules", "venv", ".venv", "__pycache__"}
_COPYING = threading.Lock()  # both modes of a program may ask for its copy at once


@dataclass(frozen=True)
class Program:
    path: Path
    stack: str
    # True when the project has no stack file: it runs from a copy as a new stack with no config.
    new_stack: bool = False

    @property
    def label(self) -> str:
        return f"{self.path.name}/{self.stack}"


@dataclass
class Outcome:
    program: str
    path: str
    stack: str
    mode: str
    outcome: str
    exit: Optional[int]
    seconds: float
    detail: str = ""
    report: Optional[dict] = field(default=None, repr=False)
    stderr: str = field(default="", repr=False)


def _runtime(doc: dict) -> str:
    rt = doc.get("runtime")
    return (rt.get("name") if isinstance(rt, dict) else rt) or ""


def discover(dirs: Iterable[Path]) -> tuple[list[Program], list[str]]:
    """(programs to run, directories left out with why): every Pulumi.yaml under `dirs`."""
    programs, skipped = [], []
    for top in dirs:
        top = Path(top)
        if not top.is_dir():
            raise SystemExit(f"program_corpus: {top} is not a directory")
        for project_file in sorted(top.rglob("Pulumi.yaml")):
            if SKIP_DIRS & set(project_file.relative_to(top).parts):
                continue
            project = project_file.parent
            try:
                doc = yaml.safe_load(project_file.read_text()) or {}
            except yaml.YAMLError as err:
                skipped.append(f"{project}: Pulumi.yaml does not parse ({err.__class__.__name__})")
                continue
            if _runtime(doc) != "python":
                skipped.append(f"{project}: runtime {_runtime(doc) or 'none'!r}, not python")
                continue
            config_dir = project / (doc.get("stackConfigDir") or ".")
            stacks = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml"))
            if stacks:
                programs += [Program(project, s) for s in stacks]
            else:
                programs.append(Program(project, NEW_STACK, new_stack=True))
    return programs, skipped


def classify(returncode: Optional[int], report: Optional[dict]) -> str:
    """The outcome of one run from its exit code (None: no answer in time) and whether it wrote a report."""
    if returncode in (0, 1) and report is None:
        return "engine-error"  # said it finished but wrote no report
    return BY_EXIT.get(returncode, "engine-error") if returncode is not None else "engine-error"


def _detail(outcome: str, stderr: str, report: Optional[dict]) -> str:
    if outcome in ("pass",):
        return ""
    if outcome == "policy-fail" and report:
        mandatory = sorted({p["policy"] for p in report.get("policy", []) if p.get("level") == "mandatory"})
        apply = sorted({f["rule"] for f in report.get("apply", []) if f.get("level") == "error" and not f.get("exempted")})
        return ", ".join(mandatory + apply)
    lines = [l.strip() for l in (stderr or "").splitlines() if l.strip()]
    return lines[-1][:160] if lines else ""


def _project_copy(program: Program, tmp: Path) -> Path:
    """A copy of a project with no stack file, with an empty one for the new stack."""
    dest = tmp / f"{program.path.name}-{abs(hash(str(program.path))) % 10**8}"
    with _COPYING:
        if dest.exists():
            return dest
        shutil.copytree(program.path, dest, ignore=shutil.ignore_patterns(*SKIP_DIRS))
        doc = yaml.safe_load((dest / "Pulumi.yaml").read_text()) or {}
        config_dir = dest / (doc.get("stackConfigDir") or ".")
        config_dir.mkdir(parents=True, exist_ok=True)
        (config_dir / f"Pulumi.{program.stack}.yaml").write_text("config: {}\n")
        return dest


def run_one(program: Program, mode: str, tmp: Path, packs: tuple[str, ...] = PACKS,
            timeout: float = 300) -> Outcome:
    project = _project_copy(program, tmp) if program.new_stack else program.path
    out = tmp / f"{program.path.name}-{program.stack}-{mode}-{abs(hash(str(program.path))) % 10**8}.json"
    args = [sys.executable, "-m", "offline", "preview", program.stack, "--quiet", "--json", str(out),
            "--project-dir", str(project)]
    for p in packs:
        args += ["--policy-pack", str(ROOT / p) if not Path(p).is_absolute() else p]
    if mode == "assume-applied":
        args.append("--assume-applied")
    start = time.monotonic()
    # Each run leads its own process group (session): on a timeout the whole group goes, the engine
    # and the policy pack servers and referenced-stack runs it started, not only the direct child.
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
        code, stderr = proc.returncode, stderr or stdout
    except subprocess.TimeoutExpired:
        kill_group(proc)
        _, late = proc.communicate()
        code, stderr = None, f"no answer within {timeout:.0f} s\n{(late or '')[-2000:]}"
    finally:
        if proc.poll() is None:  # interrupted (^C): leave nothing running
            kill_group(proc)
    seconds = time.monotonic() - start
    report = None
    if out.exists():
        try:
            report = json.loads(out.read_text())
        except json.JSONDecodeError:
            report = None
    outcome = classify(code, report)
    return Outcome(program.path.name, str(program.path), program.stack, mode, outcome, code, round(seconds, 1),
                   _detail(outcome, stderr, report), report, stderr)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL every process of the run's group (the run's pid is its group id), then reap the child."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def run_all(programs: list[Program], modes: Iterable[str] = MODES, packs: tuple[str, ...] = PACKS,
            jobs: int = 2, timeout: float = 300) -> list[Outcome]:
    """Every program in every mode, `jobs` child processes at a time, in a stable order. Stacks of one
    project that reference each other run in the order of their files (the engine runs a referenced
    stack itself)."""
    keys = [(p, m) for p in programs for m in modes]
    with tempfile.TemporaryDirectory(prefix="program-corpus-") as tmp, ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(lambda k: run_one(k[0], k[1], Path(tmp), packs, timeout), keys))


def counts(outcomes: list[Outcome]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for o in outcomes:
        out.setdefault(o.mode, {k: 0 for k in OUTCOMES})[o.outcome] += 1
    return out


def table(outcomes: list[Outcome]) -> str:
    width = max([len("program/stack")] + [len(f"{o.program}/{o.stack}") for o in outcomes])
    lines = [f"{'program/stack':<{width}}  {'mode':<14}  {'outcome':<13}  {'exit':>4}  {'s':>6}  detail"]
    for o in outcomes:
        lines.append(f"{o.program + '/' + o.stack:<{width}}  {o.mode:<14}  {o.outcome:<13}  "
                     f"{'-' if o.exit is None else o.exit:>4}  {o.seconds:>6.1f}  {o.detail}")
    lines.append("")
    for mode, c in counts(outcomes).items():
        lines.append(f"{mode}: {sum(c.values())} runs: " + ", ".join(f"{k} {v}" for k, v in c.items()))
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="bench/program_corpus.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="+", type=Path, help="directories searched for Pulumi.yaml projects")
    ap.add_argument("--mode", choices=(*MODES, "both"), default="both")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--policy-pack", action="append", dest="packs", metavar="DIR",
                    help=f"packs to run with (repeatable; default: {', '.join(PACKS)})")
    ap.add_argument("--no-packs", action="store_true", help="run the programs without policy packs")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per run before it counts as an engine error")
    ap.add_argument("--json", type=Path, help="write every outcome here")
    args = ap.parse_args(argv)
    packs = () if args.no_packs else tuple(args.packs or PACKS)
    programs, skipped = discover(args.dirs)
    for s in skipped:
        print(f"left out: {s}", file=sys.stderr)
    if not programs:
        print(f"program_corpus: no Pulumi Python program under {', '.join(map(str, args.dirs))}", file=sys.stderr)
        return 2
    modes = MODES if args.mode == "both" else (args.mode,)
    outcomes = run_all(programs, modes, packs, args.jobs, args.timeout)
    print(table(outcomes))
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in asdict(o).items() if k not in ("report", "stderr")}
                                         for o in outcomes], indent=2))
    engine = [o for o in outcomes if o.outcome == "engine-error"]
    for o in engine:
        print(f"\nengine error: {o.program}/{o.stack} ({o.mode}), exit {o.exit}:\n{o.stderr[-3000:]}", file=sys.stderr)
    return 1 if engine else 0


if __name__ == "__main__":
    sys.exit(main())
