"""`python -m offline destroy STACK`: what `pulumi destroy` of the stack would do, checked before it runs.

The deletion, in the engine's own order: `pulumi destroy` schedules deletes in antichains
(pulumi/pulumi pkg/resource/deploy/step_generator.go, `ScheduleDeletes`): while resources remain,
every one that no remaining resource depends on (dependencies, property dependencies, parent,
provider) is deleted in parallel with the others of its round; a round completes before the next.
Dependents therefore go first and providers last. A resource kept by `retainOnDelete` leaves the
state without a call to the cloud; a read resource (`get`, StackReference) is only forgotten.

Then the delete-time apply rules (offline/apply/teardown.py) over the same run.

`platform:teardown` decides what is judged:
- destroyable (dev, staging): the plan and its findings; exit 1 on an error.
- protected (prod): `destroy` is refused by design, so the command checks the documented two-step path
  instead: step 1, an `up` with `platform:teardown: destroyable`, must only lift protections (no create,
  delete or replacement, updates only of protection inputs, `protect` flags dropped); step 2, the
  destroy of the stack as step 1 leaves it, must have no delete-time error. Exit 1 when a step fails.

Reports: text (stdout), `--json FILE` (a contract: keys only ever added), `--markdown FILE`.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import yaml

from .cloud_facts import PACKAGES as _PACKAGE_FACTS
from .project import Project, load_project, stack_config

# Provider packages (every cloud plugin's and the non-cloud ones but this project's components: the
# registry's facts): a type of one of these is a custom resource (deleted at its cloud); any other type
# is a component (deleted from state only, after its children).
PACKAGES = tuple(pkg for pkg, facts in _PACKAGE_FACTS.items() if facts["kind"] != "component")
# Inputs whose only job is to allow or refuse a delete (step 1 of the prod path may change these only).
PROTECTION_INPUTS = frozenset({"forceDestroy", "deletionProtection", "enableDeletionProtection",
                               "deletionProtectionEnabled"})
ENGINE_ROOT = Path(__file__).resolve().parent.parent


class TeardownConfigError(Exception):
    """`platform:teardown` holds something else than a teardown mode (exit 2)."""


def _provider_urn(ref: Optional[str]) -> Optional[str]:
    return ref.rsplit("::", 1)[0] if ref else None


def is_component(r: dict) -> bool:
    return r["type"].split(":", 1)[0] not in PACKAGES


def is_read(r: dict) -> bool:
    """A read resource (`get`, StackReference): registered without options, never deleted."""
    return r.get("options") == {}


def delete_dependencies(r: dict, present: set[str]) -> set[str]:
    """What `r` depends on for the engine's delete schedule (its dependency graph's DependenciesOf)."""
    deps = set(r.get("dependencies") or [])
    for urns in (r.get("propertyDependencies") or {}).values():
        deps |= set(urns)
    if r.get("parent"):
        deps.add(r["parent"])
    prov = _provider_urn(r.get("provider"))
    if prov:
        deps.add(prov)
    return (deps & present) - {r["urn"]}


def waves(resources: list[dict]) -> list[list[dict]]:
    """The delete antichains, in execution order (each one runs in parallel)."""
    by_urn = {r["urn"]: r for r in resources}
    present = set(by_urn)
    deps = {u: delete_dependencies(r, present) for u, r in by_urn.items()}
    condemned = set(present)
    chains: list[list[str]] = []
    order = {u: i for i, u in enumerate(by_urn)}
    while condemned:
        chain = sorted((u for u in condemned if not deps[u] & condemned), key=order.get)
        if not chain:  # a cycle cannot be registered; guard anyway
            raise ValueError(f"dependency cycle among {sorted(condemned)[:5]}")
        condemned -= set(chain)
        chains.append(chain)
    chains.reverse()
    return [[by_urn[u] for u in chain] for chain in chains]


def action(r: dict) -> str:
    if is_read(r):
        return "forget"        # read, not owned: dropped from state
    if r.get("retainOnDelete"):
        return "retain"        # removed from state, left at the cloud
    if is_component(r):
        return "component"     # no cloud call
    return "delete"


@dataclass
class Plan:
    stack: str
    teardown: str
    waves: list[list[dict]]
    findings: list[dict]                   # delete-time apply findings (report form)
    error: Optional[str] = None
    step1: Optional[dict] = None           # protected stacks: the `up` that lifts the protections
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[dict]:
        return [f for f in self.findings if f["level"] == "error" and not f.get("exempted")]

    @property
    def step1_problems(self) -> list[str]:
        return list((self.step1 or {}).get("problems", []))

    @property
    def ok(self) -> bool:
        return not self.error and not self.errors and not self.step1_problems

    def count(self, what: str) -> int:
        return sum(1 for w in self.waves for r in w if action(r) == what)

    def to_json(self) -> dict:
        return {
            "stack": self.stack, "teardown": self.teardown, "error": self.error, "ok": self.ok,
            "summary": {a: self.count(a) for a in ("delete", "retain", "component", "forget")}
            | {"waves": len(self.waves), "errors": len(self.errors),
               "warnings": sum(1 for f in self.findings if f["level"] == "warning" and not f.get("exempted"))},
            "waves": [[{"urn": r["urn"], "type": r["type"], "name": r["name"], "action": action(r)} for r in w]
                      for w in self.waves],
            "apply": self.findings,
            "two_step": self.step1,
        }


def _child_env(project: Project) -> dict:
    path = [str(project.root), str(ENGINE_ROOT), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in path if p))


def run_preview(project: Project, stack: str, tmp: Path, tag: str) -> tuple[Optional[dict], Optional[str]]:
    """The stack's offline preview report (a child process: one program run per process)."""
    out = tmp / f"{tag}-{stack}.json"
    # The state a destroy starts from is applied: every value known (--assume-applied).
    proc = subprocess.run([sys.executable, "-m", "offline", "preview", stack, "--quiet", "--assume-applied",
                           "--json", str(out), "--project-dir", str(project.root)], cwd=ENGINE_ROOT,
                          capture_output=True, text=True,
                          env=_child_env(project))
    if proc.returncode not in (0, 1) or not out.exists():
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
        return None, f"exit {proc.returncode}: {tail}"
    return json.loads(out.read_text()), None


