"""The shape of offline/diff/ and offline/report/: one job per module, where the job can
be checked, and the import paths the split must keep.

- gitref.py is the only module of the offline engine that runs git;
- in offline/diff/ only gitref.py (git) and sides.py (the engine's child processes) start processes;
- the diff's logic (match, classify, model, order, render) reaches neither the Pulumi SDK nor a
  process, even transitively: it works on report dicts and stack files alone;
- every name `offline.diff` and `offline.report` offered as single modules is still importable from
  the package.
"""
from __future__ import annotations

import ast
import importlib

from offline_helpers import REPO
from test_structure import _imports, _module_name

OFFLINE = REPO / "offline"
MODULES = {_module_name(p): p for p in OFFLINE.rglob("*.py")}
STARTS_PROCESSES = {"subprocess", "multiprocessing", "concurrent.futures", "concurrent"}


def _mentions_git(path) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == "git" for n in ast.walk(ast.parse(path.read_text())))


def test_gitref_is_the_only_module_that_runs_git():
    assert sorted(name for name, path in MODULES.items() if _mentions_git(path)) == ["offline.diff.gitref"]


def test_only_gitref_and_sides_start_processes_in_the_diff():
    starters = sorted(name for name, path in MODULES.items()
                      if name.startswith("offline.diff.") and STARTS_PROCESSES & _imports(path))
    assert starters == ["offline.diff.gitref", "offline.diff.sides"]


def _reached(root: str) -> set[str]:
    """Every module `root`'s code reaches: offline's own, followed; third-party and stdlib names as
    imported. The packages a module sits in are not followed (offline/diff/__init__.py re-exports every
    module, so it would make each reach all), unless the code imports the package itself."""
    seen, todo, external = set(), [root], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for imp in _imports(MODULES[name]):
            parts = imp.split(".")
            inside = [".".join(parts[:i]) for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in MODULES]
            if inside:
                todo.append(inside[0])
            else:
                external.add(imp)
    return seen | external


def test_the_diff_logic_reaches_no_pulumi_and_no_process():
    for module in ("match", "classify", "model", "order", "render"):
        reached = _reached(f"offline.diff.{module}")
        bad = sorted(m for m in reached if m.split(".")[0] in ("pulumi", "grpc", "google")
                     or m in STARTS_PROCESSES or m in ("offline.engine", "offline.analyzer", "offline.diff.sides",
                                                       "offline.diff.gitref"))
        assert not bad, f"offline.diff.{module} reaches {bad}"
    # The scan sees what it should: the engine does import pulumi and start processes.
    assert {"subprocess"} <= _reached("offline.engine") and any(m.startswith("pulumi") for m in _reached("offline.engine"))


# The public names of offline/diff.py and offline/report.py before the split (importers outside
# offline/ use them: tests, bench/, ops/).
DIFF_NAMES = ("Change", "DiffError", "ENGINE_ROOT", "FORCE_NEW", "MARKDOWN_ROWS", "ROOT_STACK_TYPE", "STATEFUL",
              "SideRun", "StackDiff", "alias_urns", "all_stacks", "base_checkout", "create_urn", "diff_markdown",
              "diff_resources", "diff_stack", "diff_text", "preview_markdown", "run_side", "stack_dependencies",
              "stack_waves")
REPORT_NAMES = ("cloud_of", "counts", "mandatory_violations", "to_json", "to_markdown", "to_text")


def test_the_public_names_of_the_old_modules_import_from_the_packages():
    for package, names in (("offline.diff", DIFF_NAMES), ("offline.report", REPORT_NAMES)):
        module = importlib.import_module(package)
        assert hasattr(module, "__path__"), f"{package} is a package"
        missing = [n for n in names if not hasattr(module, n)]
        assert not missing, f"{package} no longer offers {missing}"
        assert set(names) <= set(module.__all__)
