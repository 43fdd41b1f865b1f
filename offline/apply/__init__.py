"""Apply checks: what a first `pulumi up` would reveal that the mocks cannot.

The mocks echo inputs back; the providers do not. Each rule here encodes one documented
apply-time rule of a provider (a charset, a global namespace, an ordering, a field the server
manages) as a pure function over the captured graph of one offline run (`Graph`): resources with
their inputs, dependencies and options, invokes in order, the stack's config. A rule yields
`Finding`s; `error` means the apply would fail or the system would not work, `warning` that it
works but is fragile. They are a floor, not a proof: a real `pulumi up` in a sandbox account
remains the final check.

Silencing: `platform:apply_exemptions` in the stack's config, a list of
`{rule, resource, reason, expires}` (`resource`: a URN, a resource name or a glob over either);
a reasonless or expired entry is a config error. Exempted findings stay in the report.
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Optional

LEVELS = ("error", "warning")


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    doc: str  # the provider documentation the rule encodes
    level: str
    check: Callable[["Graph"], Iterable["Finding"]]
    # How to make the finding go away, in the terms the reader controls: the stack setting to change
    # (e.g. `platform:deployer.azure_object_id`) when there is one, else what the program must do.
    fix: str = ""


@dataclass
class Finding:
    rule: str
    urn: str
    level: str
    message: str
    exempted: Optional[str] = None  # the exemption's reason (and expiry) when silenced
    fix: str = ""  # the rule's fix (Rule.fix), else its requirement (Rule.description)

    def report(self) -> dict:
        out = {"rule": self.rule, "urn": self.urn, "level": self.level, "message": self.message}
        if self.exempted:
            out["exempted"] = self.exempted
        if self.fix:
            out["fix"] = self.fix
        return out


RULES: dict[str, Rule] = {}
# Delete-time rules (offline/apply/teardown.py): run by `python -m offline destroy`, not by every preview.
DELETE_TIME: set[str] = set()


def rule(id: str, description: str, doc: str, level: str = "error", fix: str = ""):
    """Register a rule: `check(graph)` yields (urn, message) or (urn, message, level).

    `fix`: the stack setting that resolves a finding (reports print it as the fix); without one,
    the fix is the rule's requirement (`description`) and its documentation."""
    assert level in LEVELS
    how = fix or f"make it hold: {description} ({doc})"

    def deco(fn):
        def check(graph: "Graph") -> Iterator[Finding]:
            for item in fn(graph):
                urn, message, *lv = item
                yield Finding(id, urn, lv[0] if lv else level, message, fix=how)

        RULES[id] = Rule(id, description, doc, level, check, fix)
        return fn

    return deco


# Rules across the stacks of a project (`preview --all`): rule id -> check(graphs) giving (stack, urn, message).
CROSS_STACK: dict[str, Callable[[list["Graph"]], list[tuple[str, str, str]]]] = {}


def cross_stack(id: str):
    """Register a rule that judges every stack's graph together (`preview --all`, assume-applied)."""
    def deco(fn):
        CROSS_STACK[id] = fn
        return fn

    return deco


