"""Publish a release's model artifact into every allowed cell's own bucket, and verify the copies.

For each target cell: skip the upload when its bucket already holds the artifact with the same size
and sha256 (metadata), else upload it in checksummed parts; read it back and compare its sha256 with
the release file; write `manifest.json` beside it. A cell whose zone the release does not allow is
never written to (and naming one with `--cell` is an error). A failing cell does not stop the others;
the run fails when any cell failed.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, TextIO

from components.core import config as core_config
from components.core.release import Release
from offline import project as offline_project

from . import stores

HASH_BLOCK = 4 * 1024 * 1024


class ReleaseOpError(Exception):
    """Bad arguments or inputs (exit 2); the message says which and what is allowed."""


@dataclass(frozen=True)
class Target:
    cell: str
    zone: str
    cloud: str
    region: str
    bucket_uri: str


@dataclass
class Result:
    cell: str
    status: str            # published | unchanged | verified | failed
    detail: str = ""
    uploaded: int = 0      # bytes sent
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status != "failed"


@dataclass
class StackCells:
    """The cells of a stack: from its config (name, zone) joined with its exports (bucket_uri)."""
    stack: str
    cells: list[Target] = field(default_factory=list)


def file_digest(path: Path) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(HASH_BLOCK), b""):
            h.update(block)
            n += len(block)
    return h.hexdigest(), n


def _exports(stack: str, outputs: list[str], project_root: Path) -> dict:
    if outputs:
        merged: dict = {}
        for path in outputs:
            try:
                data = json.loads(Path(path).read_text())
            except (OSError, ValueError) as exc:
                raise ReleaseOpError(f"--outputs {path}: cannot read it as JSON ({exc})") from None
            if isinstance(data.get("outputs"), dict) and isinstance(data.get("resources"), list):
                data = data["outputs"]  # an offline engine report
            merged.update(data)
        return merged
    try:
        run = subprocess.run(["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", stack],
                             cwd=project_root, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ReleaseOpError(f"stack {stack!r}: cannot read its outputs with the Pulumi CLI ({exc}); pass "
                             "--outputs FILE (`pulumi stack output --json --show-secrets`)") from None
    if run.returncode != 0:
        raise ReleaseOpError(f"stack {stack!r}: `pulumi stack output` failed: {run.stderr.strip()[:300]}")
    return json.loads(run.stdout)


def stack_config(project: offline_project.Project, stack: str) -> core_config.PlatformConfig:
    """A stack's validated config, read as the CLI reads it; a missing stack or bad config is exit 2."""
    try:
        raw, _ = offline_project.stack_config(project, stack)
        return core_config.load(stack, raw)
    except (offline_project.StackNotFound, core_config.ConfigError) as exc:
        raise ReleaseOpError(str(exc)) from None


def stack_cells(stack: str, outputs: list[str], project_root: Path = offline_project.ROOT) -> StackCells:
    """The stack's cells with the bucket each exports. Config says which zone a cell is in (reviewed),
    the exports say where its bucket is; a cell the config has and the exports lack is an error."""
    cfg = stack_config(offline_project.load_project(project_root), stack)
    if not cfg.cells:
        raise ReleaseOpError(f"stack {stack!r}: has no cells (platform:cells); publish to the cell stacks")
    exports = _exports(stack, outputs, project_root)
    out = StackCells(stack)
    for c in cfg.cells:
        exp = exports.get(c.name)
        uri = exp.get("bucket_uri") if isinstance(exp, dict) else None
        if not isinstance(uri, str) or not uri:
            raise ReleaseOpError(f"stack {stack!r}: cell {c.name!r} exports no bucket_uri; pass the stack's "
                                 "outputs after its `up` (--outputs)")
        out.cells.append(Target(c.name, c.residency, c.cloud, c.region, uri))
    return out


def select(release: Release, cells: StackCells, only: list[str]) -> tuple[list[Target], list[str]]:
    """The cells to publish to, and one line per allowed-zone refusal (cells never written to)."""
    by_name = {t.cell: t for t in cells.cells}
    for name in only:
        if name not in by_name:
            raise ReleaseOpError(f"--cell {name!r}: not a cell of stack {cells.stack!r}; allowed: "
                                 f"{', '.join(by_name)}")
        t = by_name[name]
        if not release.allows(t.zone):
            raise ReleaseOpError(f"--cell {name!r}: in zone {t.zone!r}, which release {release.id} does not "
                                 f"allow (allowed_zones: {', '.join(release.allowed_zones)}); refused")
    chosen = [by_name[n] for n in only] if only else list(cells.cells)
    refused = [f"{t.cell}: zone {t.zone!r} is not in allowed_zones ({', '.join(release.allowed_zones)}); "
               "not published" for t in chosen if not release.allows(t.zone)]
    return [t for t in chosen if release.allows(t.zone)], refused


