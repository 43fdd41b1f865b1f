"""The terminal report of an offline run (`python -m offline preview`), shaped like `pulumi preview`:
the resource tree, counts per cloud, outputs, edge guards, policy verdicts, apply checks, cost."""
from __future__ import annotations

import json
from typing import Optional

from ..analyzer import PackResult
from ..engine import StackRun
from .findings import (approval_banner_text, clip, is_approval, text_block, unused_exemption_lines, verdict,
                       where)
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


def to_text(run: StackRun, packs: list[PackResult], verbose: bool = True, findings: Optional[list] = None,
            quiet: bool = False, unused: Optional[list] = None, warnings_as_errors: bool = False) -> str:
    """`verbose`: the resource tree; `quiet` (`--quiet`): only counts, what blocks (each with what /
    where / fix), warnings about dead config, the cost total and the verdict."""
    from .json_report import to_json

    report = to_json(run, packs, findings, unused=unused)
    lines = [f"Previewing update ({run.stack}) offline, {MODE_TEXT.get(run.mode, run.mode)}:", "",
             "     Type                                                    Name",
             f" +   pulumi:pulumi:Stack                                     {run.project}-{run.stack}"]
    if verbose and not quiet:
        lines += _tree(run)
    lines += ["", "Resources:", f"    + {len(run.resources)} to create"]
    for cloud, types in counts(run).items():
        lines.append(f"      {cloud}: {sum(types.values())}")
    if run.outputs and not quiet:
        lines += ["", "Outputs:"]
        for k, v in sorted(run.outputs.items()):
            lines.append(f"    {k}: {clip(json.dumps(v, sort_keys=True), 200)}")
    guards = (run.outputs or {}).get("edge_guards")
    if isinstance(guards, dict) and guards and not quiet:
        lines += ["", "Edge guards (refused even when DNS is bypassed):"]
        lines += [f"    {cell} ({g.get('residency', '')}): {' '.join(g.get('refused_countries') or []) or 'none'}"
                  for cell, g in sorted(guards.items())]
    lines += approval_banner_text(report)
    lines += _policy_text(packs, report, quiet)
    lines += _apply_text(report, quiet)
    if report.get("unused_exemptions"):
        lines += ["", f"Warnings: {len(report['unused_exemptions'])} exemption(s) match nothing"]
        lines += unused_exemption_lines(report)
    from ..pricing import cost_text
    section = cost_section(run)
    cost = cost_text(section) if section else ""
    if quiet and cost:  # the total, the part of it at unverified prices, and what is not priced
        cost = "\n".join(cost.splitlines()[:2] + [l for l in cost.splitlines()
                                                  if l.startswith(("    of which", "    not priced"))]) + "\n"
    return "\n".join(lines) + "\n" + cost + "\n" + verdict(report, warnings_as_errors) + "\n"


def _apply_text(report: dict, quiet: bool) -> list[str]:
    findings = report.get("apply", [])
    if not findings:
        return []
    open_ = [f for f in findings if not f.get("exempted")]
    lines = ["", f"Apply checks: {sum(f['level'] == 'error' for f in open_)} error(s), "
                 f"{sum(f['level'] == 'warning' for f in open_)} warning(s), {len(findings) - len(open_)} exempted"]
    for f in findings:
        if f.get("exempted"):
            # An exemption is a decision the reviewer sees, quiet or not (one line when quiet).
            lines.append(f"    - [exempted] {f['rule']} ({where(f['urn'])})"
                         + (f": exempted: {clip(f['exempted'], 160)}" if quiet else ""))
            if not quiet:
                lines.append(f"        what:  {clip(f['message'])}")
                lines.append(f"        exempted: {clip(f['exempted'])}")
            continue
        if quiet and f["level"] != "error":
            continue
        lines += text_block("apply", f, f["rule"])
    return lines


def _policy_text(packs: list[PackResult], report: dict, quiet: bool) -> list[str]:
    if not packs:
        return []
    lines = ["", "Policies:"]
    entries = report.get("policy", [])
    for p in packs:
        bad = [d for d in p.diagnostics if d.level == "mandatory"]
        mark = "FAIL" if bad else "ok"
        lines.append(f"    {mark:4} {p.pack}@v{p.version} ({len(p.policies)} policies, {p.analyzed} resources)")
        for e in entries:
            if e["pack"] != p.pack or is_approval(e) or (quiet and e["level"] != "mandatory"):
                continue
            lines += text_block("policy", e, e["policy"], indent="        ")
    return lines
