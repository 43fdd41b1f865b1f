"""What every form of the report counts: resources per cloud and type, mandatory policy
violations, and the run's monthly cost section."""
from __future__ import annotations

from typing import Optional

from collections import Counter

from ..analyzer import PackResult
from ..cloud_facts import cloud_of_package
from ..engine import StackRun


def cloud_of(type_: str) -> str:
    """The report's group of a type: its cloud (the plugin of its package), `kubernetes`, `pulumi`,
    `providers`, or `components` for the rest."""
    if type_.startswith("pulumi:providers:"):
        return "providers"
    pkg = type_.split(":", 1)[0]
    if pkg in ("kubernetes", "pulumi"):
        return pkg
    return cloud_of_package(pkg) or "components"


def counts(run: StackRun) -> dict[str, dict[str, int]]:
    out: dict[str, Counter] = {}
    for r in run.resources:
        out.setdefault(cloud_of(r.type), Counter())[r.type] += 1
    return {cloud: dict(sorted(c.items())) for cloud, c in sorted(out.items())}


def mandatory_violations(packs: list[PackResult]) -> int:
    return sum(1 for p in packs for d in p.diagnostics if d.level == "mandatory")


def cost_section(run: StackRun) -> Optional[dict]:
    """The run's cost section, computed with the default usage if the CLI did not set it;
    None for a dry run (the estimate reads values a first preview does not know: --assume-applied)."""
    from ..pricing import cost_of_run

    if run.mode == "dry-run":
        return None
    if run.cost is None:
        run.cost = cost_of_run(run)
    return run.cost
