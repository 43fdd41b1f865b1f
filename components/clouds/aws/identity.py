"""What the inference pods run as: an IAM role bound by EKS Pod Identity to one service account.

The role trusts the EKS Pod Identity service (`pods.eks.amazonaws.com`, `sts:AssumeRole` +
`sts:TagSession`) only for the session tags Pod Identity sets: `eks-cluster-arn` (this cluster),
`kubernetes-namespace` and `kubernetes-service-account` (the workload's), as the EKS docs show
(https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html, tags:
https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html). An `aws:SourceArn` equal to the
cluster ARN (the earlier trust) is not what Pod Identity sends, so it denied every pod. The
association binds the role to exactly `system:serviceaccount:inference:inference`. Its only permissions: list and read its
own bucket, and decrypt with the cell key when S3 asks on its behalf.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from ...contract import WORKLOAD_NAMESPACE, WORKLOAD_SERVICE_ACCOUNT, Piece, PodIdentity
from . import iam
from .context import AwsContext

POD_IDENTITY_SERVICE = "pods.eks"


def pod_identity_trust(account: iam.AccountContext, cluster_arn: pulumi.Input[str], namespace: str,
                       service_account: str) -> pulumi.Output[str]:
    """Trust policy of a Pod Identity role for one service account of one cluster (EKS docs)."""
    return iam.document([{
        "Sid": "EksPodIdentityForOneServiceAccount",
        "Effect": "Allow",
        "Principal": {"Service": account.service(POD_IDENTITY_SERVICE)},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringEquals": {
            "aws:RequestTag/eks-cluster-arn": cluster_arn,
            "aws:RequestTag/kubernetes-namespace": namespace,
            "aws:RequestTag/kubernetes-service-account": service_account,
        }},
    }])


@dataclass(frozen=True)
class WorkloadIdentityArgs:
    ctx: AwsContext
    cluster: aws.eks.Cluster         # the association's cluster; the trust names its ARN
    bucket_arn: pulumi.Input[str]    # the model bucket the pods read
    key_arn: pulumi.Input[str]       # the cell key (S3 decrypts with it on the pods' behalf)


class WorkloadIdentity(Piece):
    TYPE = "platform:aws:WorkloadIdentity"
    role: aws.iam.Role
    association: aws.eks.PodIdentityAssociation

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        account, cluster, key_arn = args.ctx.account, args.cluster, args.key_arn
        child = args.ctx.opts(self)
        bucket_arn = pulumi.Output.from_input(args.bucket_arn)

        self.role = aws.iam.Role(
            f"{name}-workload",
            description=f"Inference pods of cell {name} "
                        f"(system:serviceaccount:{WORKLOAD_NAMESPACE}:{WORKLOAD_SERVICE_ACCOUNT})",
            assume_role_policy=pod_identity_trust(account, cluster.arn, WORKLOAD_NAMESPACE,
                                                  WORKLOAD_SERVICE_ACCOUNT),
            max_session_duration=3600,
            opts=child)
        aws.iam.RolePolicy(f"{name}-workload-read", role=self.role.id, policy=iam.document([
            {"Sid": "ListModelBucket", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": bucket_arn},
            {"Sid": "ReadModels", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
             "Resource": bucket_arn.apply(lambda a: f"{a}/*")},
            {"Sid": "DecryptModelsThroughS3", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": key_arn,
             "Condition": {"StringEquals": {"kms:ViaService": f"s3.{account.region}.amazonaws.com"}}},
        ]), opts=child)
        self.association = aws.eks.PodIdentityAssociation(
            f"{name}-workload", cluster_name=cluster.name, namespace=WORKLOAD_NAMESPACE,
            service_account=WORKLOAD_SERVICE_ACCOUNT, role_arn=self.role.arn, opts=child)
        self.register_outputs({"role_arn": self.role.arn})


def pod_identity(role_arn: pulumi.Input[str]) -> PodIdentity:
    """EKS Pod Identity: the `aws:eks:PodIdentityAssociation` names the namespace/service account,
    so the ServiceAccount carries nothing. An IRSA `eks.amazonaws.com/role-arn` annotation must NOT
    be added: SDKs try web identity before container credentials, and the role trusts
    pods.eks.amazonaws.com, not the cluster's OIDC provider. Pods reach the Pod Identity Agent."""
    return PodIdentity(credential_endpoints=(("169.254.170.23/32", 80),))
