"""Mocks for Pulumi's own resources and for the providers themselves."""
from __future__ import annotations

from .registry import MockContext, resource, stable_hex


@resource("pulumi:pulumi:StackReference")
def stack_reference(ctx: MockContext, name: str, inputs: dict):
    # The engine runs the referenced stack offline (same project) and hands back its exports.
    full = inputs.get("name") or name
    stack = full.split("/")[-1]
    outputs = ctx.stack_outputs(stack)
    return full, {"name": full, "outputs": outputs, "secretOutputNames": []}


def provider(ctx: MockContext, name: str, inputs: dict):
    return stable_hex(ctx.type_, name, n=32), dict(inputs)


for _pkg in ("aws", "gcp", "azure-native", "kubernetes", "random", "tls", "time"):
    resource(f"pulumi:providers:{_pkg}")(provider)


@resource("time:index/sleep:Sleep")
def sleep(ctx: MockContext, name: str, inputs: dict):
    # pulumiverse-time: the id is the creation time (RFC 3339); offline, a fixed instant.
    return "2026-01-01T00:00:00Z", dict(inputs)
