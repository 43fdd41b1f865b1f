"""Application logs streamed to a central Firehose in another region."""
import pulumi
import pulumi_aws as aws

TAGS = {"residency": "eu", "team": "data"}

key = aws.kms.Key("data-key", description="data", enable_key_rotation=True, deletion_window_in_days=30,
                  tags=TAGS)

group = aws.cloudwatch.LogGroup("app", retention_in_days=30, kms_key_id=key.arn, tags=TAGS)
aws.cloudwatch.LogSubscriptionFilter("ship", log_group=group.name, filter_pattern="",
    destination_arn="arn:aws:firehose:us-east-1:123456789012:deliverystream/central-logs",
    role_arn="arn:aws:iam::123456789012:role/cwl-to-firehose")
