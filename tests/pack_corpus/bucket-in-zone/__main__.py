"""The same bucket in eu-central-1."""
import pulumi
import pulumi_aws as aws

TAGS = {"residency": "eu", "team": "data"}

key = aws.kms.Key("data-key", description="data", enable_key_rotation=True, deletion_window_in_days=30,
                  tags=TAGS)
import json

bucket = aws.s3.BucketV2("reports", force_destroy=True, tags=TAGS)
aws.s3.BucketServerSideEncryptionConfigurationV2("reports", bucket=bucket.id, rules=[{
    "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
    "bucket_key_enabled": True}])
aws.s3.BucketPublicAccessBlock("reports", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
                               ignore_public_acls=True, restrict_public_buckets=True)
aws.s3.BucketPolicy("reports", bucket=bucket.id, policy=bucket.arn.apply(lambda arn: json.dumps({
    "Version": "2012-10-17", "Statement": [{"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})))
