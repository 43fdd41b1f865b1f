"""`python -m ops release publish|verify|rollout|plan-waves` (README "Releases").

Exit codes: 0 done, 1 a cell failed (publish/verify) or a wave failed and was rolled back (rollout),
2 bad arguments or inputs (a release file, a plan, a stack, an out-of-zone cell).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from components.core import release as releases

from . import publish as pub
from . import rollout as ro
from . import waves


def add_parser(sub) -> None:
    r = sub.add_parser("release", help="publish, verify and roll out a release (releases/<name>-<version>.yaml)")
    rs = r.add_subparsers(dest="release_command", required=True)
    for name, helptext in (("publish", "upload the model into every allowed cell's own bucket, verified"),
                           ("verify", "read every allowed cell's copy back and compare it with the release")):
        p = rs.add_parser(name, help=helptext)
        p.add_argument("release", help="<name>-<version> (releases/<name>-<version>.yaml) or a path to the file")
        p.add_argument("--stack", required=True, help="the stack whose cells receive it")
        p.add_argument("--outputs", action="append", default=[], metavar="FILE",
                       help="the stack's exports (`pulumi stack output --json --show-secrets` or an offline "
                            "report); default: ask the Pulumi CLI")
        p.add_argument("--cell", action="append", default=[], help="only this cell (repeatable)")
        if name == "publish":
            p.add_argument("--source", required=True, type=Path, help="the artifact file")
    p = rs.add_parser("rollout", help="move cells to the release wave by wave, gated, with rollback")
    p.add_argument("release", help="<name>-<version>; must match the plan's `release`")
    p.add_argument("--plan", required=True, type=Path, help="the rollout plan (YAML; see ops/release/rollout.py)")
    p.add_argument("--dry-run", action="store_true", help="show each wave's diff with the offline engine; change nothing")
    p.add_argument("--wave", help="run only this wave (every earlier wave must already run the release): one CI "
                                  "environment per wave")
    p.add_argument("--policy-pack", action="append", default=[], metavar="DIR")
    p.add_argument("--policy-pack-config", action="append", default=[], metavar="FILE")
    p = rs.add_parser("plan-waves", help="the release workflow's matrices: stacks to publish to, waves in plan "
                                         "order (JSON)")
    p.add_argument("release", help="<name>-<version>; must match the plan's `release`")
    p.add_argument("--plan", type=Path, help="the rollout plan (default: releases/plans/RELEASE.yaml)")


def _release(value: str) -> releases.Release:
    path = Path(value)
    return releases.load_file(path) if path.suffix in (".yaml", ".yml") else releases.load(value)


def _print_results(results: list[pub.Result]) -> int:
    for r in sorted(results, key=lambda r: (r.ok, r.cell)):
        extra = f" ({r.uploaded / max(r.seconds, 1e-9) / 1e6:.1f} MB/s)" if r.uploaded else ""
        print(f"{r.status.upper():10} {r.cell}: {r.detail}{extra}")
    return 0 if all(r.ok for r in results) else 1


def _smoke_gate(stack: str, exports: dict, cells: list[str]):
    """The smoke check (ops/smoke.py) of the wave's cells, as gate results."""
    from .. import outputs, smoke
    from .gates import GateResult
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(exports, fh)
    try:
        target = outputs.load([fh.name], stack)
    except outputs.OutputsError as exc:
        return [GateResult(c, False, f"smoke: {exc}") for c in cells]
    target.cells = [c for c in target.cells if c.name in cells]
    target.routed = None
    opts = smoke.Options(resolver=smoke.Resolver(None), ctx=smoke.tls_context(None), timeout=5.0,
                         deadline=60.0, port=443, ports={})
    results = smoke.run(target, opts)
    return [GateResult(c, all(r.status != smoke.FAIL for r in results if r.cell == c),
                       "smoke: " + "; ".join(f"{r.check} {r.status}" for r in results if r.cell == c)) for c in cells]


def command(args: argparse.Namespace) -> int:
    try:
        if args.release_command == "plan-waves":
            plan_file = args.plan or waves.plan_path(args.release)
            print(json.dumps(waves.plan_waves(args.release, plan_file)))
            return 0
        rel = _release(args.release)
        if args.release_command in ("publish", "verify"):
            cells = pub.stack_cells(args.stack, args.outputs)
            targets, refused = pub.select(rel, cells, args.cell)
            for line in refused:
                print(f"REFUSED    {line}")
            if not targets:
                print(f"error: stack {args.stack!r}: no cell lies in a zone release {rel.id} allows "
                      f"({', '.join(rel.allowed_zones)})", file=sys.stderr)
                return 2
            if args.release_command == "publish":
                return _print_results(pub.publish(rel, args.source, targets))
            return _print_results(pub.verify(rel, targets))
        plan = ro.load_plan(args.plan)
        if plan.release != rel.id:
            print(f"error: --plan {args.plan}: release {plan.release!r}, not {rel.id!r}", file=sys.stderr)
            return 2
        if args.dry_run:
            runner = ro.OfflineRunner(packs=tuple(args.policy_pack))
        else:
            runner = ro.AutomationRunner(packs=tuple(args.policy_pack), pack_configs=tuple(args.policy_pack_config))
        report = ro.rollout(plan, runner, smoke=None if args.dry_run else _smoke_gate, dry_run=args.dry_run,
                            only=args.wave)
        print(report.render())
        return 0 if report.ok or args.dry_run else 1
    except (releases.ReleaseError, pub.ReleaseOpError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
