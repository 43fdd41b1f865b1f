"""The cell contract shared by all clouds: the only thing outside `components/clouds/` that
knows what a cell is.

A cell takes a `CellSpec` (what to build, cloud-neutral) and exposes `CellOutputs`
(what the workload, the global traffic layer and operators need). AWS, GCP and
Azure cells differ inside; to everybody else they look the same. In prod a cell
stack exports exactly `CellOutputs.EXPORTS` and `prod-global` reads them back
with a StackReference.

Two halves: the contract's pure data (`core/cell_contract.py`: the spec, the endpoint, pod identity,
exposure and scrape values, the workload constants; no pulumi, so the core's plan can compute
specs) and, here, its component side: `CellOutputs` (pulumi outputs, exported and read back by
StackReference), `child_options`, and the base classes `Piece` and `CellComponent`. Everything the
data half defines is re-exported from here, so `from components.contract import X` keeps working.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi

from .core.cell_contract import (CELL_LABEL, HTTP_UNAVAILABLE_FOR_LEGAL_REASONS, KEPT_METRICS,  # noqa: F401
                                 LATENCY_HISTOGRAM, METRICS_PATH, NODE_PORT, REQUESTS_TOTAL, SERVICE_PORT,
                                 WORKLOAD_NAMESPACE, WORKLOAD_SERVICE_ACCOUNT, WORKLOAD_SERVICE_NAME,
                                 WORKLOAD_SUBJECT, Address, AliasTarget, CellSpec, EdgeGuardSpec, Endpoint,
                                 MetricsScrape, PodIdentity, RefusedZone, WorkloadExposure, api_allow_list)


@dataclass
class CellOutputs:
    """The outputs every cell exposes (see docs/DESIGN.md, "The cell contract")."""

    endpoint: Endpoint
    health_path: str
    bucket_uri: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]  # secret
    workload_identity: pulumi.Output[str]
    residency: str
    region: str
    cloud: str
    name: str
    # The global name the cell's certificate covers (`<public_label>.<domain>`); the global layer
    # refuses to route its public name to a cell whose certificate is for another one.
    public_name: Optional[str] = None
    # Built by the cell for its workload; not exported (prod-global runs no workload).
    pod_identity: Optional[PodIdentity] = None

    # Exported keys (a contract: extend, never break). `endpoint_*`/`alias_zone_id` are the
    # endpoint's flattening, `endpoint_kind` says which of AliasTarget/Address it was.
    EXPORTS = ("endpoint_hostname", "endpoint_ip", "health_path", "bucket_uri", "cluster_name",
               "kubeconfig", "workload_identity", "residency", "region", "cloud", "name", "alias_zone_id",
               "public_name", "endpoint_kind")

    @property
    def endpoint_hostname(self) -> Optional[pulumi.Input[str]]:
        return self.endpoint.hostname

    @property
    def endpoint_ip(self) -> Optional[pulumi.Input[str]]:
        return self.endpoint.ip if isinstance(self.endpoint, Address) else None

    @property
    def alias_zone_id(self) -> Optional[pulumi.Input[str]]:
        return self.endpoint.zone_id if isinstance(self.endpoint, AliasTarget) else None

    @property
    def endpoint_kind(self) -> str:
        return self.endpoint.kind

    # The kubeconfig is exported under its own key: a secret inside the contract's dict would make
    # the whole export secret, hiding endpoints and regions from every reader of the stack.
    KUBECONFIG_SUFFIX = "_kubeconfig"  # not a valid cell name (underscore): never collides

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.EXPORTS}

    def export(self) -> None:
        """Stack exports of a cell: `<name>` (the contract, readable) and `<name>_kubeconfig` (secret)."""
        pulumi.export(self.name, {k: v for k, v in self.as_dict().items() if k != "kubeconfig"})
        pulumi.export(self.name + self.KUBECONFIG_SUFFIX, pulumi.Output.secret(self.kubeconfig))

    @classmethod
    def from_stack_reference(cls, ref: "pulumi.StackReference", exported_name: str,
                             endpoint_kind: str) -> "CellOutputs":
        """Read a cell stack's exports (prod-global). `exported_name` is the cell's export key;
        `endpoint_kind` is the referenced cell's driver's (the record type must be known before
        the reference resolves)."""
        cell = ref.get_output(exported_name)
        values = {k: cell.apply(lambda c, k=k: (c or {}).get(k)) for k in cls.EXPORTS if k != "kubeconfig"}
        if endpoint_kind == AliasTarget.kind:
            endpoint: Endpoint = AliasTarget(values["endpoint_hostname"], values["alias_zone_id"])
        else:
            endpoint = Address(values["endpoint_ip"], values["endpoint_hostname"])
        plain = {k: values[k] for k in ("health_path", "bucket_uri", "cluster_name", "workload_identity",
                                        "residency", "region", "cloud", "name", "public_name")}
        return cls(endpoint=endpoint, kubeconfig=ref.get_output(exported_name + cls.KUBECONFIG_SUFFIX), **plain)


def child_options(parent: pulumi.Resource, protect: bool, stateful: bool = False,
                  opts: Optional[pulumi.ResourceOptions] = None, **kw: Any) -> pulumi.ResourceOptions:
    """Options of a cell's child: under `parent`, protected in prod when it holds state. The one
    rule every cloud's pieces use (`CellComponent.child`, `PieceContext.opts`); `kw` adds plain
    options (provider, depends_on)."""
    base = pulumi.ResourceOptions(parent=parent, protect=protect if stateful else None, **kw)
    return pulumi.ResourceOptions.merge(base, opts)


class Piece(pulumi.ComponentResource):
    """One part of a cell (network, key, bucket, cluster, load balancer, identity, guard...), the same
    shape on every cloud: `Piece(name, args, opts)`.

    - `args` is a frozen dataclass named `<Piece>Args` holding everything the piece reads, including
      the cloud's shared context (provider, project, account, resource group) and the resources it
      must wait for. Nothing else is passed: a piece's inputs are
      one typed, reviewable object, not a growing list of keywords.
    - `opts` carries the parent (the cell) and plain resource options; children are parented to
      the piece, protected in prod when they hold state (`child_options`).
    - The piece's outputs are attributes set in `__init__`, then `register_outputs`.

    `TYPE` is the piece's type token. It is part of every child's URN: once deployed it never
    changes, and a resource moved into a piece carries an alias to its old parent.
    `tests/test_structure.py` checks every subclass keeps this shape."""

    TYPE: str = ""

    def __init__(self, name: str, args: Any, opts: Optional[pulumi.ResourceOptions] = None):
        if not self.TYPE:
            raise TypeError(f"{type(self).__name__} has no TYPE token")
        super().__init__(self.TYPE, name, None, opts)
        self.args = args


class CellComponent(pulumi.ComponentResource):
    """Base of AwsCell / GcpCell / AzureCell: labels its children and registers the contract."""

    outputs: CellOutputs
    exposure: WorkloadExposure
    pod_identity: PodIdentity
    # Set by the cell's observability hook (clouds/<cloud>/observability.py); None: nothing scrapes.
    metrics_scrape: Optional[MetricsScrape] = None
    # Grafana data source of the cell's metrics (dashboard.py), set by the same hook.
    metrics_source: Optional[dict] = None

    def __init__(self, type_: str, spec: CellSpec, opts: Optional[pulumi.ResourceOptions] = None):
        from .tags import cell_labels

        base = pulumi.ResourceOptions(transformations=[cell_labels(spec.environment, spec.residency, spec.name)])
        super().__init__(type_, spec.name, None, pulumi.ResourceOptions.merge(base, opts))
        self.spec = spec

    def child(self, opts: Optional[pulumi.ResourceOptions] = None, *, stateful: bool = False,
              parent: Optional[pulumi.Resource] = None) -> pulumi.ResourceOptions:
        """THE helper for "child, protected in prod": options of a resource under `parent` (default:
        this cell); a `stateful` one (key, bucket, vault, account, cluster) is protected in prod."""
        return child_options(parent or self, self.spec.protect, stateful, opts)

    def finish(self, outputs: CellOutputs, exposure: WorkloadExposure,
               pod_identity: Optional[PodIdentity] = None) -> None:
        if outputs.public_name is None:
            outputs.public_name = self.spec.public_name
        if pod_identity is not None:
            outputs.pod_identity = pod_identity
        self.outputs = outputs
        self.exposure = exposure
        self.pod_identity = outputs.pod_identity or PodIdentity()
        self.register_outputs({k: v for k, v in outputs.as_dict().items() if v is not None})
