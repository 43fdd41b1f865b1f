"""The cell's disk encryption set: AKS node OS disks encrypted with the cell's own Key Vault key.

Without it, managed disks are encrypted with platform-managed keys, the one store of the cell
the cell's key would not cover. The set wraps the disks' data keys with the vault's `disk`
key (`EncryptionAtRestWithCustomerKey`, the type AKS documents for node OS disks).

- Key URL: Compute requires a versioned URL ("version segment required regardless of
  rotationToLatestKeyVersionEnabled"), so the set gets the key's current version and
  `rotationToLatestKeyVersionEnabled` moves it, and every disk, to each new version the key's
  rotation policy creates. A refresh then reads both at the new version: no diff, no roll-back.
  Ephemeral OS disks take a new key version when their node is reimaged (the cluster's
  `NodeImage` upgrade channel does that regularly).
- Identity: system-assigned, bound to the set's life. Compute checks a user-assigned identity's
  key access when the set is created; a system-assigned one exists only with the set, so the
  grant follows the set and everything that encrypts a disk with it waits for the grant. The
  grant names the `disk` key only, not the vault (as the storage account's does).
- Vault: purge protection and soft delete are on (Compute refuses a key from a vault without
  them); the vault's firewall lets Compute in as a trusted Azure service (`bypass: AzureServices`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native as azure

from ...contract import Piece
from .common import ROLE_KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER
from .context import AzureCellContext
from .key import Keys

ENCRYPTION_TYPE = "EncryptionAtRestWithCustomerKey"


@dataclass(frozen=True)
class DiskEncryptionArgs:
    ctx: AzureCellContext
    keys: Keys   # the vault and its `disk` key


class DiskEncryption(Piece):
    """The node OS disks' encryption set. Outputs: `encryption_set`, `id`, and `key_grant`: disks can use
    the set only once this grant exists, so their users depend on it."""

    TYPE = "platform:azure:DiskEncryption"

    def __init__(self, name: str, args: DiskEncryptionArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, keys = args.ctx.within(self), args.keys
        self.encryption_set = azure.compute.DiskEncryptionSet(
            ctx.name("disk-encryption"),
            disk_encryption_set_name=ctx.name("des"),
            resource_group_name=ctx.rg_name, location=ctx.location,
            encryption_type=ENCRYPTION_TYPE,
            identity=azure.compute.EncryptionSetIdentityArgs(type="SystemAssigned"),
            active_key=azure.compute.KeyForDiskEncryptionSetArgs(
                key_url=keys.disk_key.key_uri_with_version,
                source_vault=azure.compute.SourceVaultArgs(id=keys.vault.id),
            ),
            rotation_to_latest_key_version_enabled=True,
            # Disks encrypted with the set are unreadable without it: protected like the key.
            opts=ctx.opts(stateful=True),
        )
        principal = self.encryption_set.identity.apply(lambda identity: identity.principal_id)
        self.key_grant = ctx.grant(
            "disk-key-user", principal, ROLE_KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER, keys.disk_key.id,
            "Disk encryption set wraps/unwraps the node disks' keys with the cell key")
        self.register_outputs({"encryption_set": self.encryption_set.id, "key_grant": self.key_grant.id})

    @property
    def id(self) -> pulumi.Output[str]:
        return self.encryption_set.id
