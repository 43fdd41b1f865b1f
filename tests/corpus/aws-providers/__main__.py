"""Two regions: the default provider from config and an explicit one; random suffixes; a preview-only branch."""
import pulumi
import pulumi_aws as aws
import pulumi_random as random

east = aws.Provider("us-east-1", region="us-east-1")
suffix = random.RandomPet("suffix", length=2)
primary = aws.s3.Bucket("primary", bucket=suffix.id.apply(lambda s: f"primary-{s}"))
replica = aws.s3.Bucket("replica", opts=pulumi.ResourceOptions(provider=east))
topic = aws.sns.Topic("alerts")
queue = aws.sqs.Queue("work", visibility_timeout_seconds=60)
aws.sns.TopicSubscription("work", topic=topic.arn, protocol="sqs", endpoint=queue.arn)
cert = aws.acm.Certificate("site", domain_name="www.example.com", validation_method="DNS",
                           opts=pulumi.ResourceOptions(provider=east))

if pulumi.runtime.is_dry_run():
    pulumi.log.info("preview: the bucket names are drawn at create")
    pulumi.export("note", "names are known after the first update")
else:
    pulumi.export("note", primary.bucket.apply(lambda b: f"created {b}"))
pulumi.export("primary", primary.bucket)
pulumi.export("replica_region", replica.region)
pulumi.export("validation", cert.domain_validation_options.apply(lambda o: o[0].resource_record_name if o else None))
