"""Rules of the encryption pack, in the shared rule shape (rule_shape.py, vendored from policy/shared/).

    values.py      property values as checks read them (plain dicts, Unknown markers)
    stack.py       resources and the stack, reference resolution for stack rules
    model.py       rule(...) with the pack's defaults; helpers checks share (require, durations)
    exemptions.py  per-rule config: options and exemptions with expiry
    crossguard.py  rule -> CrossGuard policy (config, exemptions, unknown values)
    at_rest.py, in_transit.py   the rules
    coverage.py    what the pack does not know fails closed (unknown package, unjudged data type)
    server.py      serves the pack with Analyze dispatched by resource type
"""
from . import at_rest, coverage, in_transit
from .crossguard import to_policy
from .rule_shape import Rule, unique

RULES: list[Rule] = unique(at_rest.RULES + in_transit.RULES + coverage.RULES)


def policies() -> list:
    return [to_policy(r) for r in RULES]


def types_by_policy() -> dict[str, frozenset]:
    """The resource types each rule needs to see (rules that need every type are left out)."""
    return {r.id: r.sees for r in RULES if r.sees is not None}
