"""The same database under the team's KMS key."""
import pulumi
import pulumi_aws as aws

TAGS = {"residency": "eu", "team": "data"}

key = aws.kms.Key("data-key", description="data", enable_key_rotation=True, deletion_window_in_days=30,
                  tags=TAGS)

db = aws.rds.Instance("orders", engine="postgres", engine_version="16.3", instance_class="db.t4g.micro",
                      allocated_storage=20, username="app", manage_master_user_password=True,
                      master_user_secret_kms_key_id=key.arn, storage_encrypted=True, kms_key_id=key.arn,
                      skip_final_snapshot=True, tags=TAGS)
