"""What every piece of an Azure cell shares: its provider, resource group, names and role grants.

Pieces: every part of the cell is a `Piece(name, <Piece>Args, opts)` whose Args carry the
cell's `AzureCellContext` (context.py). The resources a piece builds were children of the cell before pieces existed;
they keep their Pulumi names and carry an alias to their URN under the cell, declared in migrations.py
(`MOVED`) and applied by the one mechanism (`clouds.context.moved_children`), so the engine matches each
to its state under the cell and nothing is replaced.
"""
from __future__ import annotations

import re
from typing import Optional

import pulumi

from ...contract import CellSpec, child_options
from ..naming import fit, stable_digest
from .settings import AzureCellSettings

# Built-in role definitions (the same GUIDs in every tenant).
ROLE_KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
ROLE_KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
ROLE_KEY_VAULT_CONTRIBUTOR = "f25e0fa2-a7c8-4377-a976-54943a77a395"
ROLE_KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
ROLE_KEY_VAULT_SECRETS_OFFICER = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
ROLE_NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7"
ROLE_READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
ROLE_STORAGE_BLOB_DATA_READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
ROLE_AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"

# Azure RBAC is eventually consistent: a new role assignment takes effect within minutes. Every
# consumer waits after its group of assignments (pulumiverse-time Sleep), once, on create: 120 s for
# ARM roles; for a Key Vault data-plane role the wait is Key Vault's documented bound ("up to 10
# minutes (600 seconds) after role assignments is changed for role to be applied",
# learn.microsoft.com/azure/key-vault/general/rbac-guide, known limits): one 120 s wait was shorter
# than what the service documents. Apply check `azure-key-vault-role-latency` pins it.
PROPAGATION_WAIT = "120s"
KEY_VAULT_DATA_PLANE_WAIT = "600s"
KEY_VAULT_DATA_PLANE_ROLES = frozenset({
    ROLE_KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER, ROLE_KEY_VAULT_CRYPTO_USER,
    ROLE_KEY_VAULT_SECRETS_USER, ROLE_KEY_VAULT_SECRETS_OFFICER,
})

# Regions without availability zones (no ZRS/GZRS storage, no zonal node pools or gateways).
# Every other region of the catalog has three zones.
REGIONS_WITHOUT_ZONES = frozenset({
    "westus", "northcentralus", "westcentralus", "canadaeast", "francesouth", "germanynorth",
    "norwaywest", "switzerlandwest", "ukwest", "southindia", "westindia", "japanwest",
    "koreasouth", "australiasoutheast", "uaecentral", "southafricawest", "swedensouth",
})


def has_zones(region: str) -> bool:
    return region not in REGIONS_WITHOUT_ZONES


def zones(region: str) -> Optional[list[str]]:
    """Availability zones to spread zonal resources over, or None where the region has none."""
    return ["1", "2", "3"] if has_zones(region) else None


def name_salt(spec: CellSpec) -> Optional[str]:
    """What makes the cell's physical names unique per stack (and so per subscription): the configured
    `azure.name_suffix`, else a digest of project and stack; None keeps the names of stacks created before
    names carried the stack (`azure.legacy_names`)."""
    settings = spec.azure or AzureCellSettings()
    if settings.legacy_names:
        return None
    return settings.name_suffix or stable_digest(f"{pulumi.get_project()}/{pulumi.get_stack()}", 6)


def global_name(spec: CellSpec, kind: str, max_len: int, hyphens: bool) -> str:
    """A name for Azure's global namespaces (vaults, storage accounts): readable, unique per stack
    (dev and prod of the same cell, two stacks in one subscription, or a re-created stack with a new
    `azure.name_suffix` never collide), within `max_len`."""
    salt = name_salt(spec)
    digest = stable_digest(f"{spec.environment}/{spec.name}/{kind}" + (f"/{salt}" if salt else ""), 6)
    if hyphens:
        return f"{fit(re.sub(r'-+', '-', spec.name), max_len - len(kind) - len(digest) - 2)}-{kind}{digest}"
    return f"{kind}{fit(re.sub(r'[^a-z0-9]', '', spec.name), max_len - len(kind) - len(digest))}{digest}"


def subscription_name(spec: CellSpec, kind: str) -> str:
    """A name unique per subscription (resource groups): `<cell>-<salt>-<kind>`, or `<cell>-<kind>` for
    legacy stacks."""
    salt = name_salt(spec)
    return f"{spec.name}-{salt}-{kind}" if salt else f"{spec.name}-{kind}"


def piece_child_options(piece: pulumi.Resource, cell: pulumi.Resource, protect: bool, stateful: bool = False,
                        **kw) -> pulumi.ResourceOptions:
    """Options of a resource a piece builds that the cell built directly before pieces: under the
    piece, protected in prod when stateful (`contract.child_options`), and aliased to its URN under the
    cell as migrations.py declares (`MOVED`, applied by `moved_children`; nothing for what the cell
    builds itself). No provider: for resources of other packages (time, tls)."""
    from ..context import moved_children

    moves = [] if piece is cell else moved_children(piece)
    return child_options(piece, protect, stateful, transformations=moves or None, **kw)


def under_mocks() -> bool:
    """The program runs under Pulumi mocks (the offline engine, unit tests): no real caller, no real state.
    The offline engine runs its previews with preview=False so that outputs resolve (also with --real-mode)."""
    from pulumi.runtime import mocks, settings as runtime_settings

    return isinstance(runtime_settings.get_monitor(), mocks.MockMonitor)


def real_up() -> bool:
    """A `pulumi up` against the real engine: not a preview, not under mocks."""
    return not pulumi.runtime.is_dry_run() and not under_mocks()
