"""Serves the pack with Analyze dispatched by resource type.

pulumi_policy's analyzer runs every resource policy on every resource, and turns the resource's
properties into Python objects (MessageToDict, deserialization, unknown-checking proxies) once per
policy before the policy can even look at the type (AnalyzeStack: every resource of the stack once
per stack policy): with 29 rules that is ~90% of the pack's time. Every rule here declares the types
it needs to see, so Analyze hands each resource to an analyzer that holds only the policies for its
type, and AnalyzeStack gives each stack policy only the resources of the types it reads. The
framework still does all the rest (config, enforcement levels, unknown values, diagnostics), and
GetAnalyzerInfo lists every policy.

This leans on pulumi_policy's internal `_PolicyAnalyzerServicer` (pinned: pulumi-policy 1.21.0);
set ENCRYPTION_PACK_PLAIN_ANALYZER=1, or let the import fail, to run the stock analyzer unchanged.
"""
from __future__ import annotations

import os
import threading
from typing import Mapping

from pulumi.runtime import proto
from pulumi_policy import PolicyPack, ResourceValidationPolicy, StackValidationPolicy


def serve(types_by_policy: Mapping[str, frozenset], **pack_args) -> None:
    """`PolicyPack(**pack_args)` (blocks, serving gRPC) with type-indexed Analyze."""
    try:
        from pulumi_policy import policy as framework

        base = framework._PolicyAnalyzerServicer
    except (ImportError, AttributeError):
        base = None
    if base is None or os.environ.get("ENCRYPTION_PACK_PLAIN_ANALYZER") == "1":
        PolicyPack(**pack_args)
        return

    class TypeIndexedAnalyzer(base):
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
                    subset = [p for p in self._resource_policies
                              if p.name not in types_by_policy or type_ in types_by_policy[p.name]]
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
            for policy in self._stack_policies:
                sees = types_by_policy.get(policy.name)  # None: the policy sees every resource
                sub = request if sees is None else proto.AnalyzeStackRequest(
                    resources=[r for r in request.resources if r.type in sees])
                result = self._by_stack_policy[policy.name].AnalyzeStack(sub, context)
                response.diagnostics.extend(result.diagnostics)
                response.not_applicable.extend(result.not_applicable)
            return response

    framework._PolicyAnalyzerServicer = TypeIndexedAnalyzer
    try:
        PolicyPack(**pack_args)
    finally:
        framework._PolicyAnalyzerServicer = base
