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


def to_json(run: StackRun, packs: list[PackResult], findings: Optional[list] = None) -> dict:
    return {
        "stack": run.stack,
        "resources": [r.report() for r in run.resources],
        "outputs": run.outputs,
        "policy": [d.report() for p in packs for d in p.diagnostics],
        "packs": [{"pack": p.pack, "version": p.version, "analyzed": p.analyzed, "policies": len(p.policies)}
                  for p in packs],
        "counts": counts(run),
        "cost": _cost(run),
        "invokes": run.invokes,
        # Apply checks (offline/apply): what a first `pulumi up` would reveal; exempted ones carry why.
        "apply": [f.report() for f in findings or []],
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


def to_text(run: StackRun, packs: list[PackResult], verbose: bool = True, findings: Optional[list] = None) -> str:
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
    lines += _apply_text(findings or [])
    from .pricing import cost_text  # issue #23
    return "\n".join(lines) + "\n" + cost_text(_cost(run))


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


def to_markdown(run: StackRun, packs: list[PackResult], findings: Optional[list] = None) -> str:
    n_bad = mandatory_violations(packs)
    n_apply = sum(1 for f in findings or [] if f.level == "error" and not f.exempted)
    status = "❌ policy violations" if n_bad else "❌ apply errors" if n_apply else "✅ clean"
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
    if findings:
        lines += ["", "| apply check | level | resource | message |", "|---|---|---|---|"]
        for f in findings:
            level = f"{f.level} (exempted: {f.exempted})" if f.exempted else f.level
            msg = f.message.replace("\n", " ").replace("|", "\\|")[:300]
            lines.append(f"| {f.rule} | {level} | `{f.urn.split('::')[-1]}` | {msg} |")
    from .pricing import cost_markdown  # issue #23
    return "\n".join(lines) + "\n" + cost_markdown(_cost(run))
