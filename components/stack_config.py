"""Reads the running stack's raw config from the Pulumi runtime and validates it.

The only module that touches `pulumi.Config` state; everything below it takes
typed arguments.
"""
from __future__ import annotations

import pulumi
from pulumi.runtime import config as runtime_config

from .core.config import PlatformConfig, load


def raw_config() -> dict[str, str]:
    """Every `namespace:key` the engine passed to this program (env first, then runtime-set values)."""
    values = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    return values


def load_stack_config() -> PlatformConfig:
    return load(pulumi.get_stack(), raw_config())
