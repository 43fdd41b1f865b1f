"""The cell's Key Vault and its keys.

RBAC authorization only (no access policies), purge protection and soft delete on, and a
firewall that denies by default: only the cell's own subnets (service endpoints) and Azure's
trusted services (Storage unwrapping its CMK) get in; AKS reaches it for KMS through the
private link it creates itself (`keyVaultNetworkAccess: Private`).

One key per consumer (so each grant names exactly one key), all RSA with a rotation policy:
- `storage`: the storage account's CMK, referenced without a version so that the account
  follows every rotation by itself;
- `etcd`: AKS KMS v2. AKS needs a versioned key id; after a rotation the next `pulumi up`
  (refresh) carries the new version to the cluster;
- `disk`: the disk encryption set of the AKS node OS disks (`disk.py`). The set needs a
  versioned key URL too, and follows the rotations itself (`rotationToLatestKeyVersionEnabled`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native as azure
import pulumiverse_time as time

from ...contract import Piece
from ...lifecycle import SUFFIX_BYTES, creation_suffix, keep_name
from .common import global_name, piece_child_options
from .context import AzureCellContext

SOFT_DELETE_DAYS = 90
ROTATION_ACTION_TYPES = "properties.rotationPolicy.lifetimeActions[*].action.type"
# Rotate every 90 days (the encryption pack's limit), expire after a year, warn a month before expiry.
ROTATE_AFTER = "P90D"
EXPIRE_AFTER = "P1Y"
NOTIFY_BEFORE = "P30D"


def key_name(purpose: str) -> str:
    return f"{purpose}-cmk"


# The lifetime actions as Key Vault returns them (`Rotate`/`Notify`, the data plane's LifetimeActionsType):
# the provider's enum lists them in lower case, and a refreshed state holding `Rotate` against a program
# sending `rotate` would show a change on every `up`. The service takes either.
ROTATE = "Rotate"
NOTIFY = "Notify"
# The first version's lifetime (the policy's expiryTime only reaches versions made by rotation).
FIRST_VERSION_YEARS = 1


def _rotation_policy() -> azure.keyvault.RotationPolicyArgs:
    return azure.keyvault.RotationPolicyArgs(
        attributes=azure.keyvault.KeyRotationPolicyAttributesArgs(expiry_time=EXPIRE_AFTER),
        lifetime_actions=[
            azure.keyvault.LifetimeActionArgs(
                action=azure.keyvault.ActionArgs(type=ROTATE),
                trigger=azure.keyvault.TriggerArgs(time_after_create=ROTATE_AFTER)),
            azure.keyvault.LifetimeActionArgs(
                action=azure.keyvault.ActionArgs(type=NOTIFY),
                trigger=azure.keyvault.TriggerArgs(time_before_expiry=NOTIFY_BEFORE)),
        ],
    )


@dataclass(frozen=True)
class KeysArgs:
    ctx: AzureCellContext
    # The subnets the vault's firewall admits (service endpoints): the nodes' and the gateway's.
    subnet_ids: tuple[pulumi.Input[str], ...]


class Keys(Piece):
    """The cell's Key Vault and one key per consumer. Outputs: `vault`, `vault_name`, `vault_uri`,
    `storage_key`, `etcd_key`, `disk_key`."""

    TYPE = "platform:azure:Keys"

    def __init__(self, name: str, args: KeysArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx = args.ctx.within(self)
        # A deleted vault stays soft-deleted under its (global) name for SOFT_DELETE_DAYS, and purge protection
        # (which the disk encryption set requires) forbids purging it sooner: the name varies per creation,
        # and an existing stack keeps the name it was created with (components/lifecycle.py).
        self.vault_name = pulumi.Output.concat(
            global_name(ctx.spec, "kv", 24 - 2 * SUFFIX_BYTES, hyphens=True), creation_suffix(ctx.name("vault"), self,
                                                                                      opts=ctx.opts()))
        self.vault, self.storage_key, self.etcd_key, self.disk_key = _build(ctx, self.vault_name, args.subnet_ids)
        self.vault_uri = self.vault.properties.vault_uri
        # The etcd key's name in the vault (Key Vault events name the key in their subject).
        self.etcd_key_name = key_name("etcd")
        self.register_outputs({"vault": self.vault.id, "storage_key": self.storage_key.id,
                               "etcd_key": self.etcd_key.id, "disk_key": self.disk_key.id})


def _build(ctx: AzureCellContext, vault_name: pulumi.Input[str], subnet_ids: tuple[pulumi.Input[str], ...]):
    vault = azure.keyvault.Vault(
        ctx.name("vault"),
        vault_name=vault_name,
        resource_group_name=ctx.rg_name, location=ctx.location,
        properties=azure.keyvault.VaultPropertiesArgs(
            tenant_id=ctx.tenant_id,
            sku=azure.keyvault.SkuArgs(family="A", name="premium"),  # HSM-backed keys
            enable_rbac_authorization=True,
            enable_purge_protection=True,
            enable_soft_delete=True,
            soft_delete_retention_in_days=SOFT_DELETE_DAYS,
            enabled_for_deployment=False,
            enabled_for_disk_encryption=False,
            enabled_for_template_deployment=False,
            public_network_access="Enabled",  # reachable only through the firewall below
            network_acls=azure.keyvault.NetworkRuleSetArgs(
                default_action="Deny",
                bypass="AzureServices",
                ip_rules=[],
                virtual_network_rules=[azure.keyvault.VirtualNetworkRuleArgs(id=i) for i in subnet_ids],
            ),
        ),
        opts=pulumi.ResourceOptions.merge(ctx.opts(stateful=True), keep_name("vaultName")),
    )

    def key(purpose: str, size: int, ops: list[str]) -> azure.keyvault.Key:
        # The first version expires a year after creation like every rotated one, so `KeyNearExpiry`
        # (the policy's Notify, 30 days ahead) fires for it too when rotation never happened.
        # A time.Offset holds the instant in state (fixed at create); ARM does not update an existing
        # key's attributes, so the expiry is create-only (ignored afterwards, also for keys made before).
        first_expiry = time.Offset(
            ctx.name(f"{purpose}-key-first-expiry"), offset_years=FIRST_VERSION_YEARS,
            opts=piece_child_options(ctx.parent or ctx.cell, ctx.cell, False))
        return azure.keyvault.Key(
            ctx.name(f"{purpose}-key"),
            key_name=key_name(purpose),
            vault_name=vault.name,  # the vault's own name (from state: an existing stack's, see keep_name)
            resource_group_name=ctx.rg_name,
            properties=azure.keyvault.KeyPropertiesArgs(
                kty="RSA-HSM", key_size=size, key_ops=ops, rotation_policy=_rotation_policy(),
                attributes=azure.keyvault.KeyAttributesArgs(expires=first_expiry.unix),
            ),
            # Sent as Key Vault returns them (`Rotate`/`Notify`) so a refreshed state matches; the casing is
            # also ignored, should the provider ever normalise it (offline/second_up.py). The first version's
            # expiry is set once at create.
            opts=ctx.opts(stateful=True, depends_on=[vault],
                          ignore_changes=["properties.attributes.expires", ROTATION_ACTION_TYPES]),
        )

    storage_key = key("storage", 3072, ["wrapKey", "unwrapKey"])
    etcd_key = key("etcd", 2048, ["encrypt", "decrypt"])
    disk_key = key("disk", 3072, ["wrapKey", "unwrapKey"])
    return vault, storage_key, etcd_key, disk_key
