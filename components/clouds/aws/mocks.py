"""Mocks for the AWS regional cell: what EC2, KMS, S3, IAM, EKS, ELBv2, ACM and Route 53 return.

Ids, ARNs and endpoints follow the real formats (`vpc-0…`, `arn:aws:kms:<region>:<account>:key/<uuid>`,
`<name>-<n>.<region>.elb.amazonaws.com`, …) and are stable run to run (hashed from the
stack, the region and the resource name). Pulumi's auto-naming happens in the real
provider, not in the engine, so the mocks apply it (`<name>-<7 hex>`) where a name is
an output the program reads.
"""
from __future__ import annotations

import base64
import re
from typing import Optional

from offline.mocks.registry import AWS_ACCOUNT_ID, MockContext, invoke, resource, stable_hex, stable_uuid


def aws_region(ctx: MockContext, inputs: Optional[dict] = None) -> str:
    """The region a resource is in: its `region` input (provider v7), its provider's, `aws:region`."""
    return ctx.provider_setting(inputs, "region", "aws:region", "us-east-1")

PARTITION = "aws"

# ELB's Route 53 hosted zone for ALBs, and its log-delivery account, by region
# (https://docs.aws.amazon.com/general/latest/gr/elb.html, ALB "Enable access logs").
ALB_HOSTED_ZONES = {
    "us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5", "ca-central-1": "ZQSVJUPU6J1EY", "eu-west-1": "Z32O12XQLNTSW2",
    "eu-west-2": "ZHURV8PSTC4K8", "eu-west-3": "Z3Q77PNBQS71R4", "eu-central-1": "Z215JYRZR1TBD5",
    "eu-central-2": "Z06391101F2ZOEP8P5EB3", "eu-north-1": "Z23TAZ6LKFMNIO", "eu-south-1": "Z3ULH7SSC9OV64",
    "eu-south-2": "Z0956581394HF5D5LXGAP", "ap-south-1": "ZP97RAFLXTNZK", "ap-south-2": "Z0173938T07WNTVAEPZN",
    "ap-southeast-1": "Z1LMS91P8CMLE5", "ap-southeast-2": "Z1GM3OXH4ZPM65", "ap-northeast-1": "Z14GRHDCWA56QT",
    "ap-northeast-2": "ZWKZPGTI48KDX", "ap-east-1": "Z3DQVH9N71FHZ0", "sa-east-1": "Z2P70J7HTTTPLU",
    "me-central-1": "Z08230872XQRWHG2XF6I", "af-south-1": "Z268VQBMOI5EKX",
}
ELB_LOG_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "ca-central-1": "985666609251", "eu-west-1": "156460612806",
    "eu-west-2": "652711504416", "eu-west-3": "009996457667", "eu-central-1": "054676820928",
    "eu-north-1": "897822967062", "eu-south-1": "635631232127", "ap-south-1": "718504428378",
    "ap-southeast-1": "114774131450", "ap-southeast-2": "783225319266", "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887", "ap-east-1": "754344448648", "sa-east-1": "507241528517",
    "af-south-1": "098369216593",
}
# S3 website/alias hosted zones are not needed; bucket `hostedZoneId` is the S3 zone of the region
# (the cells' regions and every region an in-zone replica may land in: zones us, eu, in).
S3_HOSTED_ZONES = {"us-west-2": "Z3BJ6K6RIION7M", "us-east-1": "Z3AQBSTGFYJSTF", "eu-central-1": "Z21DNDUVLTQW6Q",
                   "eu-west-1": "Z1BKCTXD74EZPE", "ap-south-1": "Z11RGJOFQNVJUP", "us-east-2": "Z2O1EMRO9K5GLX",
                   "us-west-1": "Z2F56UZL2M1ACD", "eu-west-3": "Z3R1K369G5AVDG", "eu-north-1": "Z3BAZG2TWCNX0D",
                   "eu-south-1": "Z30OZKI7KPW7MI", "eu-south-2": "Z0081959F7139GRJC19J",
                   "ap-south-2": "Z02976202B4EZMXIPMXF7"}


# Subnet id -> VPC id, so that resources placed in subnets report the VPC those subnets belong to.
_SUBNET_VPC: dict[str, str] = {}


def _vpc_of(subnet_ids) -> str:
    return next((_SUBNET_VPC[s] for s in subnet_ids or [] if s in _SUBNET_VPC), "")


