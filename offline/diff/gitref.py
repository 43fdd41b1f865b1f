"""The base of a review diff: a git ref checked out into a temporary `git worktree`.

The only module of the offline engine that runs git (tests/test_offline_layout.py checks it).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .model import DiffError


def _git(args: list[str], cwd: Path) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


@contextmanager
def base_checkout(project_root: Path, ref: str) -> Iterator[tuple[Path, str]]:
    """The project directory as of `ref`, in a temporary worktree removed afterwards."""
    top = Path(_git(["rev-parse", "--show-toplevel"], project_root))
    sha = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], project_root)
    tmp = Path(tempfile.mkdtemp(prefix="offline-diff-"))
    tree = tmp / "base"
    _git(["worktree", "add", "--detach", "--quiet", str(tree), sha], top)
    try:
        yield tree / project_root.resolve().relative_to(top.resolve()), sha
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=top, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
