"""AzureCell: one regional cell on Azure, built from the cloud-neutral CellSpec.

Order of construction follows what Azure checks at create time: identities and their role
grants exist before the storage account (created with its CMK), the cluster (KMS, and node OS
disks through the disk encryption set) and the gateway (Key Vault certificate) that use them.
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_azure_native as azure

from ...contract import Address, CellComponent, CellOutputs, CellSpec, WorkloadExposure
from .bucket import build_bucket
from .cluster import build_cluster
from .common import AzureCellContext
from .disk import build_disk_encryption
from .identity import bind_workload, build_identities, pod_identity
from .key import build_keys
from .loadbalancer import build_load_balancer, internal_lb_annotations
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
            f"{spec.name}-rg", resource_group_name=f"{spec.name}-rg", location=spec.region,
            opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=spec.protect))
        ctx = AzureCellContext(spec=spec, parent=self, provider=provider, resource_group=resource_group,
                               subscription_id=client.subscription_id, tenant_id=client.tenant_id)

        network = build_network(ctx)
        identities = build_identities(ctx)
        keys = build_keys(ctx, network)
        bucket = build_bucket(ctx, network, keys, identities.storage)
        disks = build_disk_encryption(ctx, keys)
        cluster = build_cluster(ctx, network, keys, identities.cluster, disks)
        bind_workload(ctx, identities.workload, cluster.oidc_issuer_url, bucket.container.id)
        lb = build_load_balancer(ctx, network, keys, identities.gateway)
        # Metrics and SLO alerts in the cell's region (observability.py, issue #22).
        self.metrics = build_observability(ctx, cluster.cluster, spec.slo, spec.alert_emails)
        self.metrics_scrape = self.metrics.scrape

        self.finish(
            CellOutputs(
                endpoint=Address(ip=lb.ip_address, hostname=lb.hostname),
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
            ),
            pod_identity(identities.workload.client_id),
        )