def _hex(ctx: MockContext, name: str, n: int = 17) -> str:
    return stable_hex(ctx.stack, ctx.type_, name, n=n)


def _autoname(ctx: MockContext, name: str, inputs: dict, key: str = "name", maxlen: int = 0) -> str:
    """Pulumi auto-naming: `<logical name>-<7 hex>`, the prefix cut when the service limits the length."""
    if inputs.get(key):
        return inputs[key]
    suffix = _hex(ctx, name, 7)
    prefix = name if not maxlen else name[: maxlen - 8]
    return f"{prefix}-{suffix}"


def _arn(ctx: MockContext, service: str, resource_: str, inputs: dict, region: bool = True) -> str:
    return f"arn:{PARTITION}:{service}:{aws_region(ctx, inputs) if region else ''}:{AWS_ACCOUNT_ID}:{resource_}"


def _ec2(prefix: str, resource_type: str):
    """Plain EC2 objects: `<prefix>-0<16 hex>` ids and `…:<type>/<id>` ARNs."""

    def mock(ctx: MockContext, name: str, inputs: dict):
        rid = f"{prefix}-0{_hex(ctx, name, 16)}"
        out = {**inputs, "id": rid, "ownerId": AWS_ACCOUNT_ID, "tagsAll": inputs.get("tags") or {}}
        if resource_type:
            out["arn"] = _arn(ctx, "ec2", f"{resource_type}/{rid}", inputs)
        return rid, out

    return mock


for _type, _prefix, _kind in (
    ("aws:ec2/internetGateway:InternetGateway", "igw", "internet-gateway"),
    ("aws:ec2/routeTable:RouteTable", "rtb", "route-table"),
    ("aws:ec2/securityGroup:SecurityGroup", "sg", "security-group"),
    ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "sg", "security-group"),
    ("aws:ec2/flowLog:FlowLog", "fl", "vpc-flow-log"),
    ("aws:ec2/routeTableAssociation:RouteTableAssociation", "rtbassoc", ""),
):
    resource(_type)(_ec2(_prefix, _kind))


@resource("aws:ec2/vpc:Vpc")
def vpc(ctx: MockContext, name: str, inputs: dict):
    rid, out = _ec2("vpc", "vpc")(ctx, name, inputs)
    return rid, {**out, "defaultSecurityGroupId": f"sg-0{_hex(ctx, name + '/sg', 16)}",
                 "mainRouteTableId": f"rtb-0{_hex(ctx, name + '/rtb', 16)}",
                 "defaultNetworkAclId": f"acl-0{_hex(ctx, name + '/acl', 16)}",
                 "defaultRouteTableId": f"rtb-0{_hex(ctx, name + '/rtb', 16)}",
                 "dhcpOptionsId": f"dopt-0{_hex(ctx, name + '/dopt', 16)}", "instanceTenancy": "default"}


@resource("aws:ec2/subnet:Subnet")
def subnet(ctx: MockContext, name: str, inputs: dict):
    rid, out = _ec2("subnet", "subnet")(ctx, name, inputs)
    az = inputs.get("availabilityZone") or f"{aws_region(ctx, inputs)}a"
    _SUBNET_VPC[rid] = inputs.get("vpcId", "")
    return rid, {**out, "availabilityZone": az, "availabilityZoneId": _zone_id(aws_region(ctx, inputs), az)}


@resource("aws:ec2/eip:Eip")
def eip(ctx: MockContext, name: str, inputs: dict):
    alloc = f"eipalloc-0{_hex(ctx, name, 16)}"
    ip = f"198.51.100.{int(_hex(ctx, name, 2), 16) % 250 + 1}"  # TEST-NET-2 (RFC 5737)
    region = aws_region(ctx, inputs)
    return alloc, {**inputs, "id": alloc, "allocationId": alloc, "publicIp": ip, "domain": "vpc",
                   "publicDns": f"ec2-{ip.replace('.', '-')}.{region}.compute.amazonaws.com",
                   "arn": _arn(ctx, "ec2", f"elastic-ip/{alloc}", inputs)}


@resource("aws:ec2/natGateway:NatGateway")
def nat_gateway(ctx: MockContext, name: str, inputs: dict):
    rid = f"nat-0{_hex(ctx, name, 16)}"
    return rid, {**inputs, "id": rid, "networkInterfaceId": f"eni-0{_hex(ctx, name + '/eni', 16)}",
                 "privateIp": "10.0.255.10", "publicIp": f"198.51.100.{int(_hex(ctx, name, 2), 16) % 250 + 1}"}


