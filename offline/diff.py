"""Review diff: what a change does to a stack, like `pulumi preview --diff`, without credentials.

The base git ref is checked out into a temporary `git worktree`; the stack runs there and in the
working tree, each in a child process of this repository's offline engine (same engine, same
mocks on both sides, so every difference comes from the program or the stack config). Resources
are matched as the Pulumi engine matches them: by URN, else by an alias the new program declares
(alias specs are collapsed to URNs, and a parent's aliases are inherited by its children, as
the engine's step generator does).

Then each resource is classified:
- create / delete: only on one side;
- replace: the same logical resource under a new URN without an alias (same type, and the same
  name or the same name relative to its renamed parent), or an input change the provider
  cannot apply in place (`FORCE_NEW`: the create-only inputs of every type the project uses, from
  the provider documentation, in offline/force_new.py; or `replaceOnChanges` declared by the program);
- update: the same URN with changed inputs (the changed top-level input keys are listed).

Deleting or replacing a stateful resource (`STATEFUL`) destroys data or identity (bucket
contents, key material, vault, cluster), so it is flagged and fails the gate.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import yaml

from .force_new import CREATE_ONLY, IMPACT, create_only_changes
from .project import Project, load_project

ENGINE_ROOT = Path(__file__).resolve().parent.parent
MARKDOWN_ROWS = 60  # changes listed per stack in the Markdown report (a PR comment holds 65,536 chars)
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"

# Inputs the provider cannot change in place, for every type the project uses (with the provider
# documentation each comes from): offline/force_new.py.
FORCE_NEW: dict[str, frozenset[str]] = {t: paths for t, (paths, _doc) in CREATE_ONLY.items()}

# Resources whose deletion or replacement loses data, key material or a serving identity.
STATEFUL: frozenset[str] = frozenset({
    "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:kms/key:Key", "aws:route53/zone:Zone",
    "aws:eks/cluster:Cluster", "gcp:storage/bucket:Bucket", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey",
    "gcp:container/cluster:Cluster", "azure-native:keyvault:Vault", "azure-native:keyvault:Key",
    "azure-native:storage:StorageAccount", "azure-native:containerservice:ManagedCluster",
    "azure-native:compute:DiskEncryptionSet",
})


class DiffError(Exception):
    """A usage problem (unknown ref, not a git repository, unknown stack): exit code 2."""


@dataclass
class Change:
    op: str                      # create | delete | replace | update
    type: str
    name: str
    urn: str                     # the new URN (the old one for a delete)
    old_urn: Optional[str] = None
    keys: list[str] = field(default_factory=list)      # changed top-level input keys (wire names)
    reason: str = ""
    stateful: bool = False

    @property
    def alert(self) -> bool:
        return self.stateful and self.op in ("delete", "replace")


@dataclass
class StackDiff:
    stack: str
    base_ref: str
    changes: list[Change]
    unchanged: int
    renamed: list[tuple[str, str]]            # (old URN, new URN) kept by an alias
    head: Optional[dict]                       # the working tree's preview report (None: stack removed)
    base_missing: bool = False
    error: Optional[str] = None
    cost: Optional[dict] = None               # monthly cost change (offline.pricing.cost_change)

    @property
    def alerts(self) -> list[Change]:
        return [c for c in self.changes if c.alert]

    def count(self, op: str) -> int:
        return sum(1 for c in self.changes if c.op == op)

    @property
    def mandatory(self) -> int:
        return _mandatory(self.head)

    def to_json(self) -> dict:
        return {
            "stack": self.stack, "base": self.base_ref, "error": self.error, "base_missing": self.base_missing,
            "summary": {op: self.count(op) for op in ("create", "update", "replace", "delete")}
            | {"same": self.unchanged, "stateful_alerts": len(self.alerts), "mandatory_violations": self.mandatory},
            "changes": [asdict(c) | {"alert": c.alert} for c in self.changes],
            "renamed": [{"from": a, "to": b} for a, b in self.renamed],
            "policy": (self.head or {}).get("policy", []),
            "packs": (self.head or {}).get("packs", []),
            "cost": self.cost,
        }


# --- URNs and aliases, as the Pulumi engine computes them --------------------------------------

def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def _urn_name(urn: str) -> str:
    return urn.split("::", 3)[3]


def _base_type(urn: str) -> str:
    return _qualified_type(urn).split("$")[-1]


def create_urn(name: str, type_: str, parent: str, project: str, stack: str) -> str:
    if parent and _qualified_type(parent) != ROOT_STACK_TYPE:
        type_ = f"{_qualified_type(parent)}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def _stack_project(urn: str) -> tuple[str, str]:
    head, project = urn.split("::")[:2]
    return head[len("urn:pulumi:"):], project


def _collapse(res: dict, alias: dict, aliases_of: dict[str, list[str]]) -> Optional[str]:
    if alias.get("urn"):
        return alias["urn"]
    if not alias:
        return None
    stack, project = _stack_project(res["urn"])
    parent = alias.get("parentUrn") or ""
    if not parent:
        parent = res.get("parent") or ""
    elif aliases_of.get(parent):
        # The named parent was itself renamed: this resource's old URN hangs under its old URN.
        parent = aliases_of[parent][0]
    if alias.get("noParent") or (parent and _qualified_type(parent) == ROOT_STACK_TYPE):
        parent = ""
    return create_urn(alias.get("name") or res["name"], alias.get("type") or res["type"], parent,
                      alias.get("project") or project, alias.get("stack") or stack)


def _inherited(child_type: str, child_name: str, parent_name: str, parent_alias: str) -> str:
    # Children named "<parent>-suffix" follow their parent's old name (Pulumi's convention).
    name = child_name
    if child_name.startswith(parent_name):
        name = _urn_name(parent_alias) + child_name[len(parent_name):]
    stack, project = _stack_project(parent_alias)
    return create_urn(name, child_type, parent_alias, project, stack)


def alias_urns(resources: list[dict]) -> dict[str, list[str]]:
    """URN -> the old URNs its aliases (own and inherited from its parents) stand for."""
    aliases_of: dict[str, list[str]] = {}
    by_urn = {r["urn"]: r for r in resources}
    for res in resources:  # registration order: a parent precedes its children
        found: list[str] = []

        def add(urn: Optional[str]) -> None:
            if urn and urn not in found and urn != res["urn"]:
                found.append(urn)

        own = [_collapse(res, a, aliases_of) for a in res.get("aliases") or []]
        for urn in own:
            add(urn)
        parent = res.get("parent")
        if parent and aliases_of.get(parent) and parent in by_urn:
            parent_name = by_urn[parent]["name"]
            for parent_alias in aliases_of[parent]:
                add(_inherited(res["type"], res["name"], parent_name, parent_alias))
                for urn in own:
                    if urn:
                        add(_inherited(_base_type(urn), _urn_name(urn), parent_name, parent_alias))
        aliases_of[res["urn"]] = found
    return aliases_of


# --- classification ------------------------------------------------------------------------------

def _changed_keys(old: dict, new: dict, kept: Optional[dict[str, str]] = None) -> list[str]:
    a, b = old.get("inputs") or {}, _rewrite(new.get("inputs") or {}, kept or {})
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def _kept_values(pairs: list[tuple[dict, dict]]) -> dict[str, str]:
    """New -> old values of what a kept resource exposes (URN, id, ARN...).

    The mocks derive ids and ARNs from the logical name, but a resource kept by an alias keeps
    its physical identity, so inputs that reference it must be compared with the old values."""
    kept: dict[str, str] = {}
    for old, new in pairs:
        values = [(new["urn"], old["urn"]), (new.get("id"), old.get("id"))]
        # Outputs that echo an input changed because the program changed them: not identity.
        values += [((new.get("outputs") or {}).get(k), v) for k, v in (old.get("outputs") or {}).items()
                   if k not in (new.get("inputs") or {})]
        for new_value, old_value in values:
            if isinstance(new_value, str) and isinstance(old_value, str) and new_value != old_value and len(new_value) > 3:
                kept[new_value] = old_value
    return kept


def _rewrite(value, kept: dict[str, str]):
    if not kept:
        return value
    if isinstance(value, dict):
        return {k: _rewrite(v, kept) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(v, kept) for v in value]
    if isinstance(value, str):
        if value in kept:
            return kept[value]
        for new_value in sorted(kept, key=len, reverse=True):  # ARNs and JSON policies embed ids
            if new_value in value:
                value = value.replace(new_value, kept[new_value])
    return value


def _force_new(old: dict, new: dict, kept: Optional[dict[str, str]] = None) -> list[str]:
    """Changed create-only inputs (the provider's, or the program's `replaceOnChanges`)."""
    return create_only_changes(new["type"], old.get("inputs") or {}, _rewrite(new.get("inputs") or {}, kept or {}),
                               declared=new.get("replaceOnChanges") or ())


def _replace_reason(type_: str, forced: list[str]) -> str:
    reason = f"force-new input changed: {', '.join(forced)}"
    return f"{reason} ({IMPACT[type_]})" if type_ in IMPACT else reason


def diff_resources(old: list[dict], new: list[dict]) -> tuple[list[Change], int, list[tuple[str, str]]]:
    """Classify every resource of `new` against `old` (both: report resources in registration order)."""
    old_by_urn = {r["urn"]: r for r in old}
    new_by_urn = {r["urn"]: r for r in new}
    aliases_of = alias_urns(new)
    match: dict[str, str] = {}          # new URN -> old URN
    claimed: set[str] = set()
    renamed: list[tuple[str, str]] = []
    for res in new:
        for candidate in [res["urn"], *aliases_of.get(res["urn"], [])]:
            if candidate in old_by_urn and candidate not in claimed:
                match[res["urn"]] = candidate
                claimed.add(candidate)
                if candidate != res["urn"]:
                    renamed.append((candidate, res["urn"]))
                break

    # Same logical resource under a new URN and no alias: Pulumi deletes the old and creates the new.
    replaced: dict[str, str] = {}
    for res in new:
        if res["urn"] in match:
            continue
        pool = [o for o in old if o["urn"] not in claimed and o["type"] == res["type"]]
        old_res = _logical_twin(res, pool, new_by_urn, old_by_urn, {**match, **replaced})
        if old_res is not None:
            replaced[res["urn"]] = old_res["urn"]
            claimed.add(old_res["urn"])

    kept = _kept_values([(old_by_urn[o], new_by_urn[n]) for o, n in renamed])
    changes: list[Change] = []
    unchanged = 0
    for res in new:
        stateful = res["type"] in STATEFUL
        if res["urn"] in replaced:
            old_res = old_by_urn[replaced[res["urn"]]]
            changes.append(Change("replace", res["type"], res["name"], res["urn"], old_res["urn"],
                                  _changed_keys(old_res, res, kept), f"URN changed without an alias (was {old_res['name']})",
                                  stateful))
        elif res["urn"] in match:
            old_res = old_by_urn[match[res["urn"]]]
            keys = _changed_keys(old_res, res, kept)
            forced = _force_new(old_res, res, kept) if keys else []
            if forced:
                changes.append(Change("replace", res["type"], res["name"], res["urn"], old_res["urn"], keys,
                                      _replace_reason(res["type"], forced), stateful))
            elif keys:
                changes.append(Change("update", res["type"], res["name"], res["urn"], old_res["urn"], keys,
                                      "", stateful))
            else:
                unchanged += 1
        else:
            changes.append(Change("create", res["type"], res["name"], res["urn"], stateful=stateful))
    for old_res in old:
        if old_res["urn"] not in claimed:
            changes.append(Change("delete", old_res["type"], old_res["name"], old_res["urn"], old_res["urn"],
                                  stateful=old_res["type"] in STATEFUL))
    return changes, unchanged, renamed


def _logical_twin(res: dict, pool: list[dict], new_by_urn: dict, old_by_urn: dict,
                  matched: dict[str, str]) -> Optional[dict]:
    if not pool:
        return None
    parent_new = new_by_urn.get(res.get("parent") or "")
    parent_old = old_by_urn.get(matched.get(res.get("parent") or "", ""))
    if parent_new is not None and parent_old is not None:
        # Same place under the parent's old self, with the parent's old name as the name prefix.
        expected = res["name"]
        if res["name"].startswith(parent_new["name"]):
            expected = parent_old["name"] + res["name"][len(parent_new["name"]):]
        for o in pool:
            if o.get("parent") == parent_old["urn"] and o["name"] == expected:
                return o
    same_name = [o for o in pool if o["name"] == res["name"]]
    if len(same_name) == 1:
        return same_name[0]  # moved under another parent
    if len(pool) == 1:
        return pool[0]       # the only one of its type on both sides: renamed
    return None


# --- running the two sides -----------------------------------------------------------------------

def _git(args: list[str], cwd: Path) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DiffError(f"git {' '.join(args)}: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout.strip()


@contextmanager
def base_checkout(project_root: Path, ref: str) -> Iterator[tuple[Path, str]]:
    """The project directory as of `ref`, in a temporary worktree removed afterwards."""
    top = Path(_git(["rev-parse", "--show-toplevel"], project_root))
    sha = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], project_root)
    tmp = Path(tempfile.mkdtemp(prefix="offline-diff-"))
    tree = tmp / "base"
    _git(["worktree", "add", "--detach", "--quiet", str(tree), sha], top)
    try:
        yield tree / project_root.resolve().relative_to(top.resolve()), sha
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=top, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class SideRun:
    report: Optional[dict]
    missing: bool = False     # the stack (or the whole project) does not exist on this side
    error: Optional[str] = None


def run_side(project_dir: Path, stack: str, packs: list[str], pack_configs: list[str], tmp: Path,
             side: str = "head") -> SideRun:
    """One stack through this repository's offline engine, in a child process."""
    if not (project_dir / "Pulumi.yaml").exists() or not load_project(project_dir).stack_file(stack).exists():
        return SideRun(None, missing=True)
    out = tmp / f"{side}-{stack}.json"
    args = [sys.executable, "-m", "offline", "preview", stack, "--quiet", "--json", str(out),
            "--project-dir", str(project_dir)]
    for i, pack in enumerate(packs):
        args += ["--policy-pack", str(Path(pack).resolve())]
        if i < len(pack_configs):
            args += ["--policy-pack-config", str(Path(pack_configs[i]).resolve())]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ENGINE_ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(args, cwd=ENGINE_ROOT, capture_output=True, text=True, env=env)
    if proc.returncode not in (0, 1) or not out.exists():
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
        return SideRun(None, error=f"exit {proc.returncode}: {tail}")
    return SideRun(json.loads(out.read_text()))


