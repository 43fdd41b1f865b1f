"""The cell's GKE cluster: regional, private nodes, Workload Identity, secrets encrypted with the cell key."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_gcp as gcp

from ...contract import Piece
from .context import GcpContext
from .key import CellKey, KeyGrant
from .network import PODS_RANGE, SERVICES_RANGE, CellNetwork
from .settings import DISK_SIZE_GB, MACHINE_TYPE, MAX_PODS_PER_NODE, MAX_SURGE

# The node service account needs nothing but to write logs/metrics and read its node metadata:
# Google's predefined minimal role for GKE nodes (instead of the over-privileged default compute SA).
NODE_ROLES = ("roles/container.defaultNodeServiceAccount",)
# The workload nodes per cell size (config.NODE_SIZES: small 2 vCPU/8 GiB, medium 4/16, large 8/32);
# medium is settings.MACHINE_TYPE.
MACHINE_TYPES = {"small": "e2-standard-2", "medium": MACHINE_TYPE, "large": "e2-standard-8"}
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
RELEASE_CHANNEL = "REGULAR"
# Recurring maintenance window: Saturday and Sunday 01:00-09:00 UTC (16 h a week, over GKE's minimum
# of 48 h in any 32 days: https://cloud.google.com/kubernetes-engine/docs/concepts/maintenance-windows-and-exclusions).
# Exclusions (freezes) are dated events: operators add them with `gcloud container clusters update
# --add-maintenance-exclusion-*`; maintenancePolicy.maintenanceExclusions is ignored so `up` keeps them.
MAINTENANCE_START = "2026-01-03T01:00:00Z"
MAINTENANCE_END = "2026-01-03T09:00:00Z"
MAINTENANCE_RECURRENCE = "FREQ=WEEKLY;BYDAY=SA,SU"
DEPLOYER_ROLE = "roles/container.admin"
BINARY_AUTHORIZATION_MODES = ("DISABLED", "PROJECT_SINGLETON_POLICY_ENFORCE")


def initial_nodes_per_zone(min_nodes: int, zones: int) -> int:
    """Nodes per zone at creation: enough for the pool's minimum, at least one in each zone."""
    return max(1, -(-min_nodes // zones))


@dataclass(frozen=True)
class GkeClusterArgs:
    ctx: GcpContext
    network: CellNetwork
    key: CellKey
    container_agent: pulumi.Output[str]
    compute_agent: pulumi.Output[str]
    zones: tuple[str, ...]           # the zones of the region the node pool spans
    node_tag: str
    min_nodes: int
    max_nodes: int
    kubernetes_version: str
    api_allowed_cidrs: tuple[str, ...]
    binary_authorization: str = "DISABLED"   # one of BINARY_AUTHORIZATION_MODES
    node_size: str = "medium"                 # config.NODE_SIZES
    deployer_account: Optional[str] = None    # spec.deployer.gcp_service_account
    depends_on: tuple[pulumi.Resource, ...] = ()   # the Container, IAM, Compute, Container Security, Monitoring, Logging APIs


class GkeCluster(Piece):
    TYPE = "platform:gcp:Cluster"

    def __init__(self, name: str, args: GkeClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, depends_on = args.ctx, args.depends_on
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
        # Compute Engine writes the CMEK boot disks of the nodes through its own. Both emails come from
        # projects.ServiceIdentity (project.py), so each grant waits for its agent to exist; the cluster
        # and the pool wait a little longer, for the grants to propagate.
        self.gke_agent_grant = args.key.grant(KeyGrant("gke-agent", args.container_agent))
        self.compute_agent_grant = args.key.grant(KeyGrant("compute-agent", args.compute_agent))
        self.key_ready = args.key.settled("cluster", [self.gke_agent_grant, self.compute_agent_grant])

        # No CIDR allowed to the Kubernetes API in config: the control plane has no public endpoint.
        private_endpoint = not args.api_allowed_cidrs
        self.cluster = gcp.container.Cluster(
            f"{name}-gke", project=ctx.project, name=ctx.cell,
            location=ctx.region,  # a region, not a zone: a regional control plane across the zones
            network=args.network.network.id, subnetwork=args.network.subnet.id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=PODS_RANGE, services_secondary_range_name=SERVICES_RANGE),
            default_max_pods_per_node=MAX_PODS_PER_NODE,
            # Node pools are managed separately (below); GKE insists on creating a default pool
            # first, so it gets the same locked-down identity before it is removed. After the
            # removal GKE reads `nodeConfig` back as the (gone) default pool's, and nodeConfig is
            # ForceNew: without ignore_changes the second `up` would replace the cluster (Google's
            # Cloud Foundation Fabric GKE module ignores it for the same reason).
            remove_default_node_pool=True, initial_node_count=1,
            node_config=gcp.container.ClusterNodeConfigArgs(
                service_account=self.node_account.email, oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                boot_disk_kms_key=args.key.key.id,
                shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True),
                workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA")),
            # Every pool's kubelet: no unauthenticated read-only port 10255.
            node_pool_defaults=gcp.container.ClusterNodePoolDefaultsArgs(
                node_config_defaults=gcp.container.ClusterNodePoolDefaultsNodeConfigDefaultsArgs(
                    insecure_kubelet_readonly_port_enabled="FALSE")),
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
            # The channel picks and upgrades the version; a pinned minimum version breaks the day it
            # leaves the channel (`kubernetes_version` of the config is not sent on GCP).
            release_channel=gcp.container.ClusterReleaseChannelArgs(channel=RELEASE_CHANNEL),
            # Upgrades only in the weekend window (GKE asks for 48 h of windows in any 32 days).
            maintenance_policy=gcp.container.ClusterMaintenancePolicyArgs(
                recurring_window=gcp.container.ClusterMaintenancePolicyRecurringWindowArgs(
                    start_time=MAINTENANCE_START, end_time=MAINTENANCE_END, recurrence=MAINTENANCE_RECURRENCE)),
            # Security posture, standard tier: workload configuration auditing. GKE's in-cluster workload
            # vulnerability scanning is gone (standard removed 2025-07-31, advanced 2026-06-16:
            # https://cloud.google.com/kubernetes-engine/docs/deprecations/posture-management-deprecation);
            # images are scanned where they are stored (Artifact Analysis on the registry).
            security_posture_config=gcp.container.ClusterSecurityPostureConfigArgs(
                mode="BASIC", vulnerability_mode="VULNERABILITY_DISABLED"),
            binary_authorization=gcp.container.ClusterBinaryAuthorizationArgs(
                evaluation_mode=args.binary_authorization),
            logging_config=gcp.container.ClusterLoggingConfigArgs(
                enable_components=["SYSTEM_COMPONENTS", "APISERVER", "WORKLOADS"]),
            monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
                enable_components=["SYSTEM_COMPONENTS", "APISERVER"],
                managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True)),
            deletion_protection=ctx.protect,
            opts=pulumi.ResourceOptions.merge(
                ctx.opts(self, stateful=True, depends_on=[
                    self.gke_agent_grant, self.compute_agent_grant, self.key_ready, *self.node_roles, *depends_on]),
                pulumi.ResourceOptions(ignore_changes=["nodeConfig", "maintenancePolicy.maintenanceExclusions"])),
        )
        # Auto-named `<cell>-pool-<7 hex>` (node pool names: 40 characters at most), so that a change
        # that replaces the pool creates the new one before the old one is drained. It starts with
        # nodes (per zone) so the first `up` can schedule the workload; the autoscaler owns the count
        # afterwards, hence initialNodeCount is ignored once created.
        self.node_pool = gcp.container.NodePool(
            f"{ctx.cell}-pool", project=ctx.project, cluster=self.cluster.id, location=ctx.region,
            node_locations=list(args.zones),
            initial_node_count=initial_nodes_per_zone(args.min_nodes, len(args.zones)),
            max_pods_per_node=MAX_PODS_PER_NODE,
            autoscaling=gcp.container.NodePoolAutoscalingArgs(
                total_min_node_count=args.min_nodes, total_max_node_count=args.max_nodes,
                location_policy="BALANCED"),
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(max_surge=MAX_SURGE, max_unavailable=0),
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=MACHINE_TYPES[args.node_size], disk_type="pd-balanced", disk_size_gb=DISK_SIZE_GB,
                image_type="COS_CONTAINERD",
                boot_disk_kms_key=args.key.key.id,
                tags=[args.node_tag],
                resource_labels=ctx.labels,
                service_account=self.node_account.email, oauth_scopes=[CLOUD_PLATFORM_SCOPE],
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True),
                kubelet_config=gcp.container.NodePoolNodeConfigKubeletConfigArgs(
                    insecure_kubelet_readonly_port_enabled="FALSE"),
                # Pods see the GKE metadata server, not the node's: they get their own (Workload
                # Identity) credentials and never the node service account's.
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"),
            ),
            opts=pulumi.ResourceOptions.merge(
                ctx.opts(self, depends_on=[self.compute_agent_grant, self.key_ready]),
                pulumi.ResourceOptions(ignore_changes=["initialNodeCount"])),
        )
        # The identity that runs `pulumi up` creates the workload through this cluster's API in the same
        # run: Kubernetes Engine Admin maps to full Kubernetes RBAC on the project's clusters (GKE IAM;
        # one GCP cell per project, so this is this cell's cluster). Nothing is granted when unset.
        # The deployer holds this role from its bootstrap (README "Deployer roles"), and it needs it to
        # the end of every run, destroy included: a projects IAM member removes the member from the
        # project's binding on delete, so `destroy` would strip the deployer's own role while it still
        # deletes the cluster and its Kubernetes objects (403), and every later `up` would run without
        # it. So the member outlives the stack: retained on delete, never removed by the program
        # (apply check `gcp-deployer-binding-retained`). It stays declared (not dropped) so that stacks
        # that already hold it in state do not delete it on their next `up`.
        self.deployer_admin = None
        if args.deployer_account:
            self.deployer_admin = gcp.projects.IAMMember(
                f"{name}-deployer-admin", project=ctx.project, role=DEPLOYER_ROLE,
                member=f"serviceAccount:{args.deployer_account}",
                opts=pulumi.ResourceOptions.merge(ctx.opts(self, depends_on=depends_on),
                                                  pulumi.ResourceOptions(retain_on_delete=True)))
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
            # CI-safe: never prompts (a runner has no terminal/browser); the plugin uses the
            # caller's gcloud or Application Default Credentials (e.g. GitHub OIDC federation).
            "interactiveMode": "Never",
        }}}],
    }, indent=1)
