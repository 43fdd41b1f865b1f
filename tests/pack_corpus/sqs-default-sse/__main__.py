"""A queue with SQS-managed encryption only."""
import pulumi
import pulumi_aws as aws

TAGS = {"residency": "eu", "team": "data"}

key = aws.kms.Key("data-key", description="data", enable_key_rotation=True, deletion_window_in_days=30,
                  tags=TAGS)

queue = aws.sqs.Queue("jobs", sqs_managed_sse_enabled=True, visibility_timeout_seconds=60, tags=TAGS)
pulumi.export("queue_url", queue.url)
