"""The one resolver of the clouds' state moves, read by the program and by `offline diff` alike.

Each cloud's `migrations.py` (components/clouds/<cloud>/) declares, as pure data:

- `RETIRED`: (a regular expression over a URN, why it may go): old URNs nothing stands for any more;
- `MOVED`: (piece type, child pattern, why): the children of a piece of that type whose
  `<type>::<name>` fully matches the pattern were built directly under the piece's parent (the
  cell) before the piece existed, under the same name and type. Each carries one alias to that URN.

The program applies `MOVED` through `PieceContext.opts` (components/clouds/context.py), which calls
`moved` for every resource a piece builds; no piece names an alias itself. `offline diff` and the
URN tests call the same functions on a report's resources (`offline.diff.match.declared_move`).
Standard library only: the program imports it, and the engine imports it without any SDK.
"""
from __future__ import annotations

import re
from types import ModuleType
from typing import Iterable, Optional


def moved(modules: Iterable[ModuleType], piece_type: str, child_type: str, child_name: str) -> Optional[str]:
    """Why a child (`child_type`, `child_name`) of a piece of `piece_type` was its piece's parent's child
    before the piece existed (it keeps an alias to that URN), or None: it was never anywhere else."""
    key = f"{child_type}::{child_name}"
    for module in modules:
        for piece, child, why in getattr(module, "MOVED", ()):
            if re.fullmatch(piece, piece_type) and re.fullmatch(child, key):
                return why
    return None


def retired(modules: Iterable[ModuleType], urn: str) -> Optional[str]:
    """Why `urn` may be gone without an alias (a `RETIRED` entry says so), or None."""
    for module in modules:
        for pattern, why in getattr(module, "RETIRED", ()):
            if re.fullmatch(pattern, urn):
                return why
    return None
