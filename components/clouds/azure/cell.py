"""AzureCell: one regional cell on Azure, built from the cloud-neutral CellSpec.

Order of construction follows what Azure checks at create time: identities and their role
grants exist, and have propagated (a wait after each group), before the storage account (created
with its CMK), the cluster (KMS, and node OS disks through the disk encryption set) and the
gateway (Key Vault certificate) that use them.

Physical names are unique per stack and subscription (`common.name_salt`); the Pulumi names, and
so the URNs, are those of before.
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_azure_native as azure

from ...contract import Address, CellComponent, CellOutputs, CellSpec, WorkloadExposure
from .bucket import build_bucket
from .cluster import build_cluster
from .common import AzureCellContext, subscription_name
from .diagnostics import AKS_LOGS, BLOB_LOGS, GATEWAY_LOGS, VAULT_LOGS, build_workspace, diagnose
from .disk import build_disk_encryption
from .identity import bind_workload, build_identities, pod_identity
from .key import build_keys
from .key_expiry import key_expiry_alarms
from .loadbalancer import DRAIN_SECONDS, build_load_balancer, internal_lb_annotations
from .network import build_network
from .observability import build_observability

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
        ctx = AzureCellContext(spec=spec, parent=self, provider=provider, resource_group=resource_group,
                               subscription_id=client.subscription_id, tenant_id=client.tenant_id)

        network = build_network(ctx)
        workspace = build_workspace(ctx)
        identities = build_identities(ctx)
        keys = build_keys(ctx, network)
        bucket = build_bucket(ctx, network, keys, identities.storage)
        disks = build_disk_encryption(ctx, keys)
        cluster = build_cluster(ctx, network, keys, identities.cluster, disks, workspace)
        workload_bound = bind_workload(ctx, identities.workload, cluster.oidc_issuer_url, bucket.container.id)
        lb = build_load_balancer(ctx, network, keys, identities.gateway)
        # Metrics and SLO alerts in the cell's region (observability.py, issue #22).
        self.metrics = build_observability(ctx, cluster.cluster, spec.slo, spec.alert_emails)
        self.metrics_scrape = self.metrics.scrape
        # The etcd KMS key must not expire under the cluster: rotation notice and expiry alarm (key_expiry.py).
        key_expiry_alarms(ctx, keys.vault, keys.etcd_key_name, self.metrics.action_group,
                          depends_on=[keys.etcd_key])

        # Audit and firewall logs to the cell's own workspace (same region; residency-logs-in-zone).
        diagnose(ctx, "aks", cluster.cluster.id, AKS_LOGS, workspace, dedicated=True)
        diagnose(ctx, "vault", keys.vault.id, VAULT_LOGS, workspace)
        diagnose(ctx, "appgw", lb.gateway.id, GATEWAY_LOGS, workspace)
        diagnose(ctx, "blob", bucket.account.id.apply(lambda a: f"{a}/blobServices/default"), BLOB_LOGS, workspace,
                 depends_on=[bucket.container])

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
                wait_for=(cluster.cluster, *workload_bound,
                          *([cluster.deployer_ready] if cluster.deployer_ready is not None else [])),
            ),
            pod_identity(identities.workload.client_id),
        )
