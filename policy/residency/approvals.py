"""The repository's approved residency exceptions: `approvals.json` beside the pack, read by every
policy of the pack (one entry per approval).

The file is also a valid `--policy-pack-config` (the Pulumi CLI's per-policy form), so passing it
as before still works:

    {"residency-exception-approved": {"exceptions": [{zone, fallback_cell, reason, approver, expires}]}}

The older form, the same entry repeated under `residency-dns-in-zone`, `residency-exception-approved`
and `residency-edge-guard`, is still read: the entries of every policy key are merged, duplicates
once. Whatever the CLI passes as a policy's own config comes first; the file's approvals are added
to every policy, so an approval is written once and no policy can miss it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional

APPROVALS = Path(__file__).resolve().parent / "approvals.json"


def approved_exceptions(path: Optional[Path] = None) -> tuple[list[Any], list[str]]:
    """(exception entries, problems reading the file). A missing file: no approvals."""
    path = path or APPROVALS
    if not path.is_file():
        return [], []
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        return [], [f"{path.name}: not readable JSON ({e})"]
    if not isinstance(doc, Mapping):
        return [], [f"{path.name}: expected an object of policy name -> {{exceptions: [...]}}"]
    out: list[Any] = []
    for key, value in doc.items():
        entries = value.get("exceptions") if isinstance(value, Mapping) else None
        if entries is None:
            continue
        if not isinstance(entries, list):
            return [], [f"{path.name}: {key}.exceptions: expected a list"]
        out += entries
    return _unique(out), []


def _unique(entries: list[Any]) -> list[Any]:
    seen, out = set(), []
    for e in entries:
        key = json.dumps(e, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def with_approvals(config: Mapping[str, Any], path: Optional[Path] = None) -> tuple[dict, list[str]]:
    """A policy's config with the file's approvals added to its `exceptions` (once each)."""
    approved, problems = approved_exceptions(path)
    merged = dict(config or {})
    merged["exceptions"] = _unique(list(merged.get("exceptions") or []) + approved)
    return merged, problems