class _ProgressLine:
    """Prints progress every 10% for artifacts of 64 MiB or more."""

    def __init__(self, cell: str, total: int, out: TextIO):
        self.cell, self.total, self.out, self.sent, self.next = cell, total, out, 0, 10
        self.show = total >= 64 * 1024 * 1024

    def __call__(self, n: int) -> None:
        self.sent += n
        pct = self.sent * 100 // max(self.total, 1)
        if self.show and pct >= self.next:
            print(f"  {self.cell}: {pct}% ({self.sent // (1024 * 1024)} / {self.total // (1024 * 1024)} MiB)",
                  file=self.out, flush=True)
            self.next = (pct // 10 + 1) * 10


def read_back(store: stores.Store, key: str) -> tuple[str, int]:
    h, n = hashlib.sha256(), 0
    for chunk in store.read(key):
        h.update(chunk)
        n += len(chunk)
    return h.hexdigest(), n


def manifest(release: Release, target: Target, uri: str) -> bytes:
    return json.dumps({
        "release": release.id, "name": release.name, "version": release.version,
        "sha256": release.model.sha256, "size": release.model.size, "image": release.image,
        "allowed_zones": release.allowed_zones, "cell": target.cell, "zone": target.zone, "object": uri,
        "published_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }, indent=2).encode()


StoreFor = Callable[[str, Optional[str]], stores.Store]


def publish(release: Release, source: Path, targets: list[Target], out: TextIO = sys.stderr,
            store_for: StoreFor = stores.for_uri) -> list[Result]:
    digest, size = file_digest(source)
    if size != release.model.size or digest != release.model.sha256:
        raise ReleaseOpError(f"--source {source}: sha256 {digest} and {size} bytes, but release {release.id} "
                             f"says sha256 {release.model.sha256} and {release.model.size} bytes; refusing to "
                             "publish other bytes than the reviewed ones")
    results = []
    for t in targets:
        started = time.monotonic()
        uri = release.model_uri(t.bucket_uri)
        try:
            store = store_for(t.bucket_uri, t.region)
            have = store.head(release.artifact_key)
            if have and have.size == size and have.sha256 == digest:
                results.append(Result(t.cell, "unchanged", f"{uri} already holds sha256 {digest[:12]}..."))
                continue
            with source.open("rb") as fh:
                store.upload(release.artifact_key, fh, size, digest, _ProgressLine(t.cell, size, out))
            got, n = read_back(store, release.artifact_key)
            if got != digest or n != size:
                results.append(Result(t.cell, "failed", f"{uri}: read back sha256 {got} ({n} bytes), expected "
                                      f"{digest} ({size} bytes)", size, time.monotonic() - started))
                continue
            store.put_json(release.manifest_key, manifest(release, t, uri))
            results.append(Result(t.cell, "published", f"{uri} verified (sha256 {digest[:12]}...)", size,
                                  time.monotonic() - started))
        except stores.StoreError as exc:
            results.append(Result(t.cell, "failed", str(exc), 0, time.monotonic() - started))
    return results


def verify(release: Release, targets: list[Target], store_for: StoreFor = stores.for_uri) -> list[Result]:
    """Read every cell's copy back and compare it (and its manifest) with the release file."""
    results = []
    for t in targets:
        uri = release.model_uri(t.bucket_uri)
        try:
            store = store_for(t.bucket_uri, t.region)
            if store.head(release.artifact_key) is None:
                results.append(Result(t.cell, "failed", f"{uri}: missing (publish it first)"))
                continue
            got, n = read_back(store, release.artifact_key)
            if got != release.model.sha256 or n != release.model.size:
                results.append(Result(t.cell, "failed", f"{uri}: sha256 {got} ({n} bytes), release says "
                                      f"{release.model.sha256} ({release.model.size} bytes)"))
                continue
            body = b"".join(store.read(release.manifest_key)) if store.head(release.manifest_key) else b""
            try:
                man = json.loads(body) if body else {}
            except ValueError:
                man = {}
            if man.get("sha256") != release.model.sha256 or man.get("release") != release.id:
                results.append(Result(t.cell, "failed", f"{uri}: the artifact matches but its manifest "
                                      f"{release.manifest_key} is missing or names another release"))
                continue
            results.append(Result(t.cell, "verified", f"{uri} sha256 matches"))
        except stores.StoreError as exc:
            results.append(Result(t.cell, "failed", str(exc)))
    return results
