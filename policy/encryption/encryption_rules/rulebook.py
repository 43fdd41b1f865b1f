"""The rule model of the encryption pack and its adapter to CrossGuard.

A rule is data (id, one-line description, remediation hint, compliance framework, default
enforcement level, the resource types it judges) plus a small pure check function. Checks read
plain wire-named dicts and yield findings; they never touch pulumi_policy. `to_policy` turns a
rule into a ResourceValidationPolicy or StackValidationPolicy and handles what every rule shares:
config (enforcement level, exemptions with expiry, rule options) and unknown values at preview.

Unknown values: a check that needs a value the engine does not know yet (preview) yields
`CannotVerify`; the adapter raises it as pulumi_policy's UnknownValueError, which the analyzer
reports as an ADVISORY diagnostic whatever the rule's level. So an unknown never passes silently
and never blocks a preview; at update the value is known and the rule decides.
"""
from __future__ import annotations

import datetime as _dt
import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, _is_unknown


# --------------------------------------------------------------------------- values


class Unknown:
    """A value the engine does not know yet (preview). Carries where it was found."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path

    def __repr__(self) -> str:
        return f"Unknown({self.path})"


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def plain(value: Any, path: str = "") -> Any:
    """pulumi_policy's unknown-checking proxies (or raw wire dicts) -> plain dicts and lists.

    Unknown sentinels become `Unknown` markers instead of exceptions, so checks can decide
    whether an unknown matters to their result.
    """
    if isinstance(value, str):
        return Unknown(path) if _is_unknown(value) else value
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            sub = f"{path}.{key}" if path else str(key)
            try:
                out[key] = plain(value[key], sub)
            except UnknownValueError:
                out[key] = Unknown(sub)
        return out
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        out_list = []
        for i in range(len(value)):
            sub = f"{path}[{i}]"
            try:
                out_list.append(plain(value[i], sub))
            except UnknownValueError:
                out_list.append(Unknown(sub))
        return out_list
    return value


def get(props: Any, path: str, default: Any = None) -> Any:
    """`get(props, "encryption.keySource")`: the value, `default` if absent, or an Unknown."""
    cur = props
    for part in path.split("."):
        if is_unknown(cur):
            return cur
        if isinstance(cur, Mapping):
            if part not in cur or cur[part] is None:
                return default
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit():
            if int(part) >= len(cur):
                return default
            cur = cur[int(part)]
        else:
            return default
    return cur


def as_list(value: Any) -> Any:
    """A wire list (or a single object where the provider accepts one); Unknown passes through."""
    if value is None:
        return []
    if is_unknown(value):
        return value
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Violation:
    message: str
    urn: Optional[str] = None  # stack rules name the resource; resource rules leave it empty


@dataclass(frozen=True)
class CannotVerify:
    """The result depends on a value unknown at preview (`what` says which)."""

    what: str
    urn: Optional[str] = None


Finding = Union[Violation, CannotVerify]


def require(value: Any, ok: Callable[[Any], bool], what: str, wanted: str) -> Iterator[Finding]:
    """The common shape of a check: `what` must satisfy `ok`; unknown -> CannotVerify."""
    if is_unknown(value):
        yield CannotVerify(f"{what} ({value.path})")
    elif not ok(value):
        shown = "not set" if value is None else f"is {json.dumps(value) if not isinstance(value, str) else value!r}"
        yield Violation(f"{what} {shown}; expected {wanted}")


# --------------------------------------------------------------------------- resources


class Res:
    """A resource as checks see it: wire-named plain props; `deps` are property dependencies (URNs).

    `props` is converted from the analyzer's proxy on first use: a stack rule touches only the
    resources of the types it judges, not the whole stack.
    """

    __slots__ = ("type", "name", "urn", "deps", "parent", "_raw", "_props")

    def __init__(self, type: str, name: str, urn: str, props: Any, deps: Optional[dict[str, list[str]]] = None,
                 parent: Optional[str] = None):
        self.type, self.name, self.urn, self.parent = type, name, urn, parent
        self.deps = deps or {}
        self._raw, self._props = props, None

    @property
    def props(self) -> dict:
        if self._props is None:
            self._props = plain(self._raw)
        return self._props


# Output properties that other resources use to reference a resource.
_REFERENCE_KEYS = ("id", "arn", "selfLink", "name", "bucket")
_GCP_URL_PREFIXES = ("https://www.googleapis.com/compute/v1/", "https://compute.googleapis.com/compute/v1/",
                     "https://www.googleapis.com/compute/beta/", "https://compute.googleapis.com/compute/beta/")


def _norm_ref(value: str) -> str:
    for prefix in _GCP_URL_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def refers_to(value: Any, target: Res) -> bool:
    """Does the reference `value` (an id, ARN, name, self link) name `target`?"""
    if not isinstance(value, str) or not value:
        return False
    ref = _norm_ref(value)
    for key in _REFERENCE_KEYS:
        own = target.props.get(key)
        if not isinstance(own, str) or not own:
            continue
        own = _norm_ref(own)
        if ref == own:
            return True
        # A GCP self link or Azure id names its target by its last path segment.
        if key == "name" and "/" in ref and ref.rsplit("/", 1)[-1] == own:
            return True
    return False


class Stack:
    """Every resource of the stack, with reference resolution for stack rules."""

    def __init__(self, resources: list[Res]):
        self.resources = resources
        self.by_urn = {r.urn: r for r in resources}
        self._by_type: dict[str, list[Res]] = {}
        for r in resources:
            self._by_type.setdefault(r.type, []).append(r)

    def of_type(self, *types: str) -> list[Res]:
        return [r for t in types for r in self._by_type.get(t, [])]

    def referenced(self, res: Res, prop: str, types: Sequence[str]) -> Union[list[Res], Unknown]:
        """The resources of `types` that `res.props[prop]` refers to.

        The engine's property dependencies decide first: they hold even at preview, when the
        reference itself (an id or name the cloud assigns) is still unknown. Otherwise the value
        is matched against the candidates' ids, ARNs, names and self links.
        """
        # Property dependencies are recorded per top-level property ("accessLogs" for "accessLogs.bucket").
        by_dep = [self.by_urn[u] for u in res.deps.get(prop.split(".")[0], [])
                  if u in self.by_urn and self.by_urn[u].type in types]
        if by_dep:
            return by_dep
        value = get(res.props, prop)
        if is_unknown(value):
            return value
        if isinstance(value, Mapping):  # a SubResource-like {"id": ...}
            value = value.get("id")
        if value is None:
            return []
        return [c for c in self.of_type(*types) if refers_to(value, c)]


# --------------------------------------------------------------------------- rules


Check = Callable[..., Iterable[Finding]]
EVERY_TYPE = "*"


@dataclass(frozen=True)
class Option:
    """A rule-specific config property (JSON schema) and its default."""

    name: str
    schema: dict
    default: Any


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    remediation: str
    types: tuple[str, ...]
    check: Check  # resource rules: check(res, settings); stack rules: check(stack, settings)
    framework: Optional[PolicyComplianceFramework] = None
    scope: str = "resource"  # or "stack"
    level: EnforcementLevel = EnforcementLevel.MANDATORY
    severity: Severity = Severity.HIGH
    options: tuple[Option, ...] = ()
    # Stack rules: every other type the check looks at; EVERY_TYPE when it follows property
    # dependencies to resources of any type.
    reads: tuple[str, ...] = ()

    @property
    def sees(self) -> Optional[frozenset]:
        """The resource types this rule needs to see (it ignores all others); None: all of them."""
        return None if EVERY_TYPE in self.reads else frozenset(self.types) | frozenset(self.reads)


def framework(name: str, version: str, reference: str, specification: str) -> PolicyComplianceFramework:
    return PolicyComplianceFramework(name=name, version=version, reference=reference, specification=specification)


def pci(reference: str, specification: str) -> PolicyComplianceFramework:
    return framework("PCI DSS", "4.0", reference, specification)


@dataclass(frozen=True)
class Exemption:
    resource: str  # a URN (exact or glob) or a resource name glob
    reason: str
    expires: _dt.date

    def matches(self, res_name: str, res_urn: str) -> bool:
        if self.resource.startswith("urn:pulumi:"):
            return fnmatch.fnmatchcase(res_urn, self.resource)
        return fnmatch.fnmatchcase(res_name, self.resource)

    def active(self, today: _dt.date) -> bool:
        return today <= self.expires


EXEMPTIONS_SCHEMA = {
    "type": "array",
    "description": "Resources this rule does not apply to, each with a reason and an expiry date "
                   "(YYYY-MM-DD, inclusive); an expired exemption no longer applies.",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "description": "a resource URN, or a glob on the URN or the resource name"},
            "reason": {"type": "string", "minLength": 1},
            "expires": {"type": "string", "format": "date"},
        },
        "required": ["resource", "reason", "expires"],
    },
}


class ConfigError(ValueError):
    pass


def parse_exemptions(rule_id: str, raw: Any) -> list[Exemption]:
    out = []
    for i, item in enumerate(raw or []):
        where = f"policy {rule_id!r}: exemptions[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where}: expected an object with resource, reason and expires")
        missing = [k for k in ("resource", "reason", "expires") if not item.get(k)]
        if missing:
            raise ConfigError(f"{where}: missing {', '.join(missing)} (every exemption needs a reason and an expiry)")
        try:
            expires = _dt.date.fromisoformat(str(item["expires"]))
        except ValueError:
            raise ConfigError(f"{where}: expires {item['expires']!r} is not a YYYY-MM-DD date") from None
        out.append(Exemption(str(item["resource"]), str(item["reason"]), expires))
    return out


@dataclass
class Settings:
    """A rule's effective config: its options (defaults applied) and active exemptions."""

    options: dict
    exemptions: list[Exemption]

    def __getitem__(self, name: str) -> Any:
        return self.options[name]

    def exempt(self, name: str, urn: str) -> bool:
        return any(e.matches(name, urn) for e in self.exemptions)


