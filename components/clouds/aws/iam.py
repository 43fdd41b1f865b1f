"""IAM policy documents as data, shared by the pieces of the AWS cell.

Documents are built as plain dicts (values may be Outputs) and serialised with
`pulumi.Output.json_dumps`, so a test (or a policy pack) reads exactly the JSON
that IAM, KMS or S3 receive.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import pulumi


@dataclass(frozen=True)
class AccountContext:
    """Where the cell lives: needed for ARNs and confused-deputy conditions."""

    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    region: str
    dns_suffix: pulumi.Output[str]

    def arn(self, service: str, resource: str, region: Optional[str] = None,
            account: bool = True) -> pulumi.Output[str]:
        return pulumi.Output.all(self.partition, self.account_id).apply(
            lambda pa: f"arn:{pa[0]}:{service}:{self.region if region is None else region}:"
                       f"{pa[1] if account else ''}:{resource}")

    def root(self) -> pulumi.Output[str]:
        return pulumi.Output.all(self.partition, self.account_id).apply(
            lambda pa: f"arn:{pa[0]}:iam::{pa[1]}:root")

    def managed_policy(self, name: str) -> pulumi.Output[str]:
        return self.partition.apply(lambda p: f"arn:{p}:iam::aws:policy/{name}")

    def service(self, name: str, regional: bool = False) -> pulumi.Output[str]:
        """Service principal, e.g. `logs.us-west-2.amazonaws.com` (regional) or `eks.amazonaws.com`."""
        prefix = f"{name}.{self.region}" if regional else name
        return self.dns_suffix.apply(lambda s: f"{prefix}.{s}")


def document(statements: Sequence[dict[str, Any]]) -> pulumi.Output[str]:
    return pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": list(statements)})


def assume_role_by_service(service: pulumi.Input[str], account_id: pulumi.Input[str],
                           actions: Sequence[str] = ("sts:AssumeRole",),
                           source_arn: Optional[pulumi.Input[str]] = None) -> pulumi.Output[str]:
    """Trust policy for an AWS service, pinned to this account (and resource) against the confused deputy."""
    condition: dict[str, Any] = {"StringEquals": {"aws:SourceAccount": account_id}}
    if source_arn is not None:
        condition["ArnEquals"] = {"aws:SourceArn": source_arn}
    return document([{
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": list(actions),
        "Condition": condition,
    }])


def deny_insecure_transport(action: Any, resource: Any) -> dict[str, Any]:
    """A statement denying `action` on `resource` to anyone calling without TLS (aws:SecureTransport)."""
    return {"Effect": "Deny", "Principal": "*", "Action": action, "Resource": resource,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def alarm_key_policy(partition: str, account: str) -> dict:
    """The key of the health-check alarms' topic: the account administers it, CloudWatch encrypts with it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministersTheKey", "Effect": "Allow",
             "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
            # CloudWatch encrypts the alarm notification it publishes to the topic.
            {"Sid": "CloudWatchAlarmsPublishEncrypted", "Effect": "Allow",
             "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"},
        ],
    }


def alarm_topic_policy(topic_arn: str, partition: str, account: str, region: str) -> dict:
    """The alarms' topic: only this account's CloudWatch alarms (in `region`) publish, over TLS only."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountManagesTheTopic", "Effect": "Allow",
             "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
             "Action": ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe",
                        "sns:ListSubscriptionsByTopic", "sns:Publish"], "Resource": topic_arn},
            {"Sid": "OnlyThisAccountsAlarmsPublish", "Effect": "Allow",
             "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": "sns:Publish", "Resource": topic_arn,
             "Condition": {"StringEquals": {"aws:SourceAccount": account},
                           "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"}}},
            {"Sid": "DenyInsecureTransport", **deny_insecure_transport("sns:Publish", topic_arn)},
        ],
    }
