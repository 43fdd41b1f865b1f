"""The cell's GKE cluster: regional, private nodes, Workload Identity, secrets encrypted with the cell key."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_gcp as gcp

from .context import GcpContext
from .key import CellKey, KeyGrant
from .network import PODS_RANGE, SERVICES_RANGE, CellNetwork

# The node service account needs nothing but to write logs/metrics and read its node metadata:
# Google's predefined minimal role for GKE nodes (instead of the over-privileged default compute SA).
NODE_ROLES = ("roles/container.defaultNodeServiceAccount",)
MACHINE_TYPE = "e2-standard-4"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
RELEASE_CHANNEL = "REGULAR"


@dataclass(frozen=True)
class ClusterArgs:
    network: CellNetwork
    key: CellKey
    container_agent: pulumi.Output[str]
    compute_agent: pulumi.Output[str]
    zones: Sequence[str]             # the zones of the region the node pool spans
    node_tag: str
    min_nodes: int
    max_nodes: int
    kubernetes_version: str
    api_allowed_cidrs: Sequence[str]


class GkeCluster(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: GcpContext, args: ClusterArgs,
                 depends_on: Sequence[pulumi.Resource], opts: pulumi.ResourceOptions):
        super().__init__("platform:gcp:Cluster", name, None, opts)
        self.node_account = gcp.serviceaccount.Account(
            f"{name}-nodes", project=ctx.project, account_id=ctx.account_id("nodes"),
            display_name=f"GKE nodes of cell {ctx.cell}", opts=ctx.opts(self, depends_on=depends_on),
        )
        node_member = pulumi.Output.concat("serviceAccount:", self.node_account.email)
        self.node_roles = [
            gcp.projects.IAMMember(f"{name}-nodes-{role.split('.')[-1].lower()}", project=ctx.project,
                                   role=role, member=node_member, opts=ctx.opts(self))
            for role in NODE_ROLES
        ]
        # GKE encrypts Kubernetes secrets (application-layer, envelope) through its service agent, and
        # Compute Engine writes the CMEK boot disks of the nodes through its own.
        self.gke_agent_grant = args.key.grant(KeyGrant("gke-agent", args.container_agent))
        self.compute_agent_grant = args.key.grant(KeyGrant("compute-agent", args.compute_agent))

        # No CIDR allowed to the Kubernetes API in config: the control plane has no public endpoint.
        private_endpoint = not args.api_allowed_cidrs
        self.cluster = gcp.container.Cluster(
            f"{name}-gke", project=ctx.project, name=ctx.cell,
            location=ctx.region,  # a region, not a zone: a regional control plane across the zones
            network=args.network.network.id, subnetwork=args.network.subnet.id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=PODS_RANGE, services_secondary_range_name=SERVICES_RANGE),
            # Node pools are managed separately (below); GKE insists on creating a default pool
            # first, so it gets the same locked-down identity before it is removed.
            remove_default_node_pool=True, initial_node_count=1,
            node_config=gcp.container.ClusterNodeConfigArgs(
                service_account=self.node_account.email, oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                boot_disk_kms_key=args.key.key.id,
                shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True),
                workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA")),
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True, enable_private_endpoint=private_endpoint),
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=[gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                    cidr_block=cidr, display_name=f"allowed-{i}") for i, cidr in enumerate(args.api_allowed_cidrs)],
                gcp_public_cidrs_access_enabled=False),
            master_auth=gcp.container.ClusterMasterAuthArgs(
                client_certificate_config=gcp.container.ClusterMasterAuthClientCertificateConfigArgs(
                    issue_client_certificate=False)),
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=f"{ctx.project}.svc.id.goog"),
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=args.key.key.id),
            enable_shielded_nodes=True,
            # Dataplane V2 enforces the workload's NetworkPolicy (only the LB's sources get in).
            datapath_provider="ADVANCED_DATAPATH",
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=RELEASE_CHANNEL),
            min_master_version=args.kubernetes_version,
            logging_config=gcp.container.ClusterLoggingConfigArgs(
                enable_components=["SYSTEM_COMPONENTS", "APISERVER", "WORKLOADS"]),
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=["SYSTEM_COMPONENTS", "APISERVER"],
                managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True)),
            deletion_protection=ctx.protect,
            opts=ctx.opts(self, stateful=True,
                          depends_on=[self.gke_agent_grant, self.compute_agent_grant, *self.node_roles]),
        )
        # Auto-named `<cell>-pool-<7 hex>` (node pool names: 40 characters at most), so that a change
        # that replaces the pool creates the new one before the old one is drained.
        self.node_pool = gcp.container.NodePool(
            f"{ctx.cell}-pool", project=ctx.project, cluster=self.cluster.id, location=ctx.region,
            node_locations=list(args.zones),
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=args.min_nodes, total_max_node_count=args.max_nodes,
                location_policy="BALANCED"),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=1, max_unavailable=0),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=MACHINE_TYPE, disk_type="pd-balanced", disk_size_gb=100, image_type="COS_CONTAINERD",
                boot_disk_kms_key=args.key.key.id,
                tags=[args.node_tag],
                resource_labels=ctx.labels,
                service_account=self.node_account.email, oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True),
                # Pods see the GKE metadata server, not the node's: they get their own (Workload
                # Identity) credentials and never the node service account's.
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"),
            ),
            opts=ctx.opts(self, depends_on=[self.compute_agent_grant]),
        )
        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.master_auth.cluster_ca_certificate,
        ).apply(lambda a: kubeconfig(ctx.project, ctx.region, *a)))
        self.register_outputs({"name": self.cluster.name})


def kubeconfig(project: str, region: str, name: str, endpoint: str, ca_data: str) -> str:
    """A kubeconfig (JSON is valid YAML) that authenticates with `gke-gcloud-auth-plugin`: no static
    credential is embedded, the caller's own Google identity is exchanged for a short-lived token."""
    context = f"gke_{project}_{region}_{name}"
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": context,
        "clusters": [{"name": context, "cluster": {"server": f"https://{endpoint}",
                                                   "certificate-authority-data": ca_data}}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "users": [{"name": context, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "gke-gcloud-auth-plugin",
            "installHint": "Install gke-gcloud-auth-plugin: gcloud components install gke-gcloud-auth-plugin",
            "provideClusterInfo": True,
            "interactiveMode": "IfAvailable",
        }}}],
    }, indent=1)
