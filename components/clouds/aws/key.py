"""The cell's customer-managed KMS key: encrypts the bucket, EKS secrets, node volumes and logs.

The key policy names every principal and action it admits. No statement grants
`kms:*` or admits `Principal: *`:
- the account (root) gets key administration and use, which delegates to IAM policies
  (the EKS cluster role and the workload role get their share that way);
- CloudWatch Logs may use it for this account's log groups in this region only
  (flow logs, EKS control-plane logs);
- the Auto Scaling service-linked role may use it for the node group's EBS volumes:
  the node group's launch template encrypts the root volumes with this key, and EC2 Auto
  Scaling (which launches the nodes of an EKS managed node group) needs the key itself, not
  through IAM (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
  KMS rejects a policy naming a role that does not exist (MalformedPolicyDocumentException), and
  `AWSServiceRoleForAutoScaling` only exists after an account's first Auto Scaling group: the cell
  creates it (`autoscaling_service_role`) and the key waits for it;
- CloudWatch may encrypt the alarm notifications it publishes to the cell's alarm topic
  (SSE-KMS with this key); the topic's policy admits this account's alarms only.

A replica key (the in-zone copy of the model bucket, `replication.py`) follows the same
conventions with only the first statement: S3 uses it through the replication role's IAM
policy, and no logs or volumes live in the replica region.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from ...contract import Piece
from . import iam
from .context import AwsContext

ROTATION_PERIOD_DAYS = 365
DELETION_WINDOW_DAYS = 30

KEY_ADMIN_ACTIONS = (
    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*",
    "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
)
KEY_USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
                   "kms:RetireGrant")
EBS_USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey")


def _account_statement(account: iam.AccountContext) -> dict:
    """Administration and use for the account, delegated to IAM (keeps KMS's lock-out check happy)."""
    return {
        "Sid": "AccountAdministersAndUsesTheKeyThroughIam",
        "Effect": "Allow",
        "Principal": {"AWS": account.root()},
        "Action": [*KEY_ADMIN_ACTIONS, *KEY_USE_ACTIONS],
        "Resource": "*",
    }


def replica_key_policy(account: iam.AccountContext) -> pulumi.Output[str]:
    """A replica key's policy: the account only; the replication role gets its use through IAM."""
    return iam.document([_account_statement(account)])


AUTOSCALING_SERVICE = "autoscaling.amazonaws.com"
AUTOSCALING_ROLE_NAME = "AWSServiceRoleForAutoScaling"


def autoscaling_role_arn(account: iam.AccountContext) -> pulumi.Output[str]:
    return pulumi.Output.all(account.partition, account.account_id).apply(
        lambda pa: f"arn:{pa[0]}:iam::{pa[1]}:role/aws-service-role/{AUTOSCALING_SERVICE}/{AUTOSCALING_ROLE_NAME}")


def autoscaling_service_role(name: str, *, opts: pulumi.ResourceOptions) -> aws.iam.ServiceLinkedRole:
    """EC2 Auto Scaling's service-linked role, created so a fresh account has it before the key policy
    names it. One per account: `retain_on_delete` keeps it when the cell goes (other Auto Scaling groups of
    the account use it). In an account that already has it, CreateServiceLinkedRole fails
    ("has been taken"): import it once into the stack (README "Running it for real")."""
    role = aws.iam.ServiceLinkedRole(
        f"{name}-autoscaling-service-role", aws_service_name=AUTOSCALING_SERVICE,
        description="EC2 Auto Scaling (EKS managed node groups); created by the platform, kept on delete",
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(retain_on_delete=True)))
    _ACCOUNT_ROLES[(pulumi.get_project(), pulumi.get_stack())] = role
    return role


# The stack's Auto Scaling service-linked role (one program run = one stack): the other aws cells' keys
# wait for the one the first cell creates.
_ACCOUNT_ROLES: dict[tuple[str, str], aws.iam.ServiceLinkedRole] = {}


def stack_autoscaling_service_role() -> Optional[aws.iam.ServiceLinkedRole]:
    return _ACCOUNT_ROLES.get((pulumi.get_project(), pulumi.get_stack()))


def key_policy(account: iam.AccountContext) -> pulumi.Output[str]:
    autoscaling_role = autoscaling_role_arn(account)
    return iam.document([
        _account_statement(account),
        {
            "Sid": "CloudWatchLogsOfThisAccountAndRegion",
            "Effect": "Allow",
            "Principal": {"Service": account.service("logs", regional=True)},
            # No kms:Describe*: DescribeKey carries no encryption context, so the condition below could
            # never match it (parliament UNKNOWN_CONDITION_FOR_ACTION); CloudWatch Logs does not need it.
            "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
            "Resource": "*",
            "Condition": {"ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": account.arn("logs", "log-group:*")}},
        },
        {
            "Sid": "AutoScalingEncryptsNodeVolumes",
            "Effect": "Allow",
            "Principal": {"AWS": autoscaling_role},
            "Action": list(EBS_USE_ACTIONS),
            "Resource": "*",
        },
        {
            "Sid": "AutoScalingAttachesEncryptedNodeVolumes",
            "Effect": "Allow",
            "Principal": {"AWS": autoscaling_role},
            "Action": ["kms:CreateGrant"],
            "Resource": "*",
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        },
        {
            # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html (CloudWatch alarms to an
            # encrypted topic): CloudWatch needs GenerateDataKey* and Decrypt on the topic's key.
            "Sid": "CloudWatchAlarmsPublishToTheEncryptedAlarmTopic",
            "Effect": "Allow",
            "Principal": {"Service": account.service("cloudwatch")},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            # No aws:SourceAccount condition: the docs' statement has none, and SNS (not CloudWatch) makes
            # the KMS call; the topic policy pins the publishers to this account's alarms.
            "Resource": "*",
        },
    ])


@dataclass(frozen=True)
class CellKeyArgs:
    ctx: AwsContext                               # the key's region and account
    alias_name: str                               # `alias/<environment>/<cell>`
    description: Optional[str] = None             # default: the cell key's
    policy: Optional[pulumi.Input[str]] = None    # default: `key_policy(ctx.account)`
    depends_on: tuple[pulumi.Resource, ...] = ()  # principals the policy names (the Auto Scaling role)


class CellKey(Piece):
    TYPE = "platform:aws:Key"
    key: aws.kms.Key
    alias: aws.kms.Alias

    def __init__(self, name: str, args: CellKeyArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx = args.ctx
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description or f"Cell {name}: bucket, EKS secrets, node volumes and logs",
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            enable_key_rotation=True,
            rotation_period_in_days=ROTATION_PERIOD_DAYS,
            deletion_window_in_days=DELETION_WINDOW_DAYS,
            # A regional key: a multi-Region key could carry the cell's data out of its zone.
            multi_region=False,
            policy=args.policy if args.policy is not None else key_policy(ctx.account),
            opts=ctx.opts(self, stateful=True, depends_on=list(args.depends_on)),
        )
        self.alias = aws.kms.Alias(f"{name}-key", name=args.alias_name, target_key_id=self.key.key_id,
                                   opts=ctx.opts(self))
        self.register_outputs({"key_arn": self.key.arn, "alias": self.alias.name})
