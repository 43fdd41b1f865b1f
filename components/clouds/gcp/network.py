"""Custom-mode VPC of a cell: node subnet with pod/service ranges, proxy-only subnet, Cloud NAT, firewall."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_gcp as gcp

from ...contract import Piece
from ...core.config import ConfigError
from .context import GcpContext
from .settings import LogSampling

# Where Google's health checkers probe backends from (documented, fixed ranges).
HEALTH_CHECK_RANGES = ("35.191.0.0/16", "130.211.0.0/22")
PODS_RANGE = "pods"
SERVICES_RANGE = "services"
# Cloud NAT dynamic port allocation: powers of two, 32..65536 (https://cloud.google.com/nat/docs/ports-and-addresses).
NAT_MIN_PORTS = 64
NAT_MAX_PORTS = 4096


@dataclass(frozen=True)
class SubnetPlan:
    """How a cell's network CIDR is carved: the upper half for pods (one /24 per node), the lower
    half for nodes, services and the load balancer's proxy-only subnet."""

    nodes: str
    services: str
    proxy_only: str
    pods: str

    @classmethod
    def carve(cls, cidr: str, cell: str) -> "SubnetPlan":
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError as e:
            raise ConfigError(f"cell {cell!r}: network_cidr {cidr!r} is not a network address: {e}") from None
        # /19 is the smallest that leaves the proxy-only subnet its minimum /26.
        if net.version != 4 or net.prefixlen > 19:
            raise ConfigError(
                f"cell {cell!r}: network_cidr {cidr} is too small for a GCP cell; allowed: an IPv4 /19 or larger "
                "(it holds the node, pod, service and proxy-only ranges)")
        lower, pods = net.subnets(prefixlen_diff=1)
        nodes, services, proxy_block = list(lower.subnets(prefixlen_diff=3))[:3]
        proxy_only = next(proxy_block.subnets(new_prefix=net.prefixlen + 7))
        return cls(nodes=str(nodes), services=str(services), proxy_only=str(proxy_only), pods=str(pods))


@dataclass(frozen=True)
class CellNetworkArgs:
    ctx: GcpContext
    cidr: str
    node_tag: str    # network tag on every node VM: what the firewall rules target
    node_port: int   # the workload's NodePort, the only port the load balancer may reach
    depends_on: tuple[pulumi.Resource, ...] = ()   # the Compute API
    logging: LogSampling = LogSampling()   # flow logs and firewall logging (platform:cells[i].gcp.logging)


class CellNetwork(Piece):
    TYPE = "platform:gcp:Network"

    def __init__(self, name: str, args: CellNetworkArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, depends_on = args.ctx, args.depends_on
        self.plan = SubnetPlan.carve(args.cidr, ctx.cell)
        self.network = gcp.compute.Network(
            f"{name}-vpc", project=ctx.project, auto_create_subnetworks=False, routing_mode="REGIONAL",
            description=f"VPC of cell {ctx.cell}",
            opts=ctx.opts(self, depends_on=depends_on),
        )
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-nodes", project=ctx.project, region=ctx.region, network=self.network.id,
            ip_cidr_range=self.plan.nodes,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=PODS_RANGE, ip_cidr_range=self.plan.pods),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=SERVICES_RANGE, ip_cidr_range=self.plan.services),
            ],
            # Nodes have no public address: Google APIs (GCS, KMS, Artifact Registry) over private access.
            private_ip_google_access=True,
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval=args.logging.flow_interval, flow_sampling=args.logging.flow_sampling,
                metadata=args.logging.flow_metadata) if args.logging.flow_logs else None,
            opts=ctx.opts(self),
        )
        # The regional external Application LB runs Envoy proxies in this subnet: they terminate TLS
        # in the cell's region and open the connections to the nodes from its range.
        self.proxy_subnet = gcp.compute.Subnetwork(
            f"{name}-proxy-only", project=ctx.project, region=ctx.region, network=self.network.id,
            ip_cidr_range=self.plan.proxy_only, purpose="REGIONAL_MANAGED_PROXY", role="ACTIVE",
            opts=ctx.opts(self),
        )
        self.router = gcp.compute.Router(
            f"{name}-router", project=ctx.project, region=ctx.region, network=self.network.id,
            opts=ctx.opts(self),
        )
        self.nat = gcp.compute.RouterNat(
            f"{name}-nat", project=ctx.project, region=ctx.region, router=self.router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            # Ports follow each node's demand (image pulls, bursts to Google APIs) instead of a fixed
            # 64 per VM; dynamic allocation requires endpoint-independent mapping off.
            enable_dynamic_port_allocation=True, enable_endpoint_independent_mapping=False,
            min_ports_per_vm=NAT_MIN_PORTS, max_ports_per_vm=NAT_MAX_PORTS,
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[gcp.compute.RouterNatSubnetworkArgs(
                name=self.subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"])],
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=ctx.opts(self),
        )
        # The only ingress to the workload: Google's health checkers and the LB's own proxies, on the
        # NodePort. Everything else is refused by the VPC's implied deny-ingress rule.
        self.lb_sources = (*HEALTH_CHECK_RANGES, self.plan.proxy_only)
        self.health_check_firewall = self._allow(name, ctx, "allow-health-checks", HEALTH_CHECK_RANGES, args)
        self.proxy_firewall = self._allow(name, ctx, "allow-lb-proxies", (self.plan.proxy_only,), args)
        self.register_outputs({"network": self.network.id, "subnet": self.subnet.id})

    def _allow(self, name: str, ctx: GcpContext, what: str, sources: Sequence[str], args: CellNetworkArgs):
        return gcp.compute.Firewall(
            f"{name}-{what}", project=ctx.project, network=self.network.id, direction="INGRESS", priority=1000,
            source_ranges=list(sources), target_tags=[args.node_tag],
            allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(args.node_port)])],
            log_config=(gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA")
                        if args.logging.firewall_logging else None),
            opts=ctx.opts(self),
        )
