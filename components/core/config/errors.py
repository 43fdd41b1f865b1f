"""How a refused config is told: one line per problem, naming the stack, the key path (as written in
the stack file: `platform:cells[0].cluster.max_nodes`), the bad value and what is allowed; an unknown
key gets a did-you-mean and the keys allowed where it stands."""
from __future__ import annotations

import difflib
import json
from typing import Any

from pydantic import BaseModel

from ..placement import PROJECT
from . import schema


class ConfigError(Exception):
    """Bad stack configuration. `str()` is the whole message for the user."""


def key_path(loc: tuple) -> str:
    """`("cells", 0, "cluster")` -> `cells[0].cluster`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def value_at(data: Any, loc: tuple) -> Any:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that owns the mapping at `loc` (to suggest field names)."""
    model: Any = schema.PlatformConfig
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ()) or ()
        candidates = [ann, *args]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            for a in args:
                inner = getattr(a, "__args__", ()) or ()
                model = next((c for c in inner if isinstance(c, type) and issubclass(c, BaseModel)), None)
                if model:
                    break
    return model


def unknown_top_key(stack: str, full_key: str, key: str) -> str:
    hint = difflib.get_close_matches(key, sorted(schema.KEYS), n=1)
    did = f"did you mean '{PROJECT}:{hint[0]}'? " if hint else ""
    return (f"stack {stack!r}: {full_key}: unknown key; {did}allowed: "
            + ", ".join(f"{PROJECT}:{k}" for k in sorted(schema.KEYS)))


def _cell_of_plugin_settings(loc: tuple, data: dict) -> str:
    """` (cell 'name')` when `loc` is inside a cell's plugin settings (`cells[i].<cloud>...`): the
    plugin's own checks name the cell the same way."""
    if len(loc) > 2 and loc[0] == "cells" and isinstance(loc[1], int) and loc[2] in schema.PLUGINS:
        name = value_at(data, ("cells", loc[1], "name"))
        return f" (cell {name!r})" if isinstance(name, str) else ""
    return ""


def format_error(stack: str, err: dict, data: dict) -> str:
    """One pydantic error as the user reads it."""
    loc = tuple(err["loc"])
    key = f"{PROJECT}:{key_path(loc)}" if loc else PROJECT
    key += _cell_of_plugin_settings(loc, data)
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        parent = model_at(loc[:-1])
        fields = sorted(parent.model_fields) if parent else []
        if loc[:-1] == ():
            fields = sorted(schema.KEYS)
        hint = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        did = f"did you mean {hint[0]!r}? " if hint else ""
        return f"stack {stack!r}: {key}: unknown key; {did}allowed: {', '.join(fields)}"
    value = value_at(data, loc)
    shown = f" = {json.dumps(value, default=str)}" if value is not None and not isinstance(value, (dict, list)) else ""
    return f"stack {stack!r}: {key}{shown}: {msg}"
