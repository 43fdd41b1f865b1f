"""A web server in the account's default VPC: AMI, VPC, subnet and zone lookups, outputs in strings."""
import pulumi
import pulumi_aws as aws

config = pulumi.Config()
size = config.get("instanceType") or "t3.micro"

ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"],
                      filters=[aws.ec2.GetAmiFilterArgs(name="name", values=["al2023-ami-2023.*-x86_64"])])
default_vpc = aws.ec2.get_vpc(default=True)
subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [default_vpc.id]}])
zones = aws.get_availability_zones(state="available")

group = aws.ec2.SecurityGroup(
    "web",
    vpc_id=default_vpc.id,
    description=f"HTTP into {default_vpc.cidr_block}",
    ingress=[{"protocol": "tcp", "from_port": 80, "to_port": 80, "cidr_blocks": ["0.0.0.0/0"]}],
    egress=[{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": ["0.0.0.0/0"]}],
)
server = aws.ec2.Instance(
    "web",
    ami=ami.id,
    instance_type=size,
    subnet_id=subnets.ids[0],
    availability_zone=zones.names[0],
    vpc_security_group_ids=[group.id],
    user_data="#!/bin/bash\necho hello > index.html\nnohup python3 -m http.server 80 &\n",
    tags={"Name": "web", "Zone": zones.names[0]},
)
eip = aws.ec2.Eip("web", instance=server.id, domain="vpc")

pulumi.export("ami", ami.id)
pulumi.export("url", pulumi.Output.concat("http://", eip.public_ip, "/"))
pulumi.export("hostname", server.public_dns.apply(lambda dns: f"{dns}".upper()))
pulumi.export("summary", pulumi.Output.all(server.id, server.arn).apply(lambda v: f"{v[0]} is {v[1]}"))
