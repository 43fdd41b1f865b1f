"""Runs a stack's program under Pulumi's mock engine and captures every resource.

The program (`__main__.py`) runs unchanged: `pulumi.runtime.set_mocks` replaces
the engine's resource monitor with `CapturingMonitor`, which records every
RegisterResource/ReadResource request exactly as the engine would see it (type,
name, parent, provider reference, protect, dependencies, aliases, inputs by wire
name) and answers with the outputs of `offline/mocks`.
"""
from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from . import mocks as mock_registry
from .mocks.registry import UNKNOWN
from .project import Project, load_project, stack_config

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_MASK = "[secret]"
SECRET_TAG = "1b47061264138c4ac30d75fd1eb44270"


def _has_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(SECRET_SIG) == SECRET_TAG or any(_has_secret(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_secret(v) for v in value)
    return False


def _unsecret(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_TAG:
            return _unsecret(value.get("value"))
        return {k: _unsecret(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unsecret(v) for v in value]
    return value


@dataclass
class CapturedResource:
    urn: str
    id: Optional[str]
    type: str
    name: str
    parent: Optional[str]
    provider: Optional[str]
    protect: bool
    custom: bool
    inputs: dict
    outputs: dict
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    aliases: list[dict] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    retain_on_delete: bool = False
    # Resource options that change what an apply does (ignoreChanges, deleteBeforeReplace, ...).
    options: dict = field(default_factory=dict)
    # The wire structs as the engine received/returned them (secrets and all), for the analyzers.
    inputs_struct: Any = None
    outputs_struct: Any = None

    def report(self) -> dict:
        return {
            "urn": self.urn, "id": self.id, "type": self.type, "name": self.name,
            "parent": self.parent, "provider": self.provider, "protect": self.protect,
            "inputs": self.inputs, "outputs": self.outputs,
            # What the program declared to keep the state of renamed/moved resources (offline diff).
            "aliases": self.aliases, "replaceOnChanges": self.replace_on_changes,
            "retainOnDelete": self.retain_on_delete,
            # URNs this resource waits for: depends_on, inputs from other resources and its parent
            # (registered first), unless the parent is the root stack.
            "dependencies": self.dependencies + (
                [self.parent] if self.parent and self.parent not in self.dependencies
                and "::pulumi:pulumi:Stack::" not in self.parent else []),
            "propertyDependencies": self.property_dependencies,
            "options": self.options,
        }


@dataclass
class StackRun:
    stack: str
    project: str
    resources: list[CapturedResource]
    outputs: dict
    config: dict[str, str]
    raw_outputs: dict = field(default_factory=dict)  # secrets unmasked (for StackReference)
    cost: Optional[dict] = None  # the "cost" section (offline.pricing), set by the CLI
    # Every invoke in the order the monitor received it: token, args, the URNs registered before it
    # ("after") and the resources it was gated on ("dependsOn", output-form invokes with depends_on).
    invokes: list[dict] = field(default_factory=list)
    # "dry-run" (a first `pulumi preview`: computed outputs unknown) or "assume-applied" (all known).
    mode: str = "assume-applied"

    def by_type(self, type_: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == type_]


def to_json_value(value: Any) -> Any:
    """Wire value -> JSON-able value for reports: secrets masked, resource references as URNs."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":  # secret
            return SECRET_MASK
        if value.get(SECRET_SIG) == "5cf8f73096256a8f31e491e813e4eb8e":  # resource reference
            return value.get("urn")
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if value == UNKNOWN or type(value).__name__ == "Unknown":
        return "[unknown]"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    urn = getattr(value, "urn", None)  # a deserialized Resource
    if urn is not None:
        return "[resource]"
    return str(value)


def report_value(struct) -> dict:
    """A wire Struct as the report records it: what `to_json_value` makes of the SDK's
    `deserialize_properties(struct, keep_unknowns=True)` once resource references are read as their
    URNs. An unknown is "[unknown]"; a property holding a secret anywhere is masked whole (the SDK
    pushes a secret up to the top-level property); an object leaves out its null properties."""
    return to_json_value(deserialized(_refs_to_urns(struct), keep_unknowns=True))


def _refs_to_urns(struct):
    if not _has_resource_refs(struct):
        return struct
    copy = type(struct)()
    copy.CopyFrom(struct)
    _downgrade_refs(copy, to_urn=True)
    return copy


class _NotPlain(Exception):
    """A value `deserialized` leaves to the SDK's deserializer (an asset, an archive, an output value)."""


def deserialized(struct, keep_unknowns: bool = False) -> dict:
    """The SDK's `deserialize_properties(struct, keep_unknowns)`, in one pass over the wire values
    instead of its general machinery (the mock monitor reads every resource's inputs with it, and the
    report every input and output). An unknown is the SDK's `Unknown` when kept or in a dry run, else
    absent; a secret is the SDK's wrapped secret, pushed up to the enclosing object or list; an object
    leaves out its null properties, a list keeps them. A value with another signature (asset, archive,
    output value, resource reference) goes through the SDK (`tests/test_engine.py` compares both)."""
    from pulumi.runtime import settings

    dry_run = settings.is_dry_run()
    keep = bool(keep_unknowns) or dry_run
    try:
        out = {}
        for k, v in struct.items():
            value = _value(v, keep, dry_run)
            if value is not None:
                out[k] = value
        return out
    except _NotPlain:
        from pulumi.runtime import rpc

        return rpc.deserialize_properties(struct, keep_unknowns=keep_unknowns or None)


def _is_secret(value: Any) -> bool:
    return type(value) is dict and value.get(SECRET_SIG) == SECRET_TAG


def _wrap_secret(value: Any) -> dict:
    return value if _is_secret(value) else {SECRET_SIG: SECRET_TAG, "value": value}


def _value(v, keep_unknowns: bool, dry_run: bool) -> Any:
    if isinstance(v, str):
        if v == UNKNOWN:
            from pulumi.output import Unknown

            return Unknown() if keep_unknowns else None
        return v
    if v is None or isinstance(v, (bool, int, float)):
        return v
    if hasattr(v, "fields"):  # a Struct
        if SECRET_SIG in v:
            if v[SECRET_SIG] == SECRET_TAG:
                # The SDK reads a secret's value without the caller's keep_unknowns: only a dry run keeps
                # an unknown there.
                return _wrap_secret(_value(v["value"], dry_run, dry_run))
            raise _NotPlain
        out = {}
        for k, item in v.items():
            value = _value(item, keep_unknowns, dry_run)
            if value is not None:
                out[k] = value
        if any(_is_secret(x) for x in out.values()):
            return _wrap_secret({k: x["value"] if _is_secret(x) else x for k, x in out.items()})
        return out
    values = [_value(item, keep_unknowns, dry_run) for item in v]  # a ListValue
    if any(_is_secret(x) for x in values):
        return _wrap_secret([x["value"] if _is_secret(x) else x for x in values])
    return values


def _plain_json(value: Any) -> bool:
    kind = type(value)
    if value is None or kind in (str, bool, int, float):
        return True
    if kind is dict:
        return all(type(k) is str and _plain_json(v) for k, v in value.items())
    if kind in (list, tuple):
        return all(_plain_json(v) for v in value)
    return False


def mock_struct(state: dict):
    """A mock's outputs on the wire: what the SDK's `serialize_properties(state, {})` gives
    (MockMonitor), built directly when every value is plain data (strings, numbers, flags, lists,
    objects; a top-level null left out, nested ones kept, as the SDK does); None otherwise, for the
    SDK to serialize (`tests/test_engine.py` compares both)."""
    from google.protobuf import struct_pb2

    if type(state) is not dict or not _plain_json(state):
        return None
    struct = struct_pb2.Struct()
    struct.update({k: v for k, v in state.items() if v is not None})
    return struct


def _make_monitor_classes():
    """Built lazily so that importing this module does not import the Pulumi SDK's runtime."""
    import pulumi
    from pulumi.runtime import mocks as pmocks
    from pulumi.runtime import rpc
    from google.protobuf import struct_pb2
    from pulumi.runtime.proto import resource_pb2
    from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

    class OfflineMocks(pmocks.Mocks):
        def __init__(self, ctx: mock_registry.MockContext, dry_run: bool = False):
            self.ctx = ctx
            self.dry_run = dry_run
            self._pending_urn = ""  # set by the monitor before each new_resource
            # The SDK calls the monitor from several threads at once; the shared context
            # (type_, provider_ref, _pending_urn) must not change under a running mock.
            self.lock = threading.RLock()
            self.unmocked_types: set[str] = set()

        def new_resource(self, args: pmocks.MockResourceArgs):
            if args.custom is False:  # None: a ReadResource (StackReference, get()), always custom
                return "", {}
            self.ctx.type_ = args.typ
            self.ctx.provider_ref = args.provider or None
            fn = mock_registry.RESOURCES.get(args.typ)
            if fn is None:
                self.unmocked_types.add(args.typ)
                fn = mock_registry.default_resource
            # Mocks see plain values; an output whose input was secret stays secret (as the engine
            # keeps a secret input's output secret).
            inputs = {k: _unsecret(v) for k, v in dict(args.inputs).items()}
            secret_keys = {k for k, v in dict(args.inputs).items() if _has_secret(v)}
            planned = self.dry_run and args.custom is True and not args.typ.startswith("pulumi:providers:")
            self.ctx.planning = planned
            if planned and _has_unknowns(inputs):
                # A dry run with inputs not known yet: the mock computes from placeholders, and what
                # it made of an unknown input stays unknown (`_planned_outputs`), as in the provider's
                # preview. A mock that cannot compute even so leaves its outputs unknown.
                try:
                    rid, outputs = fn(self.ctx, args.name, _placeholders(inputs))
                except Exception:  # noqa: BLE001
                    rid, outputs = "", {}
            else:
                rid, outputs = fn(self.ctx, args.name, inputs)
            if args.typ.startswith("pulumi:providers:"):
                # Resources name their provider as "<provider urn>::<provider id>".
                self.ctx.providers[f"{self._pending_urn}::{rid}"] = dict(args.inputs)
            if planned:
                rid, outputs = "", _planned_outputs(args.name, inputs, outputs, self.ctx.provider_inputs())
            for key in secret_keys & set(outputs):
                outputs[key] = {SECRET_SIG: SECRET_TAG, "value": outputs[key]}
            return rid, outputs

        def call(self, args: pmocks.MockCallArgs):
            with self.lock:
                self.ctx.type_ = args.token
                self.ctx.provider_ref = args.provider or None
                # An invoke no mock was written for is answered from its SDK result class's declaration.
                fn = mock_registry.INVOKES.get(args.token) or mock_registry.default_invoke
                return fn(self.ctx, dict(args.args)), []  # (result, check failures)

    class CapturingMonitor(pmocks.MockMonitor):
        def __init__(self, mocks: OfflineMocks, on_capture: Optional[Callable[[CapturedResource], None]] = None):
            super().__init__(mocks)
            self.on_capture = on_capture
            self._capture_lock = threading.Lock()
            self.captured: dict[str, CapturedResource] = {}
            self.order: list[str] = []
            self.default_providers: dict[tuple[str, str], str] = {}
            self.invokes: list[dict] = []

        def make_urn(self, parent: str, type_: str, name: str) -> str:
            # As the real engine (resource.NewURN): a child's type is qualified by its parent's
            # whole type chain, and children of the root stack do not carry its type.
            if parent:
                parent_type = parent.split("::")[2]
                if parent_type != "pulumi:pulumi:Stack":
                    type_ = f"{parent_type}${type_}"
            return "urn:pulumi:" + "::".join([pulumi.get_stack(), pulumi.get_project(), type_, name])

        def _default_provider(self, pkg: str, version: str) -> str:
            """The default provider of `pkg` (at the SDK's `version`), created on first use from the
            stack's `<pkg>:*` config as the CLI does: `pulumi:providers:<pkg>::default_<version>`,
            a root resource, registered before the first resource that uses it."""
            key = (pkg, version)
            with self.mocks.lock:
                if key in self.default_providers:
                    return self.default_providers[key]
                name = "default" + (("_" + re.sub(r"[^0-9A-Za-z]", "_", version)) if version else "")
                type_ = f"pulumi:providers:{pkg}"
                urn = self.make_urn("", type_, name)
                inputs = provider_config(self.mocks.ctx.config, pkg)
                if version:
                    inputs["version"] = version
                rid = mock_registry.registry.stable_uuid("default-provider", pulumi.get_stack(), pkg, version)
                ref = f"{urn}::{rid}"
                self.mocks.ctx.providers[ref] = dict(inputs)
                struct = struct_pb2.Struct()
                struct.update(inputs)
                self._capture(CapturedResource(
                    urn=urn, id=rid, type=type_, name=name, parent=None, provider=None, protect=False,
                    custom=True, inputs=dict(inputs), outputs=dict(inputs), inputs_struct=struct,
                    outputs_struct=struct,
                    options={"ignoreChanges": [], "replaceOnChanges": [], "deleteBeforeReplace": False,
                             "retainOnDelete": False, "customTimeouts": {}, "aliases": []}))
                self.default_providers[key] = ref
                return ref

        def _with_default_provider(self, request, type_: str) -> None:
            pkg = type_.split(":")[0]
            if request.provider or pkg == "pulumi" or not pkg:
                return
            request.provider = self._default_provider(pkg, getattr(request, "version", "") or "")

        def RegisterResource(self, request):
            if request.type == "pulumi:pulumi:Stack":
                return super().RegisterResource(request)
            if request.custom and not request.type.startswith("pulumi:providers:"):
                self._with_default_provider(request, request.type)
            urn = self.make_urn(request.parent, request.type, request.name)
            with self.mocks.lock:
                self.mocks._pending_urn = urn
                response = self._register_with_mocks(urn, _provider_view(request, "object"))
            if self.mocks.dry_run:
                # The SDK gets the plan without the computed values: absent, so they resolve unknown
                # (the analyzers and the report keep them, as unknowns).
                planned = resource_pb2.RegisterResourceResponse()
                planned.CopyFrom(response)
                for key, value in list(response.object.fields.items()):
                    if value.WhichOneof("kind") == "string_value" and value.string_value == UNKNOWN:
                        del planned.object.fields[key]
                response, sdk_response = response, planned
            else:
                sdk_response = response
            # A resource reference reads as its URN in the report (deserializing it would rehydrate
            # the resource on this thread's loop, which no one runs: the program would never finish).
            self._capture(CapturedResource(
                urn=urn, id=response.id or None, type=request.type, name=request.name,
                parent=request.parent or None, provider=request.provider or None,
                protect=bool(request.protect), custom=bool(request.custom),
                inputs=report_value(request.object), outputs=report_value(response.object),
                dependencies=_dependencies(request),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                aliases=[_struct_alias(a) for a in request.aliases],
                replace_on_changes=list(request.replaceOnChanges),
                retain_on_delete=bool(getattr(request, "retainOnDelete", False)),
                options=_options(request),
                inputs_struct=request.object, outputs_struct=response.object,
            ))
            return sdk_response

        def _register_with_mocks(self, urn: str, request):
            """pulumi.runtime.mocks.MockMonitor.RegisterResource (pulumi 3.272.0), with the inputs read
            and the outputs written in one pass each (`deserialized`, `mock_struct`) instead of through
            the SDK's general (de)serializer and an event loop per resource."""
            _ensure_event_loop()  # the SDK's deserializer may rehydrate a reference on this thread
            args = pmocks.MockResourceArgs(
                typ=request.type, name=request.name, inputs=deserialized(request.object),
                provider=request.provider, resource_id=request.importId, custom=request.custom or False,
                transforms=pmocks._resolve_callbacks(request.transforms))
            id_, state = self.mocks.new_resource(args)
            obj = mock_struct(state)
            if obj is None:
                obj = _sync_await(rpc.serialize_properties(state, {}))
            self.resources[urn] = pmocks.MockMonitor.ResourceRegistration(urn, id_, state)
            return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj)

        def ReadResource(self, request):
            self._with_default_provider(request, request.type)
            urn = self.make_urn(request.parent, request.type, request.name)
            with self.mocks.lock:
                self.mocks._pending_urn = urn
                response = super().ReadResource(_provider_view(request, "properties"))
            outputs = rpc.deserialize_properties(_refs_to_urns(response.properties), keep_unknowns=True)
            self._capture(CapturedResource(
                urn=urn, id=request.id, type=request.type, name=request.name,
                parent=request.parent or None, provider=request.provider or None,
                protect=False, custom=True,
                inputs=to_json_value(rpc.deserialize_properties(_refs_to_urns(request.properties))),
                outputs=to_json_value(outputs), inputs_struct=request.properties,
                outputs_struct=response.properties,
            ))
            return response

        def GetDeploymentInfo(self, request):
            # Advertise invoke gating so output-form invokes send their `dependsOn` (which the
            # SDK has already awaited, as a real engine would): the apply rules read it.
            info = super().GetDeploymentInfo(request)
            feature = resource_pb2.RESOURCE_MONITOR_FEATURE_INVOKE_DEPENDS_ON
            if feature not in info.supportedFeatures:
                info.supportedFeatures.append(feature)
            return info

        def Invoke(self, request):
            if request.tok == "pulumi:pulumi:getResource":
                # The SDK rehydrating a resource reference (a resource passed as an input, read back
                # by an analyzer or a report): answered from the registrations, no mock and no lock
                # (the registration that deserializes the reference may hold it).
                return super().Invoke(request)
            if not request.tok.startswith("pulumi:"):
                self._with_default_provider(request, request.tok)
            args = to_json_value(rpc.deserialize_properties(_refs_to_urns(request.args), keep_unknowns=True))
            with self.mocks.lock:
                after = list(self.order)
                self.invokes.append({"token": request.tok, "args": args, "after": after,
                                     "dependsOn": list(getattr(request, "dependsOn", []))})
            return super().Invoke(request)

        def RegisterResourceOutputs(self, request):
            # A component's register_outputs: what it exposes (its CellOutputs, its routing
            # summary...) lands in the report as the component's outputs, as `pulumi up` records them.
            res = self.captured.get(request.urn)
            if res is not None and not res.custom:
                res.outputs = report_value(request.outputs)
                res.outputs_struct = request.outputs
            return super().RegisterResourceOutputs(request)

        def _capture(self, res: CapturedResource) -> None:
            with self._capture_lock:  # the SDK registers from several threads: one order for all
                if res.urn in self.captured:
                    raise RuntimeError(f"duplicate resource URN {res.urn}")
                self.captured[res.urn] = res
                self.order.append(res.urn)
                if self.on_capture is not None:
                    self.on_capture(res)

    def _provider_view(request, field_name: str):
        """The request as the provider sees it: a resource passed as an input (`role=role`) reaches a
        provider that does not take resource references as the resource's id (a custom resource; its
        URN for a component), as the engine downgrades it (plugin.MarshalPropertyValue without
        KeepResources). The mocks get plain values, and nothing rehydrates the resource while the
        mocks' lock is held (a rehydrated resource waits on an invoke that would wait on the lock)."""
        struct = getattr(request, field_name)
        if not _has_resource_refs(struct):
            return request
        copy = type(request)()
        copy.CopyFrom(request)
        _downgrade_refs(getattr(copy, field_name))
        return copy

    def _dependencies(request) -> list[str]:
        # depends_on and inputs (request.dependencies, a superset of propertyDependencies), as the
        # engine's state records them and hands them to analyzers.
        deps = list(request.dependencies)
        for urns in request.propertyDependencies.values():
            deps += [u for u in urns.urns if u not in deps]
        return deps

    def _options(request) -> dict:
        timeouts = request.customTimeouts
        return {
            "ignoreChanges": list(request.ignoreChanges),
            "replaceOnChanges": list(request.replaceOnChanges),
            "deleteBeforeReplace": bool(request.deleteBeforeReplace),
            "retainOnDelete": bool(getattr(request, "retainOnDelete", False)),
            "customTimeouts": {k: v for k, v in (("create", timeouts.create), ("update", timeouts.update),
                                                 ("delete", timeouts.delete)) if v},
            "aliases": [_struct_alias(a) for a in request.aliases],
        }

    def _struct_alias(alias) -> dict:
        spec = getattr(alias, "spec", None)
        if alias.urn:
            return {"urn": alias.urn}
        if spec is not None:
            return {"name": spec.name, "type": spec.type, "parentUrn": spec.parentUrn,
                    "noParent": spec.noParent, "stack": spec.stack, "project": spec.project}
        return {}

    return OfflineMocks, CapturingMonitor


RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"


def _is_ref(value) -> bool:
    return (value.WhichOneof("kind") == "struct_value"
            and SECRET_SIG in value.struct_value.fields
            and value.struct_value.fields[SECRET_SIG].string_value == RESOURCE_REF_SIG)


def _values(struct_or_list):
    return struct_or_list.fields.values() if hasattr(struct_or_list, "fields") else struct_or_list.values


def _has_resource_refs(struct_or_list) -> bool:
    for value in _values(struct_or_list):
        if _is_ref(value):
            return True
        kind = value.WhichOneof("kind")
        if kind == "struct_value" and _has_resource_refs(value.struct_value):
            return True
        if kind == "list_value" and _has_resource_refs(value.list_value):
            return True
    return False


def _downgrade_refs(struct_or_list, to_urn: bool = False) -> None:
    """In place: each resource reference becomes its id ("" -- not known yet -- the unknown sentinel),
    or its URN when it has no id (a component) or `to_urn`."""
    for value in _values(struct_or_list):
        if _is_ref(value):
            fields = value.struct_value.fields
            if "id" in fields and not to_urn:
                rid = fields["id"].string_value
                value.string_value = rid if rid else UNKNOWN
            else:
                value.string_value = fields["urn"].string_value
            continue
        kind = value.WhichOneof("kind")
        if kind == "struct_value":
            _downgrade_refs(value.struct_value, to_urn)
        elif kind == "list_value":
            _downgrade_refs(value.list_value, to_urn)


def provider_config(config: dict[str, str], pkg: str) -> dict:
    """A default provider's inputs: the stack's `<pkg>:<key>` config, structured values decoded."""
    out = {}
    for key, value in config.items():
        ns, _, name = key.partition(":")
        if ns != pkg or not name:
            continue
        if isinstance(value, str) and value[:1] in "[{":
            try:
                value = json.loads(value)
            except ValueError:
                pass
        out[name] = value
    return out


def _is_unknown(value: Any) -> bool:
    return value == UNKNOWN or type(value).__name__ == "Unknown"


def _has_unknowns(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_unknowns(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_unknowns(v) for v in value)
    return _is_unknown(value)


def _wire(value: Any) -> Any:
    """Unknown inputs back to the wire's unknown sentinel (what the SDK serializes and reads back)."""
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    return UNKNOWN if _is_unknown(value) else value


_AUTONAME_SUFFIX = re.compile(r"-?[0-9a-f]{6,8}$")


def _autonamed(name: str, value: Any) -> bool:
    """Pulumi's auto-name (`<name>-<hex>`, cut or lowered where the service limits names) is chosen at
    the provider's Check, before a preview: a first preview shows it."""
    if not isinstance(value, str) or not _AUTONAME_SUFFIX.search(value):
        return False
    stem = _AUTONAME_SUFFIX.sub("", value).lower().replace("-", "")
    return len(stem) >= 3 and name.lower().replace("-", "").replace("_", "").startswith(stem.replace("_", ""))


def _planned_outputs(name: str, inputs: dict, outputs: dict, provider: Optional[dict] = None) -> dict:
    """What a first `pulumi preview` has for a resource to create: the inputs, the auto-name and what
    the provider plans from the inputs and its own configuration alone (a value equal to an input,
    or to the provider's `region`/`project`/`location`, as AWS's per-resource `region`); everything
    else the provider computes at create is unknown."""
    input_strings = {v for v in list(inputs.values()) + list((provider or {}).values())
                     if isinstance(v, str) and len(v) >= 3}
    planned = {}
    for key, value in outputs.items():
        if key in inputs:
            planned[key] = _merge_planned(name, inputs[key], value)
        elif _autonamed(name, value) or (isinstance(value, str) and value in input_strings):
            planned[key] = value
        else:
            planned[key] = UNKNOWN
    for key, value in inputs.items():
        planned.setdefault(key, _wire(value))
    return planned


def _merge_planned(name: str, given: Any, computed: Any) -> Any:
    """One input property as the provider's preview plans it: what the program gave (its unknown
    parts unknown), the provider's normalisation of known values, and the nested fields the provider
    adds at create (`properties.vaultUri`, `metadata.uid`) unknown; a shape the provider changes
    (a list of ids answered as a map) is unknown whole."""
    if _is_unknown(given):
        return UNKNOWN
    if isinstance(given, dict) and isinstance(computed, dict):
        out = {k: _merge_planned(name, given[k], v) if k in given
               else (v if _autonamed(name, v) else UNKNOWN) for k, v in computed.items()}
        for k, v in given.items():
            out.setdefault(k, _wire(v))
        return out
    if isinstance(given, (list, tuple)) and isinstance(computed, (list, tuple)):
        if len(given) != len(computed):
            return _wire(given)
        return [_merge_planned(name, g, c) for g, c in zip(given, computed)]
    if isinstance(given, (dict, list, tuple)) or isinstance(computed, (dict, list, tuple)):
        return UNKNOWN if _has_unknowns(given) else _wire(computed)
    return computed if not _is_unknown(computed) else _wire(given)


# What a mock sees in place of an input not known yet in a dry run (its result is discarded).
PLACEHOLDER = "offline-unknown"


def _placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_placeholders(v) for v in value]
    return PLACEHOLDER if _is_unknown(value) else value


# What `pulumi.get_organization()` answers offline: the name a self-managed backend reports (the
# stack files name no organization; prod-global references its cell stacks in the backend's own).
OFFLINE_ORGANIZATION = "organization"


class ProgramError(Exception):
    """The program failed under the offline engine (message is for the user)."""


# The program's config loader reads it (components/stack_config.py): under the offline engine, example
# stacks may keep documentation ranges and an undelegated zone; `real_mode=True` runs the program as a
# real preview would judge its config (tests prove those refusals without a cloud).
OFFLINE_ENV = "PLATFORM_OFFLINE_ENGINE"


DRY_RUN = "dry-run"
ASSUME_APPLIED = "assume-applied"


def run_stack(stack: str, project: Optional[Project] = None,
              stack_outputs: Optional[Callable[[str], dict]] = None, real_mode: bool = False,
              dry_run: bool = False, on_resource: Optional[Callable[[CapturedResource], None]] = None) -> StackRun:
    """Run `stack`'s program in this process under mocks. Call once per process.

    The CLI's `preview` passes `dry_run=True` unless `--assume-applied`; in-process callers keep the
    all-known run unless they ask. `dry_run=True` runs it as a first `pulumi preview` of a new stack: `is_dry_run()` is true, what the
    providers compute at create is unknown and `apply` callbacks on unknowns do not run.
    `dry_run=False` (assume-applied) runs it as `pulumi up` would: every output known (the mocks'
    values), for what needs values (apply checks, cost, smoke outputs, the review diff).

    `on_resource` is called with each resource as the engine records it, in the report's order (the
    CLI streams them to the policy packs, as the engine analyzes each resource as it registers)."""
    project = project or load_project()
    config, secret_keys = stack_config(project, stack)

    import pulumi
    from pulumi.runtime import config as runtime_config
    from pulumi.runtime import mocks as pmocks
    from pulumi.runtime.stack import wait_for_rpcs
    from pulumi.runtime.sync_await import _sync_await

    OfflineMocks, CapturingMonitor = _make_monitor_classes()
    ctx = mock_registry.MockContext(
        project=project.name, stack=stack, config=config,
        stack_outputs=stack_outputs or (lambda name: referenced_stack_outputs(name, project)),
    )
    offline_mocks = OfflineMocks(ctx, dry_run=dry_run)
    monitor = CapturingMonitor(offline_mocks, on_capture=on_resource)
    os.environ.pop("PULUMI_CONFIG", None)
    runtime_config.set_all_config(config, secret_keys)
    pmocks.set_mocks(offline_mocks, project=project.name, stack=stack, preview=dry_run, monitor=monitor,
                     organization=OFFLINE_ORGANIZATION)

    sys.path.insert(0, str(project.root))
    cwd = os.getcwd()
    os.chdir(project.root)
    if real_mode:
        os.environ.pop(OFFLINE_ENV, None)
    else:
        os.environ[OFFLINE_ENV] = "1"
    try:
        runpy.run_path(str(project.program), run_name="__main__")
        _sync_await(wait_for_rpcs())
        root = pulumi.runtime.settings.get_root_resource()
        outputs = _sync_await(_export_values(getattr(root, "outputs", {}) or {}))
    finally:
        os.chdir(cwd)
    resources = [monitor.captured[u] for u in monitor.order]
    return StackRun(stack=stack, project=project.name, resources=resources,
                    outputs=to_json_value(outputs), config=config, raw_outputs=_unwrap_secrets(outputs),
                    invokes=monitor.invokes, mode=DRY_RUN if dry_run else ASSUME_APPLIED)


def _unwrap_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if SECRET_SIG in value and "value" in value:
            return _unwrap_secrets(value["value"])
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    return value


# What the SDK says when a value has no wire form (bytes, an invoke's result object, a set...).
_UNSERIALIZABLE = re.compile(r"unexpected input of type (\S+) for (\S+)")


async def _export_values(outputs: dict) -> dict:
    """The stack's exports as the SDK sends them with the stack's outputs. One the SDK cannot serialize
    is the program's error (`pulumi up` stops on it the same way, as does a preview where it is known)."""
    try:
        return await _resolve_outputs(outputs)
    except ValueError as err:
        found = _UNSERIALIZABLE.search(str(err))
        if found is None:
            raise
        raise ProgramError(
            f"stack output {found.group(2)!r}: the program exports a value of type {found.group(1)}, which the Pulumi SDK "
            f"cannot serialize (a stack output is a string, number, bool, list, dict, Output, resource or "
            f"asset; `pulumi up` fails on it the same way)") from err


async def _resolve_outputs(outputs: dict) -> dict:
    from pulumi.runtime import rpc

    struct = await rpc.serialize_properties(outputs, {})
    return rpc.deserialize_properties(struct, keep_unknowns=True)


_REFERENCED: dict[str, dict] = {}
ENGINE_ROOT = Path(__file__).resolve().parent.parent


def referenced_stack_outputs(stack: str, project: Project) -> dict:
    """Outputs of another stack of this project, by running it offline in a child process."""
    if stack not in _REFERENCED:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "report.json"
            proc = subprocess.run(
                [sys.executable, "-m", "offline", "preview", stack, "--json", str(out), "--unmasked-outputs",
                 "--no-apply-checks",  # only its outputs are read; its own preview checks it
                 # A referenced stack has been deployed: its exports are known, in either mode.
                 "--assume-applied",
                 "--project-dir", str(project.root)],
                cwd=project.root, capture_output=True, text=True,
                # This engine, whatever the project's directory (`--project-dir`).
                env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                    filter(None, [str(ENGINE_ROOT), os.environ.get("PYTHONPATH")]))),
            )
            if proc.returncode not in (0, 1) or not out.exists():
                raise ProgramError(f"stack reference {stack!r}: offline run failed:\n{proc.stderr or proc.stdout}")
            _REFERENCED[stack] = json.loads(out.read_text())["outputs"]
    return _REFERENCED[stack]
