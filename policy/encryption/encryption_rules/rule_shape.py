"""The rule shape every CrossGuard pack of this repository declares its rules with.

ONE source: policy/shared/rule_shape.py. Each pack carries a byte-identical copy (a pack directory
must work when copied alone: `pulumi preview --policy-pack policy/<pack>` loads only that directory).
Edit the source, then refresh the copies with `python policy/shared/vendor.py`;
tests/test_structure.py fails while a copy differs.

A rule is data (id, description, remediation, compliance framework, severity, topics, default
enforcement level, what it judges) plus a check function that yields `Finding`s. A finding is a
violation, or, when the decision needs a value unknown during preview, a "cannot verify" note: an
unknown never passes silently and never blocks a preview. How a pack turns rules into CrossGuard
policies (config, exemptions, where cannot-verify notes are reported) is the pack's own adapter;
`crossguard_args` gives the metadata every adapter passes the same way.

Only the standard library at import time (pulumi_policy is imported by `crossguard_args`), and no
import of the pack around it: the copy must not care where it sits.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
SEVERITIES = ("low", "medium", "high", "critical")
SCOPES = ("resource", "stack")
EVERY_TYPE = "*"  # in `reads`: the check follows references to resources of any type


@dataclass(frozen=True)
class Framework:
    """The compliance framework control a rule enforces."""

    name: str
    version: str
    reference: str
    specification: str


@dataclass(frozen=True)
class Option:
    """A rule-specific config property (a JSON schema) and its default."""

    name: str
    schema: dict
    default: Any


@dataclass(frozen=True)
class Finding:
    """What a check found. `urn`: the resource it is about (None: the resource a resource rule is
    analyzing). `unknown`: it cannot be verified during preview (advisory), not a violation."""

    message: str
    urn: Optional[str] = None
    unknown: bool = False


def violation(message: str, urn: Optional[str] = None) -> Finding:
    return Finding(message, urn)


def cannot_verify(what: str, urn: Optional[str] = None) -> Finding:
    """The result depends on a value unknown during preview; `what` says which."""
    return Finding(what, urn, unknown=True)


Check = Callable[..., Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str  # the CrossGuard policy name: users' config and exemptions key on it, never rename
    description: str
    remediation: str
    check: Check  # the pack's adapter says what it is called with
    framework: Optional[Framework] = None
    severity: Optional[str] = None  # one of SEVERITIES; None: unspecified
    topics: tuple[str, ...] = ()  # CrossGuard policy tags
    level: str = "mandatory"  # the default enforcement level (config may override it)
    scope: str = "stack"  # "resource": one resource at a time (Analyze); "stack": the whole stack
    types: tuple[str, ...] = ()  # the resource types it judges; (): any
    reads: tuple[str, ...] = ()  # stack rules: other types the check looks at (EVERY_TYPE: any)
    options: tuple[Option, ...] = ()

    def __post_init__(self) -> None:
        for field, value, allowed in (("level", self.level, LEVELS), ("scope", self.scope, SCOPES),
                                      ("severity", self.severity, (None, *SEVERITIES))):
            if value not in allowed:
                raise ValueError(f"rule {self.id!r}: {field} {value!r} is not one of {', '.join(map(str, allowed))}")
        if not (self.id and self.description and self.remediation):
            raise ValueError(f"rule {self.id!r}: id, description and remediation are required")

    @property
    def sees(self) -> Optional[frozenset]:
        """The resource types this rule needs to see (it ignores all others); None: every type."""
        if not self.types or EVERY_TYPE in self.reads:
            return None
        return frozenset(self.types) | frozenset(self.reads)


def unique(rules: Iterable[Rule]) -> list[Rule]:
    """The rules, refusing two with one id (a policy name must name one policy)."""
    rules = list(rules)
    ids = [r.id for r in rules]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate rule ids: {duplicates}")
    return rules


def crossguard_args(rule: Rule) -> dict:
    """The keyword arguments every pack passes to Resource/StackValidationPolicy from the shape
    (name, description, remediation, level, severity, framework, tags)."""
    from pulumi_policy import EnforcementLevel, PolicyComplianceFramework, Severity

    fw = rule.framework
    return dict(
        name=rule.id, description=rule.description, remediation_steps=rule.remediation,
        enforcement_level=EnforcementLevel(rule.level),
        severity=Severity(rule.severity) if rule.severity else None,
        framework=PolicyComplianceFramework(name=fw.name, version=fw.version, reference=fw.reference,
                                            specification=fw.specification) if fw else None,
        tags=list(rule.topics),
    )
