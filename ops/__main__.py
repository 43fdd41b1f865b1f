"""python -m ops smoke STACK --outputs FILE [--outputs FILE]... (see ops/smoke.py)
python -m ops referenced-stacks STACK   the stacks STACK reads through StackReference, one a line
python -m ops state-policy STACK --bucket BUCKET [--account ID]   (see ops/state_policy.py)

Exit code: 0 every check passed, 1 a check failed, 2 bad arguments or unusable outputs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import dns.resolver

from . import outputs, smoke, state_policy
from .release import cli as release_cli


def _port(value: str) -> tuple[str, int]:
    cell, _, port = value.rpartition("=")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r}: expected PORT or CELL=PORT (1-65535)")
    return cell, int(port)


def _positive(value: str) -> float:
    try:
        f = float(value)
    except ValueError:
        f = 0.0
    if not 0 < f <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r}: expected seconds, > 0 and <= 3600")
    return f


def _server(value: str) -> tuple[str, int]:
    try:
        return smoke.parse_server(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ops", description="Operations against a deployed stack.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("smoke", help="check from here that every cell of a deployed stack serves",
                       description="Checks each cell's own name (DNS, HTTPS for its own and the public "
                                   "name, TLS 1.2+, health path 2xx) and that the public name resolves to a "
                                   "cell. One line per check, failing first; exit 1 on any failure.")
    s.add_argument("stack", help="the stack (or, for prod, a label for the set of --outputs files)")
    s.add_argument("--outputs", action="append", required=True, metavar="FILE",
                   help="`pulumi stack output --json --show-secrets` or `python -m offline preview STACK "
                        "--assume-applied --json FILE` output; repeat for prod (prod-global and each cell stack)")
    s.add_argument("--domain", help="the zone (default: the public name without its first label)")
    s.add_argument("--resolver", type=_server, metavar="IP:PORT",
                   help="ask only this DNS server (default: the system's resolv.conf)")
    s.add_argument("--ca-file", metavar="PEM", help="trust only these CAs (default: the system's trust store)")
    s.add_argument("--port", type=_port, action="append", default=[], metavar="[CELL=]PORT",
                   help="HTTPS port (default 443); CELL=PORT for one cell; repeatable")
    s.add_argument("--timeout", type=_positive, default=5.0, metavar="S", help="per check (default 5)")
    s.add_argument("--deadline", type=_positive, default=60.0, metavar="S",
                   help="the whole run (default 60); a check still running then fails")
    r = sub.add_parser("referenced-stacks", help="the stacks a stack reads (platform:cell_stacks), one a line",
                       description="The deploy workflow smoke-tests a stack with its own outputs and "
                                   "those of every stack it reads (prod-global: the prod cells).")
    r.add_argument("stack")
    r.add_argument("--project-dir", default=None, help="the Pulumi project (default: this repository)")
    sp = sub.add_parser("state-policy", help="a stack deploy role's IAM policy for its own state and secrets key",
                        description="The inline policy a stack's AWS deploy role gets for the S3 state "
                                    "backend and the awskms:// secrets provider: its own key and state "
                                    "objects, read-only the state and key of the stacks it reads.")
    sp.add_argument("stack")
    sp.add_argument("--bucket", required=True, help="the state bucket (PULUMI_BACKEND_URL s3://BUCKET)")
    sp.add_argument("--account", default="*", help="the AWS account id of the secrets keys (default: any)")
    sp.add_argument("--project-dir", default=None, help="the Pulumi project (default: this repository)")
    release_cli.add_parser(sub)
    return p


def _references(stack: str, project_dir) -> "list[str] | None":
    from offline.diff.order import stack_dependencies
    from offline.project import load_project

    project = load_project(Path(project_dir)) if project_dir else load_project()
    deps = stack_dependencies(project)
    if stack not in deps:
        print(f"error: no stack {stack!r} (stacks: {', '.join(sorted(deps))})", file=sys.stderr)
        return None
    return sorted(deps[stack])


def smoke_command(args: argparse.Namespace) -> int:
    try:
        target = outputs.load(args.outputs, args.stack, domain=args.domain)
    except outputs.OutputsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.ca_file and not os.path.isfile(args.ca_file):
        print(f"error: --ca-file {args.ca_file}: no such file", file=sys.stderr)
        return 2
    default_port = 443
    ports = {}
    for cell, port in args.port:
        if not cell:
            default_port = port
        elif cell not in {c.name for c in target.cells}:
            print(f"error: --port {cell}={port}: no cell {cell!r} in the outputs "
                  f"(cells: {', '.join(c.name for c in target.cells)})", file=sys.stderr)
            return 2
        else:
            ports[cell] = port
    try:
        ctx = smoke.tls_context(args.ca_file)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        print(f"error: --ca-file {args.ca_file}: not a PEM CA bundle ({exc})", file=sys.stderr)
        return 2
    try:
        resolver = smoke.Resolver(args.resolver)
    except dns.resolver.NoResolverConfiguration as exc:
        print(f"error: no DNS resolver configured here ({exc}); pass --resolver IP:PORT", file=sys.stderr)
        return 2
    opts = smoke.Options(resolver=resolver, ctx=ctx, timeout=args.timeout,
                         deadline=args.deadline, port=default_port, ports=ports)
    start = time.monotonic()
    results = smoke.run(target, opts)
    sys.stdout.write(smoke.table(target, results, time.monotonic() - start))
    sys.stdout.flush()
    return 1 if any(r.status == smoke.FAIL for r in results) else 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "smoke":
        return smoke_command(args)
    if args.command == "release":
        return release_cli.command(args)
    refs = _references(args.stack, args.project_dir)
    if refs is None:
        return 2
    if args.command == "referenced-stacks":
        for s in refs:
            print(s)
        return 0
    if args.command == "state-policy":
        try:
            doc = state_policy.policy(args.stack, refs, bucket=args.bucket, account=args.account)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(doc, indent=2))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
