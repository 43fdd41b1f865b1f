"""The cell contract's data: what a cell is given (`CellSpec`, its `EdgeGuardSpec`) and the values it
hands back (`Endpoint`, `PodIdentity`, `WorkloadExposure`, `MetricsScrape`), plus the workload
constants every cloud binds to. Plain frozen values, computed before any resource exists.

Pure: no pulumi (the core imports it: `core/plan.py` computes every cell's spec once). The
component side of the contract (the cell's base class, its exported `CellOutputs`, the piece
base) is `components/contract.py`, which re-exports all of this.

Why the cloud-shaped decisions are *values* here rather than branches on the cloud name elsewhere:
- `Endpoint = AliasTarget | Address`: an ALB has no fixed address, so Route 53 must alias it;
  a regional LB has an address, so it gets an A record. The cell says which by the type it
  returns; `global_traffic/records.py` and the routing plan read the type, never the cloud.
- `PodIdentity`: what the workload's ServiceAccount and pods need to get the cell's cloud
  identity (annotations, labels, the node-local credential endpoint the NetworkPolicy opens).
- `WorkloadExposure`: how the cell's load balancer reaches the pods, including the Service
  annotations of an internal load balancer (only the cell knows its cloud's annotation).
- `DnsValidator` (in `global_traffic/cert_validation.py`) is handed to every cell, so a cell
  that is not on AWS never imports the AWS provider to validate its certificate.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping, Optional, Union

from . import placement, routing
from .release import Release
from .config import (AccessOptions, CellSpecConfig, DeployerOptions, PlatformConfig, SloOptions,
                     WorkloadOptions, cloud_settings)

if TYPE_CHECKING:
    import pulumi

    from ..global_traffic.cert_validation import DnsValidator

# Where the inference pods run and what they run as, on every cloud. Cloud
# identities are bound to exactly this subject (IRSA/pod identity, GKE Workload
# Identity, Azure federated credential): `system:serviceaccount:inference:inference`.
WORKLOAD_NAMESPACE = "inference"
WORKLOAD_SERVICE_ACCOUNT = "inference"
WORKLOAD_SUBJECT = f"system:serviceaccount:{WORKLOAD_NAMESPACE}:{WORKLOAD_SERVICE_ACCOUNT}"
WORKLOAD_SERVICE_NAME = "inference"
# Port the in-cluster Service listens on; the container port comes from config.
SERVICE_PORT = 80
# The NodePort the workload's Service exposes on every node for cells whose load balancer targets
# nodes (AWS ALB instance targets, GCP instance-group backends); 30000-32767 is Kubernetes' default
# NodePort range. Defined once: the cell's firewall/target group and the Service must agree.
NODE_PORT = 30080

# What the inference pods expose for Prometheus, on the workload's own port (a promise of the image:
# the README's "Observe" section). Aggregated counters and histograms with label values from a closed
# set (status code, histogram bucket): no request content, no client address.
METRICS_PATH = "/metrics"
REQUESTS_TOTAL = "http_requests_total"               # counter, label `code`
LATENCY_HISTOGRAM = "http_request_duration_seconds"  # histogram (_bucket, _sum, _count)
# Every scrape stamps the series with the cell's name under this label (alerts and the dashboard read it).
CELL_LABEL = "cell"
# Only these series are kept by any scrape (the rest is dropped before it leaves the cluster).
KEPT_METRICS = (REQUESTS_TOTAL, f"{LATENCY_HISTOGRAM}_bucket", f"{LATENCY_HISTOGRAM}_sum",
                f"{LATENCY_HISTOGRAM}_count", "process_cpu_seconds_total", "process_resident_memory_bytes", "up")


HTTP_UNAVAILABLE_FOR_LEGAL_REASONS = 451


@dataclass(frozen=True)
class RefusedZone:
    """A strict zone whose countries a cell's edge refuses, and where those clients belong."""

    zone: str
    countries: tuple[str, ...]   # ISO 3166-1 alpha-2, sorted
    endpoint: str                # the zone's own name (`<zone>.pool.<public_label>.<domain>`)

    def body(self) -> str:
        """The JSON body of the refusal: why, and which name serves this client's zone."""
        return json.dumps({
            "error": "unavailable_for_legal_reasons", "status": HTTP_UNAVAILABLE_FOR_LEGAL_REASONS,
            "zone": self.zone, "endpoint": f"https://{self.endpoint}",
            "message": f"Data residency: requests from zone {self.zone!r} are served only in that zone; "
                       f"call https://{self.endpoint}",
        }, sort_keys=True)


