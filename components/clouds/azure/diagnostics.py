"""The cell's Log Analytics workspace and the diagnostic settings that send its audit logs there.

The workspace lives in the cell's own region (logs are data: the residency pack's
`residency-logs-in-zone` judges every destination). What goes there:
- AKS: `kube-audit` (every API server request, the deployer's included) and `guard` (Entra ID
  authentication decisions), in resource-specific tables;
- Key Vault: `AuditEvent` (every key/secret operation: KMS, disk and storage unwraps, the gateway's
  certificate reads);
- Application Gateway: `ApplicationGatewayFirewallLog` (WAF matches and blocks) and
  `ApplicationGatewayAccessLog`;
- Storage: the blob service's `StorageRead`/`StorageWrite`/`StorageDelete` (model reads and writes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native as azure

from ...contract import Piece
from .context import AzureCellContext

AKS_LOGS = ("kube-audit", "guard")
VAULT_LOGS = ("AuditEvent",)
GATEWAY_LOGS = ("ApplicationGatewayFirewallLog", "ApplicationGatewayAccessLog")
BLOB_LOGS = ("StorageRead", "StorageWrite", "StorageDelete")
SETTING_NAME = "to-cell-workspace"


@dataclass(frozen=True)
class LogsArgs:
    ctx: AzureCellContext


class Logs(Piece):
    """The cell's Log Analytics workspace (`workspace`): audit logs, Container Insights, Defender."""

    TYPE = "platform:azure:Logs"

    def __init__(self, name: str, args: LogsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx = args.ctx.within(self)
        self.workspace = azure.operationalinsights.Workspace(
            ctx.name("logs"),
            workspace_name=ctx.name("logs"),
            resource_group_name=ctx.rg_name, location=ctx.location,
            sku=azure.operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
            retention_in_days=ctx.settings.log_retention_days,
            opts=ctx.opts(),
        )
        self.register_outputs({"workspace": self.workspace.id})


@dataclass(frozen=True)
class LogSource:
    """One resource whose log `categories` go to the workspace, as the setting `<cell>-<name>-diagnostics`."""
    name: str
    resource_uri: pulumi.Input[str]
    categories: tuple[str, ...]
    dedicated: bool = False          # resource-specific tables (AKS)
    depends_on: tuple[pulumi.Resource, ...] = ()


@dataclass(frozen=True)
class DiagnosticsArgs:
    ctx: AzureCellContext
    workspace: azure.operationalinsights.Workspace
    sources: tuple[LogSource, ...]


class Diagnostics(Piece):
    """The diagnostic settings that send each source's audit and firewall logs to the cell's workspace
    (same region: residency-logs-in-zone). Output: `settings`, by source name."""

    TYPE = "platform:azure:Diagnostics"

    def __init__(self, name: str, args: DiagnosticsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx = args.ctx.within(self)
        self.settings = {src.name: _setting(ctx, src, args.workspace) for src in args.sources}
        self.register_outputs({k: v.id for k, v in self.settings.items()})


def _setting(ctx: AzureCellContext, src: LogSource,
             workspace: azure.operationalinsights.Workspace) -> azure.monitor.DiagnosticSetting:
    return azure.monitor.DiagnosticSetting(
        ctx.name(f"{src.name}-diagnostics"),
        name=SETTING_NAME,
        resource_uri=src.resource_uri,
        workspace_id=workspace.id,
        log_analytics_destination_type="Dedicated" if src.dedicated else None,
        logs=[azure.monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True) for c in src.categories],
        opts=ctx.opts(depends_on=src.depends_on),
    )
