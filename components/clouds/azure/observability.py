"""The Azure cell's metrics and SLO alerts, in the cell's region.

- an Azure Monitor workspace (managed Prometheus store) in the cell's location;
- a data collection endpoint and rule that forward the cluster's Prometheus stream
  (`Microsoft-PrometheusMetrics`) to that workspace, associated with the AKS cluster (the rule, and
  the endpoint as the cluster's `configurationAccessEndpoint`); cluster.py turns on
  `azure_monitor_profile.metrics`, which runs the ama-metrics collectors in kube-system;
- the workload asks for an `azmonitoring.coreos.com/v1` PodMonitor (contract.MetricsScrape "pod_monitor");
- the SLO rules of `platform:slo` as a Prometheus rule group on the workspace, acting through an
  action group that mails the configured addresses. An action group is a global object by Azure's
  design; it holds the addresses only, no metric or customer data.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_azure_native as azure

from ...contract import MetricsScrape, Piece
from ...core.config import SloOptions
from ...observability import slo as slo_rules
from .context import AzureCellContext

SCRAPE_INTERVAL_SECONDS = 30
PROMETHEUS_STREAM = "Microsoft-PrometheusMetrics"
DESTINATION = "MonitoringAccount1"
# The ama-metrics collectors run in kube-system; the workload admits them to its port.
SCRAPE = MetricsScrape(kind="pod_monitor", interval_seconds=SCRAPE_INTERVAL_SECONDS, from_namespaces=("kube-system",))
# Azure's severities: 0 critical ... 4 verbose.
SEVERITY = {"page": 1, "ticket": 3}


def _iso(duration: str) -> str:
    """A PromQL duration as the ISO 8601 one Azure's rules take (`5m` -> `PT5M`)."""
    n, unit = duration[:-1], duration[-1]
    return f"P{n}D" if unit == "d" else f"PT{n}{unit.upper()}"


@dataclass(frozen=True)
class ObservabilityArgs:
    ctx: AzureCellContext
    cluster: azure.containerservice.ManagedCluster   # whose Prometheus stream is collected
    slo: Optional[SloOptions]                         # platform:slo (None: metrics only, no alerts)
    alert_emails: tuple[str, ...] = ()


class Observability(Piece):
    """The cell's managed Prometheus and SLO alerts. Outputs: `workspace`, `rule`, `scrape`, and with an
    SLO `action_group`, `rule_group`."""

    TYPE = "platform:azure:Observability"

    def __init__(self, name: str, args: ObservabilityArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx = args.ctx.within(self)
        self.scrape = SCRAPE
        self.workspace, self.rule = _metrics(ctx, args.cluster)
        self.action_group: Optional[azure.monitor.ActionGroup] = None
        self.rule_group: Optional[azure.alertsmanagement.PrometheusRuleGroup] = None
        if args.slo is not None:
            self.action_group, self.rule_group = _alerts(ctx, args.cluster, self.workspace, args.slo, args.alert_emails)
        self.register_outputs({"workspace": self.workspace.id, "rule": self.rule.id})


def _metrics(ctx: AzureCellContext, cluster: azure.containerservice.ManagedCluster):
    spec = ctx.spec
    workspace = azure.monitor.AzureMonitorWorkspace(
        ctx.name("metrics"), azure_monitor_workspace_name=ctx.name("metrics"), resource_group_name=ctx.rg_name,
        location=ctx.location, opts=ctx.opts(stateful=True))
    endpoint = azure.monitor.DataCollectionEndpoint(
        ctx.name("metrics-dce"), data_collection_endpoint_name=ctx.name("metrics-dce"),
        resource_group_name=ctx.rg_name, location=ctx.location, kind="Linux", opts=ctx.opts())
    rule = azure.monitor.DataCollectionRule(
        ctx.name("metrics-dcr"), data_collection_rule_name=ctx.name("metrics-dcr"), resource_group_name=ctx.rg_name,
        location=ctx.location, kind="Linux", data_collection_endpoint_id=endpoint.id,
        description=f"Prometheus metrics of cell {spec.name} to its Azure Monitor workspace",
        data_sources={"prometheus_forwarder": [{"name": "PrometheusDataSource", "streams": [PROMETHEUS_STREAM]}]},
        destinations={"monitoring_accounts": [{"account_resource_id": workspace.id, "name": DESTINATION}]},
        data_flows=[{"streams": [PROMETHEUS_STREAM], "destinations": [DESTINATION]}],
        opts=ctx.opts())
    azure.monitor.DataCollectionRuleAssociation(
        ctx.name("metrics-dcra"), association_name=f"MSProm-{spec.region}-{spec.name}"[:64], resource_uri=cluster.id,
        data_collection_rule_id=rule.id, description="Prometheus metrics of the cluster to the cell's workspace",
        opts=ctx.opts())
    azure.monitor.DataCollectionRuleAssociation(
        ctx.name("metrics-dcea"), association_name="configurationAccessEndpoint", resource_uri=cluster.id,
        data_collection_endpoint_id=endpoint.id, opts=ctx.opts())
    return workspace, rule


def _alerts(ctx: AzureCellContext, cluster, workspace, slo: SloOptions, alert_emails: Sequence[str]):
    spec = ctx.spec
    group = azure.monitor.ActionGroup(
        ctx.name("slo-alerts"), action_group_name=ctx.name("slo-alerts"), resource_group_name=ctx.rg_name,
        location="Global", enabled=True, group_short_name=f"slo{spec.name}"[:12],
        email_receivers=[{"name": f"email-{i}", "email_address": e, "use_common_alert_schema": True}
                         for i, e in enumerate(alert_emails)],
        opts=ctx.opts())
    rules = slo_rules.alert_rules(spec.name, slo.availability, slo.latency_p99_ms, slo.error_rate, slo.window_days)
    rule_group = azure.alertsmanagement.PrometheusRuleGroup(
        ctx.name("slo-rules"), rule_group_name=f"slo-{spec.name}", resource_group_name=ctx.rg_name,
        location=ctx.location, scopes=[workspace.id, cluster.id], cluster_name=cluster.name, enabled=True,
        interval="PT1M", description=f"SLO burn-rate alerts of cell {spec.name}",
        rules=[{"alert": r.name, "expression": r.expr, "for_": _iso(r.for_), "severity": SEVERITY[r.severity],
                "enabled": True, "labels": {"severity": r.severity, **r.labels}, "annotations": {"summary": r.summary},
                "actions": [{"action_group_id": group.id}],
                "resolve_configuration": {"auto_resolved": True, "time_to_resolve": "PT10M"}} for r in rules],
        opts=ctx.opts())
    return group, rule_group
