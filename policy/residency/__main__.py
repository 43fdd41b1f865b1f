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

The rules live in residency_rules/ (grouped by resource domain, declared in the shared rule shape);
zones.py, stack_view.py, route53.py, endpoints.py and key_refs.py model the catalog and the stack.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the pack's own modules, wherever it runs from

from pulumi_policy import EnforcementLevel

from residency_rules import policies
from residency_rules.server import serve

serve(name="residency", enforcement_level=EnforcementLevel.MANDATORY, policies=policies())
