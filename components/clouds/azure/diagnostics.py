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

from typing import Sequence

import pulumi
import pulumi_azure_native as azure

from .common import AzureCellContext

AKS_LOGS = ("kube-audit", "guard")
VAULT_LOGS = ("AuditEvent",)
GATEWAY_LOGS = ("ApplicationGatewayFirewallLog", "ApplicationGatewayAccessLog")
BLOB_LOGS = ("StorageRead", "StorageWrite", "StorageDelete")
SETTING_NAME = "to-cell-workspace"


def build_workspace(ctx: AzureCellContext) -> azure.operationalinsights.Workspace:
    return azure.operationalinsights.Workspace(
        ctx.name("logs"),
        workspace_name=ctx.name("logs"),
        resource_group_name=ctx.rg_name, location=ctx.location,
        sku=azure.operationalinsights.WorkspaceSkuArgs(name="PerGB2018"),
        retention_in_days=ctx.settings.log_retention_days,
        opts=ctx.opts(),
    )


def diagnose(ctx: AzureCellContext, name: str, resource_uri: pulumi.Input[str], categories: Sequence[str],
             workspace: azure.operationalinsights.Workspace, dedicated: bool = False,
             depends_on: Sequence[pulumi.Resource] = ()) -> azure.monitor.DiagnosticSetting:
    """Send `categories` of the resource at `resource_uri` to the cell's workspace."""
    return azure.monitor.DiagnosticSetting(
        ctx.name(f"{name}-diagnostics"),
        name=SETTING_NAME,
        resource_uri=resource_uri,
        workspace_id=workspace.id,
        log_analytics_destination_type="Dedicated" if dedicated else None,
        logs=[azure.monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True) for c in categories],
        opts=ctx.opts(depends_on=depends_on),
    )
