"""Roll a release out wave by wave, gate each wave, roll a failed wave back by itself.

A plan file (YAML) names the release, the release to return to, the bake time, the SLO (default:
the stack's `platform:slo`) and the waves, canary first:

    release: sentiment-1.1.0
    rollback_to: sentiment-1.0.0
    bake_seconds: 900
    waves:
      - name: canary
        cells: [dev/aws-us-west-2]           # <stack>/<cell>
      - name: rest
        cells: [dev/gcp-europe-west1, dev/azure-centralindia]
    metrics:                                  # each cell's own Prometheus-compatible query endpoint
      dev/aws-us-west-2: {url: "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-.../api/v1/query",
                          auth: sigv4, region: us-west-2}

A wave is one `up` per stack holding its cells, with those cells' `platform:cells[i].release` set to
the release (the cells of later waves keep theirs). Then its gates: the smoke check of the wave's
cells, and the SLO of each cell over the bake time. A failed gate (or a failed `up`) sets the wave's
cells back to `rollback_to`, runs the `up` again and stops: later waves are never touched.

The runner is an interface: `AutomationRunner` drives the Pulumi CLI through `pulumi.automation`;
`OfflineRunner` runs the offline engine on a scratch copy of the project (tests, `--dry-run`).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from components.core import config as core_config
from components.core import release as releases
from offline import project as offline_project

from . import gates
from .publish import ReleaseOpError, stack_config


class Wave(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,30}$")
    cells: list[str] = Field(min_length=1)

    @field_validator("cells")
    @classmethod
    def _refs(cls, v: list[str]) -> list[str]:
        for ref in v:
            if ref.count("/") != 1 or not all(ref.split("/")):
                raise ValueError(f"{ref!r} is not <stack>/<cell>")
        return v


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    release: str = Field(pattern=releases.ID_PATTERN)
    rollback_to: str = Field(pattern=releases.ID_PATTERN)
    bake_seconds: int = Field(900, ge=0, le=86400)
    slo: Optional[gates.SloGate] = None
    waves: list[Wave] = Field(min_length=1)
    metrics: dict[str, gates.MetricsEndpoint] = {}


def load_plan(path: Path) -> Plan:
    try:
        data = yaml.safe_load(path.read_text())
        return Plan.model_validate(data)
    except OSError as exc:
        raise ReleaseOpError(f"--plan {path}: cannot read it: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ReleaseOpError(f"--plan {path}: not YAML: {exc}") from None
    except ValidationError as exc:
        raise ReleaseOpError("\n".join(f"--plan {path}: {'.'.join(map(str, e['loc']))}: "
                                       f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())) from None


class Runner(Protocol):
    """What the orchestrator needs from a deployment engine."""

    def releases(self, stack: str) -> dict[str, Optional[str]]:
        """cell -> the release its stack config selects (None: none)."""

    def apply(self, stack: str, cells: dict[str, str]) -> None:
        """Set `cells[i].release` for these cells and bring the stack up; raise RunnerError on failure."""

    def preview(self, stack: str, cells: dict[str, str]) -> str:
        """What `apply` would change, as text, without changing anything."""

    def outputs(self, stack: str) -> dict:
        """The stack's exports after its last apply."""


class RunnerError(Exception):
    pass


def selected_releases(project: offline_project.Project, stack: str) -> dict[str, Optional[str]]:
    """cell -> the release the stack's files select for it (its own, else platform:release)."""
    cfg = stack_config(project, stack)
    return {c.name: c.release or cfg.release for c in cfg.cells}


def _with_releases(doc: dict, project: str, cells: dict[str, str]) -> dict:
    """A stack file's document with `cells[i].release` set for the named cells."""
    cfg = doc.setdefault("config", {})
    key = next((k for k in (f"{project}:cells", "cells") if k in cfg), f"{project}:cells")
    listed = cfg.get(key) or []
    names = [c.get("name") for c in listed]
    for cell, rel in cells.items():
        if cell not in names:
            raise RunnerError(f"cell {cell!r} is not in {key}")
        listed[names.index(cell)]["release"] = rel
    cfg[key] = listed
    return doc


