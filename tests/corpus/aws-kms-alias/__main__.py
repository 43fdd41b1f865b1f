"""A bucket encrypted with the account's AWS-managed S3 key, found by its alias; a role for it."""
import json

import pulumi
import pulumi_aws as aws

alias = aws.kms.get_alias(name="alias/aws/s3")
me = aws.get_caller_identity()
region = aws.get_region()

bucket = aws.s3.Bucket("data", force_destroy=True)
aws.s3.BucketServerSideEncryptionConfiguration(
    "data",
    bucket=bucket.id,
    rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                        "kms_master_key_id": alias.target_key_arn}}],
)
aws.s3.BucketPublicAccessBlock("data", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
                               ignore_public_acls=True, restrict_public_buckets=True)

assume = aws.iam.get_policy_document(statements=[{
    "actions": ["sts:AssumeRole"],
    "principals": [{"type": "Service", "identifiers": ["ec2.amazonaws.com"]}],
}])
role = aws.iam.Role("reader", assume_role_policy=assume.json)
aws.iam.RolePolicy(
    "reader",
    role=role.id,
    policy=bucket.arn.apply(lambda arn: json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"{arn}/*"}],
    })),
)
pulumi.export("bucket", bucket.bucket)
pulumi.export("key", alias.target_key_arn)
pulumi.export("where", f"{me.account_id} in {region.name}")
pulumi.export("role_arn", role.arn)
