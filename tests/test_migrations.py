"""One alias mechanism: every alias a piece's resource carries to an old URN is declared in its cloud's
migrations.py (`MOVED`), applied by `clouds.context.moved_children` and read back by `offline diff`
through the same resolver (`offline.migrations`); every declaration is used by a shipped stack."""
from __future__ import annotations

import ast
import re
import subprocess
import sys

from offline_helpers import REPO, preview_stack

from offline import clouds
from offline.diff.match import declared_move

STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml"))
PACKS = ("policy/encryption", "policy/residency")  # the runs test_structure.py makes (shared per session)
# The one place a resource option alias is built.
MECHANISM = REPO / "components" / "clouds" / "context.py"


def _parent_aliases(res: dict) -> list[dict]:
    """The alias specs of a report resource that move it to another parent (not the SDK's type aliases)."""
    return [a for a in res.get("aliases") or [] if isinstance(a, dict) and (a.get("parentUrn") or a.get("noParent"))]


def undeclared_aliases(resources: list[dict]) -> list[str]:
    """What disagrees with the migrations: a parent alias no `MOVED` entry declares (or that does not
    name the piece's parent), and a declared move the resource does not carry."""
    by_urn = {r["urn"]: r for r in resources}
    wrong = []
    for res in resources:
        got = _parent_aliases(res)
        why = declared_move(res, by_urn)
        if why is None and got:
            wrong.append(f"{res['urn']}: aliased to {got} without a MOVED entry in its cloud's migrations.py")
        elif why is not None:
            piece = by_urn[res["parent"]]
            if [a.get("parentUrn") for a in got] != [piece["parent"]]:
                wrong.append(f"{res['urn']}: declared moved from {piece['parent']}, carries {got}")
    return wrong


def _alias_builders(path) -> list[str]:
    """Where a module builds an alias of resource options: `Alias(...)`, `aliases=...`, `x.aliases = ...`."""
    found = []
    where = path.relative_to(REPO) if path.is_relative_to(REPO) else path.name
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            f = node.func
            if (isinstance(f, ast.Name) and f.id == "Alias") or (
                    isinstance(f, ast.Attribute) and f.attr == "Alias" and isinstance(f.value, ast.Name)
                    and f.value.id == "pulumi"):
                found.append(f"{where}:{node.lineno}: Alias(...)")
            found += [f"{where}:{node.lineno}: aliases=" for k in node.keywords if k.arg == "aliases"]
        elif isinstance(node, ast.Assign):
            found += [f"{where}:{node.lineno}: .aliases =" for t in node.targets
                      if isinstance(t, ast.Attribute) and t.attr == "aliases"]
    return found


def test_no_piece_declares_an_alias_outside_the_migrations():
    found = [hit for path in sorted((REPO / "components").rglob("*.py")) if path != MECHANISM
             for hit in _alias_builders(path)]
    assert not found, "aliases are declared in components/clouds/<cloud>/migrations.py (MOVED):\n" + "\n".join(found)
    assert _alias_builders(MECHANISM), "the scan no longer sees the one mechanism"


def test_the_scan_finds_an_alias_a_piece_declares(tmp_path):
    piece = tmp_path / "piece.py"
    piece.write_text("import pulumi\nfrom pulumi import Alias\n"
                     "a = pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=None)])\n"
                     "b = Alias(name='x')\nopts = a\nopts.aliases = []\n")
    assert len(_alias_builders(piece)) == 4


def _reports(tmp_path_factory) -> dict[str, list[dict]]:
    out = {}
    for stack in STACKS:
        run = preview_stack(stack, tmp_path_factory.mktemp(stack), packs=PACKS)
        assert run.report is not None, run.stderr[-3000:]
        out[stack] = run.resources
    return out