@dataclass(frozen=True)
class EdgeGuardSpec:
    """What a cell's edge guard is, on every cloud (the WAF in front of its load balancer).

    - refuses every country of `refused` (geo match on the client address) with HTTP 451 where the
      cloud allows it, the body naming the client's own zone endpoint (`RefusedZone.body`);
    - admits the Route 53 health checkers first: a request for `health_path` from
      `health_checker_cidrs` passes before any geo, rate or managed rule;
    - throttles a client IP above `rate_limit` requests per 5 minutes;
    - runs the cloud's managed core rule set in `managed_rules` mode (block, or count only)."""

    refused: tuple[RefusedZone, ...]
    rate_limit: int
    managed_rules: Literal["block", "count"]
    health_path: str
    health_checker_cidrs: tuple[str, ...] = routing.checker_cidrs()
    RATE_WINDOW_SECONDS = 300

    @property
    def refused_countries(self) -> tuple[str, ...]:
        return tuple(sorted(c for z in self.refused for c in z.countries))

    @property
    def refused_zones(self) -> tuple[str, ...]:
        return tuple(z.zone for z in self.refused)

    @classmethod
    def for_cell(cls, cell: "CellSpecConfig", cfg: PlatformConfig,
                 strict: Optional[Mapping[str, bool]] = None) -> "EdgeGuardSpec":
        """The guard of a configured cell, from the same zones and exceptions as the routing plan
        (`strict`: the plan's strict map; computed from `cfg` when not given)."""
        if strict is None:
            strict = placement.strict_map(cfg.zones, [*cfg.cells, *cfg.cell_stacks])
        zones = routing.refused_zones(cell.name, cell.residency, cfg.served_zones, strict, cfg.exceptions)
        label = cfg.dns.public_label if cfg.dns else "api"
        domain = cfg.dns.domain if cfg.dns else None
        refused = tuple(RefusedZone(z, routing.countries_of([z]), routing.zone_endpoint(z, label, domain))
                        for z in zones)
        assert cfg.workload is not None
        return cls(refused=refused, rate_limit=cfg.edge.rate_limit, managed_rules=cfg.edge.managed_rules,
                   health_path=cfg.workload.health_path)


