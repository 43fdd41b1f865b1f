"""Two stacks of one project: `network` exports a VPC from a component; `app` reads it by StackReference."""
import pulumi
import pulumi_aws as aws


class Network(pulumi.ComponentResource):
    def __init__(self, name: str, cidr: str, opts: pulumi.ResourceOptions = None):
        super().__init__("corpus:network:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.vpc = aws.ec2.Vpc(name, cidr_block=cidr, enable_dns_hostnames=True, opts=child)
        self.subnets = [aws.ec2.Subnet(f"{name}-{i}", vpc_id=self.vpc.id, cidr_block=f"10.1.{i}.0/24", opts=child)
                        for i in range(2)]
        self.register_outputs({"vpc_id": self.vpc.id})


if pulumi.get_stack() == "network":
    net = Network("main", "10.1.0.0/16")
    pulumi.export("vpc_id", net.vpc.id)
    pulumi.export("subnet_ids", [s.id for s in net.subnets])
else:
    ref = pulumi.StackReference(f"{pulumi.get_organization()}/{pulumi.get_project()}/network")
    vpc_id = ref.get_output("vpc_id")
    subnet_ids = ref.require_output("subnet_ids")
    group = aws.ec2.SecurityGroup("app", vpc_id=vpc_id, description="app")
    aws.lb.LoadBalancer("app", load_balancer_type="application", security_groups=[group.id],
                        subnets=subnet_ids)
    pulumi.export("vpc", vpc_id.apply(lambda v: f"app in {v}"))
