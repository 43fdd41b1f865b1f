"""The cell contract shared by all clouds.

A cell takes a `CellSpec` (what to build, cloud-neutral) and exposes `CellOutputs`
(what the workload, the global traffic layer and operators need). AWS, GCP and
Azure cells differ inside; to everybody else they look the same. In prod a cell
stack exports exactly `CellOutputs.EXPORTS` and `prod-global` reads them back
with a StackReference.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Optional

import pulumi

from .core import catalog
from .core.config import CellSpecConfig, PlatformConfig, WorkloadOptions

# Where the inference pods run and what they run as, on every cloud. Cloud
# identities are bound to exactly this subject (IRSA/pod identity, GKE Workload
# Identity, Azure federated credential): `system:serviceaccount:inference:inference`.
WORKLOAD_NAMESPACE = "inference"
WORKLOAD_SERVICE_ACCOUNT = "inference"
WORKLOAD_SUBJECT = f"system:serviceaccount:{WORKLOAD_NAMESPACE}:{WORKLOAD_SERVICE_ACCOUNT}"
WORKLOAD_SERVICE_NAME = "inference"
# Port the in-cluster Service listens on; the container port comes from config.
SERVICE_PORT = 80


@dataclass(frozen=True)
class CellSpec:
    """What a cell is: everything a cloud's cell component needs, and nothing from pulumi.Config."""

    name: str
    cloud: Literal["aws", "gcp", "azure"]
    region: str
    residency: str
    environment: str
    role: str
    weight: int
    network_cidr: str
    min_nodes: int
    max_nodes: int
    kubernetes_version: str
    api_allowed_cidrs: tuple[str, ...]
    noncurrent_version_days: int
    geo_redundant: bool
    workload: WorkloadOptions
    domain: Optional[str] = None          # public domain; the cell's own name is <cell>.<domain>
    public_name: Optional[str] = None      # the global name, <public_label>.<domain> (certificates cover it)
    zone_id: Optional[pulumi.Input[str]] = None  # Route 53 zone for certificate validation
    gcp_project: Optional[str] = None
    # aws with geo_redundant: where the bucket's replica lives (nearest other AWS region of the zone,
    # within platform:zones.<zone>.regions); config.load has rejected a zone without one.
    replica_region: Optional[str] = None
    protect: bool = False                  # protect stateful resources (prod)

    @property
    def health_path(self) -> str:
        return self.workload.health_path

    @property
    def hostname(self) -> Optional[str]:
        return f"{self.name}.{self.domain}" if self.domain else None

    @property
    def catalog_region(self) -> catalog.Region:
        return catalog.region(self.cloud, self.region)

    @classmethod
    def from_config(cls, cell: CellSpecConfig, cfg: PlatformConfig, zone_id=None) -> "CellSpec":
        assert cfg.workload is not None  # config.load guarantees it when there are cells
        return cls(
            name=cell.name, cloud=cell.cloud, region=cell.region, residency=cell.residency,
            environment=cfg.environment, role=cell.role, weight=cell.weight,
            network_cidr=cell.network_cidr, min_nodes=cell.cluster.min_nodes,
            max_nodes=cell.cluster.max_nodes, kubernetes_version=cell.cluster.kubernetes_version,
            api_allowed_cidrs=tuple(cell.cluster.api_allowed_cidrs),
            noncurrent_version_days=cell.bucket.noncurrent_version_days,
            geo_redundant=cell.bucket.geo_redundant, workload=cfg.workload,
            domain=cfg.dns.domain if cfg.dns else None, zone_id=zone_id,
            public_name=cfg.dns.public_name if cfg.dns else None,
            gcp_project=cell.project or cfg.gcp_project, protect=cfg.protect_stateful,
            replica_region=(catalog.aws_replica_region(cell.region, cell.residency, cfg.zone(cell.residency).regions)
                            if cell.cloud == "aws" and cell.bucket.geo_redundant else None),
        )


@dataclass(frozen=True)
class WorkloadExposure:
    """How a cell's load balancer reaches the workload; the cell decides, the workload obeys.

    - `NodePort`: the LB targets every node on `node_port` (AWS ALB instance targets,
      GCP backend on the node pool's instance groups);
    - `LoadBalancer` internal: an internal LB at `load_balancer_ip` in the cluster subnet
      (Azure Application Gateway backend pool).
    `ingress_cidrs` are the only sources the workload's NetworkPolicy admits.
    """

    service_type: Literal["NodePort", "LoadBalancer"]
    ingress_cidrs: tuple[str, ...]
    node_port: Optional[int] = None
    load_balancer_ip: Optional[str] = None
    annotations: dict = field(default_factory=dict)


@dataclass
class CellOutputs:
    """The outputs every cell exposes (see ../shared/DESIGN.md, "The cell contract")."""

    endpoint_hostname: pulumi.Output[str]
    endpoint_ip: pulumi.Output[str]
    health_path: str
    bucket_uri: pulumi.Output[str]
    cluster_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]  # secret
    workload_identity: pulumi.Output[str]
    residency: str
    region: str
    cloud: str
    name: str
    # Alias target when the endpoint is an AWS load balancer (Route 53 alias records).
    alias_zone_id: Optional[pulumi.Output[str]] = None
    # The global name the cell's certificate covers (`<public_label>.<domain>`); the global layer
    # refuses to route its public name to a cell whose certificate is for another one.
    public_name: Optional[str] = None

    EXPORTS = ("endpoint_hostname", "endpoint_ip", "health_path", "bucket_uri", "cluster_name",
               "kubeconfig", "workload_identity", "residency", "region", "cloud", "name", "alias_zone_id",
               "public_name")

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
    def from_stack_reference(cls, ref: "pulumi.StackReference", exported_name: str) -> "CellOutputs":
        """Read a cell stack's exports (prod-global). `exported_name` is the cell's export key."""
        cell = ref.get_output(exported_name)
        values = {k: cell.apply(lambda c, k=k: (c or {}).get(k)) for k in cls.EXPORTS if k != "kubeconfig"}
        return cls(kubeconfig=ref.get_output(exported_name + cls.KUBECONFIG_SUFFIX), **values)


class CellComponent(pulumi.ComponentResource):
    """Base of AwsCell / GcpCell / AzureCell: labels its children and registers the contract."""

    outputs: CellOutputs
    exposure: WorkloadExposure

    def __init__(self, type_: str, spec: CellSpec, opts: Optional[pulumi.ResourceOptions] = None):
        from .tags import cell_labels

        base = pulumi.ResourceOptions(transformations=[cell_labels(spec.environment, spec.residency, spec.name)])
        super().__init__(type_, spec.name, None, pulumi.ResourceOptions.merge(base, opts))
        self.spec = spec

    def stateful(self, opts: Optional[pulumi.ResourceOptions] = None) -> pulumi.ResourceOptions:
        """Options for a stateful child (key, bucket, vault, account, cluster): protected in prod."""
        base = pulumi.ResourceOptions(parent=self, protect=self.spec.protect)
        return pulumi.ResourceOptions.merge(base, opts)

    def child(self, opts: Optional[pulumi.ResourceOptions] = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(pulumi.ResourceOptions(parent=self), opts)

    def finish(self, outputs: CellOutputs, exposure: WorkloadExposure) -> None:
        if outputs.public_name is None:
            outputs.public_name = self.spec.public_name
        self.outputs = outputs
        self.exposure = exposure
        self.register_outputs({k: v for k, v in outputs.as_dict().items() if v is not None})
