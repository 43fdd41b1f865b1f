"""The JSON report of an offline run (`python -m offline preview --json`): what tools, the review
diff and ops read. A contract: its keys are only ever extended."""
from __future__ import annotations

from typing import Optional

from ..analyzer import PackResult
from ..engine import StackRun
from .summary import cost_section, counts


def to_json(run: StackRun, packs: list[PackResult], findings: Optional[list] = None) -> dict:
    return {
        "stack": run.stack,
        "resources": [r.report() for r in run.resources],
        "outputs": run.outputs,
        "policy": [d.report() for p in packs for d in p.diagnostics],
        "packs": [{"pack": p.pack, "version": p.version, "analyzed": p.analyzed, "policies": len(p.policies)}
                  for p in packs],
        "counts": counts(run),
        "cost": cost_section(run),
        "invokes": run.invokes,
        # Apply checks (offline/apply): what a first `pulumi up` would reveal; exempted ones carry why.
        "apply": [f.report() for f in findings or []],
        # "dry-run" (a first `pulumi preview`: computed outputs "[unknown]", packs only; "apply" is
        # empty and "cost" null) or "assume-applied" (every output known; apply checks and cost run).
        "mode": run.mode,
    }
