"""The JSON report of an offline run (`python -m offline preview --json`): what tools, the review
diff and ops read. A contract: its keys are only ever extended."""
from __future__ import annotations

from typing import Optional

from ..analyzer import PackResult
from ..engine import StackRun
from .findings import approvals, policy_entry, verdict
from .summary import cost_section, counts


def to_json(run: StackRun, packs: list[PackResult], findings: Optional[list] = None,
            unused: Optional[list] = None, warnings_as_errors: bool = False) -> dict:
    report = {
        "stack": run.stack,
        "resources": [r.report() for r in run.resources],
        "outputs": run.outputs,
        # The contract's keys (pack, policy, urn, level, message), extended with what a reviewer acts
        # on: the finding itself, the policy's description and remediation, the resource's name/type.
        "policy": [policy_entry(d, p.policies) for p in packs for d in p.diagnostics],
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
        # platform:apply_exemptions entries that matched no finding (dead config: remove them).
        "unused_exemptions": [e.report() if hasattr(e, "report") else dict(e) for e in unused or []],
    }
    # Who is served by which cell (offline/report/routing.py); computed once per run.
    if not hasattr(run, "_routing"):
        from .routing import routing_summary

        run._routing = routing_summary(run.stack, run.config)
    report["routing"] = run._routing
    report["approved_exceptions"] = approvals(report)
    report["verdict"] = verdict(report, warnings_as_errors)
    return report
