"""The cell's AKS cluster.

Secure by default, no flags: Entra ID authentication with Azure RBAC and local accounts
disabled (so the only kubeconfig is a user one that logs in through kubelogin), OIDC issuer +
workload identity, etcd encrypted with the cell's Key Vault key (KMS v2, private vault access
through API server VNet integration), node OS disks encrypted with the cell's key through its
disk encryption set (`disk.py`; AKS takes it only when it creates the cluster), nodes without
public IPs in the AKS subnet (Azure CNI Overlay, Cilium network policy), automatic upgrades,
Defender for Containers and Container Insights into the cell's Log Analytics workspace.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure

from .common import (
    ROLE_KEY_VAULT_CONTRIBUTOR,
    ROLE_KEY_VAULT_CRYPTO_USER,
    ROLE_NETWORK_CONTRIBUTOR,
    ROLE_READER,
    AzureCellContext,
    zones,
)
from .disk import CellDiskEncryption
from .key import CellKeys
from .network import DNS_SERVICE_IP, POD_CIDR, SERVICE_CIDR, CellNetwork

SYSTEM_VM_SIZE = "Standard_D4ds_v5"
USER_VM_SIZE = "Standard_D8ds_v5"
LOG_RETENTION_DAYS = 30


@dataclass
class CellCluster:
    cluster: azure.containerservice.ManagedCluster
    name: str
    oidc_issuer_url: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]  # secret


def build_cluster(ctx: AzureCellContext, network: CellNetwork, keys: CellKeys,
                  identity: azure.managedidentity.UserAssignedIdentity, disks: CellDiskEncryption) -> CellCluster:
    spec = ctx.spec
    name = ctx.name("aks")

    workspace = azure.operationalinsights.Workspace(
        ctx.name("logs"),
        workspace_name=ctx.name("logs"),
        resource_group_name=ctx.rg_name, location=ctx.location,
        sku=azure.operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
        retention_in_days=LOG_RETENTION_DAYS,
        opts=ctx.opts(),
    )

    # KMS needs the key (and, for a private vault, the right to set up its private link), the
    # control plane needs the subnets (internal load balancer, API server integration) and must
    # read the disk encryption set its node pools' disks link to, BEFORE the cluster exists: a
    # user-assigned identity, granted first. The set's own key grant must exist too.
    principal = identity.principal_id
    grants = [
        ctx.grant("aks-etcd-key-user", principal, ROLE_KEY_VAULT_CRYPTO_USER, keys.etcd_key.id,
                  "AKS KMS encrypts etcd with the cell key"),
        ctx.grant("aks-vault-private-link", principal, ROLE_KEY_VAULT_CONTRIBUTOR, keys.vault.id,
                  "AKS KMS reaches the firewalled vault through a private link it manages"),
        ctx.grant("aks-subnet-network", principal, ROLE_NETWORK_CONTRIBUTOR, network.aks_subnet.id,
                  "AKS places the workload's internal load balancer in the AKS subnet"),
        ctx.grant("aks-apiserver-subnet-network", principal, ROLE_NETWORK_CONTRIBUTOR, network.apiserver_subnet.id,
                  "AKS injects the API server into its delegated subnet"),
        ctx.grant("aks-disk-encryption-set-reader", principal, ROLE_READER, disks.id,
                  "AKS links its node pools' OS disks to the cell's disk encryption set"),
        disks.key_grant,
    ]

    def pool(pool_name: str, mode: str, vm_size: str, min_count: int, max_count: int, taints=None):
        return azure.containerservice.ManagedClusterAgentPoolProfileArgs(
            name=pool_name, mode=mode, vm_size=vm_size,
            os_type="Linux", os_sku="AzureLinux", type="VirtualMachineScaleSets",
            enable_auto_scaling=True, count=min_count, min_count=min_count, max_count=max_count,
            availability_zones=zones(spec.region),
            vnet_subnet_id=network.aks_subnet.id,
            enable_node_public_ip=False,
            node_taints=taints,
            orchestrator_version=spec.kubernetes_version,
        )

    api_access = azure.containerservice.ManagedClusterAPIServerAccessProfileArgs(
        enable_vnet_integration=True,
        subnet_id=network.apiserver_subnet.id,
        # Public endpoint limited to the configured CIDRs; none configured = private cluster.
        authorized_ip_ranges=list(spec.api_allowed_cidrs) or None,
        enable_private_cluster=not spec.api_allowed_cidrs,
        disable_run_command=True,
    )

    cluster = azure.containerservice.ManagedCluster(
        name,
        resource_name_=name,
        resource_group_name=ctx.rg_name, location=ctx.location,
        dns_prefix=spec.name,
        kubernetes_version=spec.kubernetes_version,
        sku=azure.containerservice.ManagedClusterSKUArgs(name="Base", tier="Standard"),
        identity=azure.containerservice.ManagedClusterIdentityArgs(
            type="UserAssigned", user_assigned_identities=[identity.id]),
        agent_pool_profiles=[
            # System pool runs only critical add-ons; the workload goes to the user pool.
            pool("system", "System", SYSTEM_VM_SIZE, 1 if spec.min_nodes < 3 else 3, 3,
                 taints=["CriticalAddonsOnly=true:NoSchedule"]),
            pool("user", "User", USER_VM_SIZE, spec.min_nodes, spec.max_nodes),
        ],
        network_profile=azure.containerservice.ContainerServiceNetworkProfileArgs(
            network_plugin="azure", network_plugin_mode="overlay",
            network_dataplane="cilium", network_policy="cilium",
            pod_cidr=POD_CIDR, service_cidr=SERVICE_CIDR, dns_service_ip=DNS_SERVICE_IP,
            load_balancer_sku="standard", outbound_type="loadBalancer",
        ),
        aad_profile=azure.containerservice.ManagedClusterAADProfileArgs(
            managed=True, enable_azure_rbac=True, tenant_id=ctx.tenant_id),
        disable_local_accounts=True,
        enable_rbac=True,
        disk_encryption_set_id=disks.id,
        api_server_access_profile=api_access,
        oidc_issuer_profile=azure.containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
        security_profile=azure.containerservice.ManagedClusterSecurityProfileArgs(
            workload_identity=azure.containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True),
            azure_key_vault_kms=azure.containerservice.AzureKeyVaultKmsArgs(
                enabled=True,
                key_id=keys.etcd_key.key_uri_with_version,
                key_vault_network_access="Private",
                key_vault_resource_id=keys.vault.id,
            ),
            defender=azure.containerservice.ManagedClusterSecurityProfileDefenderArgs(
                log_analytics_workspace_resource_id=workspace.id,
                security_monitoring=azure.containerservice.ManagedClusterSecurityProfileDefenderSecurityMonitoringArgs(
                    enabled=True),
            ),
            image_cleaner=azure.containerservice.ManagedClusterSecurityProfileImageCleanerArgs(
                enabled=True, interval_hours=168),
        ),
        addon_profiles={
            "omsagent": azure.containerservice.ManagedClusterAddonProfileArgs(
                enabled=True,
                config={"logAnalyticsWorkspaceResourceID": workspace.id, "useAADAuth": "true"}),
            "azurepolicy": azure.containerservice.ManagedClusterAddonProfileArgs(enabled=True),
        },
        azure_monitor_profile=azure.containerservice.ManagedClusterAzureMonitorProfileArgs(
            metrics=azure.containerservice.ManagedClusterAzureMonitorProfileMetricsArgs(enabled=True)),
        auto_upgrade_profile=azure.containerservice.ManagedClusterAutoUpgradeProfileArgs(
            upgrade_channel="stable", node_os_upgrade_channel="NodeImage"),
        node_resource_group=ctx.name("aks-nodes"),
        node_resource_group_profile=azure.containerservice.ManagedClusterNodeResourceGroupProfileArgs(
            restriction_level="ReadOnly"),
        opts=ctx.opts(stateful=True, depends_on=grants),
    )

    # Local accounts are disabled, so there is no admin kubeconfig: this is the user one in
    # kubelogin's exec form (`format: exec`), which signs in with Entra ID.
    credentials = azure.containerservice.list_managed_cluster_user_credentials_output(
        resource_group_name=ctx.rg_name, resource_name=cluster.name, format="exec",
        opts=pulumi.InvokeOutputOptions(provider=ctx.provider, parent=ctx.parent),
    )
    kubeconfig = pulumi.Output.secret(
        credentials.kubeconfigs.apply(lambda ks: base64.b64decode(ks[0].value).decode()))
    issuer = cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url)
    return CellCluster(cluster, name, issuer, kubeconfig)