def diff_stack(stack: str, base_dir: Path, head_dir: Path, base_ref: str, packs: list[str],
               pack_configs: list[str], tmp: Path) -> StackDiff:
    with ThreadPoolExecutor(max_workers=2) as pool:  # two child processes at once
        # The PR is judged on the head's verdicts only: the base runs without packs.
        base_future = pool.submit(run_side, base_dir, stack, [], [], tmp, "base")
        head = run_side(head_dir, stack, packs, pack_configs, tmp, "head")
        base = base_future.result()
    if base.error or head.error:
        side = "base" if base.error else "working tree"
        return StackDiff(stack, base_ref, [], 0, [], head.report, error=f"{side}: {base.error or head.error}")
    changes, unchanged, renamed = diff_resources(
        (base.report or {}).get("resources", []), (head.report or {}).get("resources", []))
    from .pricing import cost_change  # issue #23
    return StackDiff(stack, base_ref, changes, unchanged, renamed, head.report, base_missing=base.missing,
                     cost=cost_change(base.report, head.report))


# --- stacks and their order ----------------------------------------------------------------------

def stack_dependencies(project: Project) -> dict[str, set[str]]:
    """stack -> the stacks it reads with a StackReference (`<project>:cell_stacks`)."""
    deps: dict[str, set[str]] = {}
    for stack in project.stacks():
        doc = yaml.safe_load(project.stack_file(stack).read_text()) or {}
        refs = (doc.get("config") or {}).get(f"{project.name}:cell_stacks") or []
        deps[stack] = {r["stack"] for r in refs if isinstance(r, dict) and "stack" in r}
    return deps


