"""`AwsCell`: one AWS region's cell (network, key, bucket, EKS, ALB, workload identity).

Everything is created with the cell's own `aws.Provider` (a child of the cell, pinned to
the cell's region), so two AWS cells in one stack never share a region by accident;
only the certificate-validation records go through the stack's `DnsValidator` (its one
us-east-1 provider: Route 53 is a global service). Stateful resources (key, buckets, cluster) get
`protect=spec.protect` (prod) inside their pieces; EKS and the ALB also get AWS-side
deletion protection there.

`bucket.geo_redundant` adds a second provider, pinned to the nearest other AWS region of the
cell's zone, for the model bucket's replica and its key (`replication.py`); a zone with no
second AWS region is a ConfigError before anything of the cell is registered.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

import pulumi
import pulumi_aws as aws

from ...contract import NODE_PORT, AliasTarget, CellComponent, CellOutputs, CellSpec, WorkloadExposure
from ...core.config import ConfigError
from ...tags import standard_labels
from . import iam
from .bucket import SecureBucket, SecureBucketArgs
from .cluster import COREDNS, POD_IDENTITY_AGENT, VPC_CNI, Cluster, ClusterArgs
from .context import AwsContext
from .edge_guard import EdgeGuard, EdgeGuardArgs
from .identity import WorkloadIdentity, WorkloadIdentityArgs, pod_identity
from .key import CellKey, CellKeyArgs, autoscaling_service_role, stack_autoscaling_service_role
from .loadbalancer import DRAIN_SECONDS, LoadBalancer, LoadBalancerArgs
from .network import Network, NetworkArgs
from .observability import Observability, ObservabilityArgs
from .replication import ModelReplication, ModelReplicationArgs, replica_region


class AwsCell(CellComponent):
    def __init__(self, spec: CellSpec, opts: Optional[pulumi.ResourceOptions] = None):
        if spec.cloud != "aws":
            raise ValueError(f"cell {spec.name!r}: AwsCell builds aws cells, not {spec.cloud!r}")
        if not spec.hostname or spec.dns_validator is None:
            # Checked before anything is registered: an ALB without a certificate would serve plain HTTP.
            raise ConfigError(
                f"cell {spec.name!r}: platform:dns: missing; an aws cell serves HTTPS only and needs "
                f"platform:dns.domain (its certificate is for {spec.name}.<domain>, validated in that zone)")
        # From config, the spec carries the region chosen within platform:zones.<zone>.regions.
        replica = (spec.replica_region or replica_region(pulumi.get_stack(), spec.name, spec.region, spec.residency)
                   if spec.geo_redundant else None)
        super().__init__("platform:aws:Cell", spec, opts)
        name = spec.name

        provider = aws.Provider(f"{name}-aws", region=spec.region, opts=self.child())
        invoke = pulumi.InvokeOutputOptions(provider=provider, parent=self)
        caller = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke)
        account = iam.AccountContext(account_id=caller.account_id, partition=partition.partition,
                                     region=spec.region, dns_suffix=partition.dns_suffix)
        ctx = AwsContext(provider=provider, account=account, protect=spec.protect)
        # Unique per account and region even when a dev and a prod stack share an account.
        cluster_name = f"{spec.environment}-{name}"

        # The key policy names EC2 Auto Scaling's service-linked role (node volumes): it must exist first.
        # The stack's first aws cell creates it (one per account); the others wait for that one.
        slr = (autoscaling_service_role(name, opts=self.child(pulumi.ResourceOptions(provider=provider)))
               if spec.aws_account_roles else stack_autoscaling_service_role())
        account_roles = (slr,) if slr is not None else ()
        key = CellKey(name, CellKeyArgs(ctx, alias_name=f"alias/{spec.environment}/{name}", depends_on=account_roles),
                      opts=self.child())
        key_arn = key.key.arn

        network = Network(name, NetworkArgs(ctx, network_cidr=spec.network_cidr, cluster_name=cluster_name,
                                            key_arn=key_arn), opts=self.child())

        models = SecureBucket(f"{name}-models", SecureBucketArgs(
            ctx, kms_key_arn=key_arn, noncurrent_version_days=spec.noncurrent_version_days,
            # platform:teardown destroyable: `destroy` empties the versioned bucket (README "Teardown").
            force_destroy=not spec.protect), opts=self.child())
        if replica is not None:
            replica_ctx = AwsContext(
                provider=aws.Provider(f"{name}-replica-aws", region=replica, opts=self.child()),
                account=dataclasses.replace(account, region=replica), protect=spec.protect)
            ModelReplication(name, ModelReplicationArgs(
                ctx, replica_ctx, source=models, source_key_arn=key_arn,
                alias_name=f"alias/{spec.environment}/{name}-replica",
                noncurrent_version_days=spec.noncurrent_version_days), opts=self.child())

        private_subnet_ids = tuple(s.id for s in network.private_subnets)
        cluster = Cluster(name, ClusterArgs(
            ctx, cluster_name=cluster_name, kubernetes_version=spec.kubernetes_version,
            subnet_ids=private_subnet_ids, key_arn=key_arn, api_allowed_cidrs=tuple(spec.api_allowed_cidrs),
            min_nodes=spec.min_nodes, max_nodes=spec.max_nodes, node_size=spec.node_size,
            labels=standard_labels(spec.environment, spec.residency, name),
            admins=tuple(_admins(spec)), viewers=tuple(_viewers(spec))), opts=self.child())

        identity = WorkloadIdentity(name, WorkloadIdentityArgs(
            ctx, cluster=cluster.cluster, bucket_arn=models.bucket.arn, key_arn=key_arn), opts=self.child())

        lb = LoadBalancer(name, LoadBalancerArgs(
            ctx, vpc_id=network.vpc.id, public_subnet_ids=tuple(s.id for s in network.public_subnets),
            node_security_group_id=cluster.security_group_id,
            autoscaling_group_name=cluster.autoscaling_group_name, hostname=spec.hostname, domain=spec.public_name,
            validator=spec.dns_validator, health_path=spec.health_path, key_arn=key_arn,
            alarm_email=spec.alarm_email), opts=self.child())

        # Metrics and SLO alerts in the cell's region (observability.py).
        self.metrics = Observability(name, ObservabilityArgs(
            ctx, environment=spec.environment, cluster=cluster.cluster, subnet_ids=private_subnet_ids,
            security_group_id=cluster.security_group_id, private_cidrs=tuple(network.plan.private), key_arn=key_arn,
            slo=spec.slo, alert_emails=tuple(spec.alert_emails)), opts=self.child())
        self.metrics_scrape = self.metrics.scrape
        if spec.edge_guard is not None:  # the WAF in front of the ALB
            EdgeGuard(name, EdgeGuardArgs(ctx, spec.edge_guard, lb.alb.arn, spec.environment), opts=self.child())

        self.finish(
            CellOutputs(
                # An ALB has no fixed address: the global layer aliases its hostname.
                endpoint=AliasTarget(hostname=lb.alb.dns_name, zone_id=lb.alb.zone_id),
                health_path=spec.health_path,
                bucket_uri=models.bucket.bucket.apply(lambda b: f"s3://{b}"),
                cluster_name=cluster.cluster.name,
                kubeconfig=cluster.kubeconfig,
                workload_identity=identity.role.arn,
                residency=spec.residency,
                region=spec.region,
                cloud="aws",
                name=name,
            ),
            WorkloadExposure(
                service_type="NodePort",
                node_port=NODE_PORT,
                # Requests and health checks come from the ALB's interfaces in the public subnets (the
                # Service's externalTrafficPolicy Local keeps that source). Kubelet probes come from the
                # node's own IP, which the VPC CNI's network-policy agent always admits
                # (https://github.com/aws/aws-network-policy-agent/pull/65).
                ingress_cidrs=network.plan.public,
                drain_seconds=DRAIN_SECONDS,
                # The first pod needs a node, its CNI (with the network-policy agent), DNS, the Pod
                # Identity agent and its association: without them it starts without credentials
                # (IMDS hop limit 1 leaves it no fallback) or without enforced policies.
                wait_for=(cluster.node_group, cluster.addons[VPC_CNI], cluster.addons[COREDNS],
                          cluster.addons[POD_IDENTITY_AGENT], identity.association),
            ),
            pod_identity(identity.role.arn),
        )


def _admins(spec: CellSpec) -> list[tuple[str, str]]:
    """Cluster-admin access entries: the deployer (the same `up` creates the workload through the API),
    then the operators' role (platform:access.aws_operators_role_arn)."""
    admins = []
    if spec.deployer and spec.deployer.aws_role_arn:
        admins.append(("deployer", spec.deployer.aws_role_arn))
    if spec.access and spec.access.aws_operators_role_arn and spec.access.aws_operators_role_arn not in dict(
            admins).values():  # one access entry per principal (EKS refuses a second)
        admins.append(("operators", spec.access.aws_operators_role_arn))
    return admins


def _viewers(spec: CellSpec) -> list[tuple[str, str]]:
    """Read-only access entries: the credentialed PR preview's role (platform:access.aws_readonly_role_arn)."""
    return [("readonly", spec.access.aws_readonly_role_arn)] if spec.access and spec.access.aws_readonly_role_arn else []
