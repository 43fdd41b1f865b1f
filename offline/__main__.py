"""Offline engine CLI.

    python -m offline preview STACK [--policy-pack DIR]... [--policy-pack-config FILE]...
                                    [--json FILE] [--markdown FILE] [--quiet]

    python -m offline preview --all [--policy-pack DIR]... [--json FILE] [--markdown FILE]
    python -m offline diff (STACK | --all) --base GIT_REF [--policy-pack DIR]... [--json FILE] [--markdown FILE]
                           [--max-monthly-increase AMOUNT]
    python -m offline stacks [--project-dir DIR]    (deploy order and CI matrices, JSON)
    python -m offline destroy STACK [--json FILE] [--markdown FILE] [--quiet]   (offline/destroy.py)
    python -m offline second-up STACK [--json FILE] [--markdown FILE]          (offline/second_up.py)

Exit codes: 0 clean, 1 a mandatory policy is violated, or an apply check (offline/apply) finds an
`error` (with --apply-warnings-as-errors: or a `warning`) no platform:apply_exemptions entry silences
(diff: or a stateful resource would be deleted or replaced, or a stack's monthly cost estimate rises
above --max-monthly-increase), 2 a config (or usage) error, 3 the program failed under the offline engine
(the program's own frames are printed), 4 the offline engine itself failed (a bug in offline/).
"""
from __future__ import annotations

import argparse
import gc
import json
import sys
import traceback
from pathlib import Path
from typing import Optional


def _add_report_flags(parser: argparse.ArgumentParser, pack_help: str, json_help: str, project_help: str) -> None:
    """Flags `preview` and `diff` share: packs and their config, report files, the project."""
    parser.add_argument("--policy-pack", action="append", default=[], metavar="DIR", help=pack_help)
    parser.add_argument("--policy-pack-config", action="append", default=[], metavar="FILE",
                        help="policy config for the pack at the same position (JSON or YAML)")
    parser.add_argument("--json", metavar="FILE", help=json_help)
    parser.add_argument("--markdown", metavar="FILE", help="write a Markdown report (PR comment) here")
    parser.add_argument("--project-dir", metavar="DIR", default=None, help=project_help)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m offline", description="Run a stack under Pulumi mocks, with policy packs.")
    sub = p.add_subparsers(dest="command", required=True)
    pv = sub.add_parser("preview", help="preview a stack offline")
    pv.add_argument("stack", nargs="?")
    pv.add_argument("--all", action="store_true",
                    help="preview every stack of the project (child processes) into one report")
    _add_report_flags(pv, pack_help="a CrossGuard pack directory (repeatable)", json_help="write the JSON report here",
                      project_help="directory holding Pulumi.yaml (default: this repository)")
    pv.add_argument("--quiet", action="store_true", help="print counts and verdicts only, not the resource tree")
    pv.add_argument("--assume-applied", action="store_true",
                    help="run the program as `pulumi up` would (every output known, the mocks' values) and run "
                         "what needs values: apply checks and the cost estimate. Default: a dry run, as a first "
                         "`pulumi preview` of a new stack (computed outputs unknown), packs only")
    pv.add_argument("--apply-warnings-as-errors", action="store_true",
                    help="exit 1 on apply-check warnings too (not only errors)")
    pv.add_argument("--no-apply-checks", action="store_true", help=argparse.SUPPRESS)  # bench/ baseline
    pv.add_argument("--unmasked-outputs", action="store_true", help=argparse.SUPPRESS)
    pv.add_argument("--real-mode", action="store_true",
                    help="judge the config as a real preview would (documentation ranges, an undelegated zone "
                         "and an unknown deployer are config errors), still under mocks")

    df = sub.add_parser("diff", help="what the working tree changes against a git ref, per stack (offline)")
    df.add_argument("stack", nargs="?")
    df.add_argument("--all", action="store_true", help="every stack of the base and of the working tree")
    df.add_argument("--base", required=True, metavar="GIT_REF", help="the ref to compare with (e.g. origin/main)")
    _add_report_flags(df, pack_help="a CrossGuard pack run on the working tree's side (repeatable)",
                      json_help="write the JSON diff here",
                      project_help="directory holding Pulumi.yaml, inside a git repository (default: this repository)")
    ds = sub.add_parser("destroy", help="what `pulumi destroy` would delete, in the engine's order, with the "
                                        "delete-time checks (platform:teardown; prod: the two-step path)")
    ds.add_argument("stack")
    ds.add_argument("--json", metavar="FILE", help="write the JSON report here")
    ds.add_argument("--markdown", metavar="FILE", help="write a Markdown report here")
    ds.add_argument("--project-dir", metavar="DIR", default=None, help="directory holding Pulumi.yaml")
    ds.add_argument("--quiet", action="store_true", help="print counts and verdicts only, not the waves")
    su = sub.add_parser("second-up", help="the next `up` after the first: the program against its first run's "
                                          "state (server normalizations applied); must be empty")
    su.add_argument("stack")
    su.add_argument("--json", metavar="FILE", help="write the JSON report here")
    su.add_argument("--markdown", metavar="FILE", help="write a Markdown report here")
    su.add_argument("--project-dir", metavar="DIR", default=None, help="directory holding Pulumi.yaml")
    st = sub.add_parser("stacks", help="print the stacks in deploy order and the CI deploy stages as JSON")
    st.add_argument("--project-dir", metavar="DIR", default=None, help="directory holding Pulumi.yaml")
    df.add_argument("--max-monthly-increase", type=float, default=None, metavar="AMOUNT",
                    help="fail (exit 1) when a stack's estimated monthly cost rises by more than AMOUNT (USD)")
    return p