def with_teardown(project: Project, stack: str, mode: str, tmp: Path) -> Project:
    """A copy of the project whose `stack` sets `platform:teardown: mode` (the config of step 1)."""
    root = tmp / f"teardown-{mode}"
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    doc = yaml.safe_load((project.root / "Pulumi.yaml").read_text())
    doc["main"] = str(project.program)
    doc["stackConfigDir"] = "stacks"
    (root / "Pulumi.yaml").write_text(yaml.safe_dump(doc))
    for other in project.stacks():  # stack references read the other stacks' files
        sdoc = yaml.safe_load(project.stack_file(other).read_text()) or {}
        if other == stack:
            sdoc.setdefault("config", {})["platform:teardown"] = mode  # offline/apply/teardown.py TEARDOWN_KEY
        (root / "stacks" / f"Pulumi.{other}.yaml").write_text(yaml.safe_dump(sdoc))
    usage = project.root / "usage.yaml"
    if usage.exists():
        (root / "usage.yaml").write_text(usage.read_text())
    return load_project(root)


def teardown_findings(report: dict, config: dict[str, str]) -> list[dict]:
    """The delete-time rules over a preview report of the stack, with the stack's config."""
    from .apply import Graph
    from .apply.teardown import findings

    g = Graph(report["resources"], report.get("invokes", []), config, report.get("stack", ""))
    return [f.report() for f in findings(g)]