class OfflineRunner:
    """The offline engine over a scratch copy of the project: `apply` writes the stack file of the
    copy and runs `python -m offline preview` on it (with the packs), so a release the program or the
    packs refuse fails the wave as a real `up` would; `outputs` are that run's exports."""

    def __init__(self, project_root: Path = offline_project.ROOT, packs: tuple[str, ...] = (),
                 workdir: Optional[Path] = None):
        self.source = project_root
        self.root = Path(workdir or tempfile.mkdtemp(prefix="rollout-")) / "project"
        files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=project_root,
                               capture_output=True, text=True, check=True).stdout.split()
        for rel in files:
            src = project_root / rel
            if src.is_file():
                (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, self.root / rel)
        self.project = offline_project.load_project(self.root)
        self.packs = [str((project_root / p).resolve()) for p in packs]
        self.applied: list[tuple[str, dict[str, str]]] = []   # what each apply set, in order
        self._reports: dict[str, dict] = {}

    def _doc(self, stack: str) -> dict:
        return yaml.safe_load(self.project.stack_file(stack).read_text()) or {}

    def releases(self, stack: str) -> dict[str, Optional[str]]:
        return selected_releases(self.project, stack)

    def _run(self, stack: str) -> dict:
        out = self.root / f".rollout-{stack}.json"
        args = [sys.executable, "-m", "offline", "preview", stack, "--quiet", "--json", str(out),
                "--project-dir", str(self.root), "--assume-applied"]  # the rollout reads values
        for pack in self.packs:
            args += ["--policy-pack", pack]
        proc = subprocess.run(args, cwd=self.source, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-8:])
            raise RunnerError(f"stack {stack!r}: offline preview exited {proc.returncode}:\n{tail}")
        return json.loads(out.read_text())

    def apply(self, stack: str, cells: dict[str, str]) -> None:
        path = self.project.stack_file(stack)
        before = path.read_text()
        path.write_text(yaml.safe_dump(_with_releases(self._doc(stack), self.project.name, cells), sort_keys=False))
        try:
            self._reports[stack] = self._run(stack)
        except (RunnerError, core_config.ConfigError):
            path.write_text(before)  # a failed `up` changes nothing it did not create
            raise
        self.applied.append((stack, dict(cells)))

    def preview(self, stack: str, cells: dict[str, str]) -> str:
        from offline.diff.classify import diff_resources
        base = self._run(stack)
        path = self.project.stack_file(stack)
        before = path.read_text()
        path.write_text(yaml.safe_dump(_with_releases(self._doc(stack), self.project.name, cells), sort_keys=False))
        try:
            head = self._run(stack)
        finally:
            path.write_text(before)
        changes, _, _ = diff_resources(base["resources"], head["resources"])
        return "\n".join(f"  {c.op} {c.urn}" + (f" ({', '.join(c.keys)})" if c.keys else "")
                         for c in changes) or "  (no change)"

    def outputs(self, stack: str) -> dict:
        return (self._reports.get(stack) or {}).get("outputs", {})

    def deployment_env(self, stack: str, cell: str) -> list[dict]:
        """The env of `cell`'s inference Deployment as the last apply of `stack` rendered it."""
        for r in (self._reports.get(stack) or {}).get("resources", []):
            if r["type"] == "kubernetes:apps/v1:Deployment" and r["name"].startswith(f"{cell}-"):
                return r["inputs"]["spec"]["template"]["spec"]["containers"][0].get("env", [])
        return []


