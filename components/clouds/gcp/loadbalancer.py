"""The cell's regional external Application Load Balancer (EXTERNAL_MANAGED).

Regional on purpose: its Envoy proxies run in the cell's proxy-only subnet, so TLS terminates
inside the cell's region. A global external LB would terminate TLS at whichever Google edge is
nearest the client, anywhere in the world, which a strict residency zone cannot accept.

    address -> forwarding rule :443 -> HTTPS proxy (Certificate Manager cert for <cell>.<domain> and
                                      <public_label>.<domain>, SSL policy TLS 1.2+)
            -> URL map -> backend service (health check on health_path)
            -> the node pool's instance groups, named port `http` = the workload's NodePort
    address -> forwarding rule :80  -> HTTP proxy -> URL map that only redirects to HTTPS

How backends reach the workload: GKE creates one managed instance group per zone for the node
pool. Each gets the named port `http` = WORKLOAD_NODE_PORT, the backend service sends to that
port on every node, and the workload's Service (type NodePort, that port) takes it from there.
The node firewall admits that port only from the proxy-only subnet and Google's health checkers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_gcp as gcp

from ...contract import Piece
from ...global_traffic.cert_validation import DnsValidator
from .context import GcpContext
from .network import CellNetwork

SCHEME = "EXTERNAL_MANAGED"
NAMED_PORT = "http"
# Standard tier: client traffic enters Google's network in the cell's region, not at a global edge.
NETWORK_TIER = "STANDARD"
MIN_TLS_VERSION = "TLS_1_2"
SSL_PROFILE = "MODERN"
VALIDATION_TTL = 300
# Health check: a node is out after UNHEALTHY_THRESHOLD failed probes CHECK_INTERVAL apart; a node
# leaving the instance group (scale-down) keeps its connections DRAINING seconds.
CHECK_INTERVAL = 5
CHECK_TIMEOUT = 5
UNHEALTHY_THRESHOLD = 2
DRAINING = 30


def drain_seconds() -> int:
    """How long the LB may still send to a terminating pod's node: the health-check failure time
    (interval x unhealthy threshold) plus connection draining. The workload sleeps that long in
    preStop (WorkloadExposure.drain_seconds), so rollouts and scale-down see no 502s."""
    return CHECK_INTERVAL * UNHEALTHY_THRESHOLD + DRAINING


@dataclass(frozen=True)
class RegionalLoadBalancerArgs:
    ctx: GcpContext
    network: CellNetwork
    node_pool: gcp.container.NodePool
    zones: tuple[str, ...]
    node_port: int
    health_path: str
    hostname: str                   # the cell's own name, `<cell>.<domain>`
    domain: str                     # the public name `<public_label>.<domain>` routed to the cells
    validator: DnsValidator         # publishes the DNS authorization records (Route 53)
    security_policy: Optional[pulumi.Input[str]] = None  # the cell's edge guard (Cloud Armor)
    log_sample_rate: float = 0.1    # share of requests in the LB's request log (platform:cells[i].gcp.logging)
    depends_on: tuple[pulumi.Resource, ...] = ()   # the Compute and Certificate Manager APIs


def group_in_zone(urls: Sequence[str], zone: str) -> str:
    """The node pool's instance group in `zone` (GKE lists one URL per zone of the pool)."""
    for url in urls or ():
        if f"/zones/{zone}/" in url:
            return url
    raise ValueError(f"the node pool has no instance group in zone {zone}: {list(urls or ())}")