def step1_check(protected: dict, destroyable: dict) -> dict:
    """The `up` that sets `platform:teardown: destroyable`: what it changes, and what it must not."""
    from .diff import diff_resources

    changes, unchanged, _renamed = diff_resources(protected["resources"], destroyable["resources"])
    problems = []
    updates = []
    for c in changes:
        if c.op != "update":
            problems.append(f"{c.op} {c.type} {c.name}: the `up` that lifts protection must not {c.op} anything")
            continue
        extra = [k for k in c.keys if k not in PROTECTION_INPUTS]
        updates.append({"type": c.type, "name": c.name, "keys": c.keys})
        if extra:
            problems.append(f"update {c.type} {c.name}: changes {', '.join(extra)}, not only protection inputs "
                            f"({', '.join(sorted(PROTECTION_INPUTS))}); teardown must not change what the stack runs")
    new = {r["urn"]: r for r in destroyable["resources"]}
    unprotected = [r["urn"] for r in protected["resources"] if r.get("protect") and not new.get(r["urn"], {}).get("protect")]
    still = [r["urn"] for r in destroyable["resources"] if r.get("protect")]
    return {"updates": updates, "unprotected": unprotected, "still_protected": still, "unchanged": unchanged,
            "problems": problems}


def plan(stack: str, project: Optional[Project] = None) -> Plan:
    from .apply import Graph
    from .apply.teardown import DESTROYABLE, PROTECTED, TEARDOWN_KEY, teardown_mode

    project = project or load_project()
    config, _ = stack_config(project, stack)  # StackNotFound: a usage error
    g = Graph([], [], config, stack)
    raw = g.cfg(TEARDOWN_KEY)
    if raw is not None and raw not in (DESTROYABLE, PROTECTED):
        raise TeardownConfigError(f"stack {stack!r}: {TEARDOWN_KEY} = {json.dumps(raw)}: not a teardown "
                                  f"mode; allowed: {DESTROYABLE}, {PROTECTED}")
    mode = teardown_mode(g)
    with tempfile.TemporaryDirectory(prefix="offline-destroy-") as tmp:
        report, error = run_preview(project, stack, Path(tmp), "current")
        if report is None:
            return Plan(stack, mode, [], [], error=error)
        if mode == DESTROYABLE:
            return destroyable_plan(stack, report, config)
        step1_project = with_teardown(project, stack, DESTROYABLE, Path(tmp))
        after, error = run_preview(step1_project, stack, Path(tmp), "step1")
        step1_config, _ = stack_config(step1_project, stack)
    if after is None:
        return Plan(stack, PROTECTED, waves(report["resources"]), [], error=f"step 1 (teardown destroyable): {error}")
    return two_step(stack, report, after, step1_config)


def destroyable_plan(stack: str, report: dict, config: dict[str, str]) -> Plan:
    """The destroy of a stack whose `platform:teardown` is destroyable (its preview report and config)."""
    from .apply.teardown import DESTROYABLE

    return Plan(stack, DESTROYABLE, waves(report["resources"]), teardown_findings(report, config))


def two_step(stack: str, protected: dict, after: dict, config: dict[str, str]) -> Plan:
    """A protected stack (its report) and the same stack with `platform:teardown: destroyable` (step 1's
    report and config)."""
    from .apply.teardown import PROTECTED

    kept = sum(1 for r in protected["resources"] if r.get("protect"))
    return Plan(stack, PROTECTED, waves(after["resources"]), teardown_findings(after, config),
                step1=step1_check(protected, after),
                notes=[f"`pulumi destroy` of the stack as it is stops at its {kept} protected resource(s): "
                       "prod is torn down in two steps"])


# ---------------------------------------------------------------------------------------------
# Reports

MARKS = {"delete": "-", "retain": "~ retain", "component": "- (component)", "forget": "  forget"}


