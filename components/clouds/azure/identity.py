"""User-assigned identities of a cell, one per job, so that each gets only the grants it needs.

- `storage`: the storage account unwraps its customer-managed key with it;
- `cluster`: the AKS control plane (KMS for etcd, subnets for its load balancers);
- `gateway`: Application Gateway reads its TLS certificate from the vault;
- `workload`: the inference pods, through a federated credential for their service account.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure

from ...contract import WORKLOAD_SUBJECT, PodIdentity
from .common import ROLE_STORAGE_BLOB_DATA_READER, AzureCellContext

# The audience AKS-issued service account tokens are exchanged for (Entra workload identity).
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


@dataclass
class CellIdentities:
    storage: azure.managedidentity.UserAssignedIdentity
    cluster: azure.managedidentity.UserAssignedIdentity
    gateway: azure.managedidentity.UserAssignedIdentity
    workload: azure.managedidentity.UserAssignedIdentity


def build_identities(ctx: AzureCellContext) -> CellIdentities:
    def identity(suffix: str) -> azure.managedidentity.UserAssignedIdentity:
        return azure.managedidentity.UserAssignedIdentity(
            ctx.name(f"{suffix}-id"),
            resource_name_=ctx.name(suffix),
            resource_group_name=ctx.rg_name, location=ctx.location,
            opts=ctx.opts(),
        )

    return CellIdentities(identity("storage"), identity("cluster"), identity("gateway"), identity("workload"))


def bind_workload(ctx: AzureCellContext, workload: azure.managedidentity.UserAssignedIdentity,
                  oidc_issuer_url: pulumi.Input[str], container_id: pulumi.Input[str]) -> list[pulumi.Resource]:
    """Trust the cluster's service account `inference/inference` and let it read the model container only;
    returns what the workload waits for."""
    federated = azure.managedidentity.FederatedIdentityCredential(
        ctx.name("workload-federation"),
        federated_identity_credential_resource_name="inference-ksa",
        resource_name_=workload.name,
        resource_group_name=ctx.rg_name,
        issuer=oidc_issuer_url,
        subject=WORKLOAD_SUBJECT,
        audiences=[TOKEN_EXCHANGE_AUDIENCE],
        opts=ctx.opts(),
    )
    reader = ctx.grant("workload-blob-reader", workload.principal_id, ROLE_STORAGE_BLOB_DATA_READER,
                       container_id, "Inference pods read models from the model container only")
    # The first pods read models at start: the grant (and the federation) must have propagated.
    return [ctx.propagation_wait("workload-propagated", [federated, reader])]


def pod_identity(client_id: pulumi.Input[str]) -> PodIdentity:
    """AKS workload identity: the SA names the managed identity's client id, and the webhook injects
    the federated token only into pods labelled `azure.workload.identity/use`. The token is exchanged
    with Entra ID over HTTPS: no node-local credential endpoint."""
    return PodIdentity(service_account_annotations={"azure.workload.identity/client-id": client_id},
                       pod_labels={"azure.workload.identity/use": "true"})