class RegionalLoadBalancer(Piece):
    TYPE = "platform:gcp:LoadBalancer"

    def __init__(self, name: str, args: RegionalLoadBalancerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, depends_on = args.ctx, args.depends_on
        region = dict(project=ctx.project, region=ctx.region)
        urls = args.node_pool.managed_instance_group_urls

        self.named_ports = [
            gcp.compute.InstanceGroupNamedPort(
                f"{name}-port-{zone}", project=ctx.project, zone=zone, name=NAMED_PORT, port=args.node_port,
                group=urls.apply(lambda u, z=zone: group_in_zone(u, z)), opts=ctx.opts(self, depends_on=depends_on))
            for zone in args.zones
        ]
        self.health_check = gcp.compute.RegionHealthCheck(
            f"{name}-hc", **region, check_interval_sec=CHECK_INTERVAL, timeout_sec=CHECK_TIMEOUT,
            healthy_threshold=2, unhealthy_threshold=UNHEALTHY_THRESHOLD,
            http_health_check=gcp.compute.RegionHealthCheckHttpHealthCheckArgs(
                port=args.node_port, request_path=args.health_path),
            log_config=gcp.compute.RegionHealthCheckLogConfigArgs(enable=True),
            opts=ctx.opts(self, depends_on=depends_on),
        )
        self.backend = gcp.compute.RegionBackendService(
            f"{name}-backend", **region, load_balancing_scheme=SCHEME, protocol="HTTP",
            port_name=NAMED_PORT, health_checks=self.health_check.id, timeout_sec=30,
            connection_draining_timeout_sec=DRAINING, locality_lb_policy="ROUND_ROBIN",
            backends=urls.apply(lambda groups: [
                gcp.compute.RegionBackendServiceBackendArgs(
                    group=g, balancing_mode="UTILIZATION", max_utilization=0.8, capacity_scaler=1.0)
                for g in groups]),
            log_config=gcp.compute.RegionBackendServiceLogConfigArgs(
                enable=args.log_sample_rate > 0, sample_rate=args.log_sample_rate if args.log_sample_rate > 0 else None),
            security_policy=args.security_policy,
            opts=ctx.opts(self, depends_on=[*self.named_ports, *depends_on]),
        )
        self.url_map = gcp.compute.RegionUrlMap(
            f"{name}-https", **region, default_service=self.backend.id, opts=ctx.opts(self, depends_on=depends_on))
        self.redirect_map = gcp.compute.RegionUrlMap(
            f"{name}-http-redirect", **region,
            default_url_redirect=gcp.compute.RegionUrlMapDefaultUrlRedirectArgs(
                https_redirect=True, strip_query=False, redirect_response_code="MOVED_PERMANENTLY_DEFAULT"),
            opts=ctx.opts(self, depends_on=depends_on))
        self.ssl_policy = gcp.compute.RegionSslPolicy(
            f"{name}-tls", **region, min_tls_version=MIN_TLS_VERSION, profile=SSL_PROFILE,
            opts=ctx.opts(self, depends_on=depends_on))

        # Google-managed certificate for the cell's own name and the public name the global DNS
        # layer answers with this cell; issued in the cell's region once each name's DNS
        # authorization CNAME is published in the Route 53 zone.
        self.dns_authorizations, self.validation_records = [], []
        for suffix, domain, shared in (("", args.hostname, False), ("-domain", args.domain, True)):
            auth, record = self._authorize(name, suffix, domain, shared, ctx, args, depends_on)
            self.dns_authorizations.append(auth)
            self.validation_records.append(record)
        self.dns_authorization, self.validation_record = self.dns_authorizations[0], self.validation_records[0]
        self.certificate = gcp.certificatemanager.Certificate(
            f"{name}-cert", project=ctx.project, location=ctx.region,
            description=f"TLS certificate of {args.hostname} and {args.domain}",
            managed=gcp.certificatemanager.CertificateManagedArgs(
                domains=[args.hostname, args.domain], dns_authorizations=[a.id for a in self.dns_authorizations]),
            opts=ctx.opts(self, depends_on=[*self.validation_records, *depends_on]))

        self.https_proxy = gcp.compute.RegionTargetHttpsProxy(
            f"{name}-https", **region, url_map=self.url_map.id, ssl_policy=self.ssl_policy.id,
            certificate_manager_certificates=[self.certificate.id], opts=ctx.opts(self, depends_on=depends_on))
        self.http_proxy = gcp.compute.RegionTargetHttpProxy(
            f"{name}-http-redirect", **region, url_map=self.redirect_map.id, opts=ctx.opts(self, depends_on=depends_on))

        self.address = gcp.compute.Address(
            f"{name}-ip", **region, address_type="EXTERNAL", network_tier=NETWORK_TIER,
            description=f"Public address of cell {ctx.cell}", opts=ctx.opts(self, depends_on=depends_on))
        # A regional EXTERNAL_MANAGED forwarding rule needs the VPC's proxy-only subnet to exist.
        rule = dict(**region, ip_address=self.address.address, ip_protocol="TCP", load_balancing_scheme=SCHEME,
                    network=args.network.network.id, network_tier=NETWORK_TIER)
        self.https_rule = gcp.compute.ForwardingRule(
            f"{name}-https", **rule, port_range="443", target=self.https_proxy.id,
            opts=ctx.opts(self, depends_on=[args.network.proxy_subnet, *depends_on]))
        self.http_rule = gcp.compute.ForwardingRule(
            f"{name}-http-redirect", **rule, port_range="80", target=self.http_proxy.id,
            opts=ctx.opts(self, depends_on=[args.network.proxy_subnet, *depends_on]))
        self.ip = self.address.address
        self.register_outputs({"ip": self.ip})

    def _authorize(self, name: str, suffix: str, domain: str, shared: bool, ctx: GcpContext,
                   args: RegionalLoadBalancerArgs, depends_on: Sequence[pulumi.Resource]):
        """A regional DNS authorization of `domain` and its CNAME in the Route 53 zone."""
        auth = gcp.certificatemanager.DnsAuthorization(
            f"{name}-dns-auth{suffix}", project=ctx.project, location=ctx.region, domain=domain,
            type="PER_PROJECT_RECORD", description=f"Proves control of {domain} for cell {ctx.cell}",
            opts=ctx.opts(self, depends_on=depends_on))
        record = auth.dns_resource_records.apply(lambda rs: rs[0])
        # A PER_PROJECT_RECORD CNAME depends only on the project and the domain, so every GCP cell
        # of the project (in this stack or another) publishes the same record for the shared public
        # name: each may write it, and none deletes it from under the others when it goes away.
        validation = args.validator.record(
            f"{name}-cert-validation{suffix}", parent=self, name=record.apply(lambda r: r.name),
            type=record.apply(lambda r: r.type), ttl=VALIDATION_TTL, values=[record.apply(lambda r: r.data)],
            shared=shared)
        return auth, validation
