"""`GcpCell`: one regional cell on GCP, built from the cloud-neutral `CellSpec`."""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_gcp as gcp

from ...contract import NODE_PORT, Address, CellComponent, CellOutputs, CellSpec, WorkloadExposure
from ...core.config import ConfigError
from .bucket import BucketArgs, DataBucket
from .cluster import ClusterArgs, GkeCluster
from .context import GcpContext
from .edge_guard import edge_guard
from .identity import IdentityArgs, WorkloadIdentity, pod_identity
from .key import CellKey
from .loadbalancer import LoadBalancerArgs, RegionalLoadBalancer, drain_seconds
from .logs import CellLogs
from .network import CellNetwork, NetworkArgs
from .observability import build_observability
from .project import ProjectApis
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

        apis = ProjectApis(f"{name}-apis", ctx, self.child())
        network = CellNetwork(f"{name}-net", ctx, NetworkArgs(spec.network_cidr, node_tag, WORKLOAD_NODE_PORT),
                              depends_on=[apis["compute"]], opts=self.child())
        key = CellKey(f"{name}-kms", ctx, depends_on=[apis["cloudkms"]], opts=self.child())
        bucket = DataBucket(f"{name}-bucket", ctx, BucketArgs(key, apis.agents.storage, spec.noncurrent_version_days),
                            depends_on=[apis["storage"]], opts=self.child())
        logs = CellLogs(f"{name}-logs", ctx, key, depends_on=[apis["logging"]], opts=self.child())
        # From the zone table, not a compute.get_zones invoke: the program knows them before the
        # Compute API is enabled (a fresh project answers that invoke with SERVICE_DISABLED).
        zones = zones_of(spec.region)
        cluster = GkeCluster(
            f"{name}-cluster", ctx,
            ClusterArgs(network=network, key=key, container_agent=apis.agents.container,
                        compute_agent=apis.agents.compute, zones=zones, node_tag=node_tag,
                        min_nodes=spec.min_nodes, max_nodes=spec.max_nodes,
                        kubernetes_version=spec.kubernetes_version, api_allowed_cidrs=spec.api_allowed_cidrs,
                        deployer_account=spec.deployer.gcp_service_account if spec.deployer else None,
                        binary_authorization=spec.gcp_binary_authorization),
            depends_on=[apis["container"], apis["iam"], apis["compute"], apis["containersecurity"]],
            opts=self.child())
        guard = (edge_guard(name, ctx, spec.edge_guard, self, [apis["compute"]])  # issue #21
                 if spec.edge_guard is not None else None)
        lb = RegionalLoadBalancer(
            f"{name}-lb", ctx,
            LoadBalancerArgs(network=network, node_pool=cluster.node_pool, zones=zones,
                             node_port=WORKLOAD_NODE_PORT, health_path=spec.health_path, hostname=spec.hostname,
                             domain=spec.public_name,
                             validator=spec.dns_validator, security_policy=guard.self_link if guard else None),
            depends_on=[apis["compute"], apis["certificatemanager"]], opts=self.child())
        identity = WorkloadIdentity(f"{name}-identity", ctx, IdentityArgs(cluster, bucket),
                                    depends_on=[apis["iam"]], opts=self.child())

        # Metrics (GKE managed Prometheus, in the cluster's region) and SLO alerts (observability.py, #22).
        self.metrics_scrape, self.alert_policies = build_observability(self, ctx, spec.slo, spec.alert_emails)

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

