"""What a review diff is: one Change per resource that differs, a StackDiff per stack.

`StackDiff.to_json` is the JSON report of `python -m offline diff --json` (a contract: its keys
are only ever extended).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Optional


class DiffError(Exception):
    """A usage problem (unknown ref, not a git repository, unknown stack): exit code 2."""


@dataclass
class Change:
    op: str                      # create | delete | replace | update
    type: str
    name: str
    urn: str                     # the new URN (the old one for a delete)
    old_urn: Optional[str] = None
    keys: list[str] = field(default_factory=list)      # changed top-level input keys (wire names)
    reason: str = ""
    stateful: bool = False
    # Old -> new of each changed input, down to the leaves of nested objects:
    # [{"path", "old", "new"}], secrets masked; `keys` stays the top-level list.
    values: list[dict] = field(default_factory=list)

    @property
    def alert(self) -> bool:
        return self.stateful and self.op in ("delete", "replace")


def mandatory_count(report: Optional[dict]) -> int:
    """Mandatory policy violations in an offline preview report (its `policy` list)."""
    return sum(1 for d in (report or {}).get("policy", []) if d.get("level") == "mandatory")


@dataclass
class StackDiff:
    stack: str
    base_ref: str
    changes: list[Change]
    unchanged: int
    renamed: list[tuple[str, str]]            # (old URN, new URN) kept by an alias
    head: Optional[dict]                       # the working tree's preview report (None: stack removed)
    base_missing: bool = False
    error: Optional[str] = None
    cost: Optional[dict] = None               # monthly cost change (offline.pricing.cost_change)
    base_routing: Optional[dict] = None       # the base's routing summary (the head's is in `head`)
    # Apply checks on the change itself (offline/apply/routing.py policy_switches): what fails only
    # because the base's state is moved to the head's (a Route 53 routing-policy switch on one name).
    apply_alerts: list[dict] = field(default_factory=list)

    @property
    def alerts(self) -> list[Change]:
        return [c for c in self.changes if c.alert]

    def count(self, op: str) -> int:
        return sum(1 for c in self.changes if c.op == op)

    @property
    def mandatory(self) -> int:
        return mandatory_count(self.head)

    def to_json(self) -> dict:
        return {
            "stack": self.stack, "base": self.base_ref, "error": self.error, "base_missing": self.base_missing,
            "summary": {op: self.count(op) for op in ("create", "update", "replace", "delete")}
            | {"same": self.unchanged, "stateful_alerts": len(self.alerts), "mandatory_violations": self.mandatory},
            "changes": [asdict(c) | {"alert": c.alert} for c in self.changes],
            "renamed": [{"from": a, "to": b} for a, b in self.renamed],
            "policy": (self.head or {}).get("policy", []),
            "packs": (self.head or {}).get("packs", []),
            "cost": self.cost,
            # Who is served by which cell, before and after (offline/report/routing.py); None: no DNS.
            "apply_alerts": self.apply_alerts,
            "routing": {"base": self.base_routing, "head": (self.head or {}).get("routing")},
        }