@dataclass(frozen=True)
class CellSpec:
    """What a cell is: everything a cloud's cell component needs, and nothing from pulumi.Config."""

    name: str
    cloud: str                              # a key of components.clouds.DRIVERS
    region: str
    residency: str
    environment: str
    role: str
    weight: int
    network_cidr: str
    min_nodes: int
    max_nodes: int
    kubernetes_version: str
    api_allowed_cidrs: tuple[str, ...]     # the cell's operators + the deployer; empty = private only
    noncurrent_version_days: int
    geo_redundant: bool
    workload: WorkloadOptions
    domain: Optional[str] = None          # public domain; the cell's own name is <cell>.<domain>
    public_name: Optional[str] = None      # the global name, <public_label>.<domain> (certificates cover it)
    zone_id: Optional[pulumi.Input[str]] = None  # Route 53 hosted zone id (certificate validation)
    # Writes the DNS records that prove domain ownership for the cell's certificate (one per stack).
    dns_validator: "Optional[DnsValidator]" = None
    # Fields only one cloud reads, derived by that cloud's settings.spec_fields (None elsewhere).
    gcp_project: Optional[str] = None
    gcp_binary_authorization: str = "DISABLED"
    # aws with geo_redundant: where the bucket's replica lives (nearest other AWS region of the zone,
    # within platform:zones.<zone>.regions); config.load has rejected a zone without one.
    replica_region: Optional[str] = None
    # azure: the cell's Azure plugin settings (clouds/azure/settings.AzureCellSettings, defaults filled in).
    azure: Optional[Any] = None
    # gcp: the cell's GCP plugin settings (clouds/gcp/settings.GcpCellSettings, defaults filled in).
    gcp: Optional[Any] = None
    protect: bool = False                  # protect stateful resources (prod)
    # Where `pulumi up` runs and who it is (platform:deployer); the cell grants it cluster-admin.
    deployer: Optional[DeployerOptions] = None
    # platform:slo (None: metrics only, no SLO alerts) and who the alerts reach.
    slo: Optional[SloOptions] = None
    alert_emails: tuple[str, ...] = ()
    # Who else reaches the cluster (platform:access) and who hears its alarms (platform:dns.alarm_email).
    access: Optional[AccessOptions] = None
    alarm_email: Optional[str] = None
    # aws: this cell creates the account's EC2 Auto Scaling service-linked role (the stack's first aws cell).
    aws_account_roles: bool = False
    # The cell's edge guard (WAF on its load balancer); None only for hand-built specs in tests.
    edge_guard: Optional[EdgeGuardSpec] = None
    # The release the cell serves (platform:release or cells[i].release; core/release.py), None: the
    # workload's own image and no model.
    release: Optional[Release] = None
    node_size: str = "medium"              # config.NODE_SIZES: the workload nodes, equivalent on every cloud

    @property
    def health_path(self) -> str:
        return self.workload.health_path

    @property
    def hostname(self) -> Optional[str]:
        return f"{self.name}.{self.domain}" if self.domain else None

    @classmethod
    def from_config(cls, cell: CellSpecConfig, cfg: PlatformConfig, zone_id=None,
                    dns_validator: "Optional[DnsValidator]" = None,
                    edge_guard: Optional[EdgeGuardSpec] = None) -> "CellSpec":
        """The spec of a configured cell, with what its cloud's settings derive for it
        (`clouds/<cloud>/settings.spec_fields`, e.g. the AWS replica region). `edge_guard`: the
        plan's guard of the cell (`core/plan.py`); computed from `cfg` when not given."""
        assert cfg.workload is not None  # config.load guarantees it when there are cells
        return cls(
            name=cell.name, cloud=cell.cloud, region=cell.region, residency=cell.residency,
            environment=cfg.environment, role=cell.role, weight=cell.weight,
            network_cidr=cell.network_cidr, min_nodes=cell.cluster.min_nodes, node_size=cell.cluster.node_size,
            max_nodes=cell.cluster.max_nodes, kubernetes_version=cell.cluster.kubernetes_version,
            api_allowed_cidrs=api_allow_list(cell, cfg), deployer=cfg.deployer, access=cfg.access,
            alarm_email=cfg.dns.alarm_email if cfg.dns else None,
            noncurrent_version_days=cell.bucket.noncurrent_version_days,
            geo_redundant=cell.bucket.geo_redundant, workload=cfg.workload,
            domain=cfg.dns.domain if cfg.dns else None, zone_id=zone_id,
            public_name=cfg.dns.public_name if cfg.dns else None,
            protect=cfg.protect_stateful,
            dns_validator=dns_validator, slo=cfg.slo, alert_emails=tuple(cfg.alert_emails),
            edge_guard=edge_guard if edge_guard is not None else EdgeGuardSpec.for_cell(cell, cfg),
            release=cfg.release_of(cell),
            **cloud_settings(cell.cloud).spec_fields(cell, cfg),
        )


