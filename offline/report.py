"""Preview-like reports of an offline run: text for the terminal, JSON for tools, Markdown for a PR."""
from __future__ import annotations

import json
from collections import Counter
from typing import Optional

from .analyzer import PackResult
from .engine import StackRun


def cloud_of(type_: str) -> str:
    if type_.startswith("pulumi:providers:"):
        return "providers"
    pkg = type_.split(":", 1)[0]
    return {"azure-native": "azure", "pulumi": "pulumi"}.get(pkg, pkg) if pkg in (
        "aws", "gcp", "azure-native", "kubernetes", "pulumi") else "components"


def counts(run: StackRun) -> dict[str, dict[str, int]]:
    out: dict[str, Counter] = {}
    for r in run.resources:
        out.setdefault(cloud_of(r.type), Counter())[r.type] += 1
    return {cloud: dict(sorted(c.items())) for cloud, c in sorted(out.items())}


def mandatory_violations(packs: list[PackResult]) -> int:
    return sum(1 for p in packs for d in p.diagnostics if d.level == "mandatory")


def _cost(run: StackRun) -> dict:
    """The run's cost section (issue #23), computed with the default usage if the CLI did not set it."""
    from .pricing import cost_of_run

    if run.cost is None:
        run.cost = cost_of_run(run)
    return run.cost


def to_json(run: StackRun, packs: list[PackResult]) -> dict:
    return {
        "stack": run.stack,
        "resources": [r.report() for r in run.resources],
        "outputs": run.outputs,
        "policy": [d.report() for p in packs for d in p.diagnostics],
        "packs": [{"pack": p.pack, "version": p.version, "analyzed": p.analyzed, "policies": len(p.policies)}
                  for p in packs],
        "counts": counts(run),
        "cost": _cost(run),
    }


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


def to_text(run: StackRun, packs: list[PackResult], verbose: bool = True) -> str:
    lines = [f"Previewing update ({run.stack}) offline:", "", "     Type                                                    Name",
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
    from .pricing import cost_text  # issue #23
    return "\n".join(lines) + "\n" + cost_text(_cost(run))


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


def _edge_lines(run: StackRun) -> list[str]:
    """Each cell's edge guard (issue #21): the zones and countries it refuses even when DNS is bypassed."""
    guards = (run.outputs or {}).get("edge_guards")
    if not isinstance(guards, dict) or not guards:
        return []
    lines = ["", "**Edge guards** (refused even when DNS is bypassed):", "",
             "| cell | zone | refused zones | refused countries |", "|---|---|---|---|"]
    for cell, g in sorted(guards.items()):
        lines.append(f"| {cell} | {g.get('residency', '')} | {', '.join(g.get('refused_zones') or []) or 'none'} | "
                     f"{' '.join(g.get('refused_countries') or []) or 'none'} |")
    return lines


def to_markdown(run: StackRun, packs: list[PackResult]) -> str:
    n_bad = mandatory_violations(packs)
    status = "❌ policy violations" if n_bad else "✅ clean"
    lines = [f"### Offline preview: `{run.stack}` — {status}", "",
             f"**{len(run.resources)}** resources to create.", "", "| cloud | resources |", "|---|---:|"]
    for cloud, types in counts(run).items():
        lines.append(f"| {cloud} | {sum(types.values())} |")
    lines += _edge_lines(run)
    if packs:
        lines += ["", "| pack | version | mandatory | advisory |", "|---|---|---:|---:|"]
        for p in packs:
            m = sum(1 for d in p.diagnostics if d.level == "mandatory")
            a = sum(1 for d in p.diagnostics if d.level == "advisory")
            lines.append(f"| {p.pack} | {p.version} | {m} | {a} |")
        diags = [d for p in packs for d in p.diagnostics]
        if diags:
            lines += ["", "<details><summary>Policy diagnostics</summary>", "",
                      "| level | pack | policy | resource | message |", "|---|---|---|---|---|"]
            for d in diags:
                msg = d.message.strip().replace("\n", " ").replace("|", "\\|")[:300]
                lines.append(f"| {d.level} | {d.pack} | {d.policy} | `{d.urn.split('::')[-1]}` | {msg} |")
            lines += ["", "</details>"]
    from .pricing import cost_markdown  # issue #23
    return "\n".join(lines) + "\n" + cost_markdown(_cost(run))
