"""Offline engine CLI.

    python -m offline preview STACK [--policy-pack DIR]... [--policy-pack-config FILE]...
                                    [--json FILE] [--markdown FILE] [--quiet]

Exit codes: 0 clean, 1 a mandatory policy is violated, 2 a config (or usage) error.
"""
from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m offline", description="Run a stack under Pulumi mocks, with policy packs.")
    sub = p.add_subparsers(dest="command", required=True)
    pv = sub.add_parser("preview", help="preview a stack offline")
    pv.add_argument("stack")
    pv.add_argument("--policy-pack", action="append", default=[], metavar="DIR",
                    help="a CrossGuard pack directory (repeatable)")
    pv.add_argument("--policy-pack-config", action="append", default=[], metavar="FILE",
                    help="policy config for the pack at the same position (JSON or YAML)")
    pv.add_argument("--json", metavar="FILE", help="write the JSON report here")
    pv.add_argument("--markdown", metavar="FILE", help="write a Markdown report (PR comment) here")
    pv.add_argument("--quiet", action="store_true", help="print counts and verdicts only, not the resource tree")
    pv.add_argument("--project-dir", metavar="DIR", default=None,
                    help="directory holding Pulumi.yaml (default: this repository)")
    pv.add_argument("--unmasked-outputs", action="store_true", help=argparse.SUPPRESS)
    return p


def _is_config_error(exc: BaseException) -> bool:
    while exc is not None:
        if type(exc).__name__ in ("ConfigError", "StackNotFound"):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def preview(args) -> int:
    from .analyzer import analyze, from_captured, load_policy_config
    from .engine import run_stack
    from .project import load_project
    from .report import mandatory_violations, to_json, to_markdown, to_text

    if len(args.policy_pack_config) > len(args.policy_pack):
        print("error: more --policy-pack-config than --policy-pack", file=sys.stderr)
        return 2
    try:
        project = load_project(Path(args.project_dir).resolve()) if args.project_dir else None
        run = run_stack(args.stack, project)
    except Exception as exc:  # noqa: BLE001 - reported to the user below
        if _is_config_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        traceback.print_exc()
        print(f"error: stack {args.stack!r}: the program failed under the offline engine: {exc}", file=sys.stderr)
        return 3
    packs = []
    resources = from_captured(run.resources)
    for i, pack_dir in enumerate(args.policy_pack):
        cfg = load_policy_config(args.policy_pack_config[i]) if i < len(args.policy_pack_config) else None
        packs.append(analyze(pack_dir, resources, config=cfg, stack=run.stack, project=run.project))
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
    return 2


if __name__ == "__main__":
    sys.exit(main())
