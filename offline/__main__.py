"""Offline engine CLI.

    python -m offline preview STACK [--policy-pack DIR]... [--policy-pack-config FILE]...
                                    [--json FILE] [--markdown FILE] [--quiet]

    python -m offline preview --all [--policy-pack DIR]... [--json FILE] [--markdown FILE]
    python -m offline diff (STACK | --all) --base GIT_REF [--policy-pack DIR]... [--json FILE] [--markdown FILE]

Exit codes: 0 clean, 1 a mandatory policy is violated (diff: or a stateful resource would be deleted
or replaced), 2 a config (or usage) error, 3 the program failed under the offline engine.
"""
from __future__ import annotations

import argparse
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
    pv.add_argument("--unmasked-outputs", action="store_true", help=argparse.SUPPRESS)

    df = sub.add_parser("diff", help="what the working tree changes against a git ref, per stack (offline)")
    df.add_argument("stack", nargs="?")
    df.add_argument("--all", action="store_true", help="every stack of the base and of the working tree")
    df.add_argument("--base", required=True, metavar="GIT_REF", help="the ref to compare with (e.g. origin/main)")
    _add_report_flags(df, pack_help="a CrossGuard pack run on the working tree's side (repeatable)",
                      json_help="write the JSON diff here",
                      project_help="directory holding Pulumi.yaml, inside a git repository (default: this repository)")
    return p


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

    from .diff import DiffError, SideRun, _mandatory, all_stacks, preview_markdown, run_side
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
            run = run_side(project_dir, stack, args.policy_pack, args.policy_pack_config, Path(tmp))
            runs.append((stack, run))
            if run.report is None:
                print(f"{stack}: error: {run.error}")
                continue
            mandatory = _mandatory(run.report)
            print(f"{stack}: {len(run.report['resources'])} resources, "
                  f"{'%d mandatory violation(s)' % mandatory if mandatory else 'policies ok'}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"stacks": {s: (r.report if r.report is not None else {"error": r.error}) for s, r in runs}},
            indent=1, default=str))
    if args.markdown:
        Path(args.markdown).write_text(preview_markdown(runs))
    if any(r.error for _, r in runs):
        return 3
    return 1 if any(_mandatory(r.report) for _, r in runs) else 0


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
    return 1 if any(d.alerts or d.mandatory for d in diffs) else 0


def _is_config_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:  # asyncio can chain an exception to itself
        seen.add(id(exc))
        if type(exc).__name__ in ("ConfigError", "StackNotFound"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def preview(args) -> int:
    from .analyzer import PackProcess, analyze_all, default_policy_config, from_captured, load_policy_config
    from .engine import run_stack
    from .project import load_project
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
    # The packs start up (a new interpreter each) while the program runs, as the CLI's analyzers do.
    started: list = []
    try:
        for pack_dir in args.policy_pack:
            started.append(PackProcess.spawn(pack_dir))
    except BaseException:
        for pack in started:
            pack.close()
        raise
    try:
        project = load_project(Path(args.project_dir).resolve()) if args.project_dir else None
        run = run_stack(args.stack, project)
    except BaseException as exc:  # noqa: BLE001 - reported to the user below
        for pack in started:
            pack.close()
        if not isinstance(exc, Exception):
            raise
        if _is_config_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        traceback.print_exc()
        print(f"error: stack {args.stack!r}: the program failed under the offline engine: {exc}", file=sys.stderr)
        return 3
    packs = analyze_all(list(zip(started, configs)), from_captured(run.resources), stack=run.stack,
                        project=run.project)
    report = to_json(run, packs)
    if args.unmasked_outputs:
        report["outputs"] = run.raw_outputs
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, sort_keys=False, default=str))
    if args.markdown:
        Path(args.markdown).write_text(to_markdown(run, packs))
    sys.stdout.write(to_text(run, packs, verbose=not args.quiet))
    return 1 if mandatory_violations(packs) else 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "preview":
        return preview(args)
    if args.command == "diff":
        return diff(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
