"""The piece shape every cloud shares (components/clouds/context.py): one context base with one
`opts(...)`, one per cloud in `<cloud>/context.py`, read for every plugin of the registry."""
from __future__ import annotations

import importlib
import inspect

import pytest

from components.clouds.plugins import PLUGINS


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_each_cloud_has_one_piece_context_with_the_shared_opts(cloud):
    from components.clouds.context import PieceContext

    module = importlib.import_module(f"components.clouds.{cloud}.context")
    contexts = [c for _, c in inspect.getmembers(module, inspect.isclass)
                if c.__module__ == module.__name__ and issubclass(c, PieceContext)]
    assert len(contexts) == 1, f"{cloud}/context.py: want one PieceContext subclass, found {contexts}"
    ctx = contexts[0]
    # One opts: the base's, not a cloud's own variant (the clouds differ by hooks, not by signature).
    assert ctx.opts is PieceContext.opts, f"{ctx.__qualname__} overrides opts"
    assert "opts" not in vars(ctx)


def test_no_piece_context_outside_the_context_modules():
    # A second context class with its own opts elsewhere in a cloud folder would be a second rule.
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parent.parent / "components" / "clouds"
    found = [str(p.relative_to(root)) for p in root.rglob("*.py")
             if p.name != "context.py" and re.search(r"^\s+def opts\(", p.read_text(), re.M)]
    assert not found, f"an opts() outside the context modules: {found}"


def test_opts_needs_a_parent_where_the_context_builds_under_none():
    from components.clouds.context import PieceContext

    class Bare(PieceContext):
        provider = None
        protect = False

    with pytest.raises(TypeError, match="no parent"):
        Bare().opts()
