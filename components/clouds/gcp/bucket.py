"""The cell's GCS bucket: in the cell's region, encrypted with the cell's key (CMEK)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_gcp as gcp

from ...contract import Piece
from .context import GcpContext
from .key import CellKey, KeyGrant

SOFT_DELETE_SECONDS = 7 * 24 * 3600
ABORT_UPLOADS_AFTER_DAYS = 7


@dataclass(frozen=True)
class DataBucketArgs:
    ctx: GcpContext
    key: CellKey
    storage_agent: pulumi.Output[str]   # the project's Cloud Storage service agent
    noncurrent_version_days: int
    depends_on: tuple[pulumi.Resource, ...] = ()   # the Cloud Storage API


class DataBucket(Piece):
    TYPE = "platform:gcp:Bucket"

    def __init__(self, name: str, args: DataBucketArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, depends_on = args.ctx, args.depends_on
        # GCS encrypts with a CMEK as its service agent: without this grant the bucket creation
        # (and every later write) fails, so the bucket depends on it explicitly.
        self.agent_grant = args.key.grant(KeyGrant("storage-agent", args.storage_agent))
        self.key_ready = args.key.settled("bucket", [self.agent_grant])
        self.bucket = gcp.storage.Bucket(
            f"{name}-data",
            # Bucket names are global: the project id keeps two projects' cells apart.
            name=f"{ctx.project}-{ctx.cell}-data", project=ctx.project,
            location=ctx.region.upper(), storage_class="STANDARD",
            encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=args.key.key.id),
            uniform_bucket_level_access=True, public_access_prevention="enforced",
            versioning=gcp.storage.BucketVersioningArgs(enabled=True),
            soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(retention_duration_seconds=SOFT_DELETE_SECONDS),
            lifecycle_rules=[
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                        days_since_noncurrent_time=args.noncurrent_version_days, with_state="ARCHIVED")),
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="AbortIncompleteMultipartUpload"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=ABORT_UPLOADS_AFTER_DAYS)),
            ],
            # platform:teardown destroyable: `destroy` deletes the objects first (a non-empty bucket is refused).
            force_destroy=not ctx.protect,
            opts=ctx.opts(self, stateful=True, depends_on=[self.agent_grant, self.key_ready, *depends_on]),
        )
        self.uri = pulumi.Output.concat("gs://", self.bucket.name)
        self.register_outputs({"uri": self.uri})
