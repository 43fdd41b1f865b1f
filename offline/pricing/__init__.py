"""Cost estimate of a stack: monthly on-demand list price per cell, per type, and its change per PR.

    cost_section(resources, usage)   -> the report's "cost" section (model.estimate)
    cost_text / cost_markdown        -> the preview's text and Markdown parts
    cost_change(base, head)          -> the review diff's monthly change per stack and per cell

The catalog (`catalog.json`) holds the prices, their units, sources and date; `usage.yaml` (or a
stack's `platform:usage`) holds the usage the usage-driven lines assume; `refresh.py` rebuilds
the catalog from the providers' public price-list APIs.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional

from .catalog import HOURLY_UNITS, load_catalog
from .model import estimate
from .usage import ConfigError, Usage, load_usage

__all__ = ["estimate", "load_usage", "Usage", "ConfigError", "cost_section", "cost_of_run", "cost_text",
           "cost_markdown", "cost_change", "stack_usage", "change_text", "change_markdown", "over_limit", "money"]


def money(value: float, sign: bool = False) -> str:
    text = f"${abs(value):,.2f}"
    if sign:
        return ("+" if value >= 0 else "-") + text
    return ("-" if value < 0 else "") + text


def cost_section(resources: list[dict], usage: Optional[Usage] = None) -> dict:
    return estimate(resources, usage)


def cost_of_run(run, project_root: Optional[Path] = None, usage: Optional[Usage] = None) -> dict:
    """The cost section of a StackRun (usage from `project_root`'s usage.yaml and the stack config)."""
    if usage is None:
        usage = load_usage(run.stack, project_root, run.config)
    return estimate([r.report() for r in run.resources], usage, config=run.config)


def cost_text(cost: dict) -> str:
    lines = ["", f"Cost (monthly, on-demand list prices of {cost['catalog_date']}, {cost['currency']}): "
                 f"{money(cost['monthly'])}"]
    lines += _unverified_line(cost) + _estimated_line(cost)
    for cell, value in cost["by_cell"].items():
        lines.append(f"    {cell:<28} {money(value):>12}")
    if cost["unpriced"]:
        kinds = Counter(u["type"] for u in cost["unpriced"])
        lines.append(f"    not priced: " + ", ".join(f"{t} ({n})" for t, n in sorted(kinds.items())))
    lines += [f"    note: {n}" for n in cost.get("notes") or []]
    return "\n".join(lines) + "\n"


def _unverified_line(cost: dict) -> list[str]:
    """The part of the total at prices not checked against a price API (catalog `verification`)."""
    un = cost.get("unverified") or {}
    if not un.get("monthly"):
        return []
    return [f"    of which {money(un['monthly'])} at unverified prices ({', '.join(un['regions'])}: not checked "
            f"against the price API)"]


def _estimated_line(cost: dict) -> list[str]:
    """The part of the total at prices estimated from another region's (catalog `estimates`)."""
    est = cost.get("estimated") or {}
    if not est.get("monthly"):
        return []
    pairs = ", ".join(f"{region} at {source}'s prices" for region, source in est["regions"].items())
    return [f"    of which {money(est['monthly'])} estimated ({pairs}: no published price recorded for the region)"]


def cost_markdown(cost: dict) -> str:
    lines = ["", f"#### Cost: {money(cost['monthly'])}/month", "",
             f"On-demand list prices of {cost['catalog_date']} ({cost['currency']}); usage-driven lines assume "
             "`usage.yaml`."]
    lines += [f"**{l.strip()}**" for l in _unverified_line(cost) + _estimated_line(cost)]
    lines += ["", "| cell | monthly | biggest items |", "|---|---:|---|"]
    items: dict[str, Counter] = defaultdict(Counter)
    for line in cost["lines"]:
        items[line["cell"]][line["label"]] += line["monthly"]
    for cell, value in cost["by_cell"].items():
        top = ", ".join(f"{label} {money(v)}" for label, v in items[cell].most_common(3))
        lines.append(f"| `{cell}` | {money(value)} | {top} |")
    lines.append(f"| **total** | **{money(cost['monthly'])}** | |")
    if cost["unpriced"]:
        lines += ["", "Not priced: " + ", ".join(f"`{u['type']}` `{u['name']}` ({u['reason']})" for u in cost["unpriced"])]
    lines += [f"- {n}" for n in cost.get("notes") or []]
    return "\n".join(lines) + "\n"


# --- the change a PR makes -------------------------------------------------------------------------

def _plural(label: str, n: float) -> str:
    if abs(n - 1) < 0.005 or label.endswith("s") or "(" in label:
        return label
    return label + "s"


def _counted(lines: list[dict]) -> Counter:
    """(cell, label) -> how many of it the fixed lines hold (gateways, nodes, keys, checks...).

    Hourly lines count instances (hours / hours per month); per-month lines their quantity;
    storage sizes and usage-driven lines are left out (their money still counts in the delta)."""
    hours = load_catalog().hours_per_month
    out: Counter = Counter()
    for line in lines:
        unit = line["unit"]
        if line["usage"] or unit.startswith("GB") or unit.startswith("million"):
            continue
        n = line["quantity"] / hours if unit in HOURLY_UNITS else 1 if unit == "year" else line["quantity"]
        out[(line["cell"], line["label"])] += n
    return out


def _count(n: float) -> str:
    return str(int(round(n))) if abs(n - round(n)) < 0.005 else f"{n:.2f}"


def cost_change(base: Optional[dict], head: Optional[dict]) -> Optional[dict]:
    """Monthly change from the base report's cost to the head's, per stack and per cell, with what changed."""
    if head is None and base is None:
        return None
    b, h = _cost_of(base), _cost_of(head)
    cells = sorted(set(b["by_cell"]) | set(h["by_cell"]))
    before, after = _counted(b["lines"]), _counted(h["lines"])
    by_cell = {}
    for cell in cells:
        delta = round(h["by_cell"].get(cell, 0.0) - b["by_cell"].get(cell, 0.0), 2)
        what = []
        for (c, label) in sorted(set(before) | set(after)):
            if c != cell:
                continue
            n = after[(c, label)] - before[(c, label)]
            if abs(n) >= 0.005:
                what.append(f"{'+' if n > 0 else '-'}{_count(abs(n))} {_plural(label, abs(n))}")
        if delta or what:
            by_cell[cell] = {"before": b["by_cell"].get(cell, 0.0), "after": h["by_cell"].get(cell, 0.0),
                             "delta": delta, "what": what}
    delta = round(h["monthly"] - b["monthly"], 2)
    what = [w for c in by_cell.values() for w in c["what"]]
    return {"currency": h.get("currency", "USD"), "before": b["monthly"], "after": h["monthly"], "delta": delta,
            "by_cell": by_cell, "summary": f"{money(delta, sign=True)}/month" + (f": {', '.join(what)}" if what else ""),
            "unpriced_types": h.get("unpriced_types", []), "catalog_date": h.get("catalog_date")}


def _cost_of(report: Optional[dict]) -> dict:
    if report is None:  # the stack does not exist on this side
        return {"monthly": 0.0, "by_cell": {}, "lines": [], "currency": "USD"}
    return report.get("cost") or estimate(report.get("resources", []))


def stack_usage(stack: str, project=None) -> Usage:
    """The usage assumptions of `stack` (usage.yaml, platform:usage): checked before the program runs."""
    from ..project import load_project, stack_config

    project = project or load_project()
    config, _ = stack_config(project, stack)
    return load_usage(stack, project.root, config)


def change_text(change: Optional[dict]) -> str:
    if not change:
        return ""
    lines = [f"Cost: {change['summary']} ({money(change['before'])} -> {money(change['after'])})"]
    for cell, c in change["by_cell"].items():
        lines.append(f"    {cell:<28} {money(c['delta'], sign=True):>12}/month"
                     + (f": {', '.join(c['what'])}" if c["what"] else ""))
    return "\n".join(lines) + "\n"


def change_markdown(change: Optional[dict]) -> list[str]:
    if not change:
        return []
    lines = ["", f"**Cost:** {change['summary']} ({money(change['before'])} → {money(change['after'])})"]
    if change["by_cell"]:
        lines += ["", "| cell | before | after | change | what |", "|---|---:|---:|---:|---|"]
        for cell, c in change["by_cell"].items():
            lines.append(f"| `{cell}` | {money(c['before'])} | {money(c['after'])} | {money(c['delta'], sign=True)} "
                         f"| {', '.join(c['what'])} |")
    return lines


def over_limit(changes: list[tuple[str, Optional[dict]]], limit: Optional[float]) -> list[str]:
    """Messages for every stack whose monthly cost rises by more than `limit`."""
    if limit is None:
        return []
    return [f"{stack}: monthly cost rises by {money(c['delta'])} ({c['summary']}), above --max-monthly-increase "
            f"{money(limit)}" for stack, c in changes if c and c["delta"] > limit]
