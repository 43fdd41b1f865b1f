"""What a review diff (and an all-stacks preview) prints: text for the terminal, Markdown for the
pull-request comment (every stack fits in one: a comment holds 65,536 characters).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .match import urn_name
from .model import Change, StackDiff, mandatory_count

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
    """What to act on in the head's report: each finding with what / where / fix."""
    from ..report.findings import approval_banner_md, markdown_rows

    if not report:
        return []
    return approval_banner_md(report) + markdown_rows(report)


def _apply_alert_rows(d: StackDiff) -> list[str]:
    from ..report.findings import apply_fix, clip, md, where

    if not d.apply_alerts:
        return []
    lines = ["", "> [!CAUTION]", f"> **{len(d.apply_alerts)} record(s) switch Route 53 routing policy on their name**: "
             "the apply stops halfway.", "", "| level | rule | what | where | fix |", "|---|---|---|---|---|"]
    for f in d.apply_alerts:
        lines.append(f"| apply {f['level']} | `{f['rule']}` | {md(clip(f['message']))} | `{md(where(f['urn']))}` "
                     f"| {md(clip(apply_fix(f)))} |")
    return lines


# Risk first: what touches live resources is never cut from a PR comment.
RISK = {"replace": 0, "delete": 1, "update": 2, "create": 3}
VALUE_ROWS = 4  # old -> new pairs per change in the Markdown table (the JSON has up to 12)


def by_risk(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (RISK[c.op], not c.alert, c.type, c.name))


def _value(v) -> str:
    import json

    from ..report.findings import clip

    return clip(json.dumps(v, sort_keys=True, default=str) if not isinstance(v, str) else v, 60)


def value_lines(c: Change) -> list[str]:
    return [f"{v['path']}: {_value(v['old'])} -> {_value(v['new'])}" for v in c.values]


def component_of(urn: str, resources: dict[str, dict]) -> str:
    """The top-level component a resource belongs to (`type name`), or `(stack)`."""
    cur, top = resources.get(urn), None
    seen = set()
    while cur is not None and cur.get("parent") in resources and cur["urn"] not in seen:
        seen.add(cur["urn"])
        top = resources[cur["parent"]]
        cur = top
    return f"{top['type']} {top['name']}" if top else "(stack)"


def create_groups(d: StackDiff) -> list[tuple[str, list[Change]]]:
    resources = {r["urn"]: r for r in (d.head or {}).get("resources", [])}
    groups: dict[str, list[Change]] = {}
    for c in d.changes:
        if c.op == "create":
            groups.setdefault(component_of(c.urn, resources), []).append(c)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def _routing_lines(d: StackDiff) -> list[str]:
    from ..report.routing import routing_change

    return routing_change(d.base_routing, (d.head or {}).get("routing")) if not d.base_missing else []


def diff_text(d: StackDiff) -> str:
    from ..report.findings import text_block, verdict

    lines = [f"Offline diff ({d.stack}) against {d.base_ref}:"]
    if d.error:
        return "\n".join(lines + [f"    error: {d.error}"]) + "\n"
    if d.base_missing:
        lines.append("    (new stack: it does not exist at the base)")
    marks = {"create": "+", "delete": "-", "replace": "+-", "update": "~"}
    for c in by_risk([c for c in d.changes if c.op != "create"]):
        flag = "  <-- STATEFUL " + c.op.upper() if c.alert else ""
        keys = f" [{', '.join(c.keys)}]" if c.keys else ""
        why = f" ({c.reason})" if c.reason else ""
        lines.append(f"  {marks[c.op]:>2} {c.type:<50} {c.name}{keys}{why}{flag}")
        lines += [f"         {v}" for v in value_lines(c)]
    for component, creates in create_groups(d):
        lines.append(f"   + {component}: {len(creates)} to create")
        lines += [f"      + {c.type:<48} {c.name}" for c in creates]
    for old, new in d.renamed:
        lines.append(f"     renamed by alias: {urn_name(old)} -> {urn_name(new)}")
    lines.append("Resources: " + ", ".join(f"{d.count(op)} to {op}" for op in ("create", "update", "replace", "delete"))
                 + f", {d.unchanged} unchanged")
    routing = _routing_lines(d)
    if routing:
        lines += ["Routing (who is served by which cell), before -> after:"] + [f"    {r}" for r in routing]
    if d.alerts:
        lines += ["", f"!! {len(d.alerts)} stateful resource(s) would be deleted or replaced (data, keys or "
                      "identity lost). Add an alias that keeps the URN (ResourceOptions(aliases=[...])) or "
                      "revert the change:"]
        lines += [f"!!   {c.op}: {c.type} {c.name} ({c.urn})" for c in d.alerts]
    if d.head and d.head.get("packs"):
        lines.append(f"Policies: {_pack_verdicts(d.head)}")
        for diag in d.head["policy"]:
            if diag.get("policy") != "residency-exception-approved":
                lines += text_block("policy", diag, f"{diag['pack']}/{diag['policy']}")
    for f in [*d.apply_alerts, *(d.head or {}).get("apply", [])]:
        if not f.get("exempted"):
            lines += text_block("apply", f, f["rule"])
    from ..pricing import change_text
    tail = [diff_verdict(d)]
    return "\n".join(lines) + "\n" + change_text(d.cost) + "\n".join(tail) + ("\n" if tail else "")


