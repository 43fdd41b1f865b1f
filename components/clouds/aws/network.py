"""The cell's VPC: public subnets for the ALB and NAT, private subnets for the EKS nodes.

Layout of `network_cidr` (a /16 in the stacks; anything from /16 to /20 works):
the first quarter-blocks are the private subnets, one per AZ (the VPC CNI gives every
pod a VPC address, so they are large), and the last quarter is cut into small public
subnets that only hold load balancer and NAT interfaces. The CIDRs are computed here,
not by AWS, so they are plain values at preview time: the workload's NetworkPolicy
admits exactly the public subnets (where the ALB's interfaces live).

Availability zones come from the `getAvailabilityZones` invoke of the cell's provider
(zones that need no opt-in: no Local/Wavelength zones), never from a hard-coded list.
Each private subnet routes out through the NAT gateway of its own AZ, so losing an AZ
does not take the other AZ's egress with it.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from ...contract import Piece
from ...core.config import ConfigError
from . import iam
from .context import AwsContext

# Zones per cell: the ALB needs subnets in at least two AZs; two keeps NAT cost down.
AZ_COUNT = 2
FLOW_LOG_RETENTION_DAYS = 365


@dataclass(frozen=True)
class SubnetPlan:
    private: tuple[str, ...]
    public: tuple[str, ...]


def plan_subnets(cell: str, network_cidr: str, az_count: int = AZ_COUNT) -> SubnetPlan:
    """Private subnets: the first `az_count` quarters of the VPC; public: small slices of the last quarter."""
    try:
        net = ipaddress.ip_network(network_cidr)
    except ValueError:
        raise ConfigError(f"cell {cell!r}: platform:cells[].network_cidr = {network_cidr!r}: "
                          "not an IPv4 CIDR; allowed: a private range from /16 to /20, e.g. 10.10.0.0/16") from None
    if net.version != 4 or not net.is_private or not 16 <= net.prefixlen <= 20:
        raise ConfigError(f"cell {cell!r}: platform:cells[].network_cidr = {network_cidr!r}: "
                          "allowed: a private IPv4 range from /16 to /20 (RFC 1918), e.g. 10.10.0.0/16")
    quarters = list(net.subnets(prefixlen_diff=2))
    public_block = quarters[-1]
    # /24 in a /16, never smaller than /26: an ALB needs at least 8 free addresses per subnet.
    public = list(public_block.subnets(new_prefix=min(net.prefixlen + 8, 26)))
    return SubnetPlan(private=tuple(str(q) for q in quarters[:az_count]),
                      public=tuple(str(p) for p in public[:az_count]))


def _pick_zone(names: list[str], index: int, region: str) -> str:
    if len(names) < AZ_COUNT:
        raise RuntimeError(f"region {region}: {len(names)} availability zone(s) available without opt-in, "
                           f"the cell needs {AZ_COUNT} (the ALB spans two zones)")
    return names[index]


@dataclass(frozen=True)
class NetworkArgs:
    ctx: AwsContext
    network_cidr: str               # the cell's VPC (plan_subnets cuts it)
    cluster_name: str               # subnets carry its `kubernetes.io/cluster/<name>` tag
    key_arn: pulumi.Input[str]      # encrypts the flow-log group


class Network(Piece):
    TYPE = "platform:aws:Network"
    vpc: aws.ec2.Vpc
    private_subnets: list[aws.ec2.Subnet]
    public_subnets: list[aws.ec2.Subnet]
    plan: SubnetPlan

    def __init__(self, name: str, args: NetworkArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, network_cidr, cluster_name, key_arn = args.ctx, args.network_cidr, args.cluster_name, args.key_arn
        account = ctx.account
        child = ctx.opts(self)
        self.plan = plan_subnets(name, network_cidr)

        zones = aws.get_availability_zones_output(
            state="available",
            filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
            opts=ctx.invoke(self),
        )

        self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=network_cidr, enable_dns_support=True,
                               enable_dns_hostnames=True, opts=child)
        # The default security group admits all traffic between its members; strip its rules so
        # nothing that forgets to name a group is reachable (CIS AWS 5.4).
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[], opts=child)

        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, opts=child)
        public_rt = aws.ec2.RouteTable(f"{name}-public", vpc_id=self.vpc.id, opts=child)
        aws.ec2.Route(f"{name}-public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=igw.id, opts=child)

        cluster_tag = {f"kubernetes.io/cluster/{cluster_name}": "shared"}
        self.public_subnets, self.private_subnets, private_rts = [], [], []
        for i in range(AZ_COUNT):
            az = zones.names.apply(lambda names, i=i: _pick_zone(names, i, account.region))
            public = aws.ec2.Subnet(
                f"{name}-public-{i}", vpc_id=self.vpc.id, cidr_block=self.plan.public[i], availability_zone=az,
                # Nothing launched here gets a public address by accident: the ALB and the NAT
                # gateway's Elastic IP are the only public faces of the cell.
                map_public_ip_on_launch=False,
                tags={**cluster_tag, "kubernetes.io/role/elb": "1", "tier": "public"}, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-public-{i}", subnet_id=public.id, route_table_id=public_rt.id,
                                          opts=child)
            eip = aws.ec2.Eip(f"{name}-nat-{i}", domain="vpc", opts=child)
            nat = aws.ec2.NatGateway(f"{name}-nat-{i}", allocation_id=eip.allocation_id, subnet_id=public.id,
                                     connectivity_type="public",
                                     opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[igw])))

            private = aws.ec2.Subnet(
                f"{name}-private-{i}", vpc_id=self.vpc.id, cidr_block=self.plan.private[i], availability_zone=az,
                map_public_ip_on_launch=False,
                tags={**cluster_tag, "kubernetes.io/role/internal-elb": "1", "tier": "private"}, opts=child)
            rt = aws.ec2.RouteTable(f"{name}-private-{i}", vpc_id=self.vpc.id, opts=child)
            aws.ec2.Route(f"{name}-private-{i}-default", route_table_id=rt.id, destination_cidr_block="0.0.0.0/0",
                          nat_gateway_id=nat.id, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{i}", subnet_id=private.id, route_table_id=rt.id,
                                          opts=child)
            self.public_subnets.append(public)
            self.private_subnets.append(private)
            private_rts.append(rt)

        # Bucket and ECR layer traffic from the nodes stays on the AWS network (and off the NAT bill).
        aws.ec2.VpcEndpoint(f"{name}-s3", vpc_id=self.vpc.id, vpc_endpoint_type="Gateway",
                            service_name=f"com.amazonaws.{account.region}.s3",
                            route_table_ids=[rt.id for rt in private_rts], opts=child)

        self._flow_logs(name, account, key_arn, child)
        self.register_outputs({"vpc_id": self.vpc.id})

    def _flow_logs(self, name: str, account: iam.AccountContext, key_arn: pulumi.Input[str],
                   child: pulumi.ResourceOptions) -> None:
        """Every accepted and rejected flow of the VPC, into a KMS-encrypted log group kept a year."""
        group = aws.cloudwatch.LogGroup(f"{name}-flow-logs", retention_in_days=FLOW_LOG_RETENTION_DAYS,
                                        kms_key_id=key_arn, opts=child)
        role = aws.iam.Role(
            f"{name}-flow-logs",
            description=f"VPC flow logs of cell {name} -> CloudWatch Logs",
            assume_role_policy=iam.assume_role_by_service(account.service("vpc-flow-logs"), account.account_id),
            opts=child)
        aws.iam.RolePolicy(f"{name}-flow-logs", role=role.id, policy=iam.document([{
            "Sid": "WriteTheCellsFlowLogGroup",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [group.arn, group.arn.apply(lambda a: f"{a}:*")],
        }, {
            # DescribeLogGroups supports no resource-level scoping (IAM: resource type "*" only).
            "Sid": "ListLogGroups",
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": "*",
        }]), opts=child)
        aws.ec2.FlowLog(f"{name}-flow-logs", vpc_id=self.vpc.id, traffic_type="ALL",
                        log_destination_type="cloud-watch-logs", log_destination=group.arn,
                        iam_role_arn=role.arn, max_aggregation_interval=60, opts=child)