# Deploy stages, in order: every non-prod stack, then the prod stacks that reference no other stack
# (the prod cells), then the prod stacks that read them (prod-global).
STAGES = ("preprod", "prod", "global")


def stacks(args) -> int:
    """The stack files in deploy order, and one GitHub Actions matrix per deploy stage."""
    import yaml

    from .cloud_facts import CLOUDS
    from .diff import DiffError, stack_dependencies, stack_waves
    from .project import load_project

    project = load_project(_project_dir(args))
    try:
        order = [s for wave in stack_waves(project) for s in wave]
    except DiffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    deps = stack_dependencies(project)
    matrix: dict[str, list[dict]] = {stage: [] for stage in STAGES}
    for stack in order:
        cfg = (yaml.safe_load(project.stack_file(stack).read_text()) or {}).get("config") or {}
        env = cfg.get(f"{project.name}:environment") or project.default_config.get(f"{project.name}:environment")
        clouds = {c.get("cloud") for c in cfg.get(f"{project.name}:cells") or [] if isinstance(c, dict)}
        stage = "preprod" if env != "prod" else ("global" if deps[stack] else "prod")
        if stage == "global" and any(deps[d] for d in deps[stack]):
            print(f"error: stack {stack!r}: references {sorted(deps[stack])}, which reference other stacks; "
                  "the deploy stages allow one level (cells, then global)", file=sys.stderr)
            return 2
        # One flag per plugin: whether the stack has a cell of that cloud (the workflows set up its tools and
        # credentials by it; Route 53's are set up for every stack: each writes records).
        matrix[stage].append({"stack": stack, "environment": env, **{c: c in clouds for c in CLOUDS}})
    order = [entry["stack"] for stage in STAGES for entry in matrix[stage]]
    print(json.dumps({"order": order, "matrix": {k: {"include": v} for k, v in matrix.items()}}))
    return 0


def _one_or_all(args) -> Optional[str]:
    """Usage error for `STACK` vs `--all`, or None."""
    if args.all and args.stack:
        return "give a STACK or --all, not both"
    if not args.all and not args.stack:
        return "give a STACK or --all"
    if len(args.policy_pack_config) > len(args.policy_pack):
        return "more --policy-pack-config than --policy-pack"
    return None


def _project_dir(args) -> Path:
    from .project import ROOT

    return Path(args.project_dir).resolve() if args.project_dir else ROOT


