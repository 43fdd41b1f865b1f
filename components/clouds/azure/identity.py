"""User-assigned identities of a cell, one per job, so that each gets only the grants it needs.

- `storage`: the storage account unwraps its customer-managed key with it;
- `cluster`: the AKS control plane (KMS for etcd, subnets for its load balancers);
- `gateway`: Application Gateway reads its TLS certificate from the vault;
- `workload`: the inference pods, through a federated credential for their service account.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native as azure

from ...contract import WORKLOAD_SUBJECT, Piece, PodIdentity
from .common import ROLE_STORAGE_BLOB_DATA_READER
from .context import AzureCellContext

# The audience AKS-issued service account tokens are exchanged for (Entra workload identity).
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class IdentitiesArgs:
    ctx: AzureCellContext


class Identities(Piece):
    """The cell's user-assigned identities: `storage`, `cluster`, `gateway`, `workload`."""

    TYPE = "platform:azure:Identities"

    def __init__(self, name: str, args: IdentitiesArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx = args.ctx.within(self)

        def identity(suffix: str) -> azure.managedidentity.UserAssignedIdentity:
            return azure.managedidentity.UserAssignedIdentity(
                ctx.name(f"{suffix}-id"),
                resource_name_=ctx.name(suffix),
                resource_group_name=ctx.rg_name, location=ctx.location,
                opts=ctx.opts(),
            )

        self.storage, self.cluster, self.gateway, self.workload = (
            identity("storage"), identity("cluster"), identity("gateway"), identity("workload"))
        self.register_outputs({k: getattr(self, k).principal_id for k in ("storage", "cluster", "gateway", "workload")})


@dataclass(frozen=True)
class WorkloadIdentityArgs:
    ctx: AzureCellContext
    identity: azure.managedidentity.UserAssignedIdentity   # the workload's (Identities.workload)
    oidc_issuer_url: pulumi.Input[str]                     # the cluster's service account token issuer
    container_id: pulumi.Input[str]                        # the model container the pods read


class WorkloadIdentity(Piece):
    """Trust the cluster's service account `inference/inference` and let it read the model container
    only. Output: `ready`, what the workload waits for (the grant and federation, propagated)."""

    TYPE = "platform:azure:WorkloadIdentity"

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx = args.ctx.within(self)
        federated = azure.managedidentity.FederatedIdentityCredential(
            ctx.name("workload-federation"),
            federated_identity_credential_resource_name="inference-ksa",
            resource_name_=args.identity.name,
            resource_group_name=ctx.rg_name,
            issuer=args.oidc_issuer_url,
            subject=WORKLOAD_SUBJECT,
            audiences=[TOKEN_EXCHANGE_AUDIENCE],
            opts=ctx.opts(),
        )
        reader = ctx.grant("workload-blob-reader", args.identity.principal_id, ROLE_STORAGE_BLOB_DATA_READER,
                           args.container_id, "Inference pods read models from the model container only")
        # The first pods read models at start: the grant (and the federation) must have propagated.
        self.ready = ctx.propagation_wait("workload-propagated", [federated, reader])
        self.register_outputs({"federation": federated.id, "ready": self.ready.id})


def pod_identity(client_id: pulumi.Input[str]) -> PodIdentity:
    """AKS workload identity: the SA names the managed identity's client id, and the webhook injects
    the federated token only into pods labelled `azure.workload.identity/use`. The token is exchanged
    with Entra ID over HTTPS: no node-local credential endpoint."""
    return PodIdentity(service_account_annotations={"azure.workload.identity/client-id": client_id},
                       pod_labels={"azure.workload.identity/use": "true"})
