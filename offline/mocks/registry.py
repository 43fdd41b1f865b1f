"""Registry of mock behaviour: what each resource type and invoke returns offline.

A resource mock receives the wire-named inputs and a `MockContext` and returns
`(id, outputs)`; outputs should look like what the real provider returns (ARNs,
self links, endpoints), inputs included. An invoke mock returns the result dict.
Each cloud's mocks live in its folder (components/clouds/<cloud>/mocks.py, loaded by offline/clouds),
the non-cloud packages' beside this file; all register themselves with the decorators below.
"""
from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

ResourceMock = Callable[["MockContext", str, dict], tuple[Optional[str], dict]]
InvokeMock = Callable[["MockContext", dict], dict]

RESOURCES: dict[str, ResourceMock] = {}
INVOKES: dict[str, InvokeMock] = {}

# Fixed identities of the offline world, so ids and ARNs are stable run to run.
AWS_ACCOUNT_ID = "123456789012"
# The wire's unknown value (a computed value not known yet), as the engine and the SDK write it.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
AZURE_SUBSCRIPTION_ID = "00000000-0000-4000-8000-000000000001"
AZURE_TENANT_ID = "00000000-0000-4000-8000-000000000002"
AZURE_OBJECT_ID = "00000000-0000-4000-8000-000000000003"
GCP_PROJECT_NUMBER = "123456789012"


def resource(*types: str):
    """Register a hand-written mock for `types`. What it returns is completed from the SDK's declaration
    (`completed_resource`): a mock says what it knows, the SDK-derived mock gives every other output."""
    def deco(fn: ResourceMock) -> ResourceMock:
        for t in types:
            RESOURCES[t] = completed_resource(fn)
        return fn

    return deco


def invoke(*tokens: str):
    """Register a hand-written invoke mock, its result completed from the SDK's result class."""
    def deco(fn: InvokeMock) -> InvokeMock:
        for t in tokens:
            INVOKES[t] = completed_invoke(fn)
        return fn

    return deco


def _missing(value: Any) -> bool:
    return value is None


def completed_resource(fn: ResourceMock) -> ResourceMock:
    """`fn`, with every output only the provider sets (the SDK declares it and takes no such input: ids,
    ARNs, endpoints, keys) that `fn` left out (or None) filled from the SDK-derived mock
    (offline/mocks/sdk.py); the mock's own values and the inputs win. A real provider answers those at
    create; without this a program reading one the mock forgot gets None in assume-applied mode (and
    builds strings containing "None"). An output the program could have given as an input and did not
    is left as the mock says: the provider's default for it is not known here, and an invented value
    (a key id, a replication target) would be judged by the packs as if the program had set it. In a
    dry run the engine turns the filled values into unknowns like any computed output."""
    @functools.wraps(fn)
    def complete(ctx: "MockContext", name: str, inputs: dict):
        rid, outputs = fn(ctx, name, inputs)
        outputs = dict(outputs or {})
        from . import sdk

        gaps = [k for k in sdk.computed_outputs(ctx.type_) if _missing(outputs.get(k))]
        if gaps:
            derived = sdk.resource_outputs(ctx, ctx.type_, name, inputs, only=gaps)
            for k in gaps:
                if not _missing(derived.get(k)):
                    outputs[k] = derived[k]
        return rid, outputs

    complete.hand_written = fn  # type: ignore[attr-defined]
    return complete


def completed_invoke(fn: InvokeMock) -> InvokeMock:
    """`fn`, with every field the SDK's result class declares that `fn` left out filled from the
    SDK-derived result (arguments echoed by name win, as in `sdk.invoke_result`)."""
    @functools.wraps(fn)
    def complete(ctx: "MockContext", args: dict):
        result = dict(fn(ctx, args) or {})
        from . import sdk

        gaps = [k for k in sdk.declared_result_fields(ctx.type_) if _missing(result.get(k))]
        if gaps:
            derived = sdk.invoke_result(ctx, ctx.type_, args, only=gaps)
            for k in gaps:
                if not _missing(derived.get(k)):
                    result[k] = derived[k]
        return result

    complete.hand_written = fn  # type: ignore[attr-defined]
    return complete


def stable_hex(*parts: str, n: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def stable_uuid(*parts: str) -> str:
    h = stable_hex(*parts, n=32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


@dataclass
class MockContext:
    """What a mock may know about the world: the stack, its config and the providers seen so far."""

    project: str
    stack: str
    config: dict[str, str]
    # provider reference ("urn::id") -> provider inputs
    providers: dict[str, dict] = field(default_factory=dict)
    # outputs of other stacks, for StackReference (stack name -> outputs)
    stack_outputs: Callable[[str], dict] = lambda name: {}
    type_: str = ""
    provider_ref: Optional[str] = None
    # The engine is planning this resource as a first preview does (a dry run's custom resource): of
    # what the provider computes, only strings can survive the planning (an auto-name, a value equal
    # to an input), so the SDK-derived mocks need not build the others (offline/engine.py
    # _planned_outputs; sdk.resource_outputs).
    planning: bool = False

    def provider_inputs(self) -> dict:
        return self.providers.get(self.provider_ref or "", {})

    def provider_setting(self, inputs: Optional[dict], key: str, config_key: str, default: str) -> str:
        """A provider setting (region, project, location) as the provider resolves it: the resource's own
        input, else its provider's, else the stack's config, else the provider's default. Each cloud's
        mocks name their settings (components/clouds/<cloud>/mocks.py)."""
        return ((inputs or {}).get(key) or self.provider_inputs().get(key) or self.config.get(config_key)
                or default)


def default_resource(ctx: MockContext, name: str, inputs: dict) -> tuple[Optional[str], dict]:
    """Fallback for a type with no mock of its own: a stable id of the cloud's form, and every output
    the SDK declares for the type (offline/mocks/sdk.py), the inputs echoed back."""
    from . import sdk

    return sdk.resource_id(ctx, ctx.type_, name, inputs), sdk.resource_outputs(ctx, ctx.type_, name, inputs)


def default_invoke(ctx: MockContext, args: dict) -> dict:
    """Fallback for an invoke with no mock of its own: the fields its SDK result class declares."""
    from . import sdk

    return sdk.invoke_result(ctx, ctx.type_, args)
