"""Helpers to run programs and stacks under the offline engine from tests.

Each run is a child process (`python -m offline preview ... --json`), exactly as
a user or CI runs it; the Pulumi runtime's global state never leaks between tests.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    report: Optional[dict]

    @property
    def resources(self) -> list[dict]:
        return self.report["resources"] if self.report else []

    def of_type(self, type_: str) -> list[dict]:
        return [r for r in self.resources if r["type"] == type_]

    def one(self, type_: str, name: Optional[str] = None) -> dict:
        found = [r for r in self.of_type(type_) if name is None or r["name"] == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r['name'] for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> dict:
        return next(r for r in self.resources if r["urn"] == urn)

    def children_of(self, urn: str) -> list[dict]:
        return [r for r in self.resources if r["parent"] == urn]

    def ancestors(self, res: dict) -> list[dict]:
        out, cur = [], res
        urns = {r["urn"]: r for r in self.resources}
        while cur.get("parent") in urns:
            cur = urns[cur["parent"]]
            out.append(cur)
        return out

    @property
    def diagnostics(self) -> list[dict]:
        return self.report["policy"] if self.report else []


def offline(args: list[str], tmp_path: Path, cwd: Path = REPO, env: Optional[dict] = None) -> Run:
    out = tmp_path / f"report-{os.getpid()}-{len(list(tmp_path.iterdir()))}.json"
    full_env = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "offline", *args, "--json", str(out)],
                          cwd=cwd, capture_output=True, text=True, env=full_env)
    report = json.loads(out.read_text()) if out.exists() else None
    return Run(proc.returncode, proc.stdout, proc.stderr, report)


_STACK_RUNS: dict[tuple, Run] = {}


# The mode the tests of values run in: every output known, apply checks and cost run (the CLI's
# default is a dry run, as a first `pulumi preview`; tests of that mode pass dry_run=True).
ASSUME_APPLIED = ("--assume-applied",)


def preview_stack(stack: str, tmp_path: Path, packs: tuple[str, ...] = (), extra: tuple[str, ...] = (),
                  dry_run: bool = False) -> Run:
    """Run a stack of stacks/ (cached per test session: a stack's run is the same for every test module)."""
    extra = tuple(extra) + (() if dry_run else ASSUME_APPLIED)
    key = (stack, tuple(packs), tuple(extra))
    if key not in _STACK_RUNS:
        _STACK_RUNS[key] = _preview_stack(stack, tmp_path, tuple(packs), tuple(extra))
    return _STACK_RUNS[key]


def _preview_stack(stack: str, tmp_path: Path, packs: tuple[str, ...], extra: tuple[str, ...]) -> Run:
    args = ["preview", stack, "--quiet", *extra]
    for p in packs:
        args += ["--policy-pack", str(REPO / p) if not Path(p).is_absolute() else p]
    return offline(args, tmp_path)


def preview_config(config: dict, tmp_path: Path, stack: str = "test", program: Optional[str] = None,
                   packs: tuple[str, ...] = (), dry_run: bool = False) -> Run:
    """Run a one-off stack config (and optionally a small program) in a temporary project.

    Without `program`, the project's own `__main__.py` runs with `config`."""
    config = {**config, "platform:apply_exemptions": list(config.get("platform:apply_exemptions") or [])
              + variant_exemptions()}
    proj = tmp_path / "project"
    (proj / "stacks").mkdir(parents=True, exist_ok=True)
    doc = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    if program is not None:
        (proj / "__main__.py").write_text(textwrap.dedent(program))
    else:
        doc["main"] = str(REPO)
    (proj / "Pulumi.yaml").write_text(yaml.safe_dump(doc))
    (proj / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    args = ["preview", stack, "--quiet", "--project-dir", str(proj), *(() if dry_run else ASSUME_APPLIED)]
    for p in packs:
        args += ["--policy-pack", str(REPO / p) if not Path(p).is_absolute() else p]
    return offline(args, tmp_path)


def variant_exemptions() -> list[dict]:
    """One-off configs (a second cell, another region...) are not shipped stacks: their apply findings
    are the cloud issues' (#17-#20) and stay visible in the report as exempted. The apply checks
    themselves are pinned by tests/test_apply.py and on the shipped stacks."""
    import datetime as dt

    from offline import apply

    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    return [{"rule": r, "resource": "*", "expires": expires,
             "reason": "variant config of a test; apply findings belong to issues #17-#20"}
            for r in sorted(apply.load_all())]


def stack_config(stack: str) -> dict:
    return yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
