"""The cell's AKS cluster.

Secure by default, no flags: Entra ID authentication with Azure RBAC and local accounts
disabled (so the only kubeconfig is a user one that logs in through kubelogin), OIDC issuer +
workload identity, etcd encrypted with the cell's Key Vault key (KMS v2, private vault access
through API server VNet integration), node OS disks encrypted with the cell's key through its
disk encryption set (`disk.py`; AKS takes it only when it creates the cluster), nodes without
public IPs in the AKS subnet (Azure CNI Overlay, Cilium network policy), automatic upgrades
in a planned maintenance window, Defender for Containers (config) and Container Insights into the
cell's Log Analytics workspace.

First `up` in a fresh subscription, and every one after it:
- Role grants the control plane needs at create time (KMS key, private link, subnets, disk
  encryption set) are followed by a propagation wait the cluster depends on.
- The deployer (`platform:deployer.azure_object_id`) gets "Azure Kubernetes Service RBAC Cluster
  Admin" on the cluster, and the exported kubeconfig waits for that grant to propagate: the same
  `up` creates the workload through it. `azure.admin_group_object_ids` become the cluster's admin
  groups. The kubeconfig logs in non-interactively (kubelogin `azurecli` on a laptop; in CI the
  runner's AAD_LOGIN_METHOD=workloadidentity makes kubelogin exchange a fresh GitHub OIDC token for
  every Kubernetes token, so the whole run stays authenticated: `non_interactive`).
- Server-managed fields are ignored: `kubernetesVersion` and the pools' `orchestratorVersion`
  move with the `stable` upgrade channel, `count` with the cluster autoscaler; otherwise the
  second `up` would try to downgrade or to "manually scale" the pools.
- Node OS disks are managed disks (not ephemeral, the default on D*ds_v5): a managed OS disk
  encrypted through the disk encryption set takes a new key version in place when the set
  rotates; an ephemeral one only when its node is reimaged. Encryption at host (config, default
  on) encrypts the temp disk and caches too.
- etcd's KMS key: the key rotates every 90 days (rotation policy) and each version expires after a
  year. AKS holds a versioned key id; the scheduled `pulumi up --refresh` (deploy workflow) reads
  the key's new version after a rotation and updates the cluster, which re-encrypts etcd with it
  (KMS v2). The key's `notify` action (30 days before expiry) raises `KeyNearExpiry` on the
  vault's Event Grid topic; README "Running it for real" says how to route it to an alert.
"""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Optional

import yaml

import pulumi
import pulumi_azure_native as azure

from ...contract import Piece
from ...stack_config import OFFLINE_ENV
from .common import (
    ROLE_AKS_RBAC_CLUSTER_ADMIN,
    ROLE_KEY_VAULT_CONTRIBUTOR,
    ROLE_KEY_VAULT_CRYPTO_USER,
    ROLE_NETWORK_CONTRIBUTOR,
    ROLE_READER,
    real_up,
    subscription_name,
    zones,
)
from .context import AzureCellContext
from .disk import DiskEncryption
from .key import Keys
from .network import DNS_SERVICE_IP, POD_CIDR, SERVICE_CIDR, Network

SYSTEM_VM_SIZE = "Standard_D4ds_v5"
# The workload (user pool) nodes per cell size (config.NODE_SIZES: small 2 vCPU/8 GiB, medium 4/16,
# large 8/32); the system pool keeps its own size (AKS's add-ons only).
USER_VM_SIZES = {"small": "Standard_D2ds_v5", "medium": "Standard_D4ds_v5", "large": "Standard_D8ds_v5"}
# The first-party application id AKS-managed Entra ID tokens are issued for (kubelogin --server-id).
AKS_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"


@dataclass(frozen=True)
class ClusterArgs:
    ctx: AzureCellContext
    network: Network                                        # node and API server subnets
    keys: Keys                                              # the vault and its `etcd` key (KMS)
    identity: azure.managedidentity.UserAssignedIdentity    # the control plane's (Identities.cluster)
    disks: DiskEncryption                                   # the node OS disks' encryption set
    workspace: azure.operationalinsights.Workspace          # Container Insights and Defender (Logs)


class Cluster(Piece):
    """The cell's AKS cluster. Outputs: `cluster`, `name`, `oidc_issuer_url`, `kubeconfig` (secret) and
    `deployer_ready` (the deployer's cluster-admin grant, propagated; None without a deployer)."""

    TYPE = "platform:azure:Cluster"

    def __init__(self, name: str, args: ClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        self.name = args.ctx.name("aks")
        self.cluster, self.deployer_ready, self.kubeconfig = _build(args.ctx.within(self), args, self.name)
        self.oidc_issuer_url = self.cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url)
        self.register_outputs({"cluster": self.cluster.id, "oidc_issuer_url": self.oidc_issuer_url})