def settings_for(rule: Rule, config: Optional[Mapping[str, Any]], today: Optional[_dt.date] = None) -> Settings:
    config = dict(config or {})
    today = today or _dt.datetime.now(_dt.timezone.utc).date()
    options = {o.name: config.get(o.name, o.default) for o in rule.options}
    active = [e for e in parse_exemptions(rule.id, config.get("exemptions")) if e.active(today)]
    return Settings(options, active)


class CannotVerifyAtPreview(UnknownValueError):
    """Raised after a check so that pulumi_policy reports an advisory 'cannot verify' diagnostic."""

    def __init__(self, details: list[str]):
        super().__init__(UNKNOWN_STRING_VALUE, [])
        self.message = ("cannot verify at preview: " + "; ".join(details)
                        + " (unknown until the resources exist; the rule is checked again at update)")


def _emit(findings: Iterable[Finding], report_violation, default_urn: Optional[str], settings: Settings,
          stack: Optional[Stack]) -> None:
    unknowns: list[str] = []
    for f in findings:
        urn = f.urn or default_urn
        if stack is not None and urn in stack.by_urn:
            res = stack.by_urn[urn]
            if settings.exempt(res.name, res.urn):
                continue
        if isinstance(f, Violation):
            report_violation(f.message, f.urn)
        else:
            who = f"{stack.by_urn[f.urn].name}: " if stack is not None and f.urn in stack.by_urn else ""
            unknowns.append(who + f.what)
    if unknowns:
        raise CannotVerifyAtPreview(unknowns)


