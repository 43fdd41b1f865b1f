"""Resources and the stack as checks see them, with reference resolution for stack rules."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

from .values import Unknown, get, is_unknown, plain


class Res:
    """A resource as checks see it: wire-named plain props; `deps` are property dependencies (URNs).

    `props` is converted from the analyzer's proxy on first use: a stack rule touches only the
    resources of the types it judges, not the whole stack.
    """

    __slots__ = ("type", "name", "urn", "deps", "parent", "_raw", "_props")

    def __init__(self, type: str, name: str, urn: str, props: Any, deps: Optional[dict[str, list[str]]] = None,
                 parent: Optional[str] = None):
        self.type, self.name, self.urn, self.parent = type, name, urn, parent
        self.deps = deps or {}
        self._raw, self._props = props, None

    @property
    def props(self) -> dict:
        if self._props is None:
            self._props = plain(self._raw)
        return self._props


# Output properties that other resources use to reference a resource.
_REFERENCE_KEYS = ("id", "arn", "selfLink", "name", "bucket")
_GCP_URL_PREFIXES = ("https://www.googleapis.com/compute/v1/", "https://compute.googleapis.com/compute/v1/",
                     "https://www.googleapis.com/compute/beta/", "https://compute.googleapis.com/compute/beta/")


def _norm_ref(value: str) -> str:
    for prefix in _GCP_URL_PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix):]
    return value


def refers_to(value: Any, target: Res) -> bool:
    """Does the reference `value` (an id, ARN, name, self link) name `target`?"""
    if not isinstance(value, str) or not value:
        return False
    ref = _norm_ref(value)
    for key in _REFERENCE_KEYS:
        own = target.props.get(key)
        if not isinstance(own, str) or not own:
            continue
        own = _norm_ref(own)
        if ref == own:
            return True
        # A GCP self link or Azure id names its target by its last path segment.
        if key == "name" and "/" in ref and ref.rsplit("/", 1)[-1] == own:
            return True
    return False


class Stack:
    """Every resource of the stack, with reference resolution for stack rules."""

    def __init__(self, resources: list[Res]):
        self.resources = resources
        self.by_urn = {r.urn: r for r in resources}
        self._by_type: dict[str, list[Res]] = {}
        for r in resources:
            self._by_type.setdefault(r.type, []).append(r)

    def of_type(self, *types: str) -> list[Res]:
        return [r for t in types for r in self._by_type.get(t, [])]

    def referenced(self, res: Res, prop: str, types: Sequence[str]) -> Union[list[Res], Unknown]:
        """The resources of `types` that `res.props[prop]` refers to.

        The engine's property dependencies decide first: they hold even at preview, when the
        reference itself (an id or name the cloud assigns) is still unknown. Otherwise the value
        is matched against the candidates' ids, ARNs, names and self links.
        """
        # Property dependencies are recorded per top-level property ("accessLogs" for "accessLogs.bucket").
        by_dep = [self.by_urn[u] for u in res.deps.get(prop.split(".")[0], [])
                  if u in self.by_urn and self.by_urn[u].type in types]
        if by_dep:
            return by_dep
        value = get(res.props, prop)
        if is_unknown(value):
            return value
        if isinstance(value, Mapping):  # a SubResource-like {"id": ...}
            value = value.get("id")
        if value is None:
            return []
        return [c for c in self.of_type(*types) if refers_to(value, c)]
