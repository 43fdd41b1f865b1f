"""The cell's EKS cluster from plain pulumi-aws resources.

Not `pulumi_eks.Cluster` or awsx: those are multi-language components whose children
are created in another process, invisible to the offline mocks and to the policy packs.

Secure defaults:
- Kubernetes secrets envelope-encrypted with the cell key; every control-plane log
  type on, into a KMS-encrypted log group created *before* the cluster (EKS would
  otherwise create it itself, unencrypted and kept forever);
- API endpoint: private access on; public access only when CIDRs are configured,
  and then only from those CIDRs (config rejects /0);
- authentication by EKS access entries only (`API` mode, no aws-auth ConfigMap): the
  deployer (`platform:deployer.aws_role_arn`, else the creator's bootstrap entry) and the
  operators' role get cluster-admin, the PR preview's role read-only; managed nodes get
  theirs from EKS, the workload and the Cluster Autoscaler use EKS Pod Identity;
- `upgrade_policy` STANDARD; vpc-cni (network policies on), kube-proxy, CoreDNS, the Pod
  Identity agent and metrics-server as EKS add-ons with pinned versions (`settings.py`);
- the Cluster Autoscaler (Helm) resizes the managed node group between min and max nodes:
  chosen over Karpenter (its own controller, SQS interruption queue and node IAM) and EKS
  Auto Mode (it replaces managed node groups, the add-ons above and the ASG the load
  balancer's target group is attached to) because it keeps the managed node group, its
  launch template (IMDSv2, CMK volumes) and the ASG attachment as they are;
- a managed node group in the private subnets through a launch template: IMDSv2
  required with a hop limit of 1 (pods cannot reach the node's credentials; they
  get their own through Pod Identity), root volumes encrypted with the cell key.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Optional

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ...contract import Piece
from . import iam, settings
from .context import AwsContext

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
LOG_RETENTION_DAYS = 365
# The workload nodes per cell size (config.NODE_SIZES: small 2 vCPU/8 GiB, medium 4/16, large 8/32).
NODE_INSTANCE_TYPES = {"small": "m7i.large", "medium": "m7i.xlarge", "large": "m7i.2xlarge"}
NODE_AMI_TYPE = "AL2023_x86_64_STANDARD"
NODE_ROOT_DEVICE = "/dev/xvda"  # root device of the EKS-optimized AL2023 AMIs
NODE_VOLUME_GIB = 50
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly")
# STANDARD: the cluster is upgraded at the end of standard support instead of silently paying for
# extended support (https://docs.aws.amazon.com/eks/latest/userguide/view-upgrade-policy.html).
UPGRADE_SUPPORT_TYPE = "STANDARD"
VPC_CNI, KUBE_PROXY, COREDNS = "vpc-cni", "kube-proxy", "coredns"
POD_IDENTITY_AGENT = "eks-pod-identity-agent"
METRICS_SERVER = "metrics-server"
# The node networking add-ons exist before the nodes (a node is Ready only with its CNI, and the
# network-policy agent must run before the first pod); the rest run on the nodes, so they wait for them.
NETWORK_ADDONS = (VPC_CNI, KUBE_PROXY)
NODE_ADDONS = (COREDNS, POD_IDENTITY_AGENT, METRICS_SERVER)
# The VPC CNI enforces NetworkPolicy only with its network-policy agent on
# (https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html); "strict" mode
# would block every pod until a policy admits it, the default lets each pod start with its policies.
ADDON_CONFIGURATION = {VPC_CNI: {"enableNetworkPolicy": "true"}}
# EKS access policies (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "AmazonEKSViewPolicy"
DEPLOYER = "deployer"  # the access entry of platform:deployer.aws_role_arn
# Cluster Autoscaler (https://github.com/kubernetes/autoscaler/blob/master/cluster-autoscaler/cloudprovider/aws/README.md):
# EKS tags a managed node group's Auto Scaling group with `k8s.io/cluster-autoscaler/enabled` and
# `k8s.io/cluster-autoscaler/<cluster>` (https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html),
# which is what its auto-discovery and its IAM condition use.
AUTOSCALER_NAMESPACE = "kube-system"
AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
AUTOSCALER_CHART = "cluster-autoscaler"
AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler"
AUTOSCALER_DESCRIBE_ACTIONS = (
    "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
    "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
    "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
    "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements", "eks:DescribeNodegroup",
)
AUTOSCALER_SCALE_ACTIONS = ("autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup")


def kubeconfig(cluster_name: pulumi.Input[str], endpoint: pulumi.Input[str], ca_data: pulumi.Input[str],
               region: str) -> pulumi.Output[str]:
    """A kubeconfig that holds no credential: `aws eks get-token` mints a short-lived token per call."""

    def render(args: list[str]) -> str:
        name, server, ca = args
        return json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": name,
            "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "users": [{"name": name, "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": "aws",
                "args": ["eks", "get-token", "--cluster-name", name, "--region", region, "--output", "json"],
                "interactiveMode": "Never",
            }}}],
        }, indent=1)

    return pulumi.Output.secret(pulumi.Output.all(cluster_name, endpoint, ca_data).apply(render))


@dataclass(frozen=True)
class ClusterArgs:
    ctx: AwsContext
    cluster_name: str                        # EKS's name: `<environment>-<cell>` (unique per account and region)
    kubernetes_version: str                  # picks the pinned add-on and autoscaler versions (settings.py)
    subnet_ids: tuple[pulumi.Input[str], ...]  # the private subnets (control-plane ENIs and nodes)
    key_arn: pulumi.Input[str]               # secrets envelope encryption, node volumes, control-plane logs
    api_allowed_cidrs: tuple[str, ...]       # public API endpoint from these only; empty: private only
    min_nodes: int
    max_nodes: int
    labels: Mapping[str, str]
    node_size: str = "medium"                # config.NODE_SIZES                # the cell's labels, also on the instances, volumes and ENIs
    # (what, IAM role ARN) granted cluster-admin / read-only by EKS access entries (the deployer first,
    # then the operators; the read-only role of the credentialed PR preview).
    admins: tuple[tuple[str, str], ...] = ()
    viewers: tuple[tuple[str, str], ...] = ()


class Cluster(Piece):
    TYPE = "platform:aws:Cluster"
    cluster: aws.eks.Cluster
    node_group: aws.eks.NodeGroup
    addons: dict[str, aws.eks.Addon]
    access: list[aws.eks.AccessPolicyAssociation]
    security_group_id: pulumi.Output[str]
    autoscaling_group_name: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, cluster_name, kubernetes_version = args.ctx, args.cluster_name, args.kubernetes_version
        subnet_ids, key_arn, api_allowed_cidrs = args.subnet_ids, args.key_arn, args.api_allowed_cidrs
        labels, admins, viewers, account = args.labels, args.admins, args.viewers, ctx.account
        child = ctx.opts(self)
        versions = settings.addon_versions(kubernetes_version)

        role = aws.iam.Role(
            f"{name}-cluster", description=f"EKS control plane of {cluster_name}",
            assume_role_policy=iam.document([{
                "Effect": "Allow", "Principal": {"Service": account.service("eks")},
                "Action": ["sts:AssumeRole", "sts:TagSession"]}]),
            opts=child)
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster", role=role.name, policy_arn=account.managed_policy("AmazonEKSClusterPolicy"),
            opts=child)
        # EKS encrypts and decrypts the secrets' data keys as the cluster role; the key policy
        # delegates to IAM, so this statement is what lets it (and nothing else).
        secrets_key = aws.iam.RolePolicy(f"{name}-cluster-secrets-key", role=role.id, policy=iam.document([{
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
            "Resource": key_arn,
        }]), opts=child)

        logs = aws.cloudwatch.LogGroup(
            f"{name}-control-plane", name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=LOG_RETENTION_DAYS, kms_key_id=key_arn, opts=child)

        public = bool(api_allowed_cidrs)
        self.cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=cluster_name,
            version=kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(api_allowed_cidrs) if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key_arn),
            ),
            enabled_cluster_log_types=list(LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                # With a configured deployer, its explicit access entry below is the admin: a bootstrap
                # entry for the same role would make that entry fail (ResourceInUseException).
                bootstrap_cluster_creator_admin_permissions=DEPLOYER not in dict(admins),
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=UPGRADE_SUPPORT_TYPE),
            deletion_protection=ctx.protect,
            opts=ctx.opts(self, stateful=True, depends_on=[cluster_policy, secrets_key, logs]),
        )
        # EKS puts this group on the control-plane ENIs and on every managed node: the load
        # balancer's rule to reach the NodePort is added to it.
        self.security_group_id = self.cluster.vpc_config.apply(lambda c: c.cluster_security_group_id)

        # Who reaches the Kubernetes API, all by EKS access entries (no aws-auth ConfigMap). Break-glass:
        # entries are managed through the EKS API, not inside the cluster, so any principal with
        # eks:CreateAccessEntry + eks:AssociateAccessPolicy on this cluster (the account's break-glass role)
        # can grant itself access even when every in-cluster credential is lost (README).
        self.access = []
        for grants, policy in ((admins, CLUSTER_ADMIN_POLICY), (viewers, VIEW_POLICY)):
            for what, arn in grants:
                entry = aws.eks.AccessEntry(f"{name}-{what}", cluster_name=self.cluster.name, principal_arn=arn,
                                            type="STANDARD", opts=child)
                self.access.append(aws.eks.AccessPolicyAssociation(
                    f"{name}-{what}", cluster_name=self.cluster.name, principal_arn=entry.principal_arn,
                    policy_arn=account.partition.apply(lambda p, pol=policy: f"arn:{p}:eks::aws:cluster-access-policy/{pol}"),
                    access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"), opts=child))

        self.addons = {}
        for addon in NETWORK_ADDONS:
            self.addons[addon] = self._addon(name, addon, versions[addon], child, [])

        node_role = aws.iam.Role(
            f"{name}-nodes", description=f"Nodes of {cluster_name}",
            assume_role_policy=iam.document([{
                "Effect": "Allow", "Principal": {"Service": account.service("ec2")},
                "Action": ["sts:AssumeRole"]}]),
            opts=child)
        attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-nodes-{policy}", role=node_role.name,
                                         policy_arn=account.managed_policy(policy), opts=child)
            for policy in NODE_POLICIES
        ]

        template = aws.ec2.LaunchTemplate(
            f"{name}-nodes",
            description=f"Nodes of {cluster_name}: IMDSv2 only, encrypted root volume",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                instance_metadata_tags="disabled"),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=NODE_ROOT_DEVICE,
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=NODE_VOLUME_GIB, volume_type="gp3", encrypted="true", kms_key_id=key_arn,
                    delete_on_termination="true"),
            )],
            # The instances, volumes and interfaces the node group launches carry the cell's labels too.
            tag_specifications=[aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=t, tags=dict(labels))
                                for t in ("instance", "volume", "network-interface")],
            opts=child)

        self.node_group = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=self.cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=list(subnet_ids),
            ami_type=NODE_AMI_TYPE,
            capacity_type="ON_DEMAND",
            instance_types=[NODE_INSTANCE_TYPES[args.node_size]],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.min_nodes, max_size=args.max_nodes, desired_size=args.min_nodes),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            # The Cluster Autoscaler owns the desired size once the group exists.
            opts=ctx.opts(self, depends_on=[*attachments, *self.addons.values()],
                          ignore_changes=["scalingConfig.desiredSize"]),
        )
        self.autoscaling_group_name = self.node_group.resources.apply(_autoscaling_group_name)

        # Add-ons that run on the nodes (so they wait for them): CoreDNS, the agent that hands Pod Identity
        # credentials to pods, and metrics-server, without which the workload's HPA never scales
        # (EKS, unlike GKE and AKS, ships no metrics pipeline by default).
        for addon in NODE_ADDONS:
            self.addons[addon] = self._addon(name, addon, versions[addon], child, [self.node_group])

        # The kubeconfig resolves only once the admin access entries exist: everything created through
        # the Kubernetes API (the autoscaler below, the workload) waits for the deployer's access.
        self.kubeconfig = kubeconfig(
            pulumi.Output.all(self.cluster.name, *[a.id for a in self.access]).apply(lambda a: a[0]),
            self.cluster.endpoint, self.cluster.certificate_authority.apply(lambda c: c.data), account.region)

        self.autoscaler = self._autoscaler(name, cluster_name, kubernetes_version, account, child)
        self.register_outputs({"cluster_name": self.cluster.name, "kubeconfig": self.kubeconfig})

    def _addon(self, name: str, addon: str, version: str, child: pulumi.ResourceOptions,
               after: list) -> aws.eks.Addon:
        config = ADDON_CONFIGURATION.get(addon)
        return aws.eks.Addon(
            f"{name}-{addon}", cluster_name=self.cluster.name, addon_name=addon, addon_version=version,
            configuration_values=json.dumps(config) if config else None,
            # EKS installs vpc-cni, kube-proxy and CoreDNS itself: the managed add-on takes them over.
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=after)))

    def _autoscaler(self, name: str, cluster_name: str, kubernetes_version: str, account: iam.AccountContext,
                    child: pulumi.ResourceOptions) -> k8s.helm.v3.Release:
        """Cluster Autoscaler on the managed node group (min..max nodes), with its own Pod Identity role
        that may only resize this cluster's groups (the `k8s.io/cluster-autoscaler/<cluster>` tag)."""
        from .identity import pod_identity_trust

        role = aws.iam.Role(
            f"{name}-autoscaler", description=f"Cluster Autoscaler of {cluster_name}",
            assume_role_policy=pod_identity_trust(account, self.cluster.arn, AUTOSCALER_NAMESPACE,
                                                  AUTOSCALER_SERVICE_ACCOUNT),
            max_session_duration=3600, opts=child)
        policy = aws.iam.RolePolicy(f"{name}-autoscaler", role=role.id, policy=iam.document([
            {"Sid": "DiscoverGroups", "Effect": "Allow", "Action": list(AUTOSCALER_DESCRIBE_ACTIONS), "Resource": "*"},
            {"Sid": "ResizeOnlyThisClustersGroups", "Effect": "Allow", "Action": list(AUTOSCALER_SCALE_ACTIONS),
             "Resource": "*",
             "Condition": {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}}},
        ]), opts=child)
        association = aws.eks.PodIdentityAssociation(
            f"{name}-autoscaler", cluster_name=self.cluster.name, namespace=AUTOSCALER_NAMESPACE,
            service_account=AUTOSCALER_SERVICE_ACCOUNT, role_arn=role.arn, opts=child)
        chart_version, image_tag = settings.autoscaler_release(kubernetes_version)
        k8s_provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig,
            cluster_identifier=pulumi.Output.concat("aws/", account.region, "/", self.cluster.name),
            opts=pulumi.ResourceOptions(parent=self))
        return k8s.helm.v3.Release(
            f"{name}-autoscaler", name=AUTOSCALER_CHART, chart=AUTOSCALER_CHART, version=chart_version,
            namespace=AUTOSCALER_NAMESPACE,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=AUTOSCALER_REPO),
            values={
                "cloudProvider": "aws", "awsRegion": account.region,
                "autoDiscovery": {"clusterName": cluster_name},
                "image": {"tag": image_tag},
                "rbac": {"serviceAccount": {"create": True, "name": AUTOSCALER_SERVICE_ACCOUNT}},
                "extraArgs": {"balance-similar-node-groups": True, "expander": "least-waste",
                              "skip-nodes-with-system-pods": False},
            },
            # Pods start with credentials: the association, the agent and the nodes exist first.
            opts=pulumi.ResourceOptions(parent=self, provider=k8s_provider, depends_on=[
                policy, association, self.node_group, self.addons[POD_IDENTITY_AGENT], self.addons[COREDNS]]))


def _autoscaling_group_name(resources) -> str:
    groups = [g.name for r in (resources or []) for g in (r.autoscaling_groups or []) if g.name]
    if not groups:
        raise RuntimeError("EKS reported no autoscaling group for the node group; the load balancer has no targets")
    return groups[0]
