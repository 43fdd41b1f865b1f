"""Which old resource each new one is, as the Pulumi engine decides it.

URNs are built as the engine builds them; alias specs are collapsed to URNs, and a parent's aliases
are inherited by its children (the engine's step generator does the same). A new resource is its
old self when their URNs are equal or one of its aliases names the old URN; failing that, the same
logical resource under a new URN (same type, and the same name or the same name relative to its
renamed parent) is the old one replaced.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def urn_name(urn: str) -> str:
    """The logical name a URN ends with."""
    return urn.split("::", 3)[3]


def _base_type(urn: str) -> str:
    return _qualified_type(urn).split("$")[-1]


def create_urn(name: str, type_: str, parent: str, project: str, stack: str) -> str:
    if parent and _qualified_type(parent) != ROOT_STACK_TYPE:
        type_ = f"{_qualified_type(parent)}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def _stack_project(urn: str) -> tuple[str, str]:
    head, project = urn.split("::")[:2]
    return head[len("urn:pulumi:"):], project


def _collapse(res: dict, alias: "dict | str", aliases_of: dict[str, list[str]]) -> Optional[str]:
    if isinstance(alias, str):  # an alias given as a URN
        return alias or None
    if alias.get("urn"):
        return alias["urn"]
    if not alias:
        return None
    stack, project = _stack_project(res["urn"])
    parent = alias.get("parentUrn") or ""
    if not parent:
        parent = res.get("parent") or ""
    elif aliases_of.get(parent):
        # The named parent was itself renamed: this resource's old URN hangs under its old URN.
        parent = aliases_of[parent][0]
    if alias.get("noParent") or (parent and _qualified_type(parent) == ROOT_STACK_TYPE):
        parent = ""
    return create_urn(alias.get("name") or res["name"], alias.get("type") or res["type"], parent,
                      alias.get("project") or project, alias.get("stack") or stack)


def _inherited(child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
    # Children named "<parent>-suffix" follow their parent's old name (Pulumi's convention).
    name = child_name
    if child_name.startswith(parent_name):
        name = urn_name(parent_alias) + child_name[len(parent_name):]
    stack, project = _stack_project(parent_alias)
    return create_urn(name, child_type, parent_alias, project, stack)


def alias_urns(resources: list[dict]) -> dict[str, list[str]]:
    """URN -> the old URNs its aliases (own and inherited from its parents) stand for."""
    aliases_of: dict[str, list[str]] = {}
    by_urn = {r["urn"]: r for r in resources}
    for res in resources:  # registration order: a parent precedes its children
        found: list[str] = []

        def add(urn: Optional[str]) -> None:
            if urn and urn not in found and urn != res["urn"]:
                found.append(urn)

        own = [_collapse(res, a, aliases_of) for a in res.get("aliases") or []]
        for urn in own:
            add(urn)
        parent = res.get("parent")
        if parent and aliases_of.get(parent) and parent in by_urn:
            parent_name = by_urn[parent]["name"]
            for parent_alias in aliases_of[parent]:
                add(_inherited(res["type"], res["name"], parent_name, parent_alias))
                for urn in own:
                    if urn:
                        add(_inherited(_base_type(urn), urn_name(urn), parent_name, parent_alias))
        aliases_of[res["urn"]] = found
    return aliases_of


def retired(urn: str) -> Optional[str]:
    """Why `urn` may be gone without an alias (its cloud's migrations.py says so), or None: a URN a stack
    no longer produces must be produced under an alias (`alias_urns`) or be retired."""
    from .. import clouds, migrations

    return migrations.retired(clouds.load("migrations_module"), urn)


def declared_move(res: dict, by_urn: dict[str, dict]) -> Optional[str]:
    """Why a report resource carries an alias to its URN under its piece's parent (its cloud's
    migrations.py `MOVED`, the declarations the program applies through `PieceContext.opts`), or None."""
    from .. import clouds, migrations

    piece = by_urn.get(res.get("parent") or "")
    if piece is None or not piece.get("parent"):
        return None
    return migrations.moved(clouds.load("migrations_module"), piece["type"], res["type"], res["name"])


@dataclass
class Matching:
    """New URN -> old URN, for every new resource that has an old self."""
    matched: dict[str, str]              # same URN, or an alias names the old one (the state is kept)
    renamed: list[tuple[str, str]]       # (old URN, new URN) of the kept ones whose URN changed
    replaced: dict[str, str]             # same logical resource under a new URN, no alias: replaced

    @property
    def claimed(self) -> set[str]:
        """Old URNs some new resource stands for (the others are deleted)."""
        return set(self.matched.values()) | set(self.replaced.values())


def match_resources(old: list[dict], new: list[dict]) -> Matching:
    """Pair the resources of `new` with those of `old` (both: report resources in registration order)."""
    old_by_urn = {r["urn"]: r for r in old}
    new_by_urn = {r["urn"]: r for r in new}
    aliases_of = alias_urns(new)
    matched: dict[str, str] = {}
    claimed: set[str] = set()
    renamed: list[tuple[str, str]] = []
    for res in new:
        for candidate in [res["urn"], *aliases_of.get(res["urn"], [])]:
            if candidate in old_by_urn and candidate not in claimed:
                matched[res["urn"]] = candidate
                claimed.add(candidate)
                if candidate != res["urn"]:
                    renamed.append((candidate, res["urn"]))
                break

    # Same logical resource under a new URN and no alias: Pulumi deletes the old and creates the new.
    replaced: dict[str, str] = {}
    for res in new:
        if res["urn"] in matched:
            continue
        pool = [o for o in old if o["urn"] not in claimed and o["type"] == res["type"]]
        old_res = _logical_twin(res, pool, new_by_urn, old_by_urn, {**matched, **replaced})
        if old_res is not None:
            replaced[res["urn"]] = old_res["urn"]
            claimed.add(old_res["urn"])
    return Matching(matched, renamed, replaced)


def _logical_twin(res: dict, pool: list[dict], new_by_urn: dict, old_by_urn: dict,
                  matched: dict[str, str]) -> Optional[dict]:
    if not pool:
        return None
    parent_new = new_by_urn.get(res.get("parent") or "")
    parent_old = old_by_urn.get(matched.get(res.get("parent") or "", ""))
    if parent_new is not None and parent_old is not None:
        # Same place under the parent's old self, with the parent's old name as the name prefix.
        expected = res["name"]
        if res["name"].startswith(parent_new["name"]):
            expected = parent_old["name"] + res["name"][len(parent_new["name"]):]
        for o in pool:
            if o.get("parent") == parent_old["urn"] and o["name"] == expected:
                return o
    same_name = [o for o in pool if o["name"] == res["name"]]
    if len(same_name) == 1:
        return same_name[0]  # moved under another parent
    if len(pool) == 1:
        return pool[0]       # the only one of its type on both sides: renamed
    return None