def stack_waves(project: Project) -> list[list[str]]:
    """Stacks grouped so that every stack comes after the stacks it references (deploy order)."""
    deps = stack_dependencies(project)
    done: set[str] = set()
    waves: list[list[str]] = []
    while len(done) < len(deps):
        wave = sorted(s for s, d in deps.items() if s not in done and (d & set(deps)) <= done)
        if not wave:
            raise DiffError(f"stack references form a cycle among: {', '.join(sorted(set(deps) - done))}")
        waves.append(wave)
        done |= set(wave)
    return waves


def all_stacks(project: Project) -> list[str]:
    return [s for wave in stack_waves(project) for s in wave]


# --- reports -------------------------------------------------------------------------------------

def _mandatory(report: Optional[dict]) -> int:
    return sum(1 for d in (report or {}).get("policy", []) if d.get("level") == "mandatory")


def _pack_verdicts(report: Optional[dict]) -> str:
    if not report or not report.get("packs"):
        return "—"
    out = []
    for p in report["packs"]:
        bad = sum(1 for d in report["policy"] if d["pack"] == p["pack"] and d["level"] == "mandatory")
        out.append(f"{p['pack']} {'❌ ' + str(bad) if bad else '✅'}")
    return ", ".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _policy_details(report: Optional[dict]) -> list[str]:
    diags = (report or {}).get("policy", [])
    if not diags:
        return []
    lines = ["", "<details><summary>Policy diagnostics</summary>", "",
             "| level | pack | policy | resource | message |", "|---|---|---|---|---|"]
    for d in diags:
        lines.append(f"| {d['level']} | {d['pack']} | {d['policy']} | `{d['urn'].split('::')[-1]}` "
                     f"| {_md(d['message'].strip())[:300]} |")
    return lines + ["", "</details>"]