@resource("aws:ec2/route:Route")
def route(ctx: MockContext, name: str, inputs: dict):
    # The provider's id: r-<route table id><crc32 of the destination>.
    rid = f"r-{inputs.get('routeTableId', 'rtb')}{int(_hex(ctx, name, 8), 16)}"
    return rid, {**inputs, "id": rid, "origin": "CreateRoute", "state": "active"}


@resource("aws:ec2/vpcEndpoint:VpcEndpoint")
def vpc_endpoint(ctx: MockContext, name: str, inputs: dict):
    rid = f"vpce-0{_hex(ctx, name, 16)}"
    return rid, {**inputs, "id": rid, "arn": _arn(ctx, "ec2", f"vpc-endpoint/{rid}", inputs),
                 "prefixListId": f"pl-{_hex(ctx, name, 8)}", "state": "available", "ownerId": AWS_ACCOUNT_ID}


@resource("aws:ec2/launchTemplate:LaunchTemplate")
def launch_template(ctx: MockContext, name: str, inputs: dict):
    rid = f"lt-0{_hex(ctx, name, 16)}"
    return rid, {**inputs, "id": rid, "name": _autoname(ctx, name, inputs),
                 "arn": _arn(ctx, "ec2", f"launch-template/{rid}", inputs),
                 "latestVersion": 1, "defaultVersion": 1}


