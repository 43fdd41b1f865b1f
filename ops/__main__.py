"""python -m ops smoke STACK --outputs FILE [--outputs FILE]... (see ops/smoke.py)

Exit code: 0 every check passed, 1 a check failed, 2 bad arguments or unusable outputs.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import dns.resolver

from . import outputs, smoke


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
    return p


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
    return 2


if __name__ == "__main__":
    sys.exit(main())
