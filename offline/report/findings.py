"""What a reviewer acts on, the same in every form of the report: each finding says what is wrong
(the value), where (the resource) and how to fix it, one line each; then one verdict line.

Everything here works on the JSON report's entries (`policy`, `apply`, ...), so the preview, the
all-stacks preview and the review diff (which only hold JSON reports) render findings alike.

- A policy diagnostic's message is CrossGuard's: the policy description, then the finding
  (pulumi_policy's report_violation joins them with a newline). The finding is the "what"; the
  pack's `remediation_steps` of that policy is the fix.
- An apply finding (offline/apply) carries its rule's fix: the stack setting to change when
  there is one (e.g. `platform:deployer.azure_object_id`).
- `residency-exception-approved` diagnostics are approved residency exceptions the stack relies
  on: every form shows them as a banner, not as a finding to fix.
"""
from __future__ import annotations

from typing import Iterable, Optional

ELLIPSIS = "…"
APPROVED_POLICY = "residency-exception-approved"
WIDTH = 300  # characters of one line of a finding (Markdown cell, text line)


def clip(text: object, limit: int = WIDTH) -> str:
    """One line of at most `limit` characters; a cut-off value ends with an ellipsis."""
    one = " ".join(str(text if text is not None else "").split())
    return one if len(one) <= limit else one[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def resource_of(urn: str) -> dict:
    """{"name", "type"} of a URN (`urn:pulumi:stack::project::parent$type::name`); stack-level: empty."""
    if not urn or "::" not in urn:
        return {"name": "", "type": ""}
    parts = urn.split("::")
    return {"name": parts[-1], "type": parts[-2].rsplit("$", 1)[-1] if len(parts) >= 2 else ""}


def where(urn: str) -> str:
    r = resource_of(urn)
    return f"{r['type']} {r['name']}".strip() if r["name"] else "the stack"


def policy_entry(d, policies: Iterable[dict]) -> dict:
    """A pack diagnostic as a JSON report entry: the contract's keys (pack, policy, urn, level,
    message) and what a reviewer reads (finding, description, remediation, resource)."""
    meta = next((p for p in policies if p.get("name") == d.policy), {})
    description = d.description or meta.get("description", "")
    message = (d.message or "").strip()
    finding = message
    if description and message.startswith(description):
        finding = message[len(description):].strip() or description
    return {**d.report(), "finding": finding, "description": description,
            "remediation": meta.get("remediation") or "", "resource": resource_of(d.urn)}


def _finding_text(entry: dict) -> str:
    """The "what" of a policy entry, from the extended keys or (older reports) the raw message."""
    if entry.get("finding"):
        return entry["finding"]
    lines = (entry.get("message") or "").strip().splitlines()
    return " ".join(lines[1:]) if len(lines) > 1 else (lines[0] if lines else "")


def policy_fix(entry: dict) -> str:
    return entry.get("remediation") or "see the policy's description in the pack"


def apply_fix(entry: dict) -> str:
    return entry.get("fix") or "see the rule in offline/apply"


def is_approval(entry: dict) -> bool:
    return entry.get("policy") == APPROVED_POLICY


def violations(report: dict, levels: tuple[str, ...] = ("mandatory", "advisory")) -> list[dict]:
    return [d for d in report.get("policy", []) if d.get("level") in levels and not is_approval(d)]


def approvals(report: dict) -> list[str]:
    """The approved residency exceptions the stack relies on (one line each)."""
    return [clip(_finding_text(d)) for d in report.get("policy", []) if is_approval(d)]


def open_apply(report: dict, level: Optional[str] = None) -> list[dict]:
    return [f for f in report.get("apply", []) if not f.get("exempted") and (level is None or f["level"] == level)]


def text_block(kind: str, entry: dict, name: str, indent: str = "    ") -> list[str]:
    """Four lines: the heading, then what / where / fix (one line each)."""
    what = _finding_text(entry) if kind == "policy" else entry.get("message", "")
    fix = policy_fix(entry) if kind == "policy" else apply_fix(entry)
    return [f"{indent}- [{entry['level']}] {name}",
            f"{indent}    what:  {clip(what)}",
            f"{indent}    where: {clip(where(entry.get('urn', '')) + ' (' + entry.get('urn', '') + ')' if entry.get('urn') else 'the stack')}",
            f"{indent}    fix:   {clip(fix)}"]


def md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_rows(report: dict) -> list[str]:
    """The findings to act on as one table (policy violations, then open apply findings)."""
    rows = []
    for d in violations(report, ("mandatory",)) + violations(report, ("advisory",)):
        rows.append(f"| {d['level']} | `{d['pack']}/{d['policy']}` | {md(clip(_finding_text(d)))} "
                    f"| `{md(where(d.get('urn', '')))}` | {md(clip(policy_fix(d)))} |")
    for f in open_apply(report, "error") + open_apply(report, "warning"):
        rows.append(f"| apply {f['level']} | `{f['rule']}` | {md(clip(f.get('message', '')))} "
                    f"| `{md(where(f.get('urn', '')))}` | {md(clip(apply_fix(f)))} |")
    if not rows:
        return []
    return ["", "| level | rule | what | where | fix |", "|---|---|---|---|---|", *rows]


def approval_banner_md(report: dict) -> list[str]:
    items = approvals(report)
    if not items:
        return []
    return ["", "> [!WARNING]", f"> **{len(items)} approved residency exception(s) in force**: traffic of a strict "
            "zone may be served outside it while its cells are unhealthy."] + [f"> - {md(i)}" for i in items]


def approval_banner_text(report: dict) -> list[str]:
    items = approvals(report)
    if not items:
        return []
    return ["", f"!! {len(items)} approved residency exception(s) in force (a strict zone's traffic may be served "
                "outside it while its cells are unhealthy):"] + [f"!!   {i}" for i in items]


def unused_exemption_lines(report: dict, indent: str = "    ") -> list[str]:
    out = []
    for e in report.get("unused_exemptions", []):
        out.append(f"{indent}- platform:apply_exemptions {{rule: {e['rule']}, resource: {e['resource']}}} matches "
                   f"no finding: remove it (dead config hides the next real finding of that rule)")
    return out


def verdict(report: dict, warnings_as_errors: bool = False) -> str:
    """One line: PASS or FAIL and why."""
    mandatory = len(violations(report, ("mandatory",)))
    errors = len(open_apply(report, "error"))
    warnings = len(open_apply(report, "warning"))
    exempted = sum(1 for f in report.get("apply", []) if f.get("exempted"))
    blocking = mandatory + errors + (warnings if warnings_as_errors else 0)
    parts = [f"{mandatory} mandatory policy violation(s)", f"{errors} apply error(s)", f"{warnings} apply warning(s)"]
    notes = []
    if exempted:
        notes.append(f"{exempted} apply finding(s) exempted")
    if report.get("unused_exemptions"):
        notes.append(f"{len(report['unused_exemptions'])} unused exemption(s)")
    if approvals(report):
        notes.append(f"{len(approvals(report))} approved residency exception(s)")
    tail = f" ({', '.join(notes)})" if notes else ""
    if blocking:
        return f"Verdict: FAIL: {', '.join(parts)}{tail}; fix each as its 'fix' line says"
    return f"Verdict: PASS: {', '.join(parts)}{tail}"
