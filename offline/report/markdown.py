"""The Markdown report of an offline run (`python -m offline preview --markdown`): the pull-request
comment (counts per cloud, edge guards, pack verdicts and diagnostics, apply checks, cost)."""
from __future__ import annotations

from typing import Optional

from ..analyzer import PackResult
from ..engine import StackRun
from .summary import cost_section, counts, mandatory_violations
from .text import MODE_TEXT


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
             f"**{len(run.resources)}** resources to create. Mode: {MODE_TEXT.get(run.mode, run.mode)}.", "", "| cloud | resources |", "|---|---:|"]
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
    from ..pricing import cost_markdown  # issue #23
    cost = cost_section(run)
    return "\n".join(lines) + "\n" + (cost_markdown(cost) if cost else "")
