"""Rules of the encryption pack, in the shared rule shape (rule_shape.py, vendored from policy/shared/).

    values.py      property values as checks read them (plain dicts, Unknown markers)
    stack.py       resources and the stack, reference resolution for stack rules
    model.py       rule(...) with the pack's defaults; helpers checks share (require, durations)
    exemptions.py  per-rule config: options and exemptions with expiry
    crossguard.py  rule -> CrossGuard policy (config, exemptions, unknown values)
    at_rest.py, in_transit.py   the rules of the cell's own pieces
    stores.py      other stores and transports; the schema-derived customer-managed-key rule and the
                   coverage advisory (both read schema_facts.json, generated from the provider schemas)
    coverage.py    what the pack does not know fails closed (unknown package, unjudged data type)
    server.py      serves the pack with Analyze dispatched by resource type
"""
from . import at_rest, coverage, in_transit, stores
from .crossguard import to_policy
from .rule_shape import Rule, unique

_TYPED: list[Rule] = at_rest.RULES + in_transit.RULES + stores.TYPE_RULES
# Types a rule judges, or reads while judging another (an S3 bucket's encryption configuration).
_JUDGED = frozenset(t for r in _TYPED for t in (*r.types, *r.reads))
CMK_RULE = stores.cmk_rule(_JUDGED)
# Every type some rule of the pack judges (coverage.py's fail-closed data-type rule reads it).
JUDGED: frozenset = _JUDGED | frozenset(CMK_RULE.types)
COVERAGE_RULE = stores.coverage_rule(JUDGED | frozenset(stores.NOT_APPLICABLE))
RULES: list[Rule] = unique([*_TYPED, CMK_RULE, COVERAGE_RULE, *coverage.RULES])


def policies() -> list:
    return [to_policy(r) for r in RULES]


def types_by_policy() -> dict[str, frozenset]:
    """The resource types each rule needs to see (rules that need every type are left out)."""
    return {r.id: r.sees for r in RULES if r.sees is not None}
