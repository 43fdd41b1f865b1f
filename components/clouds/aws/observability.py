"""The AWS cell's metrics and SLO alerts, all in the cell's region.

- Amazon Managed Service for Prometheus workspace, encrypted with the cell key;
- an AMP managed collector (`aws.amp.Scraper`) for the EKS cluster: its interfaces sit in the
  cluster's private subnets under the cluster security group, it discovers the inference pods by
  their `prometheus.io/*` annotations (contract.MetricsScrape "annotations") and keeps only the
  contract's series (contract.KEPT_METRICS). AMP gives it its EKS access entry itself (API
  authentication mode), and it writes to the customer-managed-key workspace through a role
  configuration (a source and a target role of the account; AMP user guide, "Using an AWS managed
  collector", customer managed keys);
- the SLO rules of `platform:slo` (components/observability/slo.py) as an AMP rule group namespace,
  and AMP's alert manager publishing to an SNS topic in the region, encrypted with its own key whose
  policy lets AMP encrypt (the cell key's policy stays the cell's), mailed to the configured addresses.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws
import yaml

from ...contract import CELL_LABEL, KEPT_METRICS, WORKLOAD_NAMESPACE, MetricsScrape, Piece
from ...core.config import SloOptions
from ...observability import slo as slo_rules
from .context import AwsContext

SCRAPE_INTERVAL_SECONDS = 30


def scrape_configuration(cell: str, interval_seconds: int = SCRAPE_INTERVAL_SECONDS) -> str:
    """The collector's Prometheus configuration: the annotated pods of the workload's namespace only."""
    config = {
        "global": {"scrape_interval": f"{interval_seconds}s", "external_labels": {CELL_LABEL: cell}},
        "scrape_configs": [{
            "job_name": "inference",
            "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [WORKLOAD_NAMESPACE]}}],
            "relabel_configs": [
                {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "action": "keep",
                 "regex": "true"},
                {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"], "action": "replace",
                 "target_label": "__metrics_path__", "regex": "(.+)"},
                {"source_labels": ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
                 "action": "replace", "regex": r"([^:]+)(?::\d+)?;(\d+)", "replacement": "$1:$2",
                 "target_label": "__address__"},
                {"source_labels": ["__meta_kubernetes_pod_label_cell"], "action": "replace", "target_label": CELL_LABEL},
            ],
            "metric_relabel_configs": [{"source_labels": ["__name__"], "action": "keep",
                                        "regex": "|".join(KEPT_METRICS)}],
        }],
    }
    return yaml.safe_dump(config, sort_keys=False)


def alertmanager_definition(topic_arn: str, region: str) -> str:
    """AMP alert manager: every alert of the workspace to the SNS topic (AMP signs with SigV4 in `region`)."""
    return yaml.safe_dump({"alertmanager_config": yaml.safe_dump({
        "route": {"receiver": "sns", "group_by": ["alertname", CELL_LABEL], "group_wait": "30s",
                  "group_interval": "5m", "repeat_interval": "4h"},
        "receivers": [{"name": "sns", "sns_configs": [{
            "topic_arn": topic_arn, "sigv4": {"region": region},
            "subject": "{{ .CommonLabels.alertname }} {{ .CommonLabels.cell }}",
            "attributes": {"severity": "{{ .CommonLabels.severity }}"}}]}],
    }, sort_keys=False)}, sort_keys=False)


@dataclass(frozen=True)
class ObservabilityArgs:
    ctx: AwsContext
    environment: str                            # prefixes the workspace's and scraper's aliases
    cluster: aws.eks.Cluster                    # what the scraper collects from
    subnet_ids: tuple[pulumi.Input[str], ...]   # the private subnets: the scraper's interfaces
    security_group_id: pulumi.Input[str]        # EKS's cluster security group (on every node)
    private_cidrs: tuple[str, ...]              # the scraper's sources, admitted by the workload's policy
    key_arn: pulumi.Input[str]                  # the cell key encrypts the workspace
    slo: Optional[SloOptions] = None            # None: metrics only, no alerts
    alert_emails: tuple[str, ...] = ()


class Observability(Piece):
    """The cell's metrics and SLO alerts (see the module docstring).

    Moved under this piece from the cell itself: every child that was there carries an alias
    to the piece's own parent, the cell (declared in migrations.py), so none of them is replaced (the workspace holds the
    metrics; the alert key is protected in prod)."""

    TYPE = "platform:aws:Observability"
    workspace: aws.amp.Workspace
    scraper: aws.amp.Scraper
    scrape: MetricsScrape
    topic: Optional[aws.sns.Topic] = None
    rules: Optional[aws.amp.RuleGroupNamespace] = None

    def __init__(self, name: str, args: ObservabilityArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, cluster = args.ctx, args.cluster
        child = lambda stateful=False: ctx.opts(self, stateful=stateful)  # noqa: E731
        self.workspace = aws.amp.Workspace(f"{name}-metrics", alias=f"{args.environment}-{name}",
                                           kms_key_arn=args.key_arn, opts=child(stateful=True))
        self.scraper = aws.amp.Scraper(
            f"{name}-scraper", alias=f"{args.environment}-{name}",
            source=aws.amp.ScraperSourceArgs(eks=aws.amp.ScraperSourceEksArgs(
                cluster_arn=cluster.arn, subnet_ids=list(args.subnet_ids), security_group_ids=[args.security_group_id])),
            destination=aws.amp.ScraperDestinationArgs(amp=aws.amp.ScraperDestinationAmpArgs(
                workspace_arn=self.workspace.arn)),
            # The workspace is encrypted with the cell key: AMP writes to a customer-managed-key workspace
            # only through a role configuration (source and target roles of the same account).
            role_configuration=self._role_configuration(name, args, child),
            scrape_configuration=scrape_configuration(name), opts=child())
        # No EKS access entry here: on a cluster in API authentication mode AMP creates the scraper's access
        # entry (and its read-only access policy) itself; a second one for the same role is refused
        # (ResourceInUseException). AMP's policy reads pods cluster-wide: no RBAC group for the workload to bind.
        self.scrape = MetricsScrape(kind="annotations", interval_seconds=SCRAPE_INTERVAL_SECONDS,
                                    from_cidrs=tuple(args.private_cidrs), rbac_group=None)
        if args.slo is not None:
            self.topic, self.rules = self._alerts(name, args, child)
        self.register_outputs({"workspace_arn": self.workspace.arn})

    def _role_configuration(self, name: str, args: ObservabilityArgs, child) -> aws.amp.ScraperRoleConfigurationArgs:
        """The scraper's source role (assumed by AMP's scraper service, only for this account's scrapers in this
        region) and target role (assumed by the source role with the scraper's ARN as external id, allowed to
        remote-write to this workspace only). The scraper's ARN exists only after the scraper, which needs the
        roles first: both conditions pin the account's scrapers of the region instead of the one ARN."""
        account = args.ctx.account
        fresh = args.ctx.opts(self)  # came with the piece: no URN before it (migrations.py moves no IAM)
        scrapers = account.arn("aps", "scraper/*")
        source = aws.iam.Role(
            f"{name}-scraper-source", description=f"AMP scraper of cell {name}: source role (assumes the target)",
            assume_role_policy=pulumi.Output.all(account.service("scraper.aps"), account.account_id, scrapers).apply(
                lambda a: json.dumps({"Version": "2012-10-17", "Statement": [{
                    "Sid": "AmpScrapersOfThisAccountAndRegion", "Effect": "Allow",
                    "Principal": {"Service": a[0]}, "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": a[1]}, "ArnLike": {"aws:SourceArn": a[2]}}}]})),
            opts=fresh)
        target = aws.iam.Role(
            f"{name}-scraper-target", description=f"AMP scraper of cell {name}: writes to the cell's workspace",
            assume_role_policy=pulumi.Output.all(source.arn, scrapers).apply(lambda a: json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Sid": "TheScraperSourceRoleOfThisCell", "Effect": "Allow", "Principal": {"AWS": a[0]},
                    "Action": "sts:AssumeRole", "Condition": {"StringLike": {"sts:ExternalId": a[1]}}}]})),
            opts=fresh)
        aws.iam.RolePolicy(f"{name}-scraper-target", role=target.id, policy=self.workspace.arn.apply(
            lambda ws: json.dumps({"Version": "2012-10-17", "Statement": [{
                "Sid": "RemoteWriteToTheCellsWorkspace", "Effect": "Allow", "Action": "aps:RemoteWrite",
                "Resource": ws}]})), opts=fresh)
        aws.iam.RolePolicy(f"{name}-scraper-source", role=source.id, policy=target.arn.apply(
            lambda t: json.dumps({"Version": "2012-10-17", "Statement": [{
                "Sid": "AssumeTheTargetRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": t}]})),
            opts=fresh)
        return aws.amp.ScraperRoleConfigurationArgs(source_role_arn=source.arn, target_role_arn=target.arn)

    def _alerts(self, name: str, args: ObservabilityArgs, child) -> tuple[aws.sns.Topic, aws.amp.RuleGroupNamespace]:
        account, region, slo, workspace = args.ctx.account, args.ctx.region, args.slo, self.workspace
        assert slo is not None
        aps = account.service("aps")
        key_policy = pulumi.Output.all(account.root(), aps, account.account_id).apply(lambda a: json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Sid": "AccountAdministersAndUsesTheKeyThroughIam", "Effect": "Allow", "Principal": {"AWS": a[0]},
                 "Action": "kms:*", "Resource": "*"},
                # AMP's alert manager publishes to the encrypted topic: SNS asks KMS for a data key on its behalf.
                {"Sid": "PrometheusAlertManagerPublishes", "Effect": "Allow", "Principal": {"Service": a[1]},
                 "Action": ["kms:GenerateDataKey*", "kms:Decrypt"], "Resource": "*",
                 "Condition": {"StringEquals": {"aws:SourceAccount": a[2]}}},
            ]}))
        key = aws.kms.Key(f"{name}-alerts-key", description=f"Encrypts the SLO alert topic of cell {name}",
                          enable_key_rotation=True, deletion_window_in_days=30, policy=key_policy, opts=child(stateful=True))
        topic = aws.sns.Topic(f"{name}-slo-alerts", kms_master_key_id=key.arn, opts=child())
        aws.sns.TopicPolicy(f"{name}-slo-alerts-policy", arn=topic.arn, policy=pulumi.Output.all(
            topic.arn, aps, account.account_id, workspace.arn).apply(lambda a: json.dumps({
                "Version": "2012-10-17", "Statement": [
                    {"Sid": "PrometheusAlertManagerOfThisWorkspace", "Effect": "Allow", "Principal": {"Service": a[1]},
                     "Action": ["sns:Publish", "sns:GetTopicAttributes"], "Resource": a[0],
                     "Condition": {"StringEquals": {"aws:SourceAccount": a[2]}, "ArnEquals": {"aws:SourceArn": a[3]}}},
                    {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
                     "Resource": a[0], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                ]})), opts=child())
        for i, email in enumerate(args.alert_emails):
            aws.sns.TopicSubscription(f"{name}-slo-alerts-email-{i}", topic=topic.arn, protocol="email", endpoint=email,
                                      opts=child())
        rules = slo_rules.alert_rules(name, slo.availability, slo.latency_p99_ms, slo.error_rate, slo.window_days)
        namespace = aws.amp.RuleGroupNamespace(
            f"{name}-slo-rules", name=f"slo-{name}", workspace_id=workspace.id,
            data=yaml.safe_dump(slo_rules.rule_group(name, rules), sort_keys=False), opts=child())
        aws.amp.AlertManagerDefinition(
            f"{name}-alert-manager", workspace_id=workspace.id,
            definition=topic.arn.apply(lambda arn: alertmanager_definition(arn, region)), opts=child())
        return topic, namespace
