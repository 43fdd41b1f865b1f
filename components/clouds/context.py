"""`PieceContext`: what every cloud's piece context is (`<cloud>/context.py`), with the one `opts(...)`.

A cell hands each piece a context (in the piece's Args): the cloud's provider for the cell's region,
whether stateful resources are protected (prod), and the cloud's own scope (AWS account, GCP project,
Azure resource group). Every resource a piece builds takes its options from `ctx.opts(...)`:

- under `parent` (the piece; a context that knows what it builds under, Azure's `within(piece)`,
  defaults it through `default_parent`);
- with the context's provider, unless `provider` names another (a cross-region replica, a global one);
- protected in prod when `stateful` (`contract.child_options`, the one rule);
- aliased to its URN under the piece's parent when its cloud's migrations.py declares it moved
  (`MOVED`, resolved by `offline.migrations.moved` for the resource's type and name: `moved_children`,
  the one place an alias is made); the URN baseline test holds the rest;
- `depends_on`, `ignore_changes`, `opts` and plain keywords added as given.

The subclasses are frozen dataclasses holding their cloud's fields; they provide `provider` and
`protect` (a field or a property).
"""
from __future__ import annotations

import importlib
from typing import Any, Optional, Sequence

import pulumi

from offline import migrations as _migrations

from ..contract import child_options


def moved_children(piece: pulumi.Resource) -> list:
    """The transformation that gives each resource built directly under `piece` the alias its cloud's
    migrations.py declares (`MOVED`: its URN under the piece's parent); [] for a piece of a cloud that
    declares none, or for what is not a piece. A transformation, because only at registration are the
    resource's type and name known; it leaves the children of those resources alone."""
    piece_type, old_parent = getattr(piece, "TYPE", ""), getattr(piece, "built_under", None)
    parts = piece_type.split(":")
    if old_parent is None or len(parts) != 3:
        return []
    try:
        module = importlib.import_module(f"{__package__}.{parts[1]}.migrations")
    except ModuleNotFoundError:
        return []

    def transform(args: pulumi.ResourceTransformationArgs) -> Optional[pulumi.ResourceTransformationResult]:
        if args.opts.parent is not piece or _migrations.moved([module], piece_type, args.type_, args.name) is None:
            return None
        opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions())
        # First, as the options gave it before the SDK appended its type aliases.
        opts.aliases = [pulumi.Alias(parent=old_parent), *(args.opts.aliases or [])]
        return pulumi.ResourceTransformationResult(args.props, opts)

    return [transform]


class PieceContext:
    provider: Any
    protect: bool

    def default_parent(self) -> Optional[pulumi.Resource]:
        """What a resource hangs under when `opts` is given no parent (None: a parent is required)."""
        return None

    def opts(self, parent: Optional[pulumi.Resource] = None, *, stateful: bool = False,
             depends_on: Sequence[pulumi.Resource] = (), ignore_changes: Sequence[str] = (),
             provider: Optional[pulumi.ProviderResource] = None,
             opts: Optional[pulumi.ResourceOptions] = None, **kw: Any) -> pulumi.ResourceOptions:
        """Options of a piece's resource (see the module docstring)."""
        parent = parent if parent is not None else self.default_parent()
        if parent is None:
            raise TypeError(f"{type(self).__name__}.opts: no parent given and the context builds under none")
        kw["transformations"] = [*moved_children(parent), *(kw.get("transformations") or [])]
        return child_options(parent, self.protect, stateful, opts, provider=provider or self.provider,
                             depends_on=list(depends_on or ()) or None,
                             ignore_changes=list(ignore_changes or ()) or None, **kw)
