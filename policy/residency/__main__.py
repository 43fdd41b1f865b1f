"""CrossGuard pack: data residency.

    pulumi preview --policy-pack policy/residency [--policy-pack-config residency.json]

Every rule is a stack policy: the zone of an unlabelled resource comes from its ancestors, and
only AnalyzeStack sees parents (per-resource Analyze sees the resource alone). Values unknown
during preview never fail a rule nor pass it silently: they are reported by the advisory
`residency-cannot-verify` policy. Config (same keys for every policy):

    zones:      {<zone>: {strict: bool, regions: [<region>...]}}   # narrow a zone, set strictness
    exceptions: [{zone, fallback_cell, reason, approver, expires: YYYY-MM-DD}]   # DNS and edge guards
    served_zones: [<zone>...]   # zones other stacks' cells serve (edge guards refuse their countries)

Approvals live in the pack config, never in the stack: `approvals.json` beside this file is the
repository's approved list (owned via .github/CODEOWNERS), passed for every stack by the README's
commands and CI (the offline engine uses it when no config is given for this pack). The advisory
`residency-exception-approved` lists each approved exception a stack relies on.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the pack's own modules, wherever it runs from

from pulumi_policy import (EnforcementLevel, PolicyComplianceFramework, PolicyConfigSchema, PolicyPack,
                           StackValidationPolicy)

from rules import RULES, Rule, check_exceptions_in_use
from stack_view import StackView
from zones import EXCEPTIONS_SCHEMA, SERVED_ZONES_SCHEMA, ZONES_SCHEMA, from_config

GDPR_CHAPTER_V = PolicyComplianceFramework(
    name="GDPR", version="2016/679", reference="Chapter V (Art. 44-49)",
    specification="Transfers of personal data to third countries or international organisations")

CONFIG_SCHEMA = PolicyConfigSchema(properties={"zones": ZONES_SCHEMA, "exceptions": EXCEPTIONS_SCHEMA,
                                               "served_zones": SERVED_ZONES_SCHEMA})


def _report_rule(rule: Rule):
    def validate(args, report_violation):
        zones = from_config(args.get_config())
        for problem in zones.problems:
            report_violation(f"policy config: {problem}")
        view = StackView(args.resources)
        for f in rule.check(view, zones, dt.date.today()):
            if not f.unknown:
                report_violation(f"[{rule.id}] {f.message}", f.urn or None)
    return validate


def _cannot_verify(args, report_violation):
    zones = from_config(args.get_config())
    view = StackView(args.resources)
    today = dt.date.today()
    for rule in RULES:
        for f in rule.check(view, zones, today):
            if f.unknown:
                report_violation(f"[{rule.id}] cannot verify: {f.message}", f.urn or None)


policies = [
    StackValidationPolicy(
        name=rule.id, description=rule.description, remediation_steps=rule.remediation,
        enforcement_level=EnforcementLevel.MANDATORY, config_schema=CONFIG_SCHEMA,
        framework=GDPR_CHAPTER_V if rule.gdpr_chapter_v else None, tags=["residency"],
        validate=_report_rule(rule))
    for rule in RULES
]
policies.append(StackValidationPolicy(
    name="residency-cannot-verify",
    description="Residency decisions that depend on values unknown during preview (verified again at update).",
    remediation_steps="Nothing to do before the update; the pack judges the known values when they exist.",
    enforcement_level=EnforcementLevel.ADVISORY, config_schema=CONFIG_SCHEMA, tags=["residency"],
    validate=_cannot_verify))

def _exceptions_in_use(args, report_violation):
    zones = from_config(args.get_config())
    for f in check_exceptions_in_use(StackView(args.resources), zones, dt.date.today()):
        report_violation(f"[{f.rule}] {f.message}", f.urn or None)


policies.append(StackValidationPolicy(
    name="residency-exception-approved",
    description="Lists each residency exception the stack's DNS relies on that the pack config approves "
                "(by whom, until when); an unapproved one is a residency-dns-in-zone violation.",
    remediation_steps="Nothing to do while it is approved; renew or remove it before it expires.",
    enforcement_level=EnforcementLevel.ADVISORY, config_schema=CONFIG_SCHEMA, tags=["residency"],
    validate=_exceptions_in_use))

PolicyPack(name="residency", enforcement_level=EnforcementLevel.MANDATORY, policies=policies)
