"""What the pack does not know fails closed: a resource of a package no cloud plugin declares, and a
data-bearing type (a cloud plugin's fact) that no rule of this pack judges.

The facts are `facts.json` at the pack's root, generated from the project's cloud plugins by
`python policy/shared/facts.py` (a test keeps it equal): the pack stays self-contained.
"""
from __future__ import annotations

import json
from pathlib import Path

from .model import rule, violation

FACTS = json.loads((Path(__file__).resolve().parent.parent / "facts.json").read_text())
PACKAGES: dict[str, dict] = FACTS["packages"]
DATA_TYPES = frozenset(t for c in FACTS["clouds"].values() for t in c["data_types"])
# Data types no encryption setting exists for, and why (a plugin's fact: its service offers no key).
NO_CUSTOMER_KEY: dict[str, str] = {t: why for c in FACTS["clouds"].values() for t, why in c["no_customer_key"].items()}


def judged_types() -> frozenset[str]:
    """The types some rule of the pack judges (type rules, and the schema-derived key rule)."""
    from . import JUDGED

    return JUDGED


def package_known_check(stack, settings):
    for r in stack.resources:
        package = r.type.split(":", 1)[0]
        if package not in PACKAGES:
            yield violation((
                f"{r.type} {r.name!r}: package {package!r} is no cloud plugin's and not declared non-cloud, so the "
                "pack cannot tell whether it holds data or how it is encrypted; it fails closed (a new cloud: "
                "its plugin in components/clouds/<cloud>/plugin.py, then python policy/shared/facts.py)"), r.urn)


def data_type_judged_check(stack, settings):
    judged = judged_types()
    for r in stack.resources:
        if r.type in DATA_TYPES and r.type not in judged and r.type not in NO_CUSTOMER_KEY:
            yield violation((
                f"{r.type} {r.name!r} holds data (its cloud plugin says so) but no rule of the encryption pack judges "
                "its encryption; it fails closed until a rule does"), r.urn)


RULES = [
    rule(id="encryption-package-known", scope="stack", check=package_known_check,
         description="Every resource belongs to a package the pack knows: a cloud plugin's, or one declared "
                     "non-cloud (Pulumi, components, Kubernetes, local resources). An unknown package fails closed.",
         remediation="Add the cloud's plugin (components/clouds/<cloud>/plugin.py, one line in plugins.py) or "
                     "declare the package in NON_CLOUD_PACKAGES with why, then run python policy/shared/facts.py."),
    rule(id="encryption-data-type-judged", scope="stack", check=data_type_judged_check,
         description="Every data-bearing resource type (the cloud plugins' facts) is judged by a rule of this pack.",
         remediation="Add an encryption rule for the type (customer-managed key, TLS-only access), or declare in "
                     "its plugin's no_customer_key why the service offers no key."),
]
