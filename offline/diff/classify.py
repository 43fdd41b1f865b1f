"""How each resource changes: create, delete, replace or update, as `pulumi preview --diff` says.

- create / delete: only on one side;
- replace: the same logical resource under a new URN without an alias (offline/diff/match.py), or
  an input change the provider cannot apply in place (`FORCE_NEW`: the create-only inputs of every
  type the project uses, from the provider documentation, in offline/force_new.py; or
  `replaceOnChanges` declared by the program);
- update: the same URN with changed inputs (the changed top-level input keys are listed).

Deleting or replacing a stateful resource (`STATEFUL`) destroys data or identity (bucket
contents, key material, vault, cluster), so it is flagged and fails the gate.
"""
from __future__ import annotations

import json
from typing import Optional

from ..cloud_facts import STATEFUL_TYPES
from ..force_new import CREATE_ONLY, IMPACT, create_only_changes
from .match import match_resources
from .model import Change

# Inputs the provider cannot change in place, for every type the project uses (with the provider
# documentation each comes from): offline/force_new.py.
FORCE_NEW: dict[str, frozenset[str]] = {t: paths for t, (paths, _doc) in CREATE_ONLY.items()}

# Resources whose deletion or replacement loses data, key material or a serving identity: each cloud
# plugin's `stateful_types`.
STATEFUL: frozenset[str] = STATEFUL_TYPES


def _changed_keys(old: dict, new: dict, kept: Optional[dict[str, str]] = None) -> list[str]:
    ignored = (new.get("options") or {}).get("ignoreChanges") or []
    a = _without(old.get("inputs") or {}, ignored)
    b = _without(_rewrite(new.get("inputs") or {}, kept or {}), ignored)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


SECRET = "[secret]"
# Input names whose values are credentials even when the program forgot to mark them secret.
_SECRET_WORDS = ("password", "secret", "token", "privatekey", "private_key", "connectionstring", "sas")
_VALUE_PATHS = 12  # leaf changes listed per resource


def _masked(path: str, value):
    leaf = path.rsplit(".", 1)[-1].lower()
    if any(w in leaf for w in _SECRET_WORDS) and value not in (None, "", [], {}):
        return SECRET
    return value


def _leaf_changes(old, new, path: str = "") -> list[dict]:
    """Old -> new at the deepest object keys that differ (lists are compared whole)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new)):
            if old.get(k) != new.get(k):
                out += _leaf_changes(old.get(k), new.get(k), f"{path}.{k}" if path else k)
        return out
    return [{"path": path, "old": _masked(path, old), "new": _masked(path, new)}]


def value_changes(old: dict, new: dict, kept: Optional[dict[str, str]] = None) -> list[dict]:
    """The changed inputs of a kept or replaced resource, old -> new (secrets masked, see SECRET)."""
    ignored = (new.get("options") or {}).get("ignoreChanges") or []
    a = _without(old.get("inputs") or {}, ignored)
    b = _without(_rewrite(new.get("inputs") or {}, kept or {}), ignored)
    return _leaf_changes(a, b)[:_VALUE_PATHS]


def _without(inputs: dict, paths: list[str]) -> dict:
    """`inputs` minus the properties `ignoreChanges` names (dot paths into nested objects): Pulumi
    keeps the old value of an ignored property, so it never causes an update or a replacement."""
    if not paths:
        return inputs
    out = json.loads(json.dumps(inputs))
    for path in paths:
        *parents, leaf = path.replace("[*]", "").split(".")
        node = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return out


def _kept_values(pairs: list[tuple[dict, dict]]) -> dict[str, str]:
    """New -> old values of what a kept resource exposes (URN, id, ARN...).

    The mocks derive ids and ARNs from the logical name, but a resource kept by an alias keeps
    its physical identity, so inputs that reference it must be compared with the old values."""
    kept: dict[str, str] = {}
    for old, new in pairs:
        values = [(new["urn"], old["urn"]), (new.get("id"), old.get("id"))]
        # Outputs that echo an input changed because the program changed them: not identity.
        values += [((new.get("outputs") or {}).get(k), v) for k, v in (old.get("outputs") or {}).items()
                   if k not in (new.get("inputs") or {})]
        for new_value, old_value in values:
            if isinstance(new_value, str) and isinstance(old_value, str) and new_value != old_value and len(new_value) > 3:
                kept[new_value] = old_value
    return kept


def _rewrite(value, kept: dict[str, str]):
    if not kept:
        return value
    if isinstance(value, dict):
        return {k: _rewrite(v, kept) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, kept) for v in value]
    if isinstance(value, str):
        if value in kept:
            return kept[value]
        for new_value in sorted(kept, key=len, reverse=True):  # ARNs and JSON policies embed ids
            if new_value in value:
                value = value.replace(new_value, kept[new_value])
    return value


def _force_new(old: dict, new: dict, kept: Optional[dict[str, str]] = None) -> list[str]:
    """Changed create-only inputs (the provider's, or the program's `replaceOnChanges`); an input the
    program ignores (`ignoreChanges`) keeps its old value, so it never forces a replacement."""
    ignored = (new.get("options") or {}).get("ignoreChanges") or []
    return create_only_changes(new["type"], _without(old.get("inputs") or {}, ignored),
                               _without(_rewrite(new.get("inputs") or {}, kept or {}), ignored),
                               declared=new.get("replaceOnChanges") or ())


def _replace_reason(type_: str, forced: list[str]) -> str:
    reason = f"force-new input changed: {', '.join(forced)}"
    return f"{reason} ({IMPACT[type_]})" if type_ in IMPACT else reason


def diff_resources(old: list[dict], new: list[dict]) -> tuple[list[Change], int, list[tuple[str, str]]]:
    """Classify every resource of `new` against `old` (both: report resources in registration order)."""
    old_by_urn = {r["urn"]: r for r in old}
    new_by_urn = {r["urn"]: r for r in new}
    pairs = match_resources(old, new)
    match, replaced, renamed, claimed = pairs.matched, pairs.replaced, pairs.renamed, pairs.claimed

    kept = _kept_values([(old_by_urn[o], new_by_urn[n]) for o, n in renamed])
    changes: list[Change] = []
    unchanged = 0
    for res in new:
        stateful = res["type"] in STATEFUL
        if res["urn"] in replaced:
            old_res = old_by_urn[replaced[res["urn"]]]
            changes.append(Change("replace", res["type"], res["name"], res["urn"], old_res["urn"],
                                  _changed_keys(old_res, res, kept), f"URN changed without an alias (was {old_res['name']})",
                                  stateful, value_changes(old_res, res, kept)))
        elif res["urn"] in match:
            old_res = old_by_urn[match[res["urn"]]]
            keys = _changed_keys(old_res, res, kept)
            forced = _force_new(old_res, res, kept) if keys else []
            if forced:
                changes.append(Change("replace", res["type"], res["name"], res["urn"], old_res["urn"], keys,
                                      _replace_reason(res["type"], forced), stateful, value_changes(old_res, res, kept)))
            elif keys:
                changes.append(Change("update", res["type"], res["name"], res["urn"], old_res["urn"], keys,
                                      "", stateful, value_changes(old_res, res, kept)))
            else:
                unchanged += 1
        else:
            changes.append(Change("create", res["type"], res["name"], res["urn"], stateful=stateful))
    for old_res in old:
        if old_res["urn"] not in claimed:
            changes.append(Change("delete", old_res["type"], old_res["name"], old_res["urn"], old_res["urn"],
                                  stateful=old_res["type"] in STATEFUL))
    return changes, unchanged, renamed