class AutomationRunner:
    """`pulumi up` through the Automation API, on the project's own directory and stack files."""

    def __init__(self, project_root: Path = offline_project.ROOT, packs: tuple[str, ...] = (),
                 pack_configs: tuple[str, ...] = ()):
        self.root = project_root
        self.project = offline_project.load_project(project_root)
        self.packs, self.pack_configs = list(packs), list(pack_configs)

    def _stack(self, stack: str):
        from pulumi import automation as auto
        return auto.select_stack(stack_name=stack, work_dir=str(self.root))

    def releases(self, stack: str) -> dict[str, Optional[str]]:
        return selected_releases(self.project, stack)

    def _set(self, stack: str, cells: dict[str, str]):
        from pulumi import automation as auto
        s = self._stack(stack)
        listed = json.loads(s.get_config(f"{self.project.name}:cells").value)
        names = [c["name"] for c in listed]
        for cell, rel in cells.items():
            if cell not in names:
                raise RunnerError(f"cell {cell!r} is not in {self.project.name}:cells of {stack!r}")
            s.set_config(f"{self.project.name}:cells[{names.index(cell)}].release", auto.ConfigValue(rel), path=True)
        return s

    def apply(self, stack: str, cells: dict[str, str]) -> None:
        from pulumi import automation as auto
        s = self._set(stack, cells)
        try:
            s.up(on_output=print, policy_packs=self.packs, policy_pack_configs=self.pack_configs)
        except auto.errors.CommandError as exc:
            raise RunnerError(f"stack {stack!r}: pulumi up failed: {str(exc)[-800:]}") from None

    def preview(self, stack: str, cells: dict[str, str]) -> str:
        raise RunnerError("use --dry-run (the offline engine) for a wave's diff")

    def outputs(self, stack: str) -> dict:
        return {k: v.value for k, v in self._stack(stack).outputs().items()}


SmokeGate = Callable[[str, dict, list[str]], list[gates.GateResult]]   # (stack, outputs, cells)


@dataclass
class WaveReport:
    name: str
    cells: list[str]
    status: str = "pending"          # done | failed | rolled-back | skipped | pending
    gates: list[gates.GateResult] = field(default_factory=list)
    error: str = ""


@dataclass
class RolloutReport:
    release: str
    rollback_to: str
    waves: list[WaveReport]
    running: dict[str, Optional[str]] = field(default_factory=dict)   # <stack>/<cell> -> release

    @property
    def ok(self) -> bool:
        return all(w.status in ("done", "pending") for w in self.waves) and any(w.status == "done" for w in self.waves)

    def render(self) -> str:
        lines = [f"rollout of {self.release} (rollback to {self.rollback_to}): "
                 + ("every wave passed" if self.ok else "STOPPED")]
        for w in self.waves:
            lines.append(f"  wave {w.name} [{w.status}]: {', '.join(w.cells)}")
            if w.error:
                lines.append(f"    error: {w.error}")
            for g in w.gates:
                lines.append(f"    {'ok  ' if g.passed else 'FAIL'} {g.cell}: {g.detail}")
        lines.append("cells now run:")
        lines += [f"  {ref}: {rel or '(no release)'}" for ref, rel in sorted(self.running.items())]
        return "\n".join(lines)


def validate(plan: Plan, runner: Runner) -> dict[str, dict]:
    """Every planned cell exists, is listed once, and lies in a zone both releases allow."""
    rel, back = releases.load(plan.release), releases.load(plan.rollback_to)
    seen: set[str] = set()
    zones: dict[str, dict] = {}
    for stack in sorted({ref.split("/")[0] for w in plan.waves for ref in w.cells}):
        cfg = stack_config(runner.project, stack)  # type: ignore[attr-defined]
        zones[stack] = {c.name: c.residency for c in cfg.cells}
    for w in plan.waves:
        for ref in w.cells:
            stack, cell = ref.split("/")
            if cell not in zones[stack]:
                raise ReleaseOpError(f"plan wave {w.name!r}: {ref}: stack {stack!r} has no cell {cell!r}; "
                                     f"allowed: {', '.join(zones[stack])}")
            if ref in seen:
                raise ReleaseOpError(f"plan wave {w.name!r}: {ref} is already in an earlier wave")
            seen.add(ref)
            for r in (rel, back):
                if not r.allows(zones[stack][cell]):
                    raise ReleaseOpError(f"plan wave {w.name!r}: {ref} is in zone {zones[stack][cell]!r}, which "
                                         f"release {r.id} does not allow ({', '.join(r.allowed_zones)})")
    if len(plan.waves[0].cells) != 1:
        raise ReleaseOpError(f"plan wave {plan.waves[0].name!r}: the first wave is the canary: one cell, "
                             f"got {len(plan.waves[0].cells)}")
    return zones


