"""The cell's model store: a StorageV2 account encrypted with the cell's key, and a private container.

Replication never takes data out of the cell's residency zone: geo-redundant SKUs copy to the
region's Azure pair, so they are used only when the stack asks for geo redundancy AND the pair
lies in the same zone (catalog). Otherwise the data stays in the region: zone-redundant where
the region has availability zones, locally redundant where it has none.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native as azure

from ...contract import Piece
from ...core import catalog
from .common import ROLE_KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER, global_name, has_zones
from .context import AzureCellContext
from .key import Keys

MODEL_CONTAINER = "models"
SOFT_DELETE_DAYS = 7


def replication_sku(region: str, geo_redundant: bool) -> str:
    """Storage SKU whose copies all stay inside `region`'s residency zone."""
    zonal = has_zones(region)
    if geo_redundant and not catalog.azure_pair_leaves_zone(region):
        return "Standard_GZRS" if zonal else "Standard_GRS"
    return "Standard_ZRS" if zonal else "Standard_LRS"


@dataclass(frozen=True)
class BucketArgs:
    ctx: AzureCellContext
    keys: Keys                                              # the vault and its `storage` key
    identity: azure.managedidentity.UserAssignedIdentity    # the account's (Identities.storage)
    subnet_id: pulumi.Input[str]                            # the one subnet the account's firewall admits


class Bucket(Piece):
    """The cell's model store. Outputs: `account`, `account_name`, `container`, `uri`."""

    TYPE = "platform:azure:Bucket"

    def __init__(self, name: str, args: BucketArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        self.account_name = global_name(args.ctx.spec, "st", 24, hyphens=False)
        self.account, self.container = _build(args.ctx.within(self), args, self.account_name)
        self.uri = self.account.primary_endpoints.apply(lambda e: f"{e.blob.rstrip('/')}/{MODEL_CONTAINER}")
        self.register_outputs({"account": self.account.id, "container": self.container.id, "uri": self.uri})


def _build(ctx: AzureCellContext, args: BucketArgs, account_name: str):
    spec, keys, identity = ctx.spec, args.keys, args.identity
    # The account is created with its CMK, so its identity must be able to unwrap the key first.
    unwrap = ctx.grant("storage-key-user", identity.principal_id, ROLE_KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER,
                       keys.storage_key.id, "Storage account wraps/unwraps its data keys with the cell key")
    # Storage checks the key access when it creates the account: wait for RBAC to propagate.
    unwrap_ready = ctx.propagation_wait("storage-key-user-propagated", [unwrap])

    account = azure.storage.StorageAccount(
        ctx.name("storage"),
        account_name=account_name,
        resource_group_name=ctx.rg_name, location=ctx.location,
        kind="StorageV2",
        sku=azure.storage.SkuArgs(name=replication_sku(spec.region, spec.geo_redundant)),
        access_tier="Hot",
        identity=azure.storage.IdentityArgs(type="UserAssigned", user_assigned_identities=[identity.id]),
        encryption=azure.storage.EncryptionArgs(
            key_source="Microsoft.Keyvault",
            require_infrastructure_encryption=True,
            encryption_identity=azure.storage.EncryptionIdentityArgs(encryption_user_assigned_identity=identity.id),
            # No key version: the account follows the key's rotations.
            key_vault_properties=azure.storage.KeyVaultPropertiesArgs(
                key_name=keys.storage_key.name, key_vault_uri=keys.vault_uri),
            services=azure.storage.EncryptionServicesArgs(
                blob=azure.storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                file=azure.storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                queue=azure.storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                table=azure.storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
            ),
        ),
        enable_https_traffic_only=True,
        minimum_tls_version="TLS1_2",
        allow_blob_public_access=False,
        # The workload authenticates with Entra ID (workload identity), so no keys or SAS at all.
        allow_shared_key_access=False,
        default_to_o_auth_authentication=True,
        allow_cross_tenant_replication=False,
        allowed_copy_scope="AAD",
        is_local_user_enabled=False,
        is_sftp_enabled=False,
        public_network_access="Enabled",  # reachable only through the firewall below
        network_rule_set=azure.storage.NetworkRuleSetArgs(
            default_action="Deny",
            bypass="AzureServices",
            virtual_network_rules=[azure.storage.VirtualNetworkRuleArgs(
                virtual_network_resource_id=args.subnet_id, action="Allow")],
        ),
        opts=ctx.opts(stateful=True, depends_on=[unwrap_ready]),
    )

    blob_service = azure.storage.BlobServiceProperties(
        ctx.name("blob-service"),
        account_name=account.name,
        resource_group_name=ctx.rg_name,
        blob_services_name="default",
        is_versioning_enabled=True,
        delete_retention_policy=azure.storage.DeleteRetentionPolicyArgs(enabled=True, days=SOFT_DELETE_DAYS),
        container_delete_retention_policy=azure.storage.DeleteRetentionPolicyArgs(enabled=True, days=SOFT_DELETE_DAYS),
        opts=ctx.opts(),
    )
    azure.storage.ManagementPolicy(
        ctx.name("lifecycle"),
        account_name=account.name,
        resource_group_name=ctx.rg_name,
        management_policy_name="default",
        policy=azure.storage.ManagementPolicySchemaArgs(rules=[azure.storage.ManagementPolicyRuleArgs(
            name="expire-noncurrent-versions",
            enabled=True,
            type="Lifecycle",
            definition=azure.storage.ManagementPolicyDefinitionArgs(
                actions=azure.storage.ManagementPolicyActionArgs(
                    version=azure.storage.ManagementPolicyVersionArgs(
                        delete=azure.storage.DateAfterCreationArgs(
                            days_after_creation_greater_than=spec.noncurrent_version_days))),
                filters=azure.storage.ManagementPolicyFilterArgs(blob_types=["blockBlob"]),
            ),
        )]),
        opts=ctx.opts(depends_on=[blob_service]),
    )
    container = azure.storage.BlobContainer(
        ctx.name("models"),
        container_name=MODEL_CONTAINER,
        account_name=account.name,
        resource_group_name=ctx.rg_name,
        public_access="None",
        opts=ctx.opts(stateful=True),
    )
    return account, container