def diff_text(d: StackDiff) -> str:
    lines = [f"Offline diff ({d.stack}) against {d.base_ref}:"]
    if d.error:
        return "\n".join(lines + [f"    error: {d.error}"]) + "\n"
    if d.base_missing:
        lines.append("    (new stack: it does not exist at the base)")
    marks = {"create": "+", "delete": "-", "replace": "+-", "update": "~"}
    for c in d.changes:
        flag = "  <-- STATEFUL " + c.op.upper() if c.alert else ""
        keys = f" [{', '.join(c.keys)}]" if c.keys else ""
        why = f" ({c.reason})" if c.reason else ""
        lines.append(f"  {marks[c.op]:>2} {c.type:<50} {c.name}{keys}{why}{flag}")
    for old, new in d.renamed:
        lines.append(f"     renamed by alias: {_urn_name(old)} -> {_urn_name(new)}")
    lines.append("Resources: " + ", ".join(f"{d.count(op)} to {op}" for op in ("create", "update", "replace", "delete"))
                 + f", {d.unchanged} unchanged")
    if d.alerts:
        lines += ["", f"!! {len(d.alerts)} stateful resource(s) would be deleted or replaced (data, keys or "
                      "identity lost). Add an alias that keeps the URN (ResourceOptions(aliases=[...])) or "
                      "revert the change:"]
        lines += [f"!!   {c.op}: {c.type} {c.name} ({c.urn})" for c in d.alerts]
    if d.head and d.head.get("packs"):
        lines.append(f"Policies: {_pack_verdicts(d.head)}")
        for diag in d.head["policy"]:
            lines.append(f"    - [{diag['level']}] {diag['pack']}/{diag['policy']} ({diag['urn'].split('::')[-1]})")
    from .pricing import change_text  # issue #23
    return "\n".join(lines) + "\n" + change_text(d.cost)