@resource("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
          "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
def security_group_rule(ctx: MockContext, name: str, inputs: dict):
    rid = f"sgr-0{_hex(ctx, name, 16)}"
    return rid, {**inputs, "id": rid, "securityGroupRuleId": rid,
                 "arn": _arn(ctx, "ec2", f"security-group-rule/{rid}", inputs)}


@resource("aws:cloudwatch/logGroup:LogGroup")
def log_group(ctx: MockContext, name: str, inputs: dict):
    group = _autoname(ctx, name, inputs)
    return group, {**inputs, "name": group, "arn": _arn(ctx, "logs", f"log-group:{group}", inputs),
                   "logGroupClass": "STANDARD"}


# --- IAM (global: no region in the ARN) ---

@resource("aws:iam/role:Role")
def iam_role(ctx: MockContext, name: str, inputs: dict):
    role = _autoname(ctx, name, inputs, maxlen=64)
    path = inputs.get("path") or "/"  # IAM paths start and end with "/"
    return role, {**inputs, "name": role, "arn": f"arn:{PARTITION}:iam::{AWS_ACCOUNT_ID}:role{path}{role}",
                  "uniqueId": "AROA" + _hex(ctx, name, 17).upper(), "path": path,
                  "createDate": "2026-01-01T00:00:00Z", "maxSessionDuration": inputs.get("maxSessionDuration", 3600)}


@resource("aws:iam/rolePolicy:RolePolicy")
def iam_role_policy(ctx: MockContext, name: str, inputs: dict):
    policy = _autoname(ctx, name, inputs, maxlen=128)
    return f"{inputs.get('role')}:{policy}", {**inputs, "name": policy}


@resource("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
def iam_role_policy_attachment(ctx: MockContext, name: str, inputs: dict):
    return f"{inputs.get('role')}-{_hex(ctx, name, 20)}", dict(inputs)


@resource("aws:iam/serviceLinkedRole:ServiceLinkedRole")
def iam_service_linked_role(ctx: MockContext, name: str, inputs: dict):
    # The role's name is fixed by the service (a custom suffix appends `_<suffix>`).
    service = inputs.get("awsServiceName", "autoscaling.amazonaws.com")
    names = {"autoscaling.amazonaws.com": "AWSServiceRoleForAutoScaling"}
    role = names.get(service, f"AWSServiceRoleFor{service.split('.')[0].title()}")
    if inputs.get("customSuffix"):
        role += f"_{inputs['customSuffix']}"
    path = f"/aws-service-role/{service}/"
    arn = f"arn:{PARTITION}:iam::{AWS_ACCOUNT_ID}:role{path}{role}"
    return arn, {**inputs, "name": role, "arn": arn, "path": path, "uniqueId": "AROA" + _hex(ctx, name, 17).upper(),
                 "createDate": "2026-01-01T00:00:00Z"}


# --- KMS ---

@resource("aws:kms/key:Key")
def kms_key(ctx: MockContext, name: str, inputs: dict):
    key_id = stable_uuid(ctx.stack, aws_region(ctx, inputs), name)
    return key_id, {**inputs, "keyId": key_id, "arn": _arn(ctx, "kms", f"key/{key_id}", inputs),
                    "isEnabled": True, "keyUsage": inputs.get("keyUsage", "ENCRYPT_DECRYPT"),
                    "customerMasterKeySpec": inputs.get("customerMasterKeySpec", "SYMMETRIC_DEFAULT")}


@resource("aws:kms/alias:Alias")
def kms_alias(ctx: MockContext, name: str, inputs: dict):
    alias = inputs.get("name") or f"alias/{_autoname(ctx, name, {})}"
    key_id = inputs.get("targetKeyId", "")
    return alias, {**inputs, "name": alias, "arn": _arn(ctx, "kms", alias, inputs),
                   "targetKeyArn": _arn(ctx, "kms", f"key/{key_id}", inputs)}


# --- S3 ---

@resource("aws:s3/bucket:Bucket")
def s3_bucket(ctx: MockContext, name: str, inputs: dict):
    region = aws_region(ctx, inputs)
    bucket = inputs.get("bucket") or _autoname(ctx, name, {}, maxlen=63).lower()
    # force_destroy is the provider's own setting, kept in state as sent (default false).
    return bucket, {"forceDestroy": False, **inputs, "bucket": bucket, "arn": f"arn:{PARTITION}:s3:::{bucket}", "region": region,
                    "bucketDomainName": f"{bucket}.s3.amazonaws.com",
                    "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
                    "hostedZoneId": S3_HOSTED_ZONES.get(region, "Z3BJ6K6RIION7M")}


@resource("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          "aws:s3/bucketVersioning:BucketVersioning",
          "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
          "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
          "aws:s3/bucketPolicy:BucketPolicy",
          "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
          "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
def s3_bucket_setting(ctx: MockContext, name: str, inputs: dict):
    # Every bucket sub-resource is identified by its bucket's name.
    return inputs.get("bucket") or name, dict(inputs)


# --- EKS ---

@resource("aws:eks/cluster:Cluster")
def eks_cluster(ctx: MockContext, name: str, inputs: dict):
    region = aws_region(ctx, inputs)
    cluster = _autoname(ctx, name, inputs, maxlen=100)
    oidc = _hex(ctx, name, 32).upper()
    ca = base64.b64encode(f"-----BEGIN CERTIFICATE-----\nMOCK{oidc}\n-----END CERTIFICATE-----\n".encode()).decode()
    vpc_config = {**(inputs.get("vpcConfig") or {}),
                  "clusterSecurityGroupId": f"sg-0{_hex(ctx, name + '/cluster-sg', 16)}",
                  "vpcId": _vpc_of((inputs.get("vpcConfig") or {}).get("subnetIds"))}
    return cluster, {
        **inputs, "name": cluster, "arn": _arn(ctx, "eks", f"cluster/{cluster}", inputs),
        "endpoint": f"https://{oidc}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": ca},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc}"}]}],
        "vpcConfig": vpc_config, "platformVersion": "eks.8", "status": "ACTIVE", "clusterId": stable_uuid(cluster),
        "version": inputs.get("version", "1.33"), "createdAt": "2026-01-01T00:00:00Z",
        "kubernetesNetworkConfig": {"ipFamily": "ipv4", "serviceIpv4Cidr": "172.20.0.0/16"},
    }


@resource("aws:eks/nodeGroup:NodeGroup")
def eks_node_group(ctx: MockContext, name: str, inputs: dict):
    cluster = inputs.get("clusterName", "cluster")
    group = _autoname(ctx, name, inputs, key="nodeGroupName")
    uid = stable_uuid(ctx.stack, name)
    # EKS names the Auto Scaling group behind a managed node group `eks-<group>-<uuid>`.
    return f"{cluster}:{group}", {
        **inputs, "nodeGroupName": group, "status": "ACTIVE",
        "arn": _arn(ctx, "eks", f"nodegroup/{cluster}/{group}/{uid}", inputs),
        "resources": [{"autoscalingGroups": [{"name": f"eks-{group}-{uid}"}], "remoteAccessSecurityGroupId": ""}],
        "releaseVersion": "1.33.0-20260101", "version": "1.33",
    }


@resource("aws:eks/addon:Addon")
def eks_addon(ctx: MockContext, name: str, inputs: dict):
    cluster, addon = inputs.get("clusterName", "cluster"), inputs.get("addonName", name)
    return f"{cluster}:{addon}", {
        **inputs, "addonVersion": inputs.get("addonVersion") or "v1.3.8-eksbuild.2",
        "arn": _arn(ctx, "eks", f"addon/{cluster}/{addon}/{stable_uuid(ctx.stack, name)}", inputs)}


@resource("aws:eks/podIdentityAssociation:PodIdentityAssociation")
def eks_pod_identity_association(ctx: MockContext, name: str, inputs: dict):
    cluster = inputs.get("clusterName", "cluster")
    assoc = f"a-{_hex(ctx, name, 17)}"
    return f"{cluster},{assoc}", {**inputs, "associationId": assoc, "externalId": stable_uuid(ctx.stack, assoc),
                                  "associationArn": _arn(ctx, "eks", f"podidentityassociation/{cluster}/{assoc}",
                                                         inputs)}


@resource("aws:eks/accessEntry:AccessEntry")
def eks_access_entry(ctx: MockContext, name: str, inputs: dict):
    cluster, principal = inputs.get("clusterName", "cluster"), inputs.get("principalArn", "")
    role = principal.rsplit("/", 1)[-1]
    return f"{cluster}:{principal}", {
        **inputs, "type": inputs.get("type", "STANDARD"), "kubernetesGroups": inputs.get("kubernetesGroups", []),
        "userName": f"{principal.replace(':role/', ':assumed-role/')}/{{{{SessionName}}}}" if role else principal,
        "accessEntryArn": _arn(ctx, "eks", f"access-entry/{cluster}/role/{AWS_ACCOUNT_ID}/{role}/"
                                           f"{stable_uuid(ctx.stack, name)}", inputs),
        "createdAt": "2026-01-01T00:00:00Z"}


@resource("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
def eks_access_policy_association(ctx: MockContext, name: str, inputs: dict):
    cluster, principal = inputs.get("clusterName", "cluster"), inputs.get("principalArn", "")
    return f"{cluster}#{principal}#{inputs.get('policyArn', '')}", {**inputs, "associatedAt": "2026-01-01T00:00:00Z"}


# --- Kubernetes objects the cell installs itself (the cluster autoscaler's Helm release) ---

@resource("kubernetes:helm.sh/v3:Release")
def helm_release(ctx: MockContext, name: str, inputs: dict):
    release = inputs.get("name") or _autoname(ctx, name, inputs)
    namespace = inputs.get("namespace") or "default"
    return f"{namespace}/{release}", {
        **inputs, "name": release, "namespace": namespace,
        "status": {"name": release, "namespace": namespace, "chart": inputs.get("chart"),
                   "version": inputs.get("version"), "revision": 1, "status": "deployed"}}


# --- Load balancing, certificates, DNS records ---

@resource("aws:lb/loadBalancer:LoadBalancer")
def load_balancer(ctx: MockContext, name: str, inputs: dict):
    region = aws_region(ctx, inputs)
    lb = _autoname(ctx, name, inputs, maxlen=32)
    suffix = f"app/{lb}/{_hex(ctx, name, 16)}"
    arn = _arn(ctx, "elasticloadbalancing", f"loadbalancer/{suffix}", inputs)
    return arn, {**inputs, "name": lb, "arn": arn, "arnSuffix": suffix,
                 "dnsName": f"{lb}-{int(_hex(ctx, name, 8), 16) % 10**10}.{region}.elb.amazonaws.com".lower(),
                 "zoneId": ALB_HOSTED_ZONES[region], "vpcId": _vpc_of(inputs.get("subnets"))}


@resource("aws:lb/targetGroup:TargetGroup")
def target_group(ctx: MockContext, name: str, inputs: dict):
    tg = _autoname(ctx, name, inputs, maxlen=32)
    suffix = f"targetgroup/{tg}/{_hex(ctx, name, 16)}"
    arn = _arn(ctx, "elasticloadbalancing", suffix, inputs)
    return arn, {**inputs, "name": tg, "arn": arn, "arnSuffix": suffix, "loadBalancerArns": []}


@resource("aws:lb/listener:Listener")
def listener(ctx: MockContext, name: str, inputs: dict):
    lb_arn = inputs.get("loadBalancerArn") or ""
    lb_part = lb_arn.split(":loadbalancer/", 1)[-1] if ":loadbalancer/" in lb_arn else f"app/lb/{_hex(ctx, 'lb', 16)}"
    arn = _arn(ctx, "elasticloadbalancing", f"listener/{lb_part}/{_hex(ctx, name, 16)}", inputs)
    return arn, {**inputs, "arn": arn}


@resource("aws:autoscaling/attachment:Attachment")
def autoscaling_attachment(ctx: MockContext, name: str, inputs: dict):
    return f"{inputs.get('autoscalingGroupName')}-{_hex(ctx, name, 20)}", dict(inputs)


# Certificate ARN -> the validation record names ACM waits for, so a validation checks them as the provider does.
_CERT_VALIDATION_NAMES: dict[str, set[str]] = {}


@resource("aws:acm/certificate:Certificate")
def acm_certificate(ctx: MockContext, name: str, inputs: dict):
    cert_id = stable_uuid(ctx.stack, aws_region(ctx, inputs), name)
    domain = inputs.get("domainName", "example.com")
    # One option per distinct name (the domain and each SAN). ACM's CNAME depends on the account and the
    # name only, so two certificates naming the same domain ask for the same record.
    options = [{"domainName": d, "resourceRecordName": f"_{_hex(ctx, d, 32)}.{d}.", "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_hex(ctx, d + '/value', 32)}.xlfgrmvvlj.acm-validations.aws."}
               for d in dict.fromkeys([domain, *(inputs.get("subjectAlternativeNames") or [])])]
    arn = _arn(ctx, "acm", f"certificate/{cert_id}", inputs)
    _CERT_VALIDATION_NAMES[arn] = {o["resourceRecordName"].rstrip(".") for o in options}
    return arn, {**inputs, "arn": arn, "domainValidationOptions": options, "status": "PENDING_VALIDATION",
                 "keyAlgorithm": inputs.get("keyAlgorithm", "RSA_2048"), "type": "AMAZON_ISSUED",
                 "domainName": domain, "subjectAlternativeNames": inputs.get("subjectAlternativeNames") or []}


@resource("aws:acm/certificateValidation:CertificateValidation")
def acm_certificate_validation(ctx: MockContext, name: str, inputs: dict):
    # As the provider: with validationRecordFqdns, every DNS validation record of the certificate must be there.
    wanted = _CERT_VALIDATION_NAMES.get(inputs.get("certificateArn", ""))
    given = {f.rstrip(".") for f in inputs.get("validationRecordFqdns") or []}
    if wanted is not None and inputs.get("validationRecordFqdns") is not None and wanted - given:
        raise RuntimeError(f"creating ACM Certificate Validation {name}: missing "
                           f"{inputs['certificateArn']} DNS validation record: {', '.join(sorted(wanted - given))}")
    return "2026-01-01 00:00:00 +0000 UTC", dict(inputs)


@resource("aws:route53/record:Record")
def route53_record(ctx: MockContext, name: str, inputs: dict):
    zone, rname, rtype = inputs.get("zoneId", ""), inputs.get("name", name), inputs.get("type", "A")
    rid = "_".join(p for p in (zone, rname.rstrip("."), rtype, inputs.get("setIdentifier")) if p)
    return rid, {**inputs, "fqdn": rname.rstrip(".")}


# --- Invokes ---

def _zone_id(region: str, az: str) -> str:
    """AZ ids look like `usw2-az1`: a region abbreviation and the zone's number."""
    parts = region.split("-")
    abbrev = parts[0] + "".join(p[0] for p in parts[1:-1]) + parts[-1]
    letter = re.sub(r"^.*\d", "", az) or "a"
    return f"{abbrev}-az{ord(letter[0]) - ord('a') + 1}"


@invoke("aws:index/getAvailabilityZones:getAvailabilityZones")
def availability_zones(ctx: MockContext, args: dict) -> dict:
    region = aws_region(ctx, args)
    names = [f"{region}{letter}" for letter in "abc"]
    return {"id": region, "names": names, "zoneIds": [_zone_id(region, n) for n in names],
            "groupNames": [region], "state": args.get("state"), "filters": args.get("filters"),
            "allAvailabilityZones": args.get("allAvailabilityZones"), "region": region}


@invoke("aws:index/getCallerIdentity:getCallerIdentity")
def caller_identity(ctx: MockContext, args: dict) -> dict:
    return {"id": AWS_ACCOUNT_ID, "accountId": AWS_ACCOUNT_ID, "userId": "AIDAOFFLINEDEPLOYER00",
            "arn": f"arn:{PARTITION}:iam::{AWS_ACCOUNT_ID}:user/offline-deployer"}


@invoke("aws:index/getPartition:getPartition")
def partition(ctx: MockContext, args: dict) -> dict:
    return {"id": PARTITION, "partition": PARTITION, "dnsSuffix": "amazonaws.com",
            "reverseDnsPrefix": "com.amazonaws"}


@invoke("aws:elb/getServiceAccount:getServiceAccount")
def elb_service_account(ctx: MockContext, args: dict) -> dict:
    region = aws_region(ctx, args)
    if region not in ELB_LOG_ACCOUNTS:
        # As the provider: regions opened since Dec 2021 have no such account.
        raise RuntimeError(f"invoke aws:elb/getServiceAccount: Unknown region ({region!r})")
    account = ELB_LOG_ACCOUNTS[region]
    return {"id": account, "arn": f"arn:{PARTITION}:iam::{account}:root", "region": region}


# --- Amazon Managed Service for Prometheus ---

@resource("aws:amp/workspace:Workspace")
def amp_workspace(ctx: MockContext, name: str, inputs: dict):
    region = aws_region(ctx, inputs)
    ws = f"ws-{stable_uuid(ctx.stack, region, name)}"
    return ws, {**inputs, "arn": _arn(ctx, "aps", f"workspace/{ws}", inputs), "region": region,
                "prometheusEndpoint": f"https://aps-workspaces.{region}.amazonaws.com/workspaces/{ws}/",
                "tagsAll": inputs.get("tags") or {}}


@resource("aws:amp/scraper:Scraper")
def amp_scraper(ctx: MockContext, name: str, inputs: dict):
    region = aws_region(ctx, inputs)
    sid = f"s-{stable_uuid(ctx.stack, region, name)}"
    # The collector acts through its service-linked role (one per scraper, under the service's IAM path).
    role = (f"arn:{PARTITION}:iam::{AWS_ACCOUNT_ID}:role/aws-service-role/scraper.aps.amazonaws.com/"
            f"AWSServiceRoleForAmazonPrometheusScraper_{_hex(ctx, name, 7)}")
    return sid, {**inputs, "arn": _arn(ctx, "aps", f"scraper/{sid}", inputs), "region": region, "roleArn": role,
                 "tagsAll": inputs.get("tags") or {}}


@resource("aws:amp/ruleGroupNamespace:RuleGroupNamespace")
def amp_rule_group_namespace(ctx: MockContext, name: str, inputs: dict):
    ws = str(inputs.get("workspaceId", ""))
    arn = _arn(ctx, "aps", f"rulegroupsnamespace/{ws}/{inputs.get('name', name)}", inputs)
    return arn, {**inputs, "arn": arn, "tagsAll": inputs.get("tags") or {}}


@resource("aws:amp/alertManagerDefinition:AlertManagerDefinition")
def amp_alert_manager_definition(ctx: MockContext, name: str, inputs: dict):
    return str(inputs.get("workspaceId", name)), dict(inputs)


@resource("aws:eks/accessEntry:AccessEntry")
def eks_access_entry(ctx: MockContext, name: str, inputs: dict):
    cluster, principal = inputs.get("clusterName", ""), inputs.get("principalArn", "")
    return f"{cluster}:{principal}", {
        **inputs, "accessEntryArn": _arn(ctx, "eks", f"access-entry/{cluster}/role/{AWS_ACCOUNT_ID}/"
                                         f"{principal.rsplit('/', 1)[-1]}/{stable_uuid(name)}", inputs),
        "userName": inputs.get("userName") or principal, "type": inputs.get("type", "STANDARD"),
        "createdAt": "2026-01-01T00:00:00Z", "modifiedAt": "2026-01-01T00:00:00Z",
        "tagsAll": inputs.get("tags") or {}}


# --- WAFv2 (edge guard) ---

def _waf_arn(ctx: MockContext, kind: str, name: str, inputs: dict) -> tuple[str, str, str]:
    """A regional WAFv2 id/ARN: `arn:aws:wafv2:<region>:<account>:regional/<kind>/<name>/<uuid>`."""
    waf_name = inputs.get("name") or name
    waf_id = stable_uuid(ctx.stack, aws_region(ctx, inputs), kind, waf_name)
    scope = "global" if inputs.get("scope") == "CLOUDFRONT" else "regional"
    return waf_id, waf_name, _arn(ctx, "wafv2", f"{scope}/{kind}/{waf_name}/{waf_id}", inputs)


@resource("aws:wafv2/ipSet:IpSet")
def waf_ip_set(ctx: MockContext, name: str, inputs: dict):
    waf_id, waf_name, arn = _waf_arn(ctx, "ipset", name, inputs)
    return waf_id, {**inputs, "name": waf_name, "arn": arn, "lockToken": stable_uuid(ctx.stack, arn, "lock")}


@resource("aws:wafv2/webAcl:WebAcl")
def waf_web_acl(ctx: MockContext, name: str, inputs: dict):
    waf_id, waf_name, arn = _waf_arn(ctx, "webacl", name, inputs)
    # Capacity (WCUs): the common rule set alone costs 700; the rest are a few units each.
    capacity = 700 + 50 * len(inputs.get("rules") or [])
    return waf_id, {**inputs, "name": waf_name, "arn": arn, "capacity": capacity,
                    "applicationIntegrationUrl": "", "lockToken": stable_uuid(ctx.stack, arn, "lock")}


@resource("aws:wafv2/webAclAssociation:WebAclAssociation")
def waf_web_acl_association(ctx: MockContext, name: str, inputs: dict):
    return f"{inputs.get('webAclArn')},{inputs.get('resourceArn')}", dict(inputs)


# ---------------------------------------------------------------------------------------------
# AWS's forms of the values a type without a mock of its own gets (offline/mocks/sdk.py asks).

# EC2 ids: `<prefix>-0<16 hex>` by the kind of object (https://docs.aws.amazon.com/AWSEC2/latest/
# APIReference/API_Types.html: vpc-, subnet-, ami-, sg-, i-, ...).
EC2_PREFIXES = {"vpc": "vpc", "subnet": "subnet", "ami": "ami", "image": "ami", "securitygroup": "sg",
                "instance": "i", "internetgateway": "igw", "routetable": "rtb", "natgateway": "nat",
                "eip": "eipalloc", "allocation": "eipalloc", "networkinterface": "eni", "volume": "vol",
                "snapshot": "snap", "launchtemplate": "lt", "keypair": "key", "transitgateway": "tgw",
                "vpcendpoint": "vpce", "networkacl": "acl", "prefixlist": "pl", "dhcpoptions": "dopt"}


def _ec2_kind(type_: str, prop: str) -> str:
    low = prop.lower()
    if low in ("id", "ids"):
        kind = type_.split(":")[-1].lower()
        kind = kind[3:] if kind.startswith("get") else kind
    elif low.endswith("ids"):
        kind = low[:-3]
    elif low.endswith("id"):
        kind = low[:-2]
    else:
        return ""
    for k in (kind, kind.rstrip("s"), kind.replace("default", "")):
        if k in EC2_PREFIXES:
            return EC2_PREFIXES[k]
    return ""


def sdk_string(ctx: MockContext, type_: str, name: str, prop: str, inputs: dict) -> Optional[str]:
    """The AWS form of a string property by its name (an EC2 id, an ARN, a region or zone, the account), or None."""
    from offline.mocks import sdk

    low = prop.lower()
    if _ec2_kind(type_, prop):
        return f"{_ec2_kind(type_, prop)}-0{stable_hex(ctx.stack, type_, name, prop, n=16)}"
    if low == "arn" or low.endswith("arn"):
        leaf = sdk_string(ctx, type_, name, "id", inputs) if _ec2_kind(type_, "id") else name
        return f"arn:aws:{sdk._service(type_)}:{aws_region(ctx, inputs)}:{AWS_ACCOUNT_ID}:{sdk._resource_kind(type_).lower()}/{leaf}"
    if low == "region":
        return aws_region(ctx, inputs)
    if low in ("accountid", "ownerid"):
        return AWS_ACCOUNT_ID
    if low in ("availabilityzone", "zone"):
        return aws_region(ctx, inputs) + "a"
    return None


def sdk_id(ctx: MockContext, type_: str, name: str, inputs: dict) -> Optional[str]:
    """An EC2 object's id has its kind's prefix; other AWS ids keep the generic form (None)."""
    return sdk_string(ctx, type_, name, "id", inputs) if _ec2_kind(type_, "id") else None
