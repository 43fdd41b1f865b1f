"""AzureCell: one regional cell on Azure, built from the cloud-neutral CellSpec.

Order of construction follows what Azure checks at create time: identities and their role
grants exist, and have propagated (a wait after each group), before the storage account (created
with its CMK), the cluster (KMS, and node OS disks through the disk encryption set) and the
gateway (Key Vault certificate) that use them.

Physical names are unique per stack and subscription (`common.name_salt`); the Pulumi names, and
so the URNs, are those of before.

Each part is a `Piece(name, <Piece>Args, opts)` under the cell; the resources in a piece were
the cell's own children before, and each carries an alias to that old URN (`common.piece_child_options`).
The cell itself keeps what every piece shares and what has no single owner: the Azure provider (and the
ACME one, built by the load balancer with the cell as parent) and the resource group, which keep their
URNs (a provider's URN is in every resource's state; provider aliases hold only for providers with no
state yet, pulumi/pulumi#18395), and the workload (`assemble.py`), which is cloud-neutral.
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_azure_native as azure

from ...contract import Address, CellComponent, CellOutputs, CellSpec, WorkloadExposure
from .bucket import Bucket, BucketArgs
from .cluster import Cluster, ClusterArgs
from .common import subscription_name
from .context import AzureCellContext
from .diagnostics import (AKS_LOGS, BLOB_LOGS, GATEWAY_LOGS, VAULT_LOGS, Diagnostics, DiagnosticsArgs, LogSource, Logs,
                          LogsArgs)
from .disk import DiskEncryption, DiskEncryptionArgs
from .identity import Identities, IdentitiesArgs, WorkloadIdentity, WorkloadIdentityArgs, pod_identity
from .key import Keys, KeysArgs
from .key_expiry import KeyAlarms, KeyAlarmsArgs
from .loadbalancer import DRAIN_SECONDS, LoadBalancer, LoadBalancerArgs, internal_lb_annotations
from .network import Network, NetworkArgs
from .observability import Observability, ObservabilityArgs

# Azure's load balancer health probes come from this platform address; the workload's
# internal LoadBalancer Service must admit it next to the gateway subnet.
AZURE_PLATFORM_PROBE = "168.63.129.16/32"


class AzureCell(CellComponent):
    def __init__(self, spec: CellSpec, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:azure:Cell", spec, opts)
        provider = azure.Provider(f"{spec.name}-azure", location=spec.region, opts=pulumi.ResourceOptions(parent=self))
        client = azure.authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(provider=provider, parent=self))
        resource_group = azure.resources.ResourceGroup(
            f"{spec.name}-rg", resource_group_name=subscription_name(spec, "rg"), location=spec.region,
            opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=spec.protect))
        ctx = AzureCellContext(spec=spec, cell=self, provider=provider, resource_group=resource_group,
                               subscription_id=client.subscription_id, tenant_id=client.tenant_id,
                               caller_object_id=client.object_id)
        here = pulumi.ResourceOptions(parent=self)

        def named(piece: str) -> str:
            return f"{spec.name}-{piece}"

        network = Network(named("network"), NetworkArgs(ctx), here)
        logs = Logs(named("logs"), LogsArgs(ctx), here)
        identities = Identities(named("identities"), IdentitiesArgs(ctx), here)
        keys = Keys(named("keys"), KeysArgs(ctx, subnet_ids=(network.aks_subnet.id, network.gateway_subnet.id)), here)
        bucket = Bucket(named("bucket"), BucketArgs(ctx, keys, identities.storage, network.aks_subnet.id), here)
        disks = DiskEncryption(named("disk-encryption"), DiskEncryptionArgs(ctx, keys), here)
        cluster = Cluster(named("cluster"), ClusterArgs(ctx, network, keys, identities.cluster, disks, logs.workspace),
                          here)
        workload_bound = WorkloadIdentity(named("workload-identity"), WorkloadIdentityArgs(
            ctx, identities.workload, cluster.oidc_issuer_url, bucket.container.id), here)
        lb = LoadBalancer(named("load-balancer"), LoadBalancerArgs(ctx, network, keys, identities.gateway), here)
        # Metrics and SLO alerts in the cell's region (observability.py).
        self.metrics = Observability(named("observability"), ObservabilityArgs(
            ctx, cluster.cluster, spec.slo, tuple(spec.alert_emails)), here)
        self.metrics_scrape = self.metrics.scrape
        # The etcd KMS key must not expire under the cluster: rotation notice and expiry alarm (key_expiry.py).
        KeyAlarms(named("key-alarms"), KeyAlarmsArgs(ctx, keys.vault, keys.etcd_key, keys.etcd_key_name,
                                                     self.metrics.action_group), here)

        # Audit and firewall logs to the cell's own workspace (same region; residency-logs-in-zone).
        Diagnostics(named("diagnostics"), DiagnosticsArgs(ctx, logs.workspace, (
            LogSource("aks", cluster.cluster.id, AKS_LOGS, dedicated=True),
            LogSource("vault", keys.vault.id, VAULT_LOGS),
            LogSource("appgw", lb.gateway.id, GATEWAY_LOGS),
            LogSource("blob", bucket.account.id.apply(lambda a: f"{a}/blobServices/default"), BLOB_LOGS,
                      depends_on=(bucket.container,)),
        )), here)

        self.finish(
            CellOutputs(
                # The cell's own name in the platform zone (Route 53 answers it with the gateway's address;
                # the certificate covers it), as GCP cells do: no `cloudapp.azure.com` label.
                endpoint=Address(ip=lb.ip_address, hostname=spec.hostname),
                health_path=spec.health_path,
                bucket_uri=bucket.uri,
                cluster_name=cluster.cluster.name,
                kubeconfig=cluster.kubeconfig,
                workload_identity=identities.workload.client_id,
                residency=spec.residency, region=spec.region, cloud=spec.cloud, name=spec.name,
            ),
            WorkloadExposure(
                service_type="LoadBalancer",
                load_balancer_ip=network.plan.ilb_ip,
                ingress_cidrs=(network.plan.gateway, AZURE_PLATFORM_PROBE),
                annotations={
                    "service.beta.kubernetes.io/azure-load-balancer-internal-subnet": network.aks_subnet_name,
                },
                internal_lb_annotations=internal_lb_annotations(network.plan.ilb_ip),
                drain_seconds=DRAIN_SECONDS,
                # The node pools come with the cluster; the pods' identity needs its federation and
                # grant, and the deployer's cluster-admin grant must have propagated.
                wait_for=(cluster.cluster, workload_bound.ready,
                          *([cluster.deployer_ready] if cluster.deployer_ready is not None else [])),
            ),
            pod_identity(identities.workload.client_id),
        )
