"""`python -m ops release plan-waves RELEASE [--plan FILE]`: the release workflow's matrices (JSON).

The workflow (.github/workflows/release.yml) publishes into every stack the plan touches, then runs
one job per wave, in the plan's order, in the GitHub environment of the stack that wave deploys: that
environment's reviewers approve the wave and its deploy identities (which trust only that
environment) run the `up`. So a wave the workflow runs holds the cells of one stack; a plan whose
wave spans stacks is refused here (split it into one wave per stack), before anything is published.

    {"stacks": {"include": [{"stack", <cloud>...}...]},          # publish + verify, per stack
     "waves":  {"include": [{"wave", "stack", <cloud>..., "after"}...]}}   # plan order

One boolean per cloud plugin (aws, gcp, azure): whether the stack has a cell of that cloud.

`after` is the previous wave ('' for the first): the wave job starts from the stack files that wave
left (a rollout sets `cells[i].release` in them; `rollout --wave` refuses while an earlier wave's
cells do not run the release).
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from components.core import config as core_config
from offline import project as offline_project

from . import rollout as ro
from .publish import ReleaseOpError

PLANS = Path("releases") / "plans"


def plan_path(release: str, project_root: Path = offline_project.ROOT) -> Path:
    return project_root / PLANS / f"{release}.yaml"


def _flags(clouds: set[str]) -> dict[str, bool]:
    """One flag per cloud plugin: whether the stack has a cell of it (the workflow sets up that cloud's
    tools and credentials by it)."""
    from components.clouds.plugins import PLUGINS

    return {cloud: cloud in clouds for cloud in PLUGINS}


def plan_waves(release: str, plan_file: Path, project_root: Path = offline_project.ROOT) -> dict:
    plan = ro.load_plan(plan_file)
    if plan.release != release:
        raise ReleaseOpError(f"--plan {plan_file}: release {plan.release!r}, not {release!r}")
    project = offline_project.load_project(project_root)
    ro.validate(plan, SimpleNamespace(project=project))   # cells exist, once, in zones both releases allow
    clouds: dict[str, set[str]] = {}
    for stack in dict.fromkeys(ref.split("/")[0] for w in plan.waves for ref in w.cells):
        raw, _ = offline_project.stack_config(project, stack)
        clouds[stack] = {c.cloud for c in core_config.load(stack, raw).cells}
    waves, after = [], ""
    for w in plan.waves:
        stacks = list(dict.fromkeys(ref.split("/")[0] for ref in w.cells))
        if len(stacks) != 1:
            raise ReleaseOpError(f"--plan {plan_file}: wave {w.name!r} spans stacks {', '.join(stacks)}; the release "
                                 "workflow runs each wave in its stack's environment: one stack per wave "
                                 "(split it into one wave per stack)")
        s = stacks[0]
        waves.append({"wave": w.name, "stack": s, **_flags(clouds[s]), "after": after})
        after = w.name
    return {"stacks": {"include": [{"stack": s, **_flags(c)} for s, c in clouds.items()]},
            "waves": {"include": waves}}