def _build(ctx: AzureCellContext, args: ClusterArgs, name: str):
    spec, network, keys, identity, disks, workspace = (
        ctx.spec, args.network, args.keys, args.identity, args.disks, args.workspace)
    settings = ctx.settings

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
    grants_ready = ctx.propagation_wait("aks-grants-propagated", grants)

    def pool(pool_name: str, mode: str, vm_size: str, min_count: int, max_count: int, taints=None):
        return azure.containerservice.ManagedClusterAgentPoolProfileArgs(
            name=pool_name, mode=mode, vm_size=vm_size,
            os_type="Linux", os_sku="AzureLinux", type="VirtualMachineScaleSets",
            enable_auto_scaling=True, count=min_count, min_count=min_count, max_count=max_count,
            availability_zones=zones(spec.region),
            vnet_subnet_id=network.aks_subnet.id,
            enable_node_public_ip=False,
            # Managed OS disks follow the disk encryption set's key rotation in place (see above).
            os_disk_type="Managed",
            enable_encryption_at_host=settings.encryption_at_host,
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
            pool("user", "User", USER_VM_SIZES[spec.node_size], spec.min_nodes, spec.max_nodes),
        ],
        network_profile=azure.containerservice.ContainerServiceNetworkProfileArgs(
            network_plugin="azure", network_plugin_mode="overlay",
            network_dataplane="cilium", network_policy="cilium",
            pod_cidr=POD_CIDR, service_cidr=SERVICE_CIDR, dns_service_ip=DNS_SERVICE_IP,
            load_balancer_sku="standard", outbound_type="loadBalancer",
        ),
        aad_profile=azure.containerservice.ManagedClusterAADProfileArgs(
            managed=True, enable_azure_rbac=True, tenant_id=ctx.tenant_id,
            admin_group_object_ids=list(settings.admin_group_object_ids) or None),
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
            ) if settings.defender else None,
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
        # A resource group of its own: unique per subscription like the cell's.
        node_resource_group=subscription_name(spec, "aks-nodes"),
        node_resource_group_profile=azure.containerservice.ManagedClusterNodeResourceGroupProfileArgs(
            restriction_level="ReadOnly"),
        opts=ctx.opts(stateful=True, depends_on=[grants_ready], ignore_changes=[
            "kubernetesVersion", "agentPoolProfiles[*].orchestratorVersion", "agentPoolProfiles[*].count"]),
    )

    window = settings.maintenance_window
    for config_name, key in (("aksManagedAutoUpgradeSchedule", "upgrade"),
                             ("aksManagedNodeOSUpgradeSchedule", "node-os-upgrade")):
        azure.containerservice.MaintenanceConfiguration(
            ctx.name(f"aks-{key}-window"),
            config_name=config_name,
            resource_group_name=ctx.rg_name, resource_name_=cluster.name,
            maintenance_window=azure.containerservice.MaintenanceWindowArgs(
                schedule=azure.containerservice.ScheduleArgs(weekly=azure.containerservice.WeeklyScheduleArgs(
                    day_of_week=window.day, interval_weeks=1)),
                start_time=f"{window.start_hour:02d}:00", utc_offset="+00:00", duration_hours=window.duration_hours),
            opts=ctx.opts(),
        )

    deployer_ready = None
    if spec.deployer is not None and spec.deployer.azure_object_id:
        admin = ctx.grant("aks-deployer-cluster-admin", spec.deployer.azure_object_id, ROLE_AKS_RBAC_CLUSTER_ADMIN,
                          cluster.id, "The deploying identity creates the workload through the Kubernetes API",
                          principal_type=settings.deployer_principal_type)
        deployer_ready = ctx.propagation_wait("aks-deployer-propagated", [admin])

    # Local accounts are disabled, so there is no admin kubeconfig: this is the user one in
    # kubelogin's exec form (`format: exec`), which signs in with Entra ID.
    credentials = azure.containerservice.list_managed_cluster_user_credentials_output(
        resource_group_name=ctx.rg_name, resource_name=cluster.name, format="exec",
        opts=pulumi.InvokeOutputOptions(provider=ctx.provider, parent=ctx.parent),
    )
    mode = settings.kubelogin
    raw = credentials.kubeconfigs.apply(lambda ks: base64.b64decode(ks[0].value).decode())
    # The Kubernetes provider reads the kubeconfig only once the deployer's grant has propagated.
    ready = deployer_ready.id if deployer_ready is not None else ""
    # Preflight: a real preview or up compares who runs it with the deployer the cluster
    # grants; the offline engine's mocks have no caller worth comparing.
    deployer_oid = spec.deployer.azure_object_id if spec.deployer is not None else None
    caller = (ctx.caller_object_id if ctx.caller_object_id is not None and deployer_oid
              and os.environ.get(OFFLINE_ENV) != "1" else "")

    def warned(who):
        # A preview says so as soon as the caller is known: a first preview does not know the cluster's
        # credentials yet, so this cannot wait for the kubeconfig below.
        found = caller_preflight(spec.name, who, deployer_oid, settings.admin_group_object_ids, not real_up())
        if found is not None and found[0] == "warning":
            pulumi.log.warn(found[1], resource=ctx.cell)
        return who

    pulumi.Output.from_input(caller).apply(warned)

    def checked(args):
        found = caller_preflight(spec.name, args[2], deployer_oid, settings.admin_group_object_ids,
                                 not real_up())
        if found is not None and found[0] == "error":
            # Before any Kubernetes object: the provider never gets a kubeconfig.
            raise pulumi.RunError(found[1])
        return non_interactive(args[0], mode)

    kubeconfig = pulumi.Output.secret(pulumi.Output.all(raw, ready, caller).apply(checked))
    return cluster, deployer_ready, kubeconfig


