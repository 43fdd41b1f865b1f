"""A queue under the team's KMS key."""
import pulumi
import pulumi_aws as aws

TAGS = {"residency": "eu", "team": "data"}

key = aws.kms.Key("data-key", description="data", enable_key_rotation=True, deletion_window_in_days=30,
                  tags=TAGS)

queue = aws.sqs.Queue("jobs", kms_master_key_id=key.arn, visibility_timeout_seconds=60, tags=TAGS)
pulumi.export("queue_url", queue.url)
