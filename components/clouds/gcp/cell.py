"""`GcpCell`: one regional cell on GCP, built from the cloud-neutral `CellSpec`."""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_gcp as gcp

from ...contract import NODE_PORT, Address, CellComponent, CellOutputs, CellSpec, WorkloadExposure
from ...core.config import ConfigError
from .bucket import DataBucket, DataBucketArgs
from .cluster import GkeCluster, GkeClusterArgs
from .context import GcpContext
from .edge_guard import EdgeGuard, EdgeGuardArgs
from .identity import WorkloadIdentity, WorkloadIdentityArgs, pod_identity
from .key import CellKey, CellKeyArgs
from .loadbalancer import RegionalLoadBalancer, RegionalLoadBalancerArgs, drain_seconds
from .logs import CellLogs, CellLogsArgs
from .network import CellNetwork, CellNetworkArgs
from .observability import SCRAPE, SloAlerts, SloAlertsArgs
from .project import ProjectApis, ProjectApisArgs
from .settings import parse as parse_settings
from .zones import zones_of

# The NodePort the workload's Service exposes on every node (contract.NODE_PORT); the load
# balancer's instance groups name it `http`.
WORKLOAD_NODE_PORT = NODE_PORT


class GcpCell(CellComponent):
    def __init__(self, spec: CellSpec, opts: Optional[pulumi.ResourceOptions] = None):
        _check(spec)
        super().__init__("platform:gcp:Cell", spec, opts)
        name = spec.name
        provider = gcp.Provider(f"{name}-gcp", project=spec.gcp_project, region=spec.region, opts=self.child())
        ctx = GcpContext(cell=name, project=spec.gcp_project, region=spec.region, environment=spec.environment,
                         residency=spec.residency, provider=provider, protect=spec.protect)
        node_tag = f"{name}-node"

        apis = ProjectApis(f"{name}-apis", ProjectApisArgs(ctx), self.child())
        settings = spec.gcp if spec.gcp is not None else parse_settings(None)
        network = CellNetwork(f"{name}-net", CellNetworkArgs(ctx, spec.network_cidr, node_tag, WORKLOAD_NODE_PORT,
                                                             depends_on=(apis["compute"],), logging=settings.logging),
                              self.child())
        key = CellKey(f"{name}-kms", CellKeyArgs(ctx, depends_on=(apis["cloudkms"],)), self.child())
        bucket = DataBucket(f"{name}-bucket", DataBucketArgs(ctx, key, apis.agents.storage, spec.noncurrent_version_days,
                                                             depends_on=(apis["storage"],)), self.child())
        logs = CellLogs(f"{name}-logs", CellLogsArgs(ctx, key, depends_on=(apis["logging"],)), self.child())
        # From the zone table, not a compute.get_zones invoke: the program knows them before the
        # Compute API is enabled (a fresh project answers that invoke with SERVICE_DISABLED).
        zones = tuple(zones_of(spec.region))
        cluster = GkeCluster(
            f"{name}-cluster",
            GkeClusterArgs(ctx=ctx, network=network, key=key, container_agent=apis.agents.container,
                           compute_agent=apis.agents.compute, zones=zones, node_tag=node_tag,
                           min_nodes=spec.min_nodes, max_nodes=spec.max_nodes, node_size=spec.node_size,
                           kubernetes_version=spec.kubernetes_version, api_allowed_cidrs=tuple(spec.api_allowed_cidrs),
                           deployer_account=spec.deployer.gcp_service_account if spec.deployer else None,
                           binary_authorization=spec.gcp_binary_authorization,
                           # The cluster writes logs and metrics (managed Prometheus) from its first minute.
                           depends_on=(apis["container"], apis["iam"], apis["compute"], apis["containersecurity"],
                                       apis["monitoring"], apis["logging"])),
            self.child())
        guard = (EdgeGuard(f"{name}-edge-guard", EdgeGuardArgs(ctx, spec.edge_guard, depends_on=(apis["compute"],)),
                           self.child())
                 if spec.edge_guard is not None else None)
        lb = RegionalLoadBalancer(
            f"{name}-lb",
            RegionalLoadBalancerArgs(ctx=ctx, network=network, node_pool=cluster.node_pool, zones=zones,
                                     node_port=WORKLOAD_NODE_PORT, health_path=spec.health_path,
                                     hostname=spec.hostname, domain=spec.public_name, validator=spec.dns_validator,
                                     security_policy=guard.self_link if guard else None,
                                     log_sample_rate=settings.logging.lb_sample_rate,
                                     depends_on=(apis["compute"], apis["certificatemanager"])),
            self.child())
        identity = WorkloadIdentity(f"{name}-identity",
                                    WorkloadIdentityArgs(ctx, cluster, bucket, depends_on=(apis["iam"],)), self.child())

        # Metrics (GKE managed Prometheus, in the cluster's region) and SLO alerts (observability.py).
        self.metrics_scrape = SCRAPE
        self.alerts = (SloAlerts(f"{name}-slo-alerts",
                                 SloAlertsArgs(ctx, spec.slo, tuple(spec.alert_emails), depends_on=(apis["monitoring"],)),
                                 self.child())
                       if spec.slo is not None else None)
        self.alert_policies = self.alerts.policies if self.alerts else []
        self.guard = guard

        self.network, self.key, self.bucket, self.cluster, self.lb, self.identity, self.logs = (
            network, key, bucket, cluster, lb, identity, logs)
        self.finish(
            CellOutputs(
                # A regional LB has an address, no provider hostname: the cell's public name is the
                # one its certificate covers; the global DNS layer answers it with an A record.
                endpoint=Address(ip=lb.ip, hostname=pulumi.Output.from_input(spec.hostname)),
                health_path=spec.health_path,
                bucket_uri=bucket.uri,
                cluster_name=cluster.cluster.name,
                kubeconfig=cluster.kubeconfig,
                workload_identity=identity.email,
                residency=spec.residency, region=spec.region, cloud=spec.cloud, name=name,
            ),
            WorkloadExposure(service_type="NodePort", node_port=WORKLOAD_NODE_PORT,
                             ingress_cidrs=network.lb_sources, drain_seconds=drain_seconds(),
                             # The pool (which the cluster does not wait for), the KSA's Workload
                             # Identity binding, and the deployer's RBAC on the API.
                             wait_for=tuple(r for r in (cluster.node_pool, identity.binding, cluster.deployer_admin)
                                            if r is not None)),
            pod_identity(identity.email),
        )


def _check(spec: CellSpec) -> None:
    """What a GCP cell needs beyond the validated config (config.py already rejects non-GCP regions)."""
    where = f"cell {spec.name!r}"
    if spec.cloud != "gcp":
        raise ValueError(f"{where}: GcpCell builds gcp cells, not {spec.cloud}")
    if not spec.gcp_project:
        raise ConfigError(f"{where}: no GCP project; set platform:cells[].project or gcp:project")
    if not spec.hostname or spec.dns_validator is None:
        raise ConfigError(f"{where}: a GCP cell needs platform:dns (its certificate is validated in the Route 53 zone)")
    if spec.geo_redundant:
        # A regional bucket is already redundant across the region's zones; a dual-region would put
        # data in a second region, and its CMEK would have to live outside the cell's region.
        raise ConfigError(f"{where}: bucket.geo_redundant is not supported on gcp; allowed: false")

