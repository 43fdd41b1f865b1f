"""The encryption pack's rules in the shared shape (rule_shape.py), and what their checks share.

`rule(...)` declares a rule with the pack's defaults: a resource rule, severity high, topic
`encryption`, mandatory. A check reads plain wire-named dicts (values.py) and yields findings;
it never touches pulumi_policy. `require` is the common shape of a check: a value must satisfy a
predicate, and an unknown value is a cannot-verify finding.
"""
from __future__ import annotations

import fnmatch
import json
import re
from typing import Any, Callable, Iterable, Iterator, Optional

from .rule_shape import EVERY_TYPE, Finding, Framework, Option, Rule, cannot_verify, violation
from .values import is_unknown

__all__ = ["EVERY_TYPE", "Finding", "Framework", "Option", "Rule", "cannot_verify", "violation", "rule",
           "framework", "pci", "require", "duration_days", "glob_any"]

TOPICS = ("encryption",)


def rule(**fields: Any) -> Rule:
    """A rule of this pack: `Rule(**fields)` with the pack's defaults for what `fields` leave out."""
    return Rule(**{"scope": "resource", "severity": "high", "topics": TOPICS, **fields})


def framework(name: str, version: str, reference: str, specification: str) -> Framework:
    return Framework(name=name, version=version, reference=reference, specification=specification)


def pci(reference: str, specification: str) -> Framework:
    return framework("PCI DSS", "4.0", reference, specification)


def require(value: Any, ok: Callable[[Any], bool], what: str, wanted: str) -> Iterator[Finding]:
    """The common shape of a check: `what` must satisfy `ok`; unknown -> cannot verify."""
    if is_unknown(value):
        yield cannot_verify(f"{what} ({value.path})")
    elif not ok(value):
        shown = "not set" if value is None else f"is {json.dumps(value) if not isinstance(value, str) else value!r}"
        yield violation(f"{what} {shown}; expected {wanted}")


def duration_days(value: str) -> Optional[float]:
    """'7776000s' (GCP) or 'P90D' / 'P3M' / 'P1Y' / 'P2W' (ISO 8601, Azure) -> days; None if unparsable."""
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)s", value)
    if m:
        return float(m.group(1)) / 86400
    m = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", value)
    if not m or value in ("P", "PT"):
        return None
    y, mo, w, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return y * 365 + mo * 30 + w * 7 + d + h / 24 + mi / 1440 + s / 86400


def glob_any(value: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)
