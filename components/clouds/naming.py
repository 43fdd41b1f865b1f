"""The naming rule of the cloud plugins.

Logical (Pulumi) names: `child_name(owner, part)`, `<owner>-<part>`, the owner being the cell or the
piece and the part what the resource is (`<cell>-vault`, `<cell>-nodes`). Physical names that have a
length limit: a readable prefix cut to fit (`fit`), plus a stable short digest that keeps two long
names apart (`stable_digest`).

Each cloud decides *what* goes into a name (its own length limit, charset and what the digest
covers: the cell for GCP service accounts, environment/cell/kind for Azure's global namespaces);
this module is how they shorten. Names are physical: changing either function renames (replaces)
resources, so both are pinned by the stacks' baseline inputs in tests.
"""
from __future__ import annotations

import hashlib


def child_name(owner: str, part: str) -> str:
    """The logical name of the resource `part` of `owner` (a cell or a piece)."""
    return f"{owner}-{part}"


def stable_digest(text: str, length: int) -> str:
    """The first `length` hex digits of sha256(text): the same on every run and machine."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def fit(readable: str, room: int) -> str:
    """`readable` cut to `room` characters, without a dangling hyphen."""
    return readable[:room].rstrip("-")
