"""The stacks of a project and their deploy order: a stack comes after the stacks it reads with a
StackReference (`<project>:cell_stacks` in its stack file).
"""
from __future__ import annotations

import yaml

from ..project import Project
from .model import DiffError


def stack_dependencies(project: Project) -> dict[str, set[str]]:
    """stack -> the stacks it reads with a StackReference (`<project>:cell_stacks`)."""
    deps: dict[str, set[str]] = {}
    for stack in project.stacks():
        doc = yaml.safe_load(project.stack_file(stack).read_text()) or {}
        refs = (doc.get("config") or {}).get(f"{project.name}:cell_stacks") or []
        deps[stack] = {r["stack"] for r in refs if isinstance(r, dict) and "stack" in r}
    return deps


def stack_waves(project: Project) -> list[list[str]]:
    """Stacks grouped so that every stack comes after the stacks it references (deploy order)."""
    deps = stack_dependencies(project)
    done: set[str] = set()
    waves: list[list[str]] = []
    while len(done) < len(deps):
        wave = sorted(s for s, d in deps.items() if s not in done and (d & set(deps)) <= done)
        if not wave:
            raise DiffError(f"stack references form a cycle among: {', '.join(sorted(set(deps) - done))}")
        waves.append(wave)
        done |= set(wave)
    return waves


def all_stacks(project: Project) -> list[str]:
    return [s for wave in stack_waves(project) for s in wave]