def caller_preflight(cell: str, caller: Optional[str], deployer: Optional[str], admin_groups, dry_run: bool):
    """(level, message) when the identity running the program is not the deployer the cluster grants
    cluster-admin to, else None. Azure Kubernetes data access comes only from that grant or the admin
    groups: subscription Owner/Contributor carry no Kubernetes data action, so such an `up` gets 403 on
    the first object (the Namespace). Group membership needs Microsoft Graph, which the program does
    not use: with admin groups set, a different caller is a warning naming the groups."""
    if not caller or not deployer or caller.lower() == deployer.lower():
        return None
    what = "an `up` as this identity would fail" if dry_run else "this `up` fails"
    remedies = (f"(1) run it as {deployer} (the deploy workflow, or `az login` as that identity); "
                f"(2) set platform:deployer.azure_object_id to {caller} (`az ad signed-in-user show --query id -o tsv`; "
                f"a person also sets the cell's azure.deployer_principal_type: User); or (3) add {caller} to an Entra "
                f"group listed in the cell's azure.admin_group_object_ids")
    if admin_groups:
        return "warning", (f"cell {cell}: running as {caller}, not platform:deployer.azure_object_id {deployer}: the "
                           f"Kubernetes objects are created as {caller}, which must be a member of one of the admin "
                           f"groups {', '.join(admin_groups)} (not checked: no Microsoft Graph), or {what} with 403; "
                           f"otherwise {remedies}")
    level = "warning" if dry_run else "error"
    return level, (f"cell {cell}: running as {caller}, but only platform:deployer.azure_object_id {deployer} (and no "
                   f"admin group) has Kubernetes data access on the cluster; subscription Owner grants none, so {what} "
                   f"with 403 at the first Kubernetes object. Do one of: {remedies}")


def non_interactive(kubeconfig: str, mode: str) -> str:
    """The user kubeconfig with kubelogin's exec in `mode` instead of `devicecode`, which waits for a
    human in a browser and hangs CI (a run must authenticate unattended, for its whole length):

    - `azurecli` (default, an operator's laptop): `az account get-access-token` for the AKS server
      application; a person's CLI login refreshes itself.
    - in CI the same kubeconfig runs with `AAD_LOGIN_METHOD=workloadidentity` (set by the workflows'
      setup action with AZURE_CLIENT_ID/AZURE_TENANT_ID): kubelogin lets that variable override
      `--login` (kubelogin pkg/internal/token/options.go UpdateFromEnv), and in workloadidentity mode
      inside GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN present, kubelogin >= 0.2.0) it asks
      GitHub for a fresh OIDC assertion on every token (GithubActionsCredential), so no 5-minute
      assertion expires under a long `up` (AADSTS700024, which breaks the `azurecli` path in CI).

    The exec block carries no `env`: an entry there would override the runner's AAD_LOGIN_METHOD.
    One kubeconfig for both places keeps the Kubernetes provider's inputs identical between a laptop
    and CI (no provider diff, no token in the state)."""
    doc = yaml.safe_load(kubeconfig)
    for user in doc.get("users") or []:
        exec_ = (user.get("user") or {}).get("exec")
        if not exec_ or exec_.get("command") != "kubelogin":
            continue
        args = list(exec_.get("args") or [])
        server_id = args[args.index("--server-id") + 1] if "--server-id" in args else AKS_SERVER_APP_ID
        exec_["args"] = ["get-token", "--login", mode, "--server-id", server_id]
        exec_["interactiveMode"] = "Never"
        exec_.pop("env", None)
    return json.dumps(doc)