def diff_markdown(diffs: list[StackDiff]) -> str:
    bad = [d for d in diffs if d.error or d.alerts or d.mandatory]
    status = "❌ needs attention" if bad else "✅ clean"
    base = diffs[0].base_ref if diffs else ""
    lines = [f"## Offline review diff against `{base[:12]}` — {status}", "",
             "| stack | resources | create | update | replace | delete | stateful ⚠ | policy |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    for d in diffs:
        if d.error:
            lines.append(f"| `{d.stack}` | | | | | | | ❌ error |")
            continue
        total = len(d.head["resources"]) if d.head else 0
        lines.append(f"| `{d.stack}` | {total} | {d.count('create')} | {d.count('update')} | {d.count('replace')} "
                     f"| {d.count('delete')} | {'**' + str(len(d.alerts)) + '**' if d.alerts else 0} "
                     f"| {_pack_verdicts(d.head)} |")
    for d in diffs:
        lines += ["", f"### `{d.stack}`"]
        if d.error:
            lines += ["", f"❌ the offline run failed — {_md(d.error)}"]
            continue
        if d.base_missing:
            lines += ["", "New stack (absent at the base)."]
        if d.alerts:
            lines += ["", f"> [!CAUTION]", f"> **{len(d.alerts)} stateful resource(s) deleted or replaced** — "
                      "data, key material or identity is lost. Keep the URN with an alias or revert."]
            lines += [f"> - **{c.op}** `{c.type}` `{c.name}`" for c in d.alerts]
        if d.changes:
            lines += ["", f"<details><summary>{len(d.changes)} change(s), {d.unchanged} unchanged</summary>", "",
                      "| op | type | name | changed inputs | why |", "|---|---|---|---|---|"]
            # Stateful alerts first; the table is capped so that every stack fits in one PR comment.
            shown = sorted(d.changes, key=lambda c: not c.alert)[:MARKDOWN_ROWS]
            for c in shown:
                lines.append(f"| {c.op}{' ⚠' if c.alert else ''} | `{c.type}` | `{c.name}` "
                             f"| {', '.join(f'`{k}`' for k in c.keys)} | {_md(c.reason)} |")
            if len(d.changes) > len(shown):
                lines.append(f"| … | {len(d.changes) - len(shown)} more | | | see the JSON report |")
            lines += ["", "</details>"]
        else:
            lines += ["", f"No changes ({d.unchanged} resources unchanged)."]
        if d.renamed:
            lines += ["", "Renamed with an alias (no replacement): "
                      + ", ".join(f"`{_urn_name(a)}` → `{_urn_name(b)}`" for a, b in d.renamed[:20])]
        lines += _policy_details(d.head)
        from .pricing import change_markdown  # issue #23
        lines += change_markdown(d.cost)
    return "\n".join(lines) + "\n"


def preview_markdown(runs: list[tuple[str, SideRun]]) -> str:
    bad = [s for s, r in runs if r.error or r.missing or _mandatory(r.report)]
    status = "❌ needs attention" if bad else "✅ clean"
    lines = [f"## Offline preview of {len(runs)} stack(s) — {status}", "",
             "| stack | resources | aws | gcp | azure | kubernetes | policy |", "|---|---:|---:|---:|---:|---:|---|"]
    for stack, run in runs:
        if run.report is None:
            lines.append(f"| `{stack}` | | | | | | ❌ {'missing' if run.missing else 'error'} |")
            continue
        per_cloud = {c: sum(t.values()) for c, t in run.report.get("counts", {}).items()}
        lines.append(f"| `{stack}` | {len(run.report['resources'])} | "
                     + " | ".join(str(per_cloud.get(c, 0)) for c in ("aws", "gcp", "azure", "kubernetes"))
                     + f" | {_pack_verdicts(run.report)} |")
    for stack, run in runs:
        if run.error:
            lines += ["", f"### `{stack}`", "", f"❌ the offline run failed — {_md(run.error)}"]
        elif run.report and run.report.get("policy"):
            lines += ["", f"### `{stack}`"] + _policy_details(run.report)
    from .pricing import cost_markdown  # issue #23: the monthly estimate of each stack
    lines += [f"\n### `{stack}`\n" + cost_markdown(run.report["cost"]) for stack, run in runs
              if run.report and run.report.get("cost")]
    return "\n".join(lines) + "\n"
