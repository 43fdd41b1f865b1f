"""What a review diff (and an all-stacks preview) prints: text for the terminal, Markdown for the
pull-request comment (every stack fits in one: a comment holds 65,536 characters).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .match import urn_name
from .model import StackDiff, mandatory_count

if TYPE_CHECKING:
    from .sides import SideRun

MARKDOWN_ROWS = 60  # changes listed per stack in the Markdown report (a PR comment holds 65,536 chars)


def _pack_verdicts(report: Optional[dict]) -> str:
    if not report or not report.get("packs"):
        return "—"
    out = []
    for p in report["packs"]:
        bad = sum(1 for d in report["policy"] if d["pack"] == p["pack"] and d["level"] == "mandatory")
        out.append(f"{p['pack']} {'❌ ' + str(bad) if bad else '✅'}")
    return ", ".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _policy_details(report: Optional[dict]) -> list[str]:
    diags = (report or {}).get("policy", [])
    if not diags:
        return []
    lines = ["", "<details><summary>Policy diagnostics</summary>", "",
             "| level | pack | policy | resource | message |", "|---|---|---|---|---|"]
    for d in diags:
        lines.append(f"| {d['level']} | {d['pack']} | {d['policy']} | `{d['urn'].split('::')[-1]}` "
                     f"| {_md(d['message'].strip())[:300]} |")
    return lines + ["", "</details>"]


def diff_text(d: StackDiff) -> str:
    lines = [f"Offline diff ({d.stack}) against {d.base_ref}:"]
    if d.error:
        return "\n".join(lines + [f"    error: {d.error}"]) + "\n"
    if d.base_missing:
        lines.append("    (new stack: it does not exist at the base)")
    marks = {"create": "+", "delete": "-", "replace": "+-", "update": "~"}
    for c in d.changes:
        flag = "  <-- STATEFUL " + c.op.upper() if c.alert else ""
        keys = f" [{', '.join(c.keys)}]" if c.keys else ""
        why = f" ({c.reason})" if c.reason else ""
        lines.append(f"  {marks[c.op]:>2} {c.type:<50} {c.name}{keys}{why}{flag}")
    for old, new in d.renamed:
        lines.append(f"     renamed by alias: {urn_name(old)} -> {urn_name(new)}")
    lines.append("Resources: " + ", ".join(f"{d.count(op)} to {op}" for op in ("create", "update", "replace", "delete"))
                 + f", {d.unchanged} unchanged")
    if d.alerts:
        lines += ["", f"!! {len(d.alerts)} stateful resource(s) would be deleted or replaced (data, keys or "
                      "identity lost). Add an alias that keeps the URN (ResourceOptions(aliases=[...])) or "
                      "revert the change:"]
        lines += [f"!!   {c.op}: {c.type} {c.name} ({c.urn})" for c in d.alerts]
    if d.head and d.head.get("packs"):
        lines.append(f"Policies: {_pack_verdicts(d.head)}")
        for diag in d.head["policy"]:
            lines.append(f"    - [{diag['level']}] {diag['pack']}/{diag['policy']} ({diag['urn'].split('::')[-1]})")
    from ..pricing import change_text  # issue #23
    return "\n".join(lines) + "\n" + change_text(d.cost)


def diff_markdown(diffs: list[StackDiff]) -> str:
    bad = [d for d in diffs if d.error or d.alerts or d.mandatory]
    status = "❌ needs attention" if bad else "✅ clean"
    base = diffs[0].base_ref if diffs else ""
    lines = [f"## Offline review diff against `{base[:12]}` — {status}", "",
             "| stack | resources | create | update | replace | delete | stateful ⚠ | policy |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for d in diffs:
        if d.error:
            lines.append(f"| `{d.stack}` | | | | | | | ❌ error |")
            continue
        total = len(d.head["resources"]) if d.head else 0
        lines.append(f"| `{d.stack}` | {total} | {d.count('create')} | {d.count('update')} | {d.count('replace')} "
                     f"| {d.count('delete')} | {'**' + str(len(d.alerts)) + '**' if d.alerts else 0} "
                     f"| {_pack_verdicts(d.head)} |")
    for d in diffs:
        lines += ["", f"### `{d.stack}`"]
        if d.error:
            lines += ["", f"❌ the offline run failed — {_md(d.error)}"]
            continue
        if d.base_missing:
            lines += ["", "New stack (absent at the base)."]
        if d.alerts:
            lines += ["", f"> [!CAUTION]", f"> **{len(d.alerts)} stateful resource(s) deleted or replaced** — "
                      "data, key material or identity is lost. Keep the URN with an alias or revert."]
            lines += [f"> - **{c.op}** `{c.type}` `{c.name}`" for c in d.alerts]
        if d.changes:
            lines += ["", f"<details><summary>{len(d.changes)} change(s), {d.unchanged} unchanged</summary>", "",
                      "| op | type | name | changed inputs | why |", "|---|---|---|---|---|"]
            # Stateful alerts first; the table is capped so that every stack fits in one PR comment.
            shown = sorted(d.changes, key=lambda c: not c.alert)[:MARKDOWN_ROWS]
            for c in shown:
                lines.append(f"| {c.op}{' ⚠' if c.alert else ''} | `{c.type}` | `{c.name}` "
                             f"| {', '.join(f'`{k}`' for k in c.keys)} | {_md(c.reason)} |")
            if len(d.changes) > len(shown):
                lines.append(f"| … | {len(d.changes) - len(shown)} more | | | see the JSON report |")
            lines += ["", "</details>"]
        else:
            lines += ["", f"No changes ({d.unchanged} resources unchanged)."]
        if d.renamed:
            lines += ["", "Renamed with an alias (no replacement): "
                      + ", ".join(f"`{urn_name(a)}` → `{urn_name(b)}`" for a, b in d.renamed[:20])]
        lines += _policy_details(d.head)
        from ..pricing import change_markdown  # issue #23
        lines += change_markdown(d.cost)
    return "\n".join(lines) + "\n"


# How each mode of the offline engine is named in reports (offline/engine.py run_stack).
_MODES = {"dry-run": "dry run (a first `pulumi preview`: computed outputs unknown; packs)",
          "assume-applied": "assume-applied (every output known; packs, apply checks, cost)"}


def preview_markdown(runs: list[tuple[str, SideRun]], mode: str = "assume-applied") -> str:
    bad = [s for s, r in runs if r.error or r.missing or mandatory_count(r.report)]
    status = "❌ needs attention" if bad else "✅ clean"
    lines = [f"## Offline preview of {len(runs)} stack(s), {_MODES.get(mode, mode)} — {status}", "",
             "| stack | resources | aws | gcp | azure | kubernetes | policy |", "|---|---:|---:|---:|---:|---:|---|"]
    for stack, run in runs:
        if run.report is None:
            lines.append(f"| `{stack}` | | | | | | ❌ {'missing' if run.missing else 'error'} |")
            continue
        per_cloud = {c: sum(t.values()) for c, t in run.report.get("counts", {}).items()}
        lines.append(f"| `{stack}` | {len(run.report['resources'])} | "
                     + " | ".join(str(per_cloud.get(c, 0)) for c in ("aws", "gcp", "azure", "kubernetes"))
                     + f" | {_pack_verdicts(run.report)} |")
    for stack, run in runs:
        if run.error:
            lines += ["", f"### `{stack}`", "", f"❌ the offline run failed — {_md(run.error)}"]
        elif run.report and run.report.get("policy"):
            lines += ["", f"### `{stack}`"] + _policy_details(run.report)
    from ..pricing import cost_markdown  # issue #23: the monthly estimate of each stack
    lines += [f"\n### `{stack}`\n" + cost_markdown(run.report["cost"]) for stack, run in runs
              if run.report and run.report.get("cost")]
    return "\n".join(lines) + "\n"
