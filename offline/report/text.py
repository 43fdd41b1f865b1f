"""The terminal report of an offline run (`python -m offline preview`), shaped like `pulumi preview`:
the resource tree, counts per cloud, outputs, edge guards, policy verdicts, apply checks, cost."""
from __future__ import annotations

import json
from typing import Optional

from ..analyzer import PackResult
from ..engine import StackRun
from .summary import cost_section, counts


def _tree(run: StackRun) -> list[str]:
    children: dict[Optional[str], list] = {}
    urns = {r.urn for r in run.resources}
    for r in run.resources:
        parent = r.parent if r.parent in urns else None
        children.setdefault(parent, []).append(r)
    lines: list[str] = []

    def walk(parent: Optional[str], depth: int) -> None:
        for r in children.get(parent, []):
            flag = " [protect]" if r.protect else ""
            lines.append(f"{'    ' + '  ' * depth}+ {r.type:<55} {r.name}{flag}")
            walk(r.urn, depth + 1)

    walk(None, 0)
    return lines


# Which run the report is (offline/engine.py run_stack); the Markdown report says the same.
MODE_TEXT = {"dry-run": "dry run (as a first `pulumi preview`: computed outputs unknown; packs only, "
                        "apply checks and cost need --assume-applied)",
             "assume-applied": "assume-applied (every output known; packs, apply checks, cost)"}


def to_text(run: StackRun, packs: list[PackResult], verbose: bool = True, findings: Optional[list] = None) -> str:
    lines = [f"Previewing update ({run.stack}) offline, {MODE_TEXT.get(run.mode, run.mode)}:", "", "     Type                                                    Name",
             f" +   pulumi:pulumi:Stack                                     {run.project}-{run.stack}"]
    if verbose:
        lines += _tree(run)
    lines += ["", "Resources:", f"    + {len(run.resources)} to create"]
    for cloud, types in counts(run).items():
        lines.append(f"      {cloud}: {sum(types.values())}")
    if run.outputs:
        lines += ["", "Outputs:"]
        for k, v in sorted(run.outputs.items()):
            lines.append(f"    {k}: {json.dumps(v, sort_keys=True)[:200]}")
    guards = (run.outputs or {}).get("edge_guards")
    if isinstance(guards, dict) and guards:
        lines += ["", "Edge guards (refused even when DNS is bypassed):"]
        lines += [f"    {cell} ({g.get('residency', '')}): {' '.join(g.get('refused_countries') or []) or 'none'}"
                  for cell, g in sorted(guards.items())]
    lines += _policy_text(packs)
    lines += _apply_text(findings or [])
    from ..pricing import cost_text  # issue #23
    cost = cost_section(run)
    return "\n".join(lines) + "\n" + (cost_text(cost) if cost else "")


def _apply_text(findings: list) -> list[str]:
    if not findings:
        return []
    open_ = [f for f in findings if not f.exempted]
    lines = ["", f"Apply checks: {sum(f.level == 'error' for f in open_)} error(s), "
                 f"{sum(f.level == 'warning' for f in open_)} warning(s), {len(findings) - len(open_)} exempted"]
    for f in findings:
        tag = "exempted" if f.exempted else f.level
        lines.append(f"    - [{tag}] {f.rule} ({f.urn.split('::')[-1]})")
        lines.append(f"      {f.message}")
        if f.exempted:
            lines.append(f"      exempted: {f.exempted}")
    return lines


def _policy_text(packs: list[PackResult]) -> list[str]:
    if not packs:
        return []
    lines = ["", "Policies:"]
    for p in packs:
        bad = [d for d in p.diagnostics if d.level == "mandatory"]
        mark = "FAIL" if bad else "ok"
        lines.append(f"    {mark:4} {p.pack}@v{p.version} ({len(p.policies)} policies, {p.analyzed} resources)")
        for d in p.diagnostics:
            lines.append(f"        - [{d.level}] {d.policy} ({d.urn.split('::')[-1] or 'stack'})")
            lines.append(f"          {d.message.strip().splitlines()[0] if d.message.strip() else ''}")
    return lines
