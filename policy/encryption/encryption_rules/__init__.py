"""Rules of the encryption pack: data (id, description, remediation, framework, level) + pure checks."""
from . import at_rest, in_transit
from .rulebook import Rule, to_policy

RULES: list[Rule] = at_rest.RULES + in_transit.RULES


def policies() -> list:
    ids = [r.id for r in RULES]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate rule ids: {sorted(duplicates)}")
    return [to_policy(r) for r in RULES]


def types_by_policy() -> dict[str, frozenset]:
    """The resource types each rule needs to see (rules that need every type are left out)."""
    return {r.id: r.sees for r in RULES if r.sees is not None}
