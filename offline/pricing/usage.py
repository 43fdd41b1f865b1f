"""Usage assumptions behind the usage-driven costs (requests, storage, egress, logs per cell).

Read from `usage.yaml` at the project root and from the stack's `platform:usage` config key;
later wins: built-in defaults < usage.yaml `defaults` < usage.yaml `stacks.<stack>` <
`platform:usage`. Each level has the same shape:

    defaults: {requests_per_month: 10000000, gb_stored: 50, gb_egress: 100, gb_logs: 5, gb_nat: 10}
    cells:    {<cell name>: {...same keys...}}
    global:   {dns_queries_per_month: 10000000}

An unknown key or a negative/non-numeric value is a config error naming the file (or stack) and
the key, with what is allowed.
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

CELL_KEYS: dict[str, tuple[float, str]] = {
    "requests_per_month": (10_000_000, "HTTP requests served by the cell's load balancer"),
    "gb_stored": (50, "GB kept in the cell's object storage (each replica stores a copy)"),
    "gb_egress": (100, "GB sent to the internet by the cell's load balancer"),
    "gb_logs": (5, "GB of logs ingested (flow logs, cluster and load-balancer logs)"),
    "gb_nat": (10, "GB through the cell's NAT (image pulls, outbound calls)"),
    # 5,000 active series (nodes, pods, the workload's own) scraped every 30 s: 5,000 x 87,600 a month.
    "metric_samples_per_month": (438_000_000, "Prometheus samples the cell's managed Prometheus ingests"),
}
GLOBAL_KEYS: dict[str, tuple[float, str]] = {
    "dns_queries_per_month": (10_000_000, "queries answered by the global zone"),
}
USAGE_FILE = "usage.yaml"
CONFIG_KEY = "platform:usage"


class ConfigError(Exception):
    """Bad usage assumptions (the CLI reports it like any config error: exit 2)."""


@dataclass
class Usage:
    defaults: dict[str, float] = field(default_factory=lambda: {k: float(v) for k, (v, _) in CELL_KEYS.items()})
    cells: dict[str, dict[str, float]] = field(default_factory=dict)
    global_: dict[str, float] = field(default_factory=lambda: {k: float(v) for k, (v, _) in GLOBAL_KEYS.items()})

    def cell(self, name: str) -> dict[str, float]:
        return {**self.defaults, **self.cells.get(name, {})}

    def report(self) -> dict:
        return {"defaults": self.defaults, "cells": self.cells, "global": self.global_}


def _numbers(where: str, section: str, values: Any, allowed: dict) -> dict[str, float]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: {section}: must be a mapping of {', '.join(sorted(allowed))} to numbers")
    out = {}
    for key, value in values.items():
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            did = f"did you mean {hint[0]!r}? " if hint else ""
            raise ConfigError(f"{where}: {section}.{key}: unknown key; {did}allowed: {', '.join(sorted(allowed))}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{where}: {section}.{key}: {value!r} is not a number >= 0")
        out[key] = float(value)
    return out


def _overlay(usage: Usage, where: str, doc: Any) -> None:
    if doc is None:
        return
    if not isinstance(doc, dict):
        raise ConfigError(f"{where}: must be a mapping with defaults, cells and global")
    extra = set(doc) - {"defaults", "cells", "global", "stacks"}
    if extra:
        raise ConfigError(f"{where}: {sorted(extra)[0]}: unknown key; allowed: defaults, cells, global"
                          + (", stacks" if where.endswith(USAGE_FILE) else ""))
    usage.defaults.update(_numbers(where, "defaults", doc.get("defaults"), CELL_KEYS))
    cells = doc.get("cells") or {}
    if not isinstance(cells, dict):
        raise ConfigError(f"{where}: cells: must map cell names to usage")
    for name, values in cells.items():
        usage.cells.setdefault(str(name), {}).update(_numbers(where, f"cells.{name}", values, CELL_KEYS))
    usage.global_.update(_numbers(where, "global", doc.get("global"), GLOBAL_KEYS))


def load_usage(stack: str, project_root: Optional[Path] = None, config: Optional[dict[str, str]] = None) -> Usage:
    """The usage of `stack`: usage.yaml under `project_root`, then the stack's `platform:usage`."""
    usage = Usage()
    if project_root is not None and (project_root / USAGE_FILE).exists():
        path = project_root / USAGE_FILE
        doc = yaml.safe_load(path.read_text()) or {}
        _overlay(usage, str(path.name), {k: v for k, v in doc.items() if k != "stacks"})
        stacks = doc.get("stacks") or {}
        if not isinstance(stacks, dict):
            raise ConfigError(f"{path.name}: stacks: must map stack names to usage")
        _overlay(usage, f"{path.name}: stacks.{stack}", stacks.get(stack))
    raw = (config or {}).get(CONFIG_KEY)
    if raw is not None:
        try:
            value = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            value = raw
        _overlay(usage, f"stack {stack!r}: {CONFIG_KEY}", value)
    return usage
