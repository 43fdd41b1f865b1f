"""The encryption pack's adapter to CrossGuard: a rule (rule_shape.Rule) -> a Resource- or
StackValidationPolicy that handles what every rule shares: config (enforcement level, exemptions
with expiry, rule options) and values unknown at preview.

Unknown values: a check that needs a value the engine does not know yet yields a cannot-verify
finding; the adapter raises it as pulumi_policy's UnknownValueError, which the analyzer reports as
an ADVISORY diagnostic whatever the rule's level. So an unknown never passes silently and never
blocks a preview; at update the value is known and the rule decides.
"""
from __future__ import annotations

from typing import Iterable, Optional

from pulumi_policy import PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from .exemptions import EXEMPTIONS_SCHEMA, Settings, settings_for
from .rule_shape import Finding, Rule, crossguard_args
from .stack import Res, Stack


class CannotVerifyAtPreview(UnknownValueError):
    """Raised after a check so that pulumi_policy reports an advisory 'cannot verify' diagnostic."""

    def __init__(self, details: list[str]):
        super().__init__(UNKNOWN_STRING_VALUE, [])
        self.message = ("cannot verify at preview: " + "; ".join(details)
                        + " (unknown until the resources exist; the rule is checked again at update)")


def _emit(findings: Iterable[Finding], report_violation, settings: Settings, stack: Optional[Stack]) -> None:
    unknowns: list[str] = []
    for f in findings:
        if stack is not None and f.urn in stack.by_urn:
            res = stack.by_urn[f.urn]
            if settings.exempt(res.name, res.urn):
                continue
        if not f.unknown:
            report_violation(f.message, f.urn)
        else:
            who = f"{stack.by_urn[f.urn].name}: " if stack is not None and f.urn in stack.by_urn else ""
            unknowns.append(who + f.message)
    if unknowns:
        raise CannotVerifyAtPreview(unknowns)


def _config_schema(rule: Rule) -> PolicyConfigSchema:
    props = {"exemptions": EXEMPTIONS_SCHEMA}
    props.update({o.name: {**o.schema, "default": o.default} for o in rule.options})
    return PolicyConfigSchema(properties=props)


def to_policy(rule: Rule):
    """The CrossGuard policy that runs `rule`: check(res, settings) or check(stack, settings)."""
    common = dict(crossguard_args(rule), config_schema=_config_schema(rule))
    types = frozenset(rule.types)

    if rule.scope == "resource":
        def validate_resource(args, report_violation) -> None:
            if args.resource_type not in types:
                return
            settings = settings_for(rule, args.get_config())
            if settings.exempt(args.name, args.urn):
                return
            res = Res(args.resource_type, args.name, args.urn, args.props, parent=args.opts.parent)
            _emit(rule.check(res, settings), report_violation, settings, None)

        return ResourceValidationPolicy(validate=validate_resource, **common)

    def validate_stack(args, report_violation) -> None:
        settings = settings_for(rule, args.get_config())
        stack = Stack([Res(r.resource_type, r.name, r.urn, r.props,
                           deps={k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
                           parent=r.parent.urn if r.parent is not None else None)
                       for r in args.resources])
        _emit(rule.check(stack, settings), report_violation, settings, stack)

    return StackValidationPolicy(validate=validate_stack, **common)
