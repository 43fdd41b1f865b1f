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
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

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
    """`python -m offline ARGS --json FILE` in its own process (forked from tests/forkserver.py: the
    same CLI in a fresh process, without re-importing the provider SDKs each time)."""
    out = tmp_path / f"report-{os.getpid()}-{len(list(tmp_path.iterdir()))}.json"
    full_env = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    argv = [*args, "--json", str(out)]
    started, cpu = time.monotonic(), None
    if os.environ.get(NO_FORKSERVER):
        proc = subprocess.run([sys.executable, "-m", "offline", *argv],
                              cwd=cwd, capture_output=True, text=True, env=full_env)
        returncode, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    else:
        returncode, stdout, stderr, cpu = _forkserver().run(argv, cwd, full_env)
    if os.environ.get(TRACE):
        with open(os.environ[TRACE], "a") as f:
            f.write(json.dumps({"test": os.environ.get("PYTEST_CURRENT_TEST"), "args": args, "cwd": str(cwd),
                                "wall": round(time.monotonic() - started, 2), "cpu": cpu and round(cpu, 2)}) + "\n")
    report = json.loads(out.read_text()) if out.exists() else None
    return Run(returncode, stdout, stderr, report)


# Set (to anything) to run each offline CLI call as `python -m offline` in a new interpreter instead.
NO_FORKSERVER = "OFFLINE_TESTS_NO_FORKSERVER"
# Set to a file: each offline CLI call appends a JSON line (test, args, wall and CPU seconds) to it.
TRACE = "OFFLINE_TESTS_TRACE"


class _ForkServer:
    """tests/forkserver.py, started once per test process (each xdist worker has its own)."""

    def __init__(self) -> None:
        import tempfile

        self.dir = Path(tempfile.mkdtemp(prefix="offline-forkserver-"))
        self.socket = self.dir / "s"
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("forkserver.py")), str(self.socket)],
                                     cwd=REPO, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                     env=dict(os.environ, PYTHONPATH=str(REPO)), text=True)
        ready = self.proc.stdout.readline()
        if ready.strip() != "ready":
            raise RuntimeError(f"tests/forkserver.py did not start (exit {self.proc.poll()})")
        self.pid = os.getpid()

    def run(self, argv: list[str], cwd: Path, env: dict) -> tuple[int, str, str, float]:
        import socket
        import uuid

        stem = self.dir / uuid.uuid4().hex
        stdout, stderr = Path(f"{stem}.stdout"), Path(f"{stem}.stderr")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(str(self.socket))
            conn.sendall((json.dumps({"args": argv, "cwd": str(cwd), "env": env,
                                      "stdout": str(stdout), "stderr": str(stderr),
                                      "modules": f"{self.socket}.modules"}) + "\n").encode())
            with conn.makefile("r") as f:
                line = f.readline()
        if not line:  # the child died without answering (a crash of the interpreter itself)
            raise RuntimeError(f"offline {' '.join(argv)}: the forked run died; stderr:\n"
                               f"{stderr.read_text() if stderr.exists() else ''}")
        try:
            answer = json.loads(line)
            return answer["returncode"], stdout.read_text(), stderr.read_text(), answer["cpu"]
        finally:
            stdout.unlink(missing_ok=True)
            stderr.unlink(missing_ok=True)

    def close(self) -> None:
        import shutil

        if self.pid == os.getpid() and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


_SERVER: Optional[_ForkServer] = None
_SERVER_LOCK = threading.Lock()  # tests may run previews from threads (tests/test_topologies.py)


def _forkserver() -> _ForkServer:
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None or _SERVER.pid != os.getpid() or _SERVER.proc.poll() is not None:
            import atexit

            _SERVER = _ForkServer()
            atexit.register(_SERVER.close)
        return _SERVER


_STACK_RUNS: dict[tuple, Run] = {}


# The mode the tests of values run in: every output known, apply checks and cost run (the CLI's
# default is a dry run, as a first `pulumi preview`; tests of that mode pass dry_run=True).
ASSUME_APPLIED = ("--assume-applied",)


# Where test processes of one session share their stack runs (set by tests/conftest.py under
# pytest-xdist: the directory all workers' temporary directories are in). None: this process only.
SHARED_RUNS: Optional[Path] = None


def preview_stack(stack: str, tmp_path: Path, packs: tuple[str, ...] = (), extra: tuple[str, ...] = (),
                  dry_run: bool = False) -> Run:
    """Run a stack of stacks/ (cached per test session: a stack's run is the same for every test module,
    and, under pytest-xdist, for every worker: the first to ask runs it, the others read its result)."""
    extra = tuple(extra) + (() if dry_run else ASSUME_APPLIED)
    key = (stack, tuple(packs), tuple(extra))
    if key not in _STACK_RUNS:
        _STACK_RUNS[key] = _shared(key, lambda: _preview_stack(stack, tmp_path, tuple(packs), tuple(extra)))
    return _STACK_RUNS[key]


def _shared(key: tuple, run: Callable[[], Run]) -> Run:
    """`run()` once per session across test processes (a file per key, written under an exclusive lock)."""
    if SHARED_RUNS is None:
        return run()
    import fcntl
    import hashlib
    from dataclasses import asdict

    SHARED_RUNS.mkdir(parents=True, exist_ok=True)
    path = SHARED_RUNS / (hashlib.sha256(json.dumps(key).encode()).hexdigest()[:24] + ".json")
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return Run(**json.loads(path.read_text()))
        result = run()
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(result)))
        tmp.rename(path)
        return result


def _preview_stack(stack: str, tmp_path: Path, packs: tuple[str, ...], extra: tuple[str, ...]) -> Run:
    args = ["preview", stack, "--quiet", *extra]
    for p in packs:
        args += ["--policy-pack", str(REPO / p) if not Path(p).is_absolute() else p]
    return offline(args, tmp_path)


def program_project(tmp_path: Path, stack: str, program: str, config: dict, name: str = "program") -> Path:
    """A project of one small program and one stack file (`stackConfigDir: stacks`), as users lay
    them out, under `tmp_path/stack`; returns its directory (for `--project-dir`)."""
    proj = tmp_path / stack
    (proj / "stacks").mkdir(parents=True)
    (proj / "Pulumi.yaml").write_text(yaml.safe_dump({"name": name, "runtime": "python", "stackConfigDir": "stacks"}))
    (proj / "__main__.py").write_text(program)
    (proj / "stacks" / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
    return proj


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
    belong to the per-cloud apply rules' own tests and stay visible in the report as exempted. The apply checks
    themselves are pinned by tests/test_apply.py and on the shipped stacks."""
    import datetime as dt

    from offline import apply

    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    return [{"rule": r, "resource": "*", "expires": expires,
             "reason": "variant config of a test; apply findings belong to issues #17-#20"}
            for r in sorted(apply.load_all())]


def stack_config(stack: str) -> dict:
    return yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
