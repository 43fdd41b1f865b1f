"""The residency pack's adapter to CrossGuard: a rule (rule_shape.Rule) -> a StackValidationPolicy.

Every policy takes the same config (zones, exceptions, served_zones). A violation is reported as
`[<rule id>] <message>`; a rule's cannot-verify notes are not its violations: the advisory
`residency-cannot-verify` reports them, so an unknown never fails a rule nor passes it silently.
"""
from __future__ import annotations

import datetime as dt

from pulumi_policy import PolicyConfigSchema, StackValidationPolicy

from approvals import with_approvals
from stack_view import StackView
from zones import EXCEPTIONS_SCHEMA, SERVED_ZONES_SCHEMA, ZONES_SCHEMA, from_config

from .rule_shape import Rule, crossguard_args

CONFIG_SCHEMA = PolicyConfigSchema(properties={"zones": ZONES_SCHEMA, "exceptions": EXCEPTIONS_SCHEMA,
                                               "served_zones": SERVED_ZONES_SCHEMA})


def to_policy(rule: Rule, labelled: bool = False, reports_config: bool = True) -> StackValidationPolicy:
    """`labelled`: the rule's findings already name the rule they come from (residency-cannot-verify);
    `reports_config`: it reports the config's problems too (every rule but the advisory ones)."""
    assert rule.scope == "stack", f"{rule.id}: residency rules see the whole stack (zones come from ancestors)"

    def validate(args, report_violation) -> None:
        config, unreadable = with_approvals(args.get_config())  # approvals.json: one entry per approval
        zones = from_config(config)
        if reports_config:
            for problem in [*unreadable, *zones.problems]:
                report_violation(f"policy config: {problem}")
        for f in rule.check(StackView.of(args.resources), zones, dt.date.today()):
            if not f.unknown:
                report_violation(f.message if labelled else f"[{rule.id}] {f.message}", f.urn or None)

    return StackValidationPolicy(validate=validate, config_schema=CONFIG_SCHEMA, **crossguard_args(rule))