def _config_schema(rule: Rule) -> PolicyConfigSchema:
    props = {"exemptions": EXEMPTIONS_SCHEMA}
    props.update({o.name: {**o.schema, "default": o.default} for o in rule.options})
    return PolicyConfigSchema(properties=props)


def to_policy(rule: Rule):
    """The CrossGuard policy that runs `rule`."""
    common = dict(name=rule.id, description=rule.description, enforcement_level=rule.level,
                  config_schema=_config_schema(rule), severity=rule.severity, framework=rule.framework,
                  remediation_steps=rule.remediation, tags=["encryption"])
    types = frozenset(rule.types)

    if rule.scope == "resource":
        def validate_resource(args, report_violation) -> None:
            if args.resource_type not in types:
                return
            settings = settings_for(rule, args.get_config())
            if settings.exempt(args.name, args.urn):
                return
            res = Res(args.resource_type, args.name, args.urn, args.props, parent=args.opts.parent)
            _emit(rule.check(res, settings), report_violation, None, settings, None)

        return ResourceValidationPolicy(validate=validate_resource, **common)

    def validate_stack(args, report_violation) -> None:
        settings = settings_for(rule, args.get_config())
        stack = Stack([Res(r.resource_type, r.name, r.urn, r.props,
                           deps={k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
                           parent=r.parent.urn if r.parent is not None else None)
                       for r in args.resources])
        _emit(rule.check(stack, settings), report_violation, None, settings, stack)

    return StackValidationPolicy(validate=validate_stack, **common)


# --------------------------------------------------------------------------- shared parsing


def duration_days(value: str) -> Optional[float]:
    """'7776000s' (GCP) or 'P90D' / 'P3M' / 'P1Y' / 'P2W' (ISO 8601, Azure) -> days; None if unparsable."""
    import re

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
