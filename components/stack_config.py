"""Reads the running stack's raw config from the Pulumi runtime and validates it.

The only module that touches `pulumi.Config` state; everything below it takes
typed arguments.
"""
from __future__ import annotations

import os

import pulumi
from pulumi.runtime import config as runtime_config

from .core.config import PlatformConfig, load


def raw_config() -> dict[str, str]:
    """Every `namespace:key` the engine passed to this program (env first, then runtime-set values)."""
    values = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    return values


# Set by the offline engine while it runs the program under mocks: example stacks may then keep
# documentation ranges and an undelegated zone (the engine reports them); a real preview or up may not.
OFFLINE_ENV = "PLATFORM_OFFLINE_ENGINE"


def load_stack_config() -> PlatformConfig:
    return load(pulumi.get_stack(), raw_config(), deployment=os.environ.get(OFFLINE_ENV) != "1")
