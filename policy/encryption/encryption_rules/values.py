"""Property values as checks read them: plain wire-named dicts and lists, unknowns as markers.

A check that needs a value the engine does not know yet (preview) yields a cannot-verify finding
(`model.require` does it for the common case); the adapter (crossguard.py) reports it as advisory.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from pulumi_policy.proxy import UnknownValueError, _is_unknown


class Unknown:
    """A value the engine does not know yet (preview). Carries where it was found."""

    __slots__ = ("path",)

    def __init__(self, path: str):
        self.path = path

    def __repr__(self) -> str:
        return f"Unknown({self.path})"


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def plain(value: Any, path: str = "") -> Any:
    """pulumi_policy's unknown-checking proxies (or raw wire dicts) -> plain dicts and lists.

    Unknown sentinels become `Unknown` markers instead of exceptions, so checks can decide
    whether an unknown matters to their result.
    """
    if isinstance(value, str):
        return Unknown(path) if _is_unknown(value) else value
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            sub = f"{path}.{key}" if path else str(key)
            try:
                out[key] = plain(value[key], sub)
            except UnknownValueError:
                out[key] = Unknown(sub)
        return out
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        out_list = []
        for i in range(len(value)):
            sub = f"{path}[{i}]"
            try:
                out_list.append(plain(value[i], sub))
            except UnknownValueError:
                out_list.append(Unknown(sub))
        return out_list
    return value


def get(props: Any, path: str, default: Any = None) -> Any:
    """`get(props, "encryption.keySource")`: the value, `default` if absent, or an Unknown."""
    cur = props
    for part in path.split("."):
        if is_unknown(cur):
            return cur
        if isinstance(cur, Mapping):
            if part not in cur or cur[part] is None:
                return default
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit():
            if int(part) >= len(cur):
                return default
            cur = cur[int(part)]
        else:
            return default
    return cur


def as_list(value: Any) -> Any:
    """A wire list (or a single object where the provider accepts one); Unknown passes through."""
    if value is None:
        return []
    if is_unknown(value):
        return value
    return value if isinstance(value, list) else [value]