def preview_all(args) -> int:
    import tempfile

    from .diff import DiffError, SideRun, all_stacks, mandatory_count, preview_markdown, run_side
    from .engine import ASSUME_APPLIED, DRY_RUN
    from .project import load_project

    project_dir = _project_dir(args)
    try:
        stacks = all_stacks(load_project(project_dir))
    except (DiffError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    runs: list[tuple[str, SideRun]] = []
    with tempfile.TemporaryDirectory(prefix="offline-preview-") as tmp:
        for stack in stacks:
            run = run_side(project_dir, stack, args.policy_pack, args.policy_pack_config, Path(tmp),
                           assume_applied=args.assume_applied)
            runs.append((stack, run))
            if run.report is None:
                print(f"{stack}: error: {run.error}")
                continue
            mandatory = mandatory_count(run.report)
            apply_errors = _apply_errors(run.report)
            print(f"{stack}: {len(run.report['resources'])} resources, "
                  f"{'%d mandatory violation(s)' % mandatory if mandatory else 'policies ok'}"
                  + (f", {apply_errors} apply error(s)" if apply_errors else "")
                  + (f", ${run.report['cost']['monthly']:,.2f}/month" if run.report.get("cost") else ""))
    # Apply checks across stacks judge values: assume-applied only, as the per-stack ones.
    collisions = ([("global-name-fixed", *c) for c in _global_name_collisions(runs)]
                  + _cross_stack_collisions(runs)
                  if args.assume_applied else [])
    for rule_id, stack, urn, message in collisions:
        print(f"{stack}: apply error: {rule_id} ({urn.split('::')[-1]}): {message}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"mode": ASSUME_APPLIED if args.assume_applied else DRY_RUN,
             "stacks": {s: (r.report if r.report is not None else {"error": r.error}) for s, r in runs},
             "apply_collisions": [{"rule": rule_id, "stack": s, "urn": u, "level": "error", "message": m}
                                  for rule_id, s, u, m in collisions]},
            indent=1, default=str))
    if args.markdown:
        Path(args.markdown).write_text(preview_markdown(runs, mode=ASSUME_APPLIED if args.assume_applied else DRY_RUN))
    if any(r.error for _, r in runs):
        return 3
    failed = any(mandatory_count(r.report) or _apply_errors(r.report) for _, r in runs) or collisions
    return 1 if failed else 0


def _apply_errors(report: dict) -> int:
    return sum(1 for f in report.get("apply", []) if f["level"] == "error" and not f.get("exempted"))


def _cross_stack_collisions(runs) -> list[tuple[str, str, str, str]]:
    """(rule, stack, urn, message) of the rules across stacks the clouds' apply modules register (e.g. two
    stacks' GCP cells in one project)."""
    from .apply import CROSS_STACK, Graph, load_all

    load_all()
    graphs = [Graph(r.report["resources"], [], {}, s) for s, r in runs if r.report is not None]
    return [(rule_id, *c) for rule_id in sorted(CROSS_STACK) for c in CROSS_STACK[rule_id](graphs)]


def _global_name_collisions(runs) -> list[tuple[str, str, str]]:
    """Fixed global names two stacks both ask for (dev and prod of one cell), unless exempted."""
    from .apply import Graph
    from .apply.common import collisions

    graphs = [Graph(r.report["resources"], [], {}, s) for s, r in runs if r.report is not None]
    exempted = {(s, f["urn"]) for s, r in runs if r.report is not None for f in r.report.get("apply", [])
                if f["rule"] == "global-name-fixed" and f.get("exempted")}
    return [(s, u, m) for s, u, m in collisions(graphs) if (s, u) not in exempted]


