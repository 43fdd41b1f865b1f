"""The clouds' offline facets, loaded from their folders as the plugin registry names them.

Each plugin (components/clouds/<cloud>/plugin.py) names the modules of its folder that answer its
resource types offline (`mock_modules`), encode its provider's apply-time rules (`apply_module`) and
declare what became of its old URNs (`migrations_module`). The registry's generated facts
(offline/facts.json) carry those names, so the engine finds every cloud's modules without a list of
clouds of its own.

They are loaded as `offline.clouds.<cloud>.<module>`: a package per cloud whose path is the cloud's
folder, so a facet module may import its siblings (`from .apply_iam import lint`) while the engine
never imports the `components` package itself. That matters because the engine runs other
checkouts' programs (the base of `offline diff`), and each must import its own `components`.
A facet module therefore imports only the standard library, SDK-free helpers and `offline`.
"""
from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from types import ModuleType

from ..cloud_facts import CLOUDS

ENGINE_ROOT = Path(__file__).resolve().parent.parent.parent
FACETS = ("mock_modules", "apply_module", "migrations_module")


def _module_names(cloud: str, facet: str) -> list[str]:
    value = CLOUDS[cloud].get(facet) or []
    return [value] if isinstance(value, str) else list(value)


def _folder(module: str) -> tuple[str, Path]:
    """`components.clouds.aws.mocks` -> ("mocks", <engine root>/components/clouds/aws)."""
    *package, stem = module.split(".")
    return stem, ENGINE_ROOT.joinpath(*package)


def engine_name(cloud: str, module: str) -> str:
    """The name the engine loads a facet module under (`offline.clouds.aws.mocks`)."""
    return f"{__name__}.{cloud}.{_folder(module)[0]}"


def _package(cloud: str) -> None:
    name = f"{__name__}.{cloud}"
    if name in sys.modules:
        return
    folders = {_folder(m)[1] for facet in FACETS for m in _module_names(cloud, facet)}
    if len(folders) > 1:
        raise ImportError(f"{cloud}: its offline modules must live in its one folder, not {sorted(map(str, folders))}")
    package = types.ModuleType(name, f"the {cloud} plugin's offline modules (its folder)")
    package.__path__ = [str(f) for f in folders]
    package.__package__ = name
    sys.modules[name] = package
    setattr(sys.modules[__name__], cloud, package)


for _cloud in CLOUDS:
    _package(_cloud)


def load(facet: str) -> list[ModuleType]:
    """Every cloud's modules of one facet (in registry order, each plugin's in its declared order)."""
    assert facet in FACETS, facet
    if facet == "mock_modules":
        # The mocks register into offline.mocks' registry, whose package loads them (in this order) itself.
        importlib.import_module("offline.mocks")
    for cloud in CLOUDS:
        _package(cloud)
    return [importlib.import_module(engine_name(cloud, m)) for cloud in CLOUDS for m in _module_names(cloud, facet)]


def modules_of(cloud: str, facet: str) -> list[str]:
    """The engine names of one cloud's modules of a facet (what `mock.__module__` says)."""
    return [engine_name(cloud, m) for m in _module_names(cloud, facet)]
