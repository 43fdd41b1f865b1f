"""`PieceContext`: what every cloud's piece context is (`<cloud>/context.py`), with the one `opts(...)`.

A cell hands each piece a context (in the piece's Args): the cloud's provider for the cell's region,
whether stateful resources are protected (prod), and the cloud's own scope (AWS account, GCP project,
Azure resource group). Every resource a piece builds takes its options from `ctx.opts(...)`:

- under `parent` (the piece; a context that knows what it builds under, Azure's `within(piece)`,
  defaults it through `default_parent`);
- with the context's provider, unless `provider` names another (a cross-region replica, a global one);
- protected in prod when `stateful` (`contract.child_options`, the one rule);
- aliased to its URN under `moved_from` when it was built there before the piece existed (a
  context may say where its resources used to live: `moved_from_default`); the engine ignores an
  alias to a URN that never existed, and the URN baseline test holds the rest;
- `depends_on`, `ignore_changes`, `opts` and plain keywords added as given.

The subclasses are frozen dataclasses holding their cloud's fields; they provide `provider` and
`protect` (a field or a property).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import pulumi

from ..contract import child_options


class PieceContext:
    provider: Any
    protect: bool

    def default_parent(self) -> Optional[pulumi.Resource]:
        """What a resource hangs under when `opts` is given no parent (None: a parent is required)."""
        return None

    def moved_from_default(self, parent: pulumi.Resource) -> Optional[pulumi.Resource]:
        """Where a resource under `parent` used to hang before its piece existed (None: nowhere)."""
        return None

    def opts(self, parent: Optional[pulumi.Resource] = None, *, stateful: bool = False,
             depends_on: Sequence[pulumi.Resource] = (), ignore_changes: Sequence[str] = (),
             moved_from: Optional[pulumi.Resource] = None, provider: Optional[pulumi.ProviderResource] = None,
             opts: Optional[pulumi.ResourceOptions] = None, **kw: Any) -> pulumi.ResourceOptions:
        """Options of a piece's resource (see the module docstring)."""
        parent = parent if parent is not None else self.default_parent()
        if parent is None:
            raise TypeError(f"{type(self).__name__}.opts: no parent given and the context builds under none")
        moved_from = moved_from if moved_from is not None else self.moved_from_default(parent)
        if moved_from is not None and moved_from is not parent:
            kw["aliases"] = [*(kw.get("aliases") or []), pulumi.Alias(parent=moved_from)]
        return child_options(parent, self.protect, stateful, opts, provider=provider or self.provider,
                             depends_on=list(depends_on or ()) or None,
                             ignore_changes=list(ignore_changes or ()) or None, **kw)
