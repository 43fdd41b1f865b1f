"""Typed, validated stack configuration.

One validation path for `pulumi up` and the offline engine: both hand the raw Pulumi config (flat
`namespace:key` -> string, as the engine passes it to the program) to `load()`, which either returns
a `PlatformConfig` or raises a `ConfigError` naming the stack, the key path, the bad value and what
is allowed, before any resource is registered.

Three parts (docs/adr/0004-config-schema-errors-checks.md): `schema` (the models, cloud settings
mounted from the plugins), `errors` (how a refused value is told) and `checks` (rules that span keys,
cells and stacks). This module loads and re-exports what callers import.

Pure: pydantic, the region catalog and the plugins' settings modules; no cloud SDK.
"""
from __future__ import annotations

import datetime as _dt
import json
from typing import Any, Mapping, Optional

from pydantic import ValidationError

from .. import placement
from ..placement import PROJECT
from .checks import cloud_settings, cross_checks, deployment_problems, foreign_keys, release_problems
from .errors import ConfigError, format_error, unknown_top_key
from .schema import (DOCUMENTATION_RANGES, KEYS, NODE_SIZES, TEARDOWN_DEFAULTS, AccessOptions, ApplyExemption,
                     BucketOptions, CellPlacementConfig, CellSpecConfig, CellStackRef, ClusterOptions,
                     DeployerOptions, DnsOptions, EdgeOptions, HealthCheckOptions, PlatformConfig,
                     ResidencyException, SloOptions, WorkloadOptions, ZoneOptions, is_documentation_range,
                     provider_keys)

_DEFAULT_ZONES = {z: {"strict": strict} for z, strict in placement.DEFAULT_ZONES.items()}


def _parse_value(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, ValueError):
        return raw


def load(stack: str, raw: Mapping[str, Any], today: Optional[_dt.date] = None,
         deployment: bool = False) -> PlatformConfig:
    """Validate the raw Pulumi config of `stack`. Raises ConfigError with every problem found.

    `deployment` (a real preview or up) also refuses what only a real deployment cannot live with
    (`deployment_problems`: documentation ranges, an undelegated zone, an unknown deployer); the
    offline engine accepts those, so that example stacks run, and lists them in its report."""
    today = today or _dt.date.today()
    problems: list[str] = []
    data: dict[str, Any] = {"stack": stack}
    for full_key, value in raw.items():
        ns, _, key = full_key.partition(":")
        if ns != PROJECT:
            continue
        if key not in KEYS:
            problems.append(unknown_top_key(stack, full_key, key))
            continue
        data[key] = _parse_value(value)
    data.setdefault("zones", {})
    if isinstance(data["zones"], dict):
        data["zones"] = {**_DEFAULT_ZONES, **data["zones"]}
    for field, pulumi_key in provider_keys().items():
        data[field] = raw.get(pulumi_key)
    if "environment" not in data:
        problems.append(f"stack {stack!r}: {PROJECT}:environment: missing; allowed: dev, staging, prod")
    # Every problem at once: unknown keys, then each value pydantic refuses, then the rules that span
    # keys, judged on what is valid (a key that failed is left out of those, so a cross-key rule never
    # reports a consequence of an error already listed).
    try:
        cfg = PlatformConfig.model_validate(data)
    except ValidationError as e:
        errors = [err for err in e.errors() if tuple(err["loc"]) != ("environment",) or "environment" in data]
        problems += [format_error(stack, err, data) for err in errors]
        failed = {err["loc"][0] for err in errors if err["loc"]}
        cfg = _valid_part(data, failed)
        if cfg is not None:
            dropped = [f"{PROJECT}:{k}" for k in failed]
            problems += [f"stack {stack!r}: {p}" for p in cross_checks(cfg, today)
                         if not any(d in p for d in dropped)]
        raise ConfigError("\n".join(problems)) from None
    later = cross_checks(cfg, today)
    if deployment:
        later += deployment_problems(cfg)
    problems += [f"stack {stack!r}: {p}" for p in later]
    if problems:
        raise ConfigError("\n".join(problems))
    return cfg


def _valid_part(data: dict, failed: set) -> Optional[PlatformConfig]:
    """The config without its failing top-level keys (their defaults instead), or None when a key
    without a default failed (nothing sound is left to cross-check)."""
    rest = {k: v for k, v in data.items() if k not in failed}
    try:
        return PlatformConfig.model_validate(rest)
    except ValidationError:
        return None


__all__ = [
    "PROJECT", "ConfigError", "load", "cloud_settings", "deployment_problems", "cross_checks", "foreign_keys",
    "release_problems", "is_documentation_range", "DOCUMENTATION_RANGES", "NODE_SIZES", "TEARDOWN_DEFAULTS",
    "PlatformConfig", "CellSpecConfig", "CellPlacementConfig", "CellStackRef", "ClusterOptions", "BucketOptions",
    "DnsOptions", "HealthCheckOptions", "DeployerOptions", "AccessOptions", "SloOptions", "EdgeOptions",
    "WorkloadOptions", "ZoneOptions", "ResidencyException", "ApplyExemption",
]
