"""S3 buckets of the cell, secure with no flag to remember.

pulumi-aws 7 keeps a bucket's settings in resources of their own (the inline
arguments of `aws.s3.Bucket` are deprecated), so a `SecureBucket` is the bucket plus:
default encryption, versioning, a public access block with all four switches,
BucketOwnerEnforced ownership (ACLs disabled), a bucket policy that denies any
request without TLS (or below TLS 1.2), and a lifecycle that expires noncurrent
versions and abandoned multipart uploads.

Encryption is SSE-KMS with the cell key and an S3 bucket key (fewer KMS calls) for
every bucket that holds data. The one exception is a destination that AWS only
writes with S3-managed keys: ALB access logs support SSE-S3 only
(`log_delivery=True`), so that bucket uses AES256 and holds nothing but logs.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import pulumi
import pulumi_aws as aws

from ...contract import Piece
from . import iam
from .context import AwsContext

MULTIPART_ABORT_DAYS = 7


def tls_only_statements(bucket_arn: pulumi.Output[str]) -> list[dict[str, Any]]:
    resources = [bucket_arn, bucket_arn.apply(lambda a: f"{a}/*")]
    return [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyTlsBelow12",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    ]


@dataclass(frozen=True)
class SecureBucketArgs:
    ctx: AwsContext                                       # the bucket's region and account
    noncurrent_version_days: int                          # lifecycle: noncurrent versions expire after
    kms_key_arn: Optional[pulumi.Input[str]] = None       # SSE-KMS with this key (every data bucket)...
    log_delivery: bool = False                            # ...or SSE-S3, for ALB access logs only
    expire_current_days: Optional[int] = None             # current objects expire too (logs)
    force_destroy: bool = False                           # platform:teardown destroyable (README "Teardown")
    # Statements the bucket policy adds before the TLS-only ones, given the bucket's ARN.
    extra_statements_for: Optional[Callable[[pulumi.Output[str]], list[dict[str, Any]]]] = None


class SecureBucket(Piece):
    TYPE = "platform:aws:Bucket"
    bucket: aws.s3.Bucket
    policy: aws.s3.BucketPolicy
    # S3 replication needs versioning on both buckets first.
    versioning: aws.s3.BucketVersioning

    def __init__(self, name: str, args: SecureBucketArgs, opts: Optional[pulumi.ResourceOptions] = None):
        if (args.kms_key_arn is None) != args.log_delivery:
            raise ValueError(f"bucket {name!r}: give a KMS key, or mark it as a log-delivery bucket (SSE-S3)")
        super().__init__(name, args, opts)
        ctx, kms_key_arn, extra_statements_for = args.ctx, args.kms_key_arn, args.extra_statements_for
        child = ctx.opts(self)

        # Auto-named (<name>-<random>): bucket names are global across all AWS accounts.
        # `force_destroy` in a stack `platform:teardown` lets go (dev by default): without it `pulumi destroy`
        # fails on a non-empty, versioned bucket (offline/apply/teardown.py, destroy-container-not-empty).
        self.bucket = aws.s3.Bucket(name, force_destroy=args.force_destroy, opts=ctx.opts(self, stateful=True))
        bucket_id = self.bucket.id

        if kms_key_arn is not None:
            default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn)
        else:
            default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="AES256")
        aws.s3.BucketServerSideEncryptionConfiguration(
            name, bucket=bucket_id,
            rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=default,
                bucket_key_enabled=kms_key_arn is not None)],
            opts=child)

        self.versioning = versioning = aws.s3.BucketVersioning(
            name, bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child)

        public_access = aws.s3.BucketPublicAccessBlock(
            name, bucket=bucket_id, block_public_acls=True, block_public_policy=True, ignore_public_acls=True,
            restrict_public_buckets=True, opts=child)

        aws.s3.BucketOwnershipControls(
            name, bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child)

        # After the public access block: S3 rejects concurrent changes to a bucket's access settings.
        self.policy = aws.s3.BucketPolicy(
            name, bucket=bucket_id,
            policy=iam.document([*(extra_statements_for(self.bucket.arn) if extra_statements_for else []),
                                 *tls_only_statements(self.bucket.arn)]),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[public_access])))

        rule = aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-noncurrent-versions",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=args.noncurrent_version_days),
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=MULTIPART_ABORT_DAYS),
            expiration=(aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.expire_current_days)
                        if args.expire_current_days else
                        aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True)),
        )
        # A lifecycle on a bucket whose versioning is still being enabled may not see the versions.
        aws.s3.BucketLifecycleConfiguration(
            name, bucket=bucket_id, rules=[rule],
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[versioning])))

        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})