def _by_stack(refs: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ref in refs:
        stack, cell = ref.split("/")
        out.setdefault(stack, []).append(cell)
    return out


def _slo_of(plan: Plan, runner: Runner, stack: str) -> gates.SloGate:
    if plan.slo:
        return plan.slo
    slo = stack_config(runner.project, stack).slo  # type: ignore[attr-defined]
    if slo is None:
        raise ReleaseOpError(f"stack {stack!r}: no platform:slo and the plan has no slo; a wave needs a gate")
    return gates.SloGate(error_ratio=slo.error_rate / 100, p99_ms=slo.latency_p99_ms)


def _check_earlier_waves(plan: Plan, runner: Runner, only: str) -> None:
    """`only` runs one wave (one CI environment per wave): every earlier wave must already run the release."""
    names = [w.name for w in plan.waves]
    if only not in names:
        raise ReleaseOpError(f"--wave {only!r}: not a wave of the plan; allowed: {', '.join(names)}")
    for w in plan.waves[:names.index(only)]:
        for stack, cells in _by_stack(w.cells).items():
            running = runner.releases(stack)
            behind = [c for c in cells if running.get(c) != plan.release]
            if behind:
                raise ReleaseOpError(f"--wave {only!r}: earlier wave {w.name!r} is not done ({stack}/{behind[0]} runs "
                                     f"{running.get(behind[0]) or 'no release'}, not {plan.release})")


def rollout(plan: Plan, runner: Runner, smoke: Optional[SmokeGate] = None, out=print,
            clock: gates.Clock = time.time, sleep: gates.Sleep = time.sleep, dry_run: bool = False,
            gate_timeout: float = 10.0, only: Optional[str] = None) -> RolloutReport:
    validate(plan, runner)
    if only is not None:
        _check_earlier_waves(plan, runner, only)
    report = RolloutReport(plan.release, plan.rollback_to, [WaveReport(w.name, list(w.cells)) for w in plan.waves])
    for wave, wr in zip(plan.waves, report.waves):
        if only is not None and wave.name != only:
            wr.status = "done" if plan.waves.index(wave) < [w.name for w in plan.waves].index(only) else "pending"
            continue
        groups = _by_stack(wave.cells)
        if dry_run:
            for stack, cells in groups.items():
                out(f"wave {wave.name}: stack {stack}: cells {', '.join(cells)} -> {plan.release}")
                out(runner.preview(stack, {c: plan.release for c in cells}))
            wr.status = "pending"
            continue
        out(f"wave {wave.name}: {', '.join(wave.cells)} -> {plan.release}")
        try:
            for stack, cells in groups.items():
                runner.apply(stack, {c: plan.release for c in cells})
        except (RunnerError, core_config.ConfigError) as exc:
            wr.error = f"up failed: {exc}"
        if not wr.error:
            gates.bake(plan.bake_seconds, sleep)
            at = clock()
            for stack, cells in groups.items():
                if smoke is not None:
                    wr.gates += smoke(stack, runner.outputs(stack), cells)
                slo = _slo_of(plan, runner, stack)
                for cell in cells:
                    ep = plan.metrics.get(f"{stack}/{cell}")
                    if ep is None:
                        wr.gates.append(gates.GateResult(cell, False, f"no metrics endpoint for {stack}/{cell} "
                                                         "in the plan: the SLO cannot be read"))
                        continue
                    wr.gates.append(gates.check_slo(cell, ep, slo, plan.bake_seconds or 300, at, gate_timeout))
        if wr.error or not all(g.passed for g in wr.gates):
            out(f"wave {wave.name}: failed; rolling its cells back to {plan.rollback_to}")
            try:
                for stack, cells in groups.items():
                    runner.apply(stack, {c: plan.rollback_to for c in cells})
                wr.status = "rolled-back"
            except (RunnerError, core_config.ConfigError) as exc:
                wr.status = "failed"
                wr.error = (wr.error + "; " if wr.error else "") + f"rollback failed: {exc}"
            for later in report.waves[report.waves.index(wr) + 1:]:
                later.status = "skipped"
            break
        wr.status = "done"
    for stack in sorted({ref.split("/")[0] for w in plan.waves for ref in w.cells}):
        for cell, rel in runner.releases(stack).items():
            report.running[f"{stack}/{cell}"] = rel
    return report
