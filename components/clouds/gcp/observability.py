"""The GCP cell's metrics and SLO alerts.

Metrics: Google Cloud Managed Service for Prometheus (GMP) on the GKE cluster (cluster.py turns on
`monitoring_config.managed_prometheus`; the workload asks for a `PodMonitoring`, contract.MetricsScrape
"pod_monitoring"). Where the data lives: GMP writes to Monarch, Cloud Monitoring's store, against the
`prometheus_target` monitored resource, whose `location` label is the cluster's location. Cloud
Monitoring stores a time series in the region named by its monitored resource's location label
(https://cloud.google.com/monitoring/docs/region-support, "Storage of time-series data"): a regional
cluster in europe-west1 has its series stored in europe-west1, inside the cell's zone. Queries and
alert evaluation are global (Cloud Monitoring is a global product): what leaves the region is the
answer to a PromQL query over the contract's label-only aggregates (README "Observe"), which the
PodMonitoring's `metricRelabeling` keeps to contract.KEPT_METRICS.

Alerts: one Cloud Monitoring alert policy per SLO rule (components/observability/slo.py) with a
PromQL condition, to email notification channels (the addresses of platform:slo / dns.alarm_email).
Alert policies and channels are project-level objects holding no customer data.
"""
from __future__ import annotations

from typing import Optional, Sequence

import pulumi
import pulumi_gcp as gcp

from ...contract import MetricsScrape
from ...core.config import SloOptions
from ...observability import slo as slo_rules
from .context import GcpContext

# GMP's managed collectors run as pods in this namespace; the workload admits them to its port.
GMP_NAMESPACE = "gmp-system"
SCRAPE_INTERVAL_SECONDS = 30

SCRAPE = MetricsScrape(kind="pod_monitoring", interval_seconds=SCRAPE_INTERVAL_SECONDS,
                       from_namespaces=(GMP_NAMESPACE,))


def build_observability(parent: pulumi.Resource, ctx: GcpContext, slo: Optional[SloOptions],
                        alert_emails: Sequence[str]) -> tuple[MetricsScrape, list[gcp.monitoring.AlertPolicy]]:
    if slo is None:
        return SCRAPE, []
    # New projects have the Monitoring API on; enabling it here makes the order explicit (and never disables it).
    api = gcp.projects.Service(f"{ctx.cell}-apis-monitoring", project=ctx.project, service="monitoring.googleapis.com",
                               disable_on_destroy=False, opts=ctx.opts(parent))
    channels = [gcp.monitoring.NotificationChannel(
        f"{ctx.cell}-slo-email-{i}", project=ctx.project, type="email", display_name=f"SLO alerts of {ctx.cell}: {email}",
        labels={"email_address": email}, user_labels=ctx.labels, opts=ctx.opts(parent, depends_on=[api]))
        for i, email in enumerate(alert_emails)]
    rules = slo_rules.alert_rules(ctx.cell, slo.availability, slo.latency_p99_ms, slo.error_rate, slo.window_days)
    policies = []
    for rule in rules:
        policies.append(gcp.monitoring.AlertPolicy(
            f"{ctx.cell}-{_kebab(rule.name)}", project=ctx.project, display_name=f"{ctx.cell}: {rule.name}",
            combiner="OR", severity="CRITICAL" if rule.severity == "page" else "WARNING",
            conditions=[gcp.monitoring.AlertPolicyConditionArgs(
                display_name=rule.summary[:100],
                condition_prometheus_query_language=gcp.monitoring.AlertPolicyConditionConditionPrometheusQueryLanguageArgs(
                    query=rule.expr, duration=_seconds(rule.for_), evaluation_interval="60s",
                    labels={"severity": rule.severity}, alert_rule=rule.name, rule_group=f"slo-{ctx.cell}"))],
            documentation=gcp.monitoring.AlertPolicyDocumentationArgs(content=rule.summary, mime_type="text/markdown"),
            notification_channels=[c.name for c in channels], user_labels=ctx.labels,
            opts=ctx.opts(parent, depends_on=[api])))
    return SCRAPE, policies


def _kebab(name: str) -> str:
    out = "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
    return out


def _seconds(duration: str) -> str:
    n, unit = int(duration[:-1]), duration[-1]
    return f"{n * {'s': 1, 'm': 60, 'h': 3600}[unit]}s"