def diff_verdict(d: StackDiff) -> str:
    """One line: the head's verdict, failed too by a stateful delete or replace."""
    from ..report.findings import verdict

    head = verdict(d.head) if d.head else "Verdict: PASS: the stack is removed"
    why = []
    if d.alerts:
        why.append(f"{len(d.alerts)} stateful resource(s) deleted or replaced (keep the URN with an alias or revert)")
    if d.apply_alerts:
        why.append(f"{len(d.apply_alerts)} record(s) switch routing policy on their name (Route 53 refuses it)")
    if not why:
        return head
    return f"Verdict: FAIL: {'; '.join(why)}; {head.split(': ', 2)[-1]}"


def _live_rows(d: StackDiff) -> list[str]:
    """Every replace, delete and update, risk first, with old -> new values: never cut."""
    live = by_risk([c for c in d.changes if c.op != "create"])
    if not live:
        return []
    from ..report.findings import md

    lines = ["", f"**{len(live)} change(s) to live resources** (replace, delete, update):", "",
             "| op | type | name | old → new | why |", "|---|---|---|---|---|"]
    for c in live:
        vals = value_lines(c)
        shown = "<br>".join(f"`{md(v)}`" for v in vals[:VALUE_ROWS])
        if len(vals) > VALUE_ROWS:
            shown += f"<br>… {len(vals) - VALUE_ROWS} more (JSON report)"
        lines.append(f"| {c.op}{' ⚠' if c.alert else ''} | `{c.type}` | `{c.name}` "
                     f"| {shown or ', '.join(f'`{k}`' for k in c.keys)} | {_md(c.reason)} |")
    return lines


def _create_rows(d: StackDiff) -> list[str]:
    groups = create_groups(d)
    if not groups:
        return []
    from collections import Counter

    lines = ["", f"<details><summary>{d.count('create')} resource(s) to create, per component</summary>", "",
             "| component | to create | types |", "|---|---:|---|"]
    for component, creates in groups[:MARKDOWN_ROWS]:
        kinds = Counter(c.type for c in creates)
        lines.append(f"| `{component}` | {len(creates)} | "
                     + ", ".join(f"`{t}` ×{n}" if n > 1 else f"`{t}`" for t, n in kinds.most_common(6))
                     + (" …" if len(kinds) > 6 else "") + " |")
    if len(groups) > MARKDOWN_ROWS:
        lines.append(f"| … {len(groups) - MARKDOWN_ROWS} more component(s) | "
                     f"{sum(len(c) for _, c in groups[MARKDOWN_ROWS:])} | see the JSON report |")
    return lines + ["", "</details>"]


def diff_markdown(diffs: list[StackDiff]) -> str:
    bad = [d for d in diffs if d.error or d.alerts or d.mandatory or d.apply_alerts]
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
        lines += _apply_alert_rows(d)
        if d.changes:
            lines += [f"", f"{len(d.changes)} change(s), {d.unchanged} unchanged."]
            lines += _live_rows(d) + _create_rows(d)
        else:
            lines += ["", f"No changes ({d.unchanged} resources unchanged)."]
        routing = _routing_lines(d)
        if routing:
            lines += ["", "**Routing** (who is served by which cell), before → after:", ""]
            lines += [f"- {_md(r)}" for r in routing]
        if d.renamed:
            lines += ["", "Renamed with an alias (no replacement): "
                      + ", ".join(f"`{urn_name(a)}` → `{urn_name(b)}`" for a, b in d.renamed[:20])]
        lines += _policy_details(d.head) + ["", f"**{diff_verdict(d)}**"]
        from ..pricing import change_markdown
        lines += change_markdown(d.cost)
    return "\n".join(lines) + "\n"


# How each mode of the offline engine is named in reports (offline/engine.py run_stack).
_MODES = {"dry-run": "dry run (a first `pulumi preview`: computed outputs unknown; packs)",
          "assume-applied": "assume-applied (every output known; packs, apply checks, cost)"}


def preview_markdown(runs: list[tuple[str, SideRun]], mode: str = "assume-applied") -> str:
    from ..cloud_facts import ORDER

    bad = [s for s, r in runs if r.error or r.missing or mandatory_count(r.report)]
    columns = (*ORDER, "kubernetes")  # resources per cloud plugin (registry order), then in-cluster objects
    status = "❌ needs attention" if bad else "✅ clean"
    lines = [f"## Offline preview of {len(runs)} stack(s), {_MODES.get(mode, mode)} — {status}", "",
             f"| stack | resources | {' | '.join(columns)} | policy |", "|---|---:|" + "---:|" * len(columns) + "---|"]
    for stack, run in runs:
        if run.report is None:
            lines.append(f"| `{stack}` | |{' |' * len(columns)} ❌ {'missing' if run.missing else 'error'} |")
            continue
        per_cloud = {c: sum(t.values()) for c, t in run.report.get("counts", {}).items()}
        lines.append(f"| `{stack}` | {len(run.report['resources'])} | "
                     + " | ".join(str(per_cloud.get(c, 0)) for c in columns)
                     + f" | {_pack_verdicts(run.report)} |")
    for stack, run in runs:
        if run.error:
            lines += ["", f"### `{stack}`", "", f"❌ the offline run failed — {_md(run.error)}"]
        elif run.report:
            from ..report.findings import verdict

            lines += ["", f"### `{stack}`"] + _policy_details(run.report) + ["", f"**{verdict(run.report)}**"]
    from ..pricing import cost_markdown  # the monthly estimate of each stack
    lines += [f"\n### `{stack}`\n" + cost_markdown(run.report["cost"]) for stack, run in runs
              if run.report and run.report.get("cost")]
    return "\n".join(lines) + "\n"