def test_every_alias_of_every_shipped_stack_is_a_declared_move_and_every_move_is_used(tmp_path_factory):
    reports = _reports(tmp_path_factory)
    for stack, resources in reports.items():
        wrong = undeclared_aliases(resources)
        assert not wrong, f"stack {stack}:\n" + "\n".join(wrong[:20])
    # Every MOVED entry moves some resource of a shipped stack; every RETIRED entry names a baseline URN.
    modules = clouds.load("migrations_module")
    used = set()
    for resources in reports.values():
        by_urn = {r["urn"]: r for r in resources}
        for res in resources:
            piece = by_urn.get(res.get("parent") or "")
            if piece is None or not piece.get("parent"):
                continue
            for module in modules:
                for entry in module.MOVED:
                    if re.fullmatch(entry[0], piece["type"]) and re.fullmatch(entry[1], f"{res['type']}::{res['name']}"):
                        used.add((module.__name__, entry[0], entry[1]))
    declared = {(m.__name__, e[0], e[1]) for m in modules for e in m.MOVED}
    assert declared, "no MOVED entry at all: the clouds' pieces moved nothing?"
    assert declared <= used, f"MOVED entries no shipped stack uses (remove them): {sorted(declared - used)}"
    baseline = set().union(*(f.read_text().split() for f in (REPO / "tests" / "fixtures" / "urns").rglob("*.txt")))
    unused = [(m.__name__, p) for m in modules for p, _ in m.RETIRED if not any(re.fullmatch(p, u) for u in baseline)]
    assert not unused, f"RETIRED entries matching no baseline URN (remove them): {unused}"
    for m in modules:
        for entry in [*m.MOVED, *m.RETIRED]:
            assert len(entry[-1]) > 40, f"{m.__name__}: {entry[:-1]} says too little why"


def test_an_alias_the_migrations_do_not_declare_is_found():
    cell = {"urn": "urn:pulumi:s::p::platform:aws:Cell::c", "type": "platform:aws:Cell", "name": "c", "parent": "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"}
    piece = {"urn": "urn:pulumi:s::p::platform:aws:Cell$platform:aws:Bucket::c-b", "type": "platform:aws:Bucket",
             "name": "c-b", "parent": cell["urn"]}
    spec = {"name": "", "type": "", "parentUrn": cell["urn"], "noParent": False, "stack": "", "project": ""}
    bucket = {"urn": piece["urn"] + "$aws:s3/bucket:Bucket::c-models", "type": "aws:s3/bucket:Bucket",
              "name": "c-models", "parent": piece["urn"], "aliases": [spec]}
    assert len(undeclared_aliases([cell, piece, bucket])) == 1          # a piece's own alias: refused
    obs = {**piece, "urn": piece["urn"].replace("Bucket::c-b", "Observability::c-o"), "type": "platform:aws:Observability"}
    ws = {"urn": obs["urn"] + "$aws:amp/workspace:Workspace::c-metrics", "type": "aws:amp/workspace:Workspace",
          "name": "c-metrics", "parent": obs["urn"], "aliases": [spec]}
    assert undeclared_aliases([cell, obs, ws]) == []                    # declared in aws/migrations.py
    assert len(undeclared_aliases([cell, obs, {**ws, "aliases": []}])) == 1   # declared, not carried
    role = {**ws, "urn": obs["urn"] + "$aws:iam/role:Role::c-scraper-source", "type": "aws:iam/role:Role",
            "name": "c-scraper-source"}
    assert len(undeclared_aliases([cell, obs, role])) == 1              # the roles came with the piece


def test_the_migrations_load_without_any_pulumi_sdk():
    code = ("import sys\nfor m in ('pulumi', 'pulumi_aws', 'pulumi_gcp', 'pulumi_azure_native'): sys.modules[m] = None\n"
            "import importlib.util\n"
            "from offline import clouds, migrations\n"
            "mods = clouds.load('migrations_module')\n"
            "print(len(mods), sum(len(m.MOVED) for m in mods), sum(len(m.RETIRED) for m in mods))\n"
            "print(migrations.moved(mods, 'platform:gcp:SloAlerts', 'gcp:monitoring/alertPolicy:AlertPolicy', 'x'))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    counts, why = out.stdout.splitlines()
    assert counts.split()[0] == str(len(clouds.load("migrations_module"))) and int(counts.split()[1]) >= 3
    assert "SLO" in why