def diff(args) -> int:
    import tempfile

    from .diff import DiffError, all_stacks, base_checkout, diff_markdown, diff_stack, diff_text
    from .project import load_project

    problem = _one_or_all(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    head_dir = _project_dir(args)
    try:
        with base_checkout(head_dir, args.base) as (base_dir, sha), \
                tempfile.TemporaryDirectory(prefix="offline-diff-") as tmp:
            head_stacks = all_stacks(load_project(head_dir))
            if args.all:
                base_stacks = all_stacks(load_project(base_dir)) if (base_dir / "Pulumi.yaml").exists() else []
                stacks = head_stacks + [s for s in base_stacks if s not in head_stacks]
            else:
                stacks = [args.stack]
                at_base = (base_dir / "Pulumi.yaml").exists() and load_project(base_dir).stack_file(args.stack).exists()
                if args.stack not in head_stacks and not at_base:
                    raise DiffError(f"stack {args.stack!r}: in neither the working tree nor {args.base}; "
                                    f"allowed: {', '.join(head_stacks) or 'none'}")
            diffs = [diff_stack(s, base_dir, head_dir, sha, args.policy_pack, args.policy_pack_config, Path(tmp))
                     for s in stacks]
    except DiffError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for d in diffs:
        sys.stdout.write(diff_text(d))
    if args.json:
        Path(args.json).write_text(json.dumps({"base": sha, "stacks": [d.to_json() for d in diffs]},
                                              indent=1, default=str))
    if args.markdown:
        Path(args.markdown).write_text(diff_markdown(diffs))
    if any(d.error for d in diffs):
        return 3
    from .pricing import over_limit  # the cost gate
    over = over_limit([(d.stack, d.cost) for d in diffs], args.max_monthly_increase)
    for message in over:
        print(f"!! {message}")
    return 1 if any(d.alerts or d.mandatory or d.apply_alerts for d in diffs) or over else 0


def _is_config_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:  # asyncio can chain an exception to itself
        seen.add(id(exc))
        if type(exc).__name__ in ("ConfigError", "StackNotFound"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _chain(exc: BaseException) -> list[BaseException]:
    out, seen = [], set()
    while exc is not None and id(exc) not in seen:  # asyncio can chain an exception to itself
        seen.add(id(exc))
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def _innermost(exc: BaseException) -> BaseException:
    return _chain(exc)[-1]


def _program_frames(exc: BaseException, project_root: Optional[Path]) -> list:
    """The frames of the user's program (its directory, not the engine's offline/ nor an installed
    package) in the exception and what it was raised from, innermost cause first; a mock rejecting an
    input (ValueError from offline/mocks, as the provider would) counts as the program's error.
    Empty: the engine itself failed."""
    from .project import ROOT

    roots = [r for r in {project_root or ROOT, ROOT} if r is not None]
    engine = (ROOT / "offline").resolve()
    mocks = engine / "mocks"
    frames, rejected = [], False
    for e in reversed(_chain(exc)):
        for f in traceback.extract_tb(e.__traceback__):
            path = Path(f.filename).resolve()
            if "site-packages" in path.parts or path.is_relative_to(Path(sys.prefix).resolve()):
                continue
            if path.is_relative_to(mocks) and isinstance(e, ValueError):
                rejected = True
            if path.is_relative_to(engine) or not any(path.is_relative_to(r) for r in roots):
                continue
            if f not in frames:
                frames.append(f)
    if not frames and rejected:
        return [f for e in _chain(exc) for f in traceback.extract_tb(e.__traceback__)
                if Path(f.filename).resolve().is_relative_to(mocks)][-1:]
    return frames


def preview(args) -> int:
    from .analyzer import (PackError, PackProcess, default_policy_config, from_captured, load_policy_config,
                           policy_resource)
    from .engine import run_stack
    from .project import load_project
    from .pricing import cost_of_run, stack_usage
    from .report import mandatory_violations, to_json, to_markdown, to_text

    problem = _one_or_all(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.all:
        return preview_all(args)
    configs = [load_policy_config(args.policy_pack_config[i] if i < len(args.policy_pack_config)
                                  else default_policy_config(pack_dir))
               for i, pack_dir in enumerate(args.policy_pack)]
    try:
        for pack_dir in args.policy_pack:
            PackProcess.validate(pack_dir)
    except PackError as exc:
        print(f"error: policy pack {exc}", file=sys.stderr)
        return 2
    relay = None

    def close_packs() -> None:
        if relay is not None:
            relay.close()

    try:
        project = load_project(Path(args.project_dir).resolve()) if args.project_dir else load_project()
        # As the engine drives its analyzers: the packs start up (a new interpreter each) while the
        # program runs and are configured before it (told which run it is, as the CLI tells them:
        # preview is a dry run, update is not), each resource is analyzed as it registers, the whole
        # stack once the program is done. Their sessions run in a relay process (offline/relay.py).
        if args.policy_pack:
            from .relay import Relay

            relay = Relay(list(zip(args.policy_pack, configs)), stack=args.stack, project=project.name,
                          dry_run=not args.assume_applied)

        def analyze_as_registered(captured) -> None:
            relay.add(policy_resource(captured))

        usage = stack_usage(args.stack, project)  # usage.yaml / platform:usage, checked first
        run = run_stack(args.stack, project, real_mode=args.real_mode, dry_run=not args.assume_applied,
                        on_resource=analyze_as_registered if relay is not None else None)
        # The estimate reads values (sizes, counts, derived names): assume-applied only.
        run.cost = cost_of_run(run, usage=usage) if args.assume_applied else None
    except BaseException as exc:  # noqa: BLE001 - reported to the user below
        close_packs()
        if not isinstance(exc, Exception):
            raise
        if _is_config_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        root = (Path(args.project_dir).resolve() if args.project_dir else None)
        frames = _program_frames(exc, root)
        program_error = next((e for e in _chain(exc) if type(e).__name__ == "ProgramError"), None)
        if not frames and program_error is not None:  # the engine found the program at fault (its exports)
            print(f"error: stack {args.stack!r}: the program failed under the offline engine: {program_error}",
                  file=sys.stderr)
            return 3
        if not frames:
            traceback.print_exc()
            print(f"error: stack {args.stack!r}: the offline engine failed (not the program; a bug in offline/): "
                  f"{exc}", file=sys.stderr)
            return 4
        print("Traceback (the program's own frames; engine and SDK frames left out):", file=sys.stderr)
        sys.stderr.write("".join(traceback.format_list(frames)))
        print(f"{type(_innermost(exc)).__name__}: {_innermost(exc)}", file=sys.stderr)
        print(f"error: stack {args.stack!r}: the program failed under the offline engine: {exc}", file=sys.stderr)
        return 3
    from . import apply as apply_checks

    findings, unused = [], []
    # The apply checks judge what the providers get at apply: known values, so assume-applied only.
    if args.assume_applied and not args.no_apply_checks:
        try:
            findings, unused = apply_checks.check_all(apply_checks.Graph.of_run(run))
        except apply_checks.ExemptionError as exc:
            close_packs()
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        packs = relay.finish(from_captured(run.resources)) if relay is not None else []
    except PackError as exc:  # a pack that would not start or answer: the pack's fault, in its words
        print(f"error: stack {args.stack!r}: policy pack {exc}", file=sys.stderr)
        return 2
    strict = args.apply_warnings_as_errors
    report = to_json(run, packs, findings, unused=unused, warnings_as_errors=strict)
    if args.unmasked_outputs:
        report["outputs"] = run.raw_outputs
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, sort_keys=False, default=str))
    if args.markdown:
        Path(args.markdown).write_text(to_markdown(run, packs, findings, unused=unused, warnings_as_errors=strict))
    sys.stdout.write(to_text(run, packs, verbose=not args.quiet, findings=findings, quiet=args.quiet,
                             unused=unused, warnings_as_errors=strict))
    blocking = apply_checks.blocking(findings, args.apply_warnings_as_errors)
    return 1 if mandatory_violations(packs) or blocking else 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "preview":
        return preview(args)
    if args.command == "diff":
        return diff(args)
    if args.command == "stacks":
        return stacks(args)
    if args.command == "destroy":  # offline/destroy.py
        from .destroy import main as destroy_main
        return destroy_main(args)
    if args.command == "second-up":  # offline/second_up.py
        from .second_up import main as second_up_main
        return second_up_main(args)
    return 2


if __name__ == "__main__":
    # A run is one short-lived process (~380 resources, then exit): Python's cyclic collector, walking
    # the ~2,500 SDK modules' objects again and again while they are imported and the program runs,
    # was ~3 s of CPU of an ~8 s preview and freed next to nothing (peak memory +1%). Off for the CLI
    # (each stack of --all/diff is its own process); in-process callers keep the default.
    gc.disable()
    code = main()
    # At exit the interpreter still runs one full collection over every object alive, collector
    # off or not: ~1.3 s for the SDKs' modules alone, a quarter of a preview, to free memory the
    # process returns anyway. Frozen objects are left out of it; atexit handlers and stream
    # flushing run as usual.
    gc.freeze()
    sys.exit(code)
