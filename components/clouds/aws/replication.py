"""In-zone replication of the cell's model bucket (`platform:cells[].bucket.geo_redundant: true`).

An S3 bucket lives in one region; a second copy is a second bucket in another region plus a
replication configuration on the source. The copy must never leave the cell's residency zone,
so the replica region is the nearest *other* AWS region of the zone (region catalog), and a
zone with a single AWS region is a ConfigError, raised before the cell registers anything,
rather than a replica abroad.

The pieces, all but the role and the configuration in the replica region (own provider):
- a replica key: regional (never multi-Region), rotated, the same policy conventions as the
  cell key with the account statement only (S3 uses it through the replication role);
- the replica bucket: a `SecureBucket` (SSE-KMS with the replica key and a bucket key,
  versioning, TLS-only policy, public access block, protected in prod);
- the role S3 assumes for this source bucket only: read the source's versions, replicate into
  the replica, decrypt with the cell key and encrypt with the replica key, each only through
  S3 in that key's region and for that bucket (`kms:ViaService`, encryption context);
- the replication configuration: one enabled rule for every object, delete markers and
  SSE-KMS objects included, replicas re-encrypted with the replica key, STANDARD storage.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from ...contract import Piece
from ...core import catalog
from ...core.config import ConfigError
from .settings import no_replica_region
from . import iam
from .bucket import SecureBucket, SecureBucketArgs
from .context import AwsContext
from .key import CellKey, CellKeyArgs, replica_key_policy

REPLICA_STORAGE_CLASS = "STANDARD"


def replica_region(stack: str, cell: str, region: str, zone: str,
                   narrowed_to: Optional[Sequence[str]] = None) -> str:
    """The nearest other AWS region of `zone` (within `narrowed_to`, the stack's
    `platform:zones.<zone>.regions`, when given). ConfigError when there is none (config.load
    reports the same before the program starts; this guards specs built some other way)."""
    chosen = catalog.aws_replica_region(region, zone, narrowed_to)
    if chosen is None:
        raise ConfigError(f"stack {stack!r}: cell {cell!r}: platform:cells[].bucket.geo_redundant = true: "
                          + no_replica_region(region, zone, narrowed_to is not None))
    return chosen


def _objects(bucket_arn: pulumi.Output[str]) -> pulumi.Output[str]:
    return bucket_arn.apply(lambda a: f"{a}/*")


def _through_s3(account: iam.AccountContext, bucket_arn: pulumi.Output[str]) -> dict:
    """KMS use only by S3 in the key's own region, for this bucket's objects. With an S3 bucket
    key the encryption context is the bucket ARN, without one the object ARN: both, nothing else."""
    return {"StringEquals": {"kms:ViaService": account.service("s3", regional=True)},
            "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, _objects(bucket_arn)]}}


def replication_policy(source_arn: pulumi.Output[str], source_key_arn: pulumi.Input[str],
                       replica_arn: pulumi.Output[str], replica_key_arn: pulumi.Input[str],
                       source: iam.AccountContext, replica: iam.AccountContext) -> pulumi.Output[str]:
    """What S3 replication needs and nothing else (AWS's documented set for SSE-KMS objects)."""
    return iam.document([
        {"Sid": "ReadSourceReplicationConfig", "Effect": "Allow",
         "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"], "Resource": source_arn},
        {"Sid": "ReadSourceVersions", "Effect": "Allow",
         "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
         "Resource": _objects(source_arn)},
        {"Sid": "WriteReplicas", "Effect": "Allow",
         "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], "Resource": _objects(replica_arn)},
        {"Sid": "DecryptSourceThroughS3", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": source_key_arn,
         "Condition": _through_s3(source, source_arn)},
        # Encrypt without a bucket key; GenerateDataKey for the replica bucket's S3 bucket key.
        {"Sid": "EncryptReplicasThroughS3", "Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
         "Resource": replica_key_arn, "Condition": _through_s3(replica, replica_arn)},
    ])


@dataclass(frozen=True)
class ModelReplicationArgs:
    ctx: AwsContext                  # the cell's region: the source bucket, the role, the configuration
    replica_ctx: AwsContext          # the replica region (same account): the replica key and bucket
    source: SecureBucket             # the cell's model bucket
    source_key_arn: pulumi.Input[str]
    alias_name: str                  # the replica key's alias
    noncurrent_version_days: int


class ModelReplication(Piece):
    """The in-zone copy of a cell's model bucket (see the module docstring)."""

    TYPE = "platform:aws:Replication"
    key: CellKey
    replica: SecureBucket
    role: aws.iam.Role
    config: aws.s3.BucketReplicationConfig

    def __init__(self, name: str, args: ModelReplicationArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        source, source_key_arn = args.source, args.source_key_arn
        account, replica_account = args.ctx.account, args.replica_ctx.account
        in_source = args.ctx.opts(self)
        region = replica_account.region

        self.key = CellKey(
            f"{name}-replica",
            CellKeyArgs(args.replica_ctx, alias_name=args.alias_name,
                        description=f"Cell {name}: replica of the model bucket in {region}",
                        policy=replica_key_policy(replica_account)),
            opts=pulumi.ResourceOptions(parent=self))
        self.replica = SecureBucket(
            f"{name}-models-replica",
            SecureBucketArgs(args.replica_ctx, noncurrent_version_days=args.noncurrent_version_days,
                             kms_key_arn=self.key.key.arn, force_destroy=not args.replica_ctx.protect),
            opts=pulumi.ResourceOptions(parent=self))

        self.role = aws.iam.Role(
            f"{name}-replication",
            description=f"S3 replicates the model bucket of cell {name} to {region}",
            # Only S3, only for this account's source bucket (confused deputy).
            assume_role_policy=iam.assume_role_by_service(account.service("s3"), account.account_id,
                                                          source_arn=source.bucket.arn),
            max_session_duration=3600,
            opts=in_source)
        policy = aws.iam.RolePolicy(
            f"{name}-replication", role=self.role.id,
            policy=replication_policy(source.bucket.arn, source_key_arn, self.replica.bucket.arn,
                                      self.key.key.arn, account, replica_account),
            opts=in_source)

        rule = aws.s3.BucketReplicationConfigRuleArgs(
            id="replicate-all-in-zone",
            status="Enabled",
            # A filter (even an empty one) selects the V2 schema, which replicates delete markers on request.
            filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
            delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(status="Enabled"),
            # S3 skips SSE-KMS objects unless the rule opts in (every object here is SSE-KMS).
            source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                    status="Enabled")),
            destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                bucket=self.replica.bucket.arn,
                storage_class=REPLICA_STORAGE_CLASS,
                encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                    replica_kms_key_id=self.key.key.arn)),
        )
        # S3 refuses a replication configuration until both buckets are versioned.
        self.config = aws.s3.BucketReplicationConfig(
            f"{name}-models", bucket=source.bucket.id, role=self.role.arn, rules=[rule],
            opts=pulumi.ResourceOptions.merge(in_source, pulumi.ResourceOptions(
                depends_on=[source.versioning, self.replica.versioning, policy])))

        self.register_outputs({"replica_region": region, "replica_bucket": self.replica.bucket.bucket,
                               "replica_key_arn": self.key.key.arn})
