"""Serves a pack with pulumi_policy's analyzer, minus the work it repeats.

pulumi_policy's analyzer runs every resource policy on every resource and turns the resource's
properties into Python objects (MessageToDict, deserialization, unknown-checking proxies) once per
policy before the policy can even look at the type. AnalyzeStack does the same for every resource of
the stack once per stack policy: with 15 stack policies over a 380-resource stack that is 15 reads of
the whole stack, ~90% of the call. So, with the framework still doing all the rest (config,
enforcement levels, unknown values, diagnostics, GetAnalyzerInfo listing every policy):

- Analyze goes to an analyzer holding only the policies that declare the resource's type
  (`types_by_policy`: policy name -> the types it needs to see; a policy left out sees every type);
- AnalyzeStack gives each stack policy only the resources of the types it reads, and reads each
  resource's properties once for the call: every policy gets the same deserialized values (behind
  its own read-only unknown-checking proxies), so a pack may also build its own view of the stack
  once (the residency pack's `StackView.of`).

This leans on pulumi_policy's internal `_PolicyAnalyzerServicer` (pinned: pulumi-policy 1.21.0);
set POLICY_PACK_PLAIN_ANALYZER=1 (or the pack's own variable), or let the import fail, to run the
stock analyzer unchanged. Shared by the packs: edit policy/shared/server.py, then run
`python policy/shared/vendor.py`.
"""
from __future__ import annotations

import os
import threading
from types import SimpleNamespace
from typing import Mapping, Optional

from pulumi.runtime import proto
from pulumi_policy import PolicyPack, ResourceValidationPolicy, StackValidationPolicy


def serve(types_by_policy: Optional[Mapping[str, frozenset]] = None, plain_env: str = "", **pack_args) -> None:
    """`PolicyPack(**pack_args)` (blocks, serving gRPC) with the analyzer described above."""
    try:
        from pulumi_policy import policy as framework

        base = framework._PolicyAnalyzerServicer
        framework.json_format.MessageToDict, framework.deserialize_properties, framework.unknown_checking_proxy  # noqa: B018 - what _read_once replaces
    except (ImportError, AttributeError):
        base = None
    plain = any(os.environ.get(var) == "1" for var in ("POLICY_PACK_PLAIN_ANALYZER", plain_env) if var)
    if base is None or plain:
        PolicyPack(**pack_args)
        return
    sees = dict(types_by_policy or {})

    class Analyzer(base):
        def __init__(self, name, version, policies, enforcement_level, *rest):
            super().__init__(name, version, policies, enforcement_level, *rest)
            self._subset_analyzer = lambda subset: base(name, version, subset, enforcement_level, *rest)
            self._resource_policies = [p for p in policies if isinstance(p, ResourceValidationPolicy)]
            self._stack_policies = [p for p in policies if isinstance(p, StackValidationPolicy)]
            self._by_type: dict = {}
            self._by_stack_policy = {p.name: self._subset_analyzer([p]) for p in self._stack_policies}
            self._configured: list = []  # (method name, request), replayed into analyzers made later
            self._lock = threading.Lock()

        def _for_type(self, type_: str):
            with self._lock:
                if type_ not in self._by_type:
                    subset = [p for p in self._resource_policies if p.name not in sees or type_ in sees[p.name]]
                    analyzer = self._subset_analyzer(subset) if subset else None
                    for method, request in self._configured if analyzer is not None else ():
                        getattr(analyzer, method)(request, None)
                    self._by_type[type_] = analyzer
                return self._by_type[type_]

        def _replay(self, method: str, request) -> None:
            with self._lock:
                self._configured = [(m, r) for m, r in self._configured if m != method] + [(method, request)]
                for analyzer in [*self._by_type.values(), *self._by_stack_policy.values()]:
                    if analyzer is not None:
                        getattr(analyzer, method)(request, None)

        def Configure(self, request, context):
            self._replay("Configure", request)
            return super().Configure(request, context)

        def ConfigureStack(self, request, context):
            self._replay("ConfigureStack", request)
            return super().ConfigureStack(request, context)

        def Analyze(self, request, context):
            analyzer = self._for_type(request.type)
            return analyzer.Analyze(request, context) if analyzer is not None else proto.AnalyzeResponse()

        def AnalyzeStack(self, request, context):
            response = proto.AnalyzeResponse()
            with _read_once(framework, base):
                for policy in self._stack_policies:
                    types = sees.get(policy.name)  # None: the policy sees every resource
                    # The framework only iterates `request.resources`: a subset is a list of the same
                    # messages (not copies), so each is still read once for the whole call.
                    sub = request if types is None else SimpleNamespace(
                        resources=[r for r in request.resources if r.type in types])
                    result = self._by_stack_policy[policy.name].AnalyzeStack(sub, context)
                    response.diagnostics.extend(result.diagnostics)
                    response.not_applicable.extend(result.not_applicable)
            return response

    framework._PolicyAnalyzerServicer = Analyzer
    try:
        PolicyPack(**pack_args)
    finally:
        framework._PolicyAnalyzerServicer = base


_READ_LOCK = threading.Lock()


class _read_once:
    """For the `with` block: the framework's MessageToDict, deserialize_properties and
    unknown_checking_proxy give the same result object for the same message (resp. dict) every time,
    instead of a fresh conversion, so every policy of the call sees the same proxies over the same
    values; so do the analyzer's readings of a resource's options and provider (they depend on the
    message alone, whichever policy's analyzer asks). Sharing is safe because stack policies only read
    them (our packs' rules never assign into a resource's properties)."""

    def __init__(self, framework, servicer: type) -> None:
        self.framework, self.servicer = framework, servicer
        self.saved: list = []

    def __enter__(self) -> "_read_once":
        _READ_LOCK.acquire()
        fw, sv = self.framework, self.servicer
        options = _memo(lambda r, read=sv._get_resource_options: read(None, r))
        provider = _memo(lambda r, read=sv._get_provider_resource: read(None, r))
        for owner, name, value in (
                (fw, "json_format", _JsonFormat(fw.json_format, _memo(fw.json_format.MessageToDict))),
                (fw, "deserialize_properties", _memo(fw.deserialize_properties)),
                (fw, "unknown_checking_proxy", _memo(fw.unknown_checking_proxy)),
                (sv, "_get_resource_options", lambda _self, r: options(r)),
                (sv, "_get_provider_resource", lambda _self, r: provider(r))):
            self.saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, value)
        return self

    def __exit__(self, *exc) -> None:
        for owner, name, value in reversed(self.saved):
            setattr(owner, name, value)
        self.saved.clear()
        _READ_LOCK.release()


def _memo(function):
    """`function(x)` computed once per object `x` (held, so its identity is not reused); a call with
    more arguments passes through."""
    seen: dict = {}

    def once(x, *args, **kwargs):
        if args or kwargs:
            return function(x, *args, **kwargs)
        hit = seen.get(id(x))
        if hit is None:
            hit = seen[id(x)] = (x, function(x))
        return hit[1]

    return once


class _JsonFormat:
    """google.protobuf.json_format with another MessageToDict."""

    def __init__(self, real, message_to_dict) -> None:
        self._real = real
        self.MessageToDict = message_to_dict

    def __getattr__(self, name: str):
        return getattr(self._real, name)