class Graph:
    """The captured run as the rules see it (resources as JSON report entries)."""

    def __init__(self, resources: list[dict], invokes: list[dict], config: dict[str, str], stack: str):
        self.resources = resources
        self.invokes = invokes
        self.config = config
        self.stack = stack
        self.by_urn = {r["urn"]: r for r in resources}
        self._closure: dict[str, frozenset] = {}

    @classmethod
    def of_run(cls, run) -> "Graph":
        return cls([r.report() for r in run.resources], list(run.invokes), dict(run.config), run.stack)

    def of_type(self, *types: str) -> list[dict]:
        return [r for r in self.resources if r["type"] in types]

    def deps(self, urn: str) -> frozenset:
        """Every URN `urn` waits for, transitively (dependencies include parents)."""
        if urn not in self._closure:
            seen: set[str] = set()
            stack = list(self.by_urn.get(urn, {}).get("dependencies", []))
            while stack:
                u = stack.pop()
                if u in seen:
                    continue
                seen.add(u)
                if u in self._closure:
                    seen |= self._closure[u]
                    continue
                stack += self.by_urn.get(u, {}).get("dependencies", [])
            self._closure[urn] = frozenset(seen)
        return self._closure[urn]

    def deps_of_urns(self, urns: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for u in urns:
            out.add(u)
            out |= self.deps(u)
        return out

    def cfg(self, key: str, default: Any = None) -> Any:
        raw = self.config.get(key)
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except (TypeError, ValueError):
            return raw

    @property
    def environment(self) -> Optional[str]:
        return self.cfg("platform:environment")


class ExemptionError(Exception):
    """`platform:apply_exemptions` is malformed, reasonless or expired (a config error)."""


@dataclass
class Exemption:
    rule: str
    resource: str
    reason: str
    expires: _dt.date
    used: bool = field(default=False)

    def report(self) -> dict:
        return {"rule": self.rule, "resource": self.resource, "reason": self.reason, "expires": str(self.expires)}

    def matches(self, finding: Finding, graph: Graph) -> bool:
        if self.rule != finding.rule:
            return False
        name = graph.by_urn.get(finding.urn, {}).get("name", finding.urn.split("::")[-1])
        return any(fnmatch.fnmatchcase(x, self.resource) for x in (finding.urn, name))


def load_exemptions(graph: Graph, today: Optional[_dt.date] = None) -> list[Exemption]:
    key = "platform:apply_exemptions"
    today = today or _dt.date.today()
    raw = graph.cfg(key, [])
    where = f"stack {graph.stack!r}: {key}"
    if not isinstance(raw, list):
        raise ExemptionError(f"{where}: must be a list of {{rule, resource, reason, expires}}")
    out, problems = [], []
    for i, e in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(e, dict):
            problems.append(f"{at}: must be a mapping with rule, resource, reason, expires")
            continue
        unknown = set(e) - {"rule", "resource", "reason", "expires"}
        if unknown:
            problems.append(f"{at}: unknown field(s) {sorted(unknown)}; allowed: rule, resource, reason, expires")
        rule_id, resource, reason, expires = e.get("rule"), e.get("resource"), e.get("reason"), e.get("expires")
        if rule_id not in RULES:
            problems.append(f"{at}.rule: {rule_id!r} is not an apply rule; allowed: {', '.join(sorted(RULES))}")
        if not isinstance(resource, str) or not resource:
            problems.append(f"{at}.resource: required (a URN, a resource name or a glob over either)")
        if not isinstance(reason, str) or len(reason.strip()) < 10:
            problems.append(f"{at}.reason: required, at least 10 characters saying why and what fixes it")
        try:
            exp = expires if isinstance(expires, _dt.date) else _dt.date.fromisoformat(str(expires))
        except ValueError:
            problems.append(f"{at}.expires: {expires!r} is not a date (YYYY-MM-DD)")
            continue
        if exp < today:
            problems.append(f"{at}.expires: {exp} has passed; fix the finding or renew the exemption with a reason")
            continue
        if not problems:
            out.append(Exemption(rule_id, resource, reason.strip(), exp))
    if problems:
        raise ExemptionError("\n".join(problems))
    return out


def check(graph: Graph, rules: Optional[Iterable[str]] = None, today: Optional[_dt.date] = None) -> list[Finding]:
    """Run every rule (or those named) over `graph`; findings matched by an exemption carry its reason."""
    return check_all(graph, rules, today)[0]


def check_all(graph: Graph, rules: Optional[Iterable[str]] = None,
              today: Optional[_dt.date] = None) -> tuple[list[Finding], list[Exemption]]:
    """`check`, and the exemptions that matched no finding (dead config the reports warn about)."""
    load_all()

    exemptions = load_exemptions(graph, today)
    findings: list[Finding] = []
    for rid in sorted(rules or (r for r in RULES if r not in DELETE_TIME)):
        findings += list(RULES[rid].check(graph))
    for f in findings:
        for e in exemptions:
            if e.matches(f, graph):
                f.exempted = f"{e.reason} (until {e.expires})"
                e.used = True
                break
    # Only the rules that ran can use an exemption: a partial run (`rules`) judges no other one.
    ran = set(rules or (r for r in RULES if r not in DELETE_TIME))
    return findings, [e for e in exemptions if not e.used and e.rule in ran]


def blocking(findings: list[Finding], warnings_as_errors: bool = False) -> list[Finding]:
    """The findings that fail the preview (exit 1)."""
    levels = ("error", "warning") if warnings_as_errors else ("error",)
    return [f for f in findings if f.level in levels and not f.exempted]


def load_all() -> dict[str, Rule]:
    """Every rule: the shared ones here, each cloud's from its folder (its plugin's `apply_module`)."""
    from .. import clouds
    from . import common, routing, teardown  # noqa: F401  (each registers its rules)

    clouds.load("apply_module")
    return RULES


# ---------------------------------------------------------------------------------------------
# Helpers shared by the cloud modules.

def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) for every node of a JSON value."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}[{i}]")


OPAQUE = ("[secret]", "[unknown]", "[resource]")


def known(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value in OPAQUE)


def ignored(resource: dict, *paths: str) -> bool:
    """Whether `ignoreChanges` covers any of `paths` (a prefix of the path, or `[*]` for indices)."""
    import re

    def norm(p: str) -> str:
        return re.sub(r"\[(\d+|\*)\]", "[*]", p)

    entries = [norm(p) for p in (resource.get("options") or {}).get("ignoreChanges", [])]
    for want in paths:
        w = norm(want)
        if any(w == e or w.startswith(e + ".") or w.startswith(e + "[") for e in entries):
            return True
    return False
