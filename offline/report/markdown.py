"""The Markdown report of an offline run (`python -m offline preview --markdown`): the pull-request
comment (counts per cloud, edge guards, pack verdicts and diagnostics, apply checks, cost)."""
from __future__ import annotations

from typing import Optional

from ..analyzer import PackResult
from ..engine import StackRun
from .findings import approval_banner_md, clip, markdown_rows, md, unused_exemption_lines, where
from .summary import cost_section, counts, mandatory_violations
from .text import MODE_TEXT


def _edge_lines(run: StackRun) -> list[str]:
    """Each cell's edge guard: the zones and countries it refuses even when DNS is bypassed."""
    guards = (run.outputs or {}).get("edge_guards")
    if not isinstance(guards, dict) or not guards:
        return []
    lines = ["", "**Edge guards** (refused even when DNS is bypassed):", "",
             "| cell | zone | refused zones | refused countries |", "|---|---|---|---|"]
    for cell, g in sorted(guards.items()):
        lines.append(f"| {cell} | {g.get('residency', '')} | {', '.join(g.get('refused_zones') or []) or 'none'} | "
                     f"{' '.join(g.get('refused_countries') or []) or 'none'} |")
    return lines




def to_markdown(run: StackRun, packs: list[PackResult], findings: Optional[list] = None,
                unused: Optional[list] = None, warnings_as_errors: bool = False) -> str:
    from .json_report import to_json

    report = to_json(run, packs, findings, unused=unused, warnings_as_errors=warnings_as_errors)
    n_bad = mandatory_violations(packs)
    n_apply = sum(1 for f in findings or [] if f.level == "error" and not f.exempted)
    status = "❌ policy violations" if n_bad else "❌ apply errors" if n_apply else "✅ clean"
    lines = [f"### Offline preview: `{run.stack}` — {status}", "", f"**{report['verdict']}**"]
    lines += approval_banner_md(report)
    lines += ["", f"**{len(run.resources)}** resources to create. Mode: {MODE_TEXT.get(run.mode, run.mode)}.", "",
              "| cloud | resources |", "|---|---:|"]
    for cloud, types in counts(run).items():
        lines.append(f"| {cloud} | {sum(types.values())} |")
    lines += _edge_lines(run)
    if packs:
        lines += ["", "| pack | version | mandatory | advisory |", "|---|---|---:|---:|"]
        for p in packs:
            m = sum(1 for d in p.diagnostics if d.level == "mandatory")
            a = sum(1 for d in p.diagnostics if d.level == "advisory")
            lines.append(f"| {p.pack} | {p.version} | {m} | {a} |")
    # What to act on: every violation and open apply finding, with what / where / fix.
    lines += markdown_rows(report)
    exempted = [f for f in report.get("apply", []) if f.get("exempted")]
    if exempted:
        lines += ["", f"<details><summary>{len(exempted)} exempted apply finding(s)</summary>", "",
                  "| apply check | resource | what | why exempted |", "|---|---|---|---|"]
        for f in exempted:
            lines.append(f"| {f['rule']} | `{md(where(f['urn']))}` | {md(clip(f['message']))} | {md(clip(f['exempted']))} |")
        lines += ["", "</details>"]
    if report.get("unused_exemptions"):
        lines += ["", "**Warnings**", ""] + [l.strip() for l in unused_exemption_lines(report)]
    from ..pricing import cost_markdown
    cost = cost_section(run)
    return "\n".join(lines) + "\n" + (cost_markdown(cost) if cost else "")
