"""The cell's logs stay in its region: a regional Cloud Logging bucket, a sink to it, and an
exclusion that keeps the same entries out of the project's global `_Default` bucket.

What is routed: every entry whose monitored resource is in the cell's region or one of its
zones (GKE cluster/node/container logs, the regional load balancer's request logs with client
IPs and URLs, VPC flow logs, Cloud NAT and firewall logs, health-check logs).

`_Required` (Admin Activity and System Event audit logs, Access Transparency) cannot be
excluded, rerouted or disabled; it holds who-changed-what metadata, not client traffic. Its
location follows the organization's default storage location when the project is created:
set it (`gcloud logging settings update --organization=ORG --storage-location=REGION`, and
`--disable-default-sink` for `_Default` if wanted) before creating a cell's project, or accept a
global `_Required` (README "Running it for real").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_gcp as gcp

from ...contract import Piece
from ...lifecycle import creation_suffix, keep_name
from .context import GcpContext
from .key import CellKey, KeyGrant

RETENTION_DAYS = 30   # the _Default bucket's own retention: no more, no less than before


def regional_filter(region: str) -> str:
    """Entries whose resource is in `region` or one of its zones (Logging query language)."""
    zonal = f'"^{region}-[a-z]$"'
    return (f'resource.labels.location="{region}" OR resource.labels.region="{region}" OR '
            f'resource.labels.location=~{zonal} OR resource.labels.zone=~{zonal}')


@dataclass(frozen=True)
class CellLogsArgs:
    ctx: GcpContext
    key: CellKey
    depends_on: tuple[pulumi.Resource, ...] = ()   # the Logging API


class CellLogs(Piece):
    TYPE = "platform:gcp:Logs"

    def __init__(self, name: str, args: CellLogsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, key, depends_on = args.ctx, args.key, args.depends_on
        # A deleted log bucket keeps its id for 7 days (DELETE_REQUESTED): the id varies per creation, and an
        # existing stack keeps the id it was created with (components/lifecycle.py).
        bucket_id = pulumi.Output.concat(f"{ctx.cell}-logs-", creation_suffix(f"{name}-bucket", self))
        self.filter = regional_filter(ctx.region)
        # The logs hold client addresses and URLs: encrypted with the cell's key, which lives in the same
        # region as the bucket (Cloud Logging requires it). Logging encrypts as the project's own CMEK
        # account (`cmek-p<number>@gcp-sa-logging`), which exists once the Logging API is on and which
        # the project's CMEK settings name: asked after the API, granted on the key, then a propagation
        # wait before the bucket is created (https://cloud.google.com/logging/docs/routing/managed-encryption-storage).
        settings = gcp.logging.get_project_cmek_settings_output(
            project=ctx.project, opts=pulumi.InvokeOutputOptions(provider=ctx.provider, depends_on=list(depends_on)))
        grant = key.grant(KeyGrant("logging-agent", settings.service_account_id))
        settled = key.settled("logs", [grant])
        self.bucket = gcp.logging.ProjectBucketConfig(
            f"{name}-bucket", project=ctx.project, location=ctx.region, bucket_id=bucket_id,
            retention_days=RETENTION_DAYS, description=f"Logs of cell {ctx.cell}, kept in {ctx.region}",
            cmek_settings=gcp.logging.ProjectBucketConfigCmekSettingsArgs(kms_key_name=key.key.id),
            opts=pulumi.ResourceOptions.merge(ctx.opts(self, stateful=True, depends_on=[*depends_on, settled]),
                                              keep_name("bucketId")))
        # A sink to a log bucket of its own project needs no writer grant.
        self.sink = gcp.logging.ProjectSink(
            f"{name}-sink", project=ctx.project, name=f"{ctx.cell}-regional-logs",
            destination=pulumi.Output.concat("logging.googleapis.com/", self.bucket.id),
            filter=self.filter, description=f"Cell {ctx.cell}: its region's logs to its regional bucket",
            opts=ctx.opts(self, depends_on=depends_on))
        # Project exclusions apply to the `_Default` sink: the same entries no longer land in the global bucket.
        self.exclusion = gcp.logging.ProjectExclusion(
            f"{name}-default-exclusion", project=ctx.project, name=f"{ctx.cell}-regional-logs",
            filter=self.filter, description=f"Cell {ctx.cell}: kept in {ctx.region} by its own sink, not in _Default",
            opts=ctx.opts(self, depends_on=[self.sink, *depends_on]))
        self.register_outputs({"bucket": self.bucket.id})
