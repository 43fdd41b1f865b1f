"""Reads a stack's exports: `pulumi stack output --json --show-secrets` or an offline engine report.

Only the cell contract (components/cell.py, CellOutputs.export) and the `global_traffic` summary
(components/dns.py, GlobalTraffic.summary) are read; anything else in the file is ignored.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_HOST = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
GLOBAL_EXPORT = "global_traffic"


class OutputsError(Exception):
    """The outputs file cannot be used (missing, not JSON, no cells...): exit code 2."""


@dataclass(frozen=True)
class Cell:
    name: str
    own_name: str          # <cell>.<domain>: what its certificate, health check and record are for
    public_name: str       # <public_label>.<domain>: the global name its certificate also covers
    health_path: str
    endpoint_hostname: str = ""


@dataclass
class Target:
    stack: str
    public_name: str
    cells: list[Cell]
    # Cells the global layer routes the public name to; None when no file had `global_traffic`
    # (a prod cell stack alone): the public name's routing is then not this run's to check.
    routed: Optional[list[str]] = None


def _read(path: str) -> tuple[dict, Optional[str]]:
    """The exports in `path` and, for an offline report, the stack it is of."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise OutputsError(f"--outputs {path}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise OutputsError(f"--outputs {path}: not JSON ({exc}); expected `pulumi stack output --json "
                           f"--show-secrets` or `python -m offline preview STACK --assume-applied --json FILE`") from None
    if not isinstance(data, dict):
        raise OutputsError(f"--outputs {path}: a JSON object is expected, got {type(data).__name__}")
    if isinstance(data.get("outputs"), dict) and isinstance(data.get("resources"), list):
        if data.get("mode") == "dry-run":  # a first preview's report: its endpoints are not known yet
            raise OutputsError(f"--outputs {path}: an offline dry-run report (outputs unknown); run "
                               "`python -m offline preview STACK --assume-applied --json FILE`")
        return data["outputs"], data.get("stack")  # offline engine report
    return data, None


def _is_cell(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("name"), str) and "endpoint_hostname" in value \
        and "health_path" in value


def _domain_of(public_name: str, where: str) -> str:
    # The public name is `<public_label>.<domain>`, never the apex (components/config.py).
    label, _, domain = public_name.partition(".")
    if not _LABEL.match(label) or not _HOST.match(domain):
        raise OutputsError(f"{where}: public_name {public_name!r} is not <label>.<domain>")
    return domain


def load(paths: list[str], stack: str, domain: Optional[str] = None) -> Target:
    cells: dict[str, Cell] = {}
    public_names: set[str] = set()
    routed: Optional[list[str]] = None
    for path in paths:
        exports, report_stack = _read(path)
        if report_stack is not None and len(paths) == 1 and report_stack != stack:
            raise OutputsError(f"--outputs {path}: an offline report of stack {report_stack!r}, not {stack!r}")
        traffic = exports.get(GLOBAL_EXPORT)
        if isinstance(traffic, dict):
            if isinstance(traffic.get("public_name"), str):
                public_names.add(traffic["public_name"])
            routed = sorted(set(routed or []) | set(traffic.get("health_check_ids") or {}))
        for key, value in exports.items():
            if not _is_cell(value):
                continue
            where = f"--outputs {path}: cell {key!r}"
            name = value["name"]
            if not _LABEL.match(name):
                raise OutputsError(f"{where}: name {name!r} is not a DNS label")
            health_path = value.get("health_path") or ""
            if not isinstance(health_path, str) or not health_path.startswith("/"):
                raise OutputsError(f"{where}: health_path {health_path!r} must start with '/'")
            public = value.get("public_name")
            if not isinstance(public, str) or not public:
                raise OutputsError(f"{where}: no public_name (a stack without platform:dns has no names "
                                   f"to check)")
            public_names.add(public)
            cell_domain = domain or _domain_of(public, where)
            cells[name] = Cell(name=name, own_name=f"{name}.{cell_domain}", public_name=public,
                               health_path=health_path, endpoint_hostname=value.get("endpoint_hostname") or "")
    if not cells:
        raise OutputsError(f"stack {stack!r}: no cell in {', '.join(paths)} (a cell export is a dict with "
                           f"name, endpoint_hostname, health_path); for prod-global pass every cell "
                           f"stack's outputs too (--outputs is repeatable)")
    if len(public_names) != 1:
        raise OutputsError(f"stack {stack!r}: the outputs disagree on the public name: {sorted(public_names)}")
    if routed is not None:
        missing = [n for n in routed if n not in cells]
        if missing:
            raise OutputsError(f"stack {stack!r}: global_traffic routes to {', '.join(missing)} but no "
                               f"--outputs file exports that cell; pass its stack's outputs too")
    return Target(stack=stack, public_name=public_names.pop(), cells=sorted(cells.values(), key=lambda c: c.name),
                  routed=routed)
