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

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_gcp as gcp

from ...contract import MetricsScrape, Piece
from ...core.config import SloOptions
from ...observability import slo as slo_rules
from .context import GcpContext

# GMP's managed collectors run as pods in this namespace; the workload admits them to its port. On GKE
# (managed_prometheus on the cluster) GKE runs them in `gke-gmp-system`; `gmp-system` is the namespace
# of managed collection installed by hand on other Kubernetes (GKE attached clusters, GKE on AWS/Azure)
# (https://cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed, "Set up managed
# collection": on GKE the operator and collectors are in gke-gmp-system). Admitting `gmp-system` on GKE
# admits nobody: nothing is scraped and no SLO alert can fire.
GMP_NAMESPACE = "gke-gmp-system"
SCRAPE_INTERVAL_SECONDS = 30

SCRAPE = MetricsScrape(kind="pod_monitoring", interval_seconds=SCRAPE_INTERVAL_SECONDS,
                       from_namespaces=(GMP_NAMESPACE,))


@dataclass(frozen=True)
class SloAlertsArgs:
    ctx: GcpContext
    slo: SloOptions
    alert_emails: tuple[str, ...]
    depends_on: tuple[pulumi.Resource, ...] = ()   # the Monitoring API (ProjectApis)


class SloAlerts(Piece):
    """The email channels and one alert policy per SLO rule.

    They were built directly under the cell before this piece existed: each keeps its name and
    carries an alias to the cell, so its URN (and the deployed channel or policy) stays."""

    TYPE = "platform:gcp:SloAlerts"

    def __init__(self, name: str, args: SloAlertsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, slo = args.ctx, args.slo
        moved_from = opts.parent if opts else None  # the cell, where they were built before this piece
        self.channels = [gcp.monitoring.NotificationChannel(
            f"{ctx.cell}-slo-email-{i}", project=ctx.project, type="email",
            display_name=f"SLO alerts of {ctx.cell}: {email}", labels={"email_address": email},
            user_labels=ctx.labels, opts=ctx.opts(self, depends_on=args.depends_on, moved_from=moved_from))
            for i, email in enumerate(args.alert_emails)]
        rules = slo_rules.alert_rules(ctx.cell, slo.availability, slo.latency_p99_ms, slo.error_rate, slo.window_days)
        self.policies = [gcp.monitoring.AlertPolicy(
            f"{ctx.cell}-{_kebab(rule.name)}", project=ctx.project, display_name=f"{ctx.cell}: {rule.name}",
            combiner="OR", severity="CRITICAL" if rule.severity == "page" else "WARNING",
            conditions=[gcp.monitoring.AlertPolicyConditionArgs(
                display_name=rule.summary[:100],
                condition_prometheus_query_language=gcp.monitoring.AlertPolicyConditionConditionPrometheusQueryLanguageArgs(
                    query=rule.expr, duration=_seconds(rule.for_), evaluation_interval="60s",
                    labels={"severity": rule.severity}, alert_rule=rule.name, rule_group=f"slo-{ctx.cell}"))],
            documentation=gcp.monitoring.AlertPolicyDocumentationArgs(content=rule.summary, mime_type="text/markdown"),
            notification_channels=[c.name for c in self.channels], user_labels=ctx.labels,
            opts=ctx.opts(self, depends_on=args.depends_on, moved_from=moved_from))
            for rule in rules]
        self.register_outputs({"policies": [p.name for p in self.policies]})


def _kebab(name: str) -> str:
    out = "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")
    return out


def _seconds(duration: str) -> str:
    n, unit = int(duration[:-1]), duration[-1]
    return f"{n * {'s': 1, 'm': 60, 'h': 3600}[unit]}s"