def _two_step_lines(p: Plan, cmd: str) -> list[str]:
    s = p.step1 or {}
    return [
        "Two-step teardown (README \"Teardown\"):",
        f"  1. set platform:teardown: destroyable in stacks/Pulumi.{p.stack}.yaml, check with `{cmd}`, run "
        f"`pulumi up`: lifts `protect` on {len(s.get('unprotected', []))} resource(s) and updates "
        f"{len(s.get('updates', []))} resource(s) ({', '.join(sorted({k for u in s.get('updates', []) for k in u['keys']})) or 'nothing else'})"
        + (" -- FAILS:" if p.step1_problems else ", nothing else"),
        *[f"       !! {m}" for m in p.step1_problems],
        *[f"       !! still protected after step 1: {u.split('::')[-1]}" for u in s.get("still_protected", [])],
        f"  2. `pulumi destroy`: {p.count('delete')} deletes in {len(p.waves)} waves"
        + (f" -- {len(p.errors)} delete-time error(s) below" if p.errors else ", no delete-time error"),
    ]


def to_text(p: Plan, verbose: bool = True) -> str:
    lines = [f"Offline destroy ({p.stack}), platform:teardown = {p.teardown}:"]
    if p.error:
        return "\n".join(lines + [f"    error: {p.error}"]) + "\n"
    lines += [f"    {n}" for n in p.notes]
    if p.step1 is not None:
        lines += _two_step_lines(p, f"python -m offline destroy {p.stack}")
    if verbose:
        for i, w in enumerate(p.waves, 1):
            lines.append(f"  wave {i} ({len(w)} in parallel):")
            lines += [f"    {MARKS[action(r)]:<14} {r['type']:<55} {r['name']}" for r in w]
    lines.append(f"Resources: {p.count('delete')} to delete, {p.count('retain')} retained, {p.count('component')} "
                 f"components, {p.count('forget')} forgotten; {len(p.waves)} waves")
    if p.findings:
        lines.append("Delete-time checks:")
        for f in p.findings:
            tag = f"[{f['level']}]" + (" (exempted)" if f.get("exempted") else "")
            lines.append(f"  - {tag} {f['rule']} ({f['urn'].split('::')[-1]}): {f['message']}")
    verdict = "ok" if p.ok else "FAILS"
    lines.append(f"Verdict: {'destroy' if p.teardown == 'destroyable' else 'two-step teardown'} {verdict}")
    return "\n".join(lines) + "\n"


def to_markdown(p: Plan) -> str:
    mark = "✅" if p.ok else "❌"
    lines = [f"## Offline destroy of `{p.stack}` — {mark} (`platform:teardown: {p.teardown}`)", ""]
    if p.error:
        return "\n".join(lines + [f"❌ the offline run failed — {p.error}"]) + "\n"
    if p.step1 is not None:
        lines += [f"- {x.strip()}" for x in _two_step_lines(p, f"python -m offline destroy {p.stack}")[1:]]
        lines.append("")
    lines += ["| wave | parallel | delete | retain | components |", "|---:|---:|---:|---:|---:|"]
    for i, w in enumerate(p.waves, 1):
        n = {a: sum(1 for r in w if action(r) == a) for a in ("delete", "retain", "component")}
        lines.append(f"| {i} | {len(w)} | {n['delete']} | {n['retain']} | {n['component']} |")
    if p.findings:
        lines += ["", "| level | rule | resource | message |", "|---|---|---|---|"]
        for f in p.findings:
            message = f["message"].replace("|", "\\|")[:300]
            lines.append(f"| {f['level']}{' (exempted)' if f.get('exempted') else ''} | {f['rule']} "
                         f"| `{f['urn'].split('::')[-1]}` | {message} |")
    return "\n".join(lines) + "\n"


def main(args) -> int:
    from .apply import ExemptionError
    from .project import StackNotFound

    project = load_project(Path(args.project_dir).resolve()) if args.project_dir else load_project()
    try:
        p = plan(args.stack, project)
    except (StackNotFound, ExemptionError, TeardownConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(to_text(p, verbose=not args.quiet))
    if args.json:
        Path(args.json).write_text(json.dumps(p.to_json(), indent=1, default=str))
    if args.markdown:
        Path(args.markdown).write_text(to_markdown(p))
    if p.error:
        return 2 if "exit 2" in p.error else 3
    return 0 if p.ok else 1
