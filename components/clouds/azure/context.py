"""The Azure piece context: the cell's provider (pinned to its location), resource group and tenant,
and the role grants every piece makes. Options of a piece's resources: `PieceContext.opts`
(components/clouds/context.py), the same on every cloud; here the parent defaults to the piece the
context was handed to (`within`); every resource a piece builds keeps an alias to its URN under the
cell, as migrations.py declares (`MOVED`).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_azure_native as azure
import pulumiverse_time as time

from ...contract import CellSpec
from ..context import PieceContext
from ..naming import child_name
from .common import KEY_VAULT_DATA_PLANE_ROLES, KEY_VAULT_DATA_PLANE_WAIT, PROPAGATION_WAIT, piece_child_options
from .settings import AzureCellSettings


@dataclass(frozen=True)
class AzureCellContext(PieceContext):
    """The cell's Azure scope: its provider (pinned to the cell's location), resource group and tenant.

    `cell` is the AzureCell; `parent` is what the resources being built hang under: the cell in the
    cell's own Args, the piece itself once a piece calls `within(self)`. Options from `opts()` (and the
    `grant`/`propagation_wait` helpers) alias every resource of a piece to its old URN under the cell
(migrations.py `MOVED`)."""

    spec: CellSpec
    cell: pulumi.Resource
    provider: azure.Provider
    resource_group: azure.resources.ResourceGroup
    subscription_id: pulumi.Output[str]
    tenant_id: pulumi.Output[str]
    parent: Optional[pulumi.Resource] = None
    # The object id of the identity running this program (the Azure provider's credential): the
    # preflight compares it with `platform:deployer.azure_object_id` (cluster.caller_preflight).
    caller_object_id: Optional[pulumi.Output[str]] = None

    def within(self, piece: pulumi.Resource) -> "AzureCellContext":
        """This context building under `piece`."""
        return dataclasses.replace(self, parent=piece)

    @property
    def location(self) -> str:
        return self.spec.region

    @property
    def rg_name(self) -> pulumi.Output[str]:
        return self.resource_group.name

    def name(self, suffix: str) -> str:
        return child_name(self.spec.name, suffix)

    @property
    def protect(self) -> bool:
        return self.spec.protect

    def default_parent(self) -> pulumi.Resource:
        """The piece once it called `within(self)`, else the cell."""
        return self.parent or self.cell

    def role_definition_id(self, role_guid: str) -> pulumi.Output[str]:
        return self.subscription_id.apply(
            lambda sub: f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_guid}")

    @property
    def settings(self) -> AzureCellSettings:
        return self.spec.azure or AzureCellSettings()

    def propagation_wait(self, name: str, grants: Sequence[pulumi.Resource]) -> time.Sleep:
        """A pause after `grants` that their consumers depend on (instead of on the grants), so the
        first `up` does not use a role before Azure RBAC has propagated it."""
        data_plane = any(getattr(g, "platform_role_guid", None) in KEY_VAULT_DATA_PLANE_ROLES for g in grants)
        return time.Sleep(
            self.name(name), create_duration=KEY_VAULT_DATA_PLANE_WAIT if data_plane else PROPAGATION_WAIT,
            opts=piece_child_options(self.parent or self.cell, self.cell, False, depends_on=list(grants)))

    def grant(self, name: str, principal_id: pulumi.Input[str], role_guid: str, scope: pulumi.Input[str],
              description: str, depends_on: Sequence[pulumi.Resource] = (),
              principal_type: str = "ServicePrincipal") -> azure.authorization.RoleAssignment:
        """An RBAC role assignment, by default for a service principal (managed identities); the type
        lets ARM skip the directory lookup that fails for a principal created seconds before."""
        assignment = azure.authorization.RoleAssignment(
            self.name(name),
            principal_id=principal_id,
            principal_type=principal_type,
            role_definition_id=self.role_definition_id(role_guid),
            scope=scope,
            description=description,
            opts=self.opts(depends_on=depends_on),
        )
        assignment.platform_role_guid = role_guid  # propagation_wait: how long this role takes to apply
        return assignment