def api_allow_list(cell: CellSpecConfig, cfg: PlatformConfig) -> tuple[str, ...]:
    """Who may reach a cell's cluster API: its operators' CIDRs plus the deployer's egress CIDRs
    (merged, order kept); a deployer inside the network means private endpoints only."""
    if cfg.deployer and cfg.deployer.in_network:
        return ()
    extra = cfg.deployer.cidrs if cfg.deployer else []
    return tuple(dict.fromkeys([*cell.cluster.api_allowed_cidrs, *extra]))


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
    # `LoadBalancer` only: the Service annotations that make the cloud's LB internal at
    # `load_balancer_ip`. Without them a LoadBalancer Service would get a *public* LB, so the
    # workload refuses a LoadBalancer exposure that does not carry them.
    internal_lb_annotations: Mapping[str, str] = field(default_factory=dict)
    # How long the cell's load balancer keeps sending to a pod after it starts terminating (health-check
    # interval x unhealthy threshold, plus its deregistration/connection-draining time): the pods sleep
    # that long in preStop, so rollouts and scale-down never send requests to a closed socket (502s).
    drain_seconds: int = 0
    # What must exist before the first pod can run and serve: node pools (which may start empty), the
    # pod-identity association and its agent, network-policy add-ons. The Deployment waits for them.
    wait_for: tuple = ()


@dataclass(frozen=True)
class MetricsScrape:
    """How the cell's managed collector finds the workload's `/metrics`; the workload renders it once.

    - `annotations`: `prometheus.io/*` pod annotations, read by a collector whose scrape
      configuration discovers pods by them (the AMP scraper's configuration, `aws/observability.py`);
    - `pod_monitoring`: a `monitoring.googleapis.com/v1` PodMonitoring (GKE managed Prometheus);
    - `pod_monitor`: an `azmonitoring.coreos.com/v1` PodMonitor (AKS managed Prometheus, ama-metrics).
    The collector's sources get through the workload's default-deny NetworkPolicy: `from_cidrs`
    (collectors outside the cluster, e.g. the AMP scraper's interfaces) and `from_namespaces` (collector
    pods). `rbac_group`: the Kubernetes group the cell maps the collector's identity to; the workload
    grants it read access to pods and endpoints (what pod discovery needs).
    """

    kind: Literal["annotations", "pod_monitoring", "pod_monitor"]
    interval_seconds: int = 30
    from_cidrs: tuple[str, ...] = ()
    from_namespaces: tuple[str, ...] = ()
    rbac_group: Optional[str] = None

    @property
    def pod_annotations(self) -> dict[str, str]:
        return ({"prometheus.io/scrape": "true", "prometheus.io/path": METRICS_PATH}
                if self.kind == "annotations" else {})


@dataclass(frozen=True)
class AliasTarget:
    """An endpoint with no fixed address (an AWS ALB): Route 53 aliases `hostname` in `zone_id`
    and may evaluate the target's health."""

    hostname: pulumi.Input[str]
    zone_id: pulumi.Input[str]

    kind = "alias"


@dataclass(frozen=True)
class Address:
    """An endpoint with a static IPv4 address (GCP regional LB, Azure Application Gateway):
    Route 53 answers it with an A record."""

    ip: pulumi.Input[str]
    hostname: Optional[pulumi.Input[str]] = None  # the provider's hostname, if it has one

    kind = "address"


Endpoint = Union[AliasTarget, Address]


@dataclass(frozen=True)
class PodIdentity:
    """What the workload's pods need to act as the cell's workload identity.

    The cloud-side binding (pod identity association, GSA workloadIdentityUser, federated
    credential) is the cell's; these are the Kubernetes-side halves it asks for."""

    service_account_annotations: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    # (CIDR, TCP port) of the node-local endpoint that hands the pods their credentials; the
    # workload's egress NetworkPolicy opens exactly these.
    credential_endpoints: tuple[tuple[str, int], ...] = ()
