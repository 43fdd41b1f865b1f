"""AWS pricing rules: the bill lines of each AWS resource type, the types AWS does not bill, the free
allowances and the stack-wide DNS query line (the interface: offline/pricing/model.py).

Loaded by the offline engine from this file (not through the `components` package): import only the
engine's pricing model and the standard library here.
"""
from __future__ import annotations

import re
from typing import Optional

from offline.cloud_facts import CLOUDS
from offline.pricing.model import Ctx, edge_waf, egress, num, samples

def _aws_node_group(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    nodes = num((inputs.get("scalingConfig") or {}).get("minSize"))
    if (inputs.get("capacityType") or "ON_DEMAND") != "ON_DEMAND":
        ctx.not_priced(res, f"capacity type {inputs['capacityType']} (spot prices vary)")
        return
    itype = (inputs.get("instanceTypes") or ["t3.medium"])[0]  # the EKS default instance type
    ctx.add(res, "aws", f"ec2.instance.{itype}", nodes, f"{itype} node")
    # The root volume: the launch template's block device if there is one, else diskSize (EKS default 20 GB gp3).
    size, vtype = num(inputs.get("diskSize"), 20.0), "gp3"
    lt_id = (inputs.get("launchTemplate") or {}).get("id")
    for lt in ctx.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        if lt_id and lt.get("id") == lt_id:
            for bdm in lt["inputs"].get("blockDeviceMappings") or []:
                ebs = bdm.get("ebs") or {}
                size, vtype = num(ebs.get("volumeSize"), size), ebs.get("volumeType") or vtype
    if nodes:
        ctx.add(res, "aws", f"ebs.{vtype}", nodes * size, f"{vtype} node volume", months=True)


def _aws_lb(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    kind = inputs.get("loadBalancerType") or "application"
    if kind not in ("application", "network"):
        ctx.not_priced(res, f"load balancer type {kind}")
        return
    short = "alb" if kind == "application" else "nlb"
    ctx.add(res, "aws", f"elb.{short}", 1, "application load balancer" if short == "alb" else "network load balancer")
    if not inputs.get("internal"):
        azs = len(inputs.get("subnets") or inputs.get("subnetMappings") or []) or 2
        ctx.add(res, "aws", "vpc.public_ipv4", azs, "public IPv4 (load balancer)")
    u = ctx.usage.cell(ctx.cells[res["urn"]])
    # Capacity units from the usage: processed bytes (1 GB/hour per LCU) vs rule evaluations (1,000/s).
    hours = ctx.catalog.hours_per_month
    lcu = max(u["gb_egress"] / hours, u["requests_per_month"] / (hours * 3600) / 1000.0)
    ctx.add(res, "aws", f"elb.{short}_{'lcu' if short == 'alb' else 'nlcu'}", lcu, "load balancer capacity units",
            usage=True)
    egress(ctx, res, "aws")


def _aws_health_check(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    kind = inputs.get("type") or "HTTP"
    tags = inputs.get("tags") or {}
    target = tags.get("target-cell")
    cloud = ctx.cell_cloud.get(target or "")
    if cloud is None:  # the target cell lives in another stack: its Name tag says "<cell> (<cloud> <region>)"
        m = re.search(r"\((" + "|".join(map(re.escape, CLOUDS)) + ") ", tags.get("Name") or "")
        cloud = m.group(1) if m else None
    aws_endpoint = cloud == "aws" or kind in ("CALCULATED", "CLOUDWATCH_METRIC")
    side = "aws" if aws_endpoint else "non_aws"
    ctx.add(res, "aws", f"route53.health_check_{side}", 1, "Route 53 health check", months=True, region="global")
    options = []
    if kind.startswith("HTTPS"):
        options.append("HTTPS")
    if kind.endswith("STR_MATCH"):
        options.append("string matching")
    if kind not in ("CALCULATED", "CLOUDWATCH_METRIC"):
        if num(inputs.get("requestInterval"), 30) == 10:
            options.append("fast interval")
        if inputs.get("measureLatency"):
            options.append("latency measurement")
    for opt in options:
        ctx.add(res, "aws", f"route53.health_check_{side}_option", 1, f"health check option: {opt}", months=True,
                region="global")
    # Checker regions (`regions`) carry no charge of their own in the Route 53 price list.


def _aws_zone(ctx: Ctx, res: dict) -> None:
    ctx.add(res, "aws", "route53.hosted_zone", 1, "Route 53 hosted zone", months=True, region="global")


def _dns_queries(ctx: Ctx) -> None:  # a stack rule: once, after every resource
    """Queries to the records this stack serves (billed on the zone, which may live elsewhere: zone_id)."""
    records = ctx.of_type("aws:route53/record:Record")
    anchor = (ctx.of_type("aws:route53/zone:Zone") or records or [None])[0]  # by URN (Ctx.of_type)
    if anchor is None:
        return
    policy = "standard"
    if any(r["inputs"].get("geolocationRoutingPolicies") for r in records):
        policy = "geo"
    elif any(r["inputs"].get("latencyRoutingPolicies") for r in records):
        policy = "latency"
    ctx.add(anchor, "aws", f"route53.queries_{policy}", ctx.usage.global_["dns_queries_per_month"],
            f"DNS queries ({policy})", usage=True, region="global")


def _aws_bucket(ctx: Ctx, res: dict) -> None:
    u = ctx.usage.cell(ctx.cells[res["urn"]])
    log_buckets = {(lb["inputs"].get("accessLogs") or {}).get("bucket") for lb in ctx.of_type("aws:lb/loadBalancer:LoadBalancer")}
    physical = {(res.get("outputs") or {}).get("bucket"), res.get("id")}
    if physical & (log_buckets - {None}):
        ctx.add(res, "aws", "s3.standard", u["gb_logs"], "S3 storage (load-balancer logs)", usage=True, months=True)
    else:
        ctx.add(res, "aws", "s3.standard", u["gb_stored"], "S3 storage", usage=True, months=True)


def _aws_log_group(ctx: Ctx, res: dict) -> None:
    cell = ctx.cells[res["urn"]]
    groups = len(ctx.of_type(res["type"], cell)) or 1
    gb = ctx.usage.cell(cell)["gb_logs"] / groups
    ctx.add(res, "aws", "cloudwatch.logs_ingest", gb, "CloudWatch Logs ingestion", usage=True, months=True)
    months_kept = min(num(res["inputs"].get("retentionInDays"), 365) / 30.0, 12.0)
    ctx.add(res, "aws", "cloudwatch.logs_storage", gb * months_kept, "CloudWatch Logs storage", usage=True,
            months=True)


def _aws_nat(ctx: Ctx, res: dict) -> None:
    ctx.add(res, "aws", "vpc.nat_gateway", 1, "NAT gateway")
    cell = ctx.cells[res["urn"]]
    nats = len(ctx.of_type(res["type"], cell)) or 1
    ctx.add(res, "aws", "vpc.nat_gateway_data", ctx.usage.cell(cell)["gb_nat"] / nats, "NAT data processed",
            usage=True, months=True)


def _aws_vpc_endpoint(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    if (inputs.get("vpcEndpointType") or "Gateway") == "Gateway":
        ctx.free[res["type"] + " (Gateway)"] = "gateway endpoints (S3, DynamoDB) carry no charge"
        return
    ctx.add(res, "aws", "vpc.interface_endpoint", len(inputs.get("subnetIds") or []) or 1, "interface endpoint (per AZ)")


_aws_waf = edge_waf("aws", "wafv2", "web_acl", "WAF", "WAF web ACL")


def _aws_certificate(ctx: Ctx, res: dict) -> None:
    if res["inputs"].get("certificateAuthorityArn"):
        ctx.not_priced(res, "private CA certificate (AWS Private CA)")
    else:
        ctx.free[res["type"]] = "public ACM certificates are free"


def _aws_kms_key(ctx: Ctx, res: dict) -> None:
    """$1 a month per key, and $1 a month more for each of its first two rotations (later rotations
    are free): the figure is the key a year after creation, its rotations of that year counted."""
    inputs = res["inputs"]
    ctx.add(res, "aws", "kms.key", 1, "KMS key", months=True)
    if inputs.get("enableKeyRotation"):
        rotations = min(2, int(365 // max(num(inputs.get("rotationPeriodInDays"), 365), 1)))
        if rotations:
            ctx.add(res, "aws", "kms.key", rotations, "KMS key rotations (first year)", months=True)


RULES = {
    "aws:eks/cluster:Cluster": lambda c, r: c.add(r, "aws", "eks.cluster", 1, "EKS control plane"),
    "aws:eks/nodeGroup:NodeGroup": _aws_node_group,
    "aws:ec2/natGateway:NatGateway": _aws_nat,
    "aws:ec2/eip:Eip": lambda c, r: c.add(r, "aws", "vpc.public_ipv4", 1, "public IPv4 (Elastic IP)"),
    "aws:lb/loadBalancer:LoadBalancer": _aws_lb,
    "aws:alb/loadBalancer:LoadBalancer": _aws_lb,
    "aws:kms/key:Key": _aws_kms_key,
    "aws:route53/zone:Zone": _aws_zone,
    "aws:route53/healthCheck:HealthCheck": _aws_health_check,
    "aws:s3/bucket:Bucket": _aws_bucket,
    "aws:s3/bucketV2:BucketV2": _aws_bucket,
    "aws:cloudwatch/logGroup:LogGroup": _aws_log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda c, r: c.add(r, "aws", "cloudwatch.alarm", 1, "CloudWatch alarm",
                                                                 months=True),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _aws_vpc_endpoint,
    "aws:wafv2/webAcl:WebAcl": _aws_waf,
    "aws:acm/certificate:Certificate": _aws_certificate,
    "aws:amp/workspace:Workspace": samples("aws", "amp.ingest", "AMP samples ingested"),
}
STACK_RULES = (_dns_queries,)
FREE_ALLOWANCES = {
    "data_transfer.internet_out": (100.0, "AWS: the first 100 GB out to the internet a month, all regions"),
}
# Types AWS does not bill by themselves (their cost, if any, is on a priced resource).
FREE = {
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "IAM roles carry no charge",
    **{t: "IAM carries no charge" for t in (
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/policy:Policy",
        "aws:iam/instanceProfile:InstanceProfile",
        "aws:eks/podIdentityAssociation:PodIdentityAssociation")},
    **{t: "network plumbing carries no charge" for t in (
        "aws:ec2/vpc:Vpc",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/route:Route",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")},
    "aws:ec2/launchTemplate:LaunchTemplate": "priced through the node group that launches it",
    "aws:ec2/flowLog:FlowLog": "its cost is the log group's ingestion",
    "aws:eks/addon:Addon": "EKS add-ons carry no charge of their own",
    "aws:autoscaling/attachment:Attachment": "an attachment carries no charge",
    "aws:acm/certificateValidation:CertificateValidation": "a validation waiter, not a resource",
    **{t: "priced with the load balancer" for t in (
        "aws:lb/listener:Listener",
        "aws:lb/targetGroup:TargetGroup")},
    "aws:route53/record:Record": "records are free; queries are priced on the zone",
    "aws:kms/alias:Alias": "aliases are free",
    "aws:wafv2/ipSet:IpSet": "WAF IP sets carry no charge (rules that use them are priced on the web ACL)",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "an association carries no charge (priced on the web ACL)",
    "aws:sns/topic:Topic": "the first million publishes and email notifications a month are free",
    "aws:sns/topicSubscription:TopicSubscription": "subscriptions are free; deliveries are priced on the topic",
    "aws:eks/accessEntry:AccessEntry": "access entries are free",
    "aws:amp/scraper:Scraper": "billed per collector-hour with the samples it sends (usage); not modelled per resource",
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": "rule evaluation is billed as query samples (usage)",
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": "alert manager configuration is free",
    "aws:sns/topicPolicy:TopicPolicy": "a policy carries no charge",
    **{t: "bucket configuration, priced with the bucket" for t in (
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig")},
}


# --- the price list (python -m offline.pricing.refresh; needs network, tests do not) -----------------
# AWS Price List Bulk API: one offer file per service and region.
AWS_OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}index.json"
API_KEY_ENV = ""  # the Bulk API takes no key

# key -> (offer code, regional?, attribute filters). A filter value "~x" matches a substring.
AWS_QUERIES: dict[str, tuple[str, bool, dict[str, str]]] = {
    "eks.cluster": ("AmazonEKS", True, {"usagetype": "~AmazonEKS-Hours:perCluster"}),
    "ebs.gp3": ("AmazonEC2", True, {"productFamily": "Storage", "volumeApiName": "gp3"}),
    "vpc.nat_gateway": ("AmazonEC2", True, {"productFamily": "NAT Gateway", "usagetype": "~NatGateway-Hours"}),
    "vpc.nat_gateway_data": ("AmazonEC2", True, {"productFamily": "NAT Gateway", "usagetype": "~NatGateway-Bytes"}),
    "vpc.public_ipv4": ("AmazonVPC", True, {"usagetype": "~PublicIPv4:InUseAddress"}),
    "elb.alb": ("AWSELB", True, {"productFamily": "Load Balancer-Application", "usagetype": "~LoadBalancerUsage"}),
    "elb.alb_lcu": ("AWSELB", True, {"productFamily": "Load Balancer-Application", "usagetype": "~LCUUsage"}),
    "kms.key": ("awskms", True, {"usagetype": "~KMS-Keys"}),
    "s3.standard": ("AmazonS3", True, {"volumeType": "Standard", "usagetype": "~TimedStorage-ByteHrs"}),
    "cloudwatch.alarm": ("AmazonCloudWatch", True, {"usagetype": "~CW:AlarmMonitorUsage"}),
    "route53.hosted_zone": ("AmazonRoute53", False, {"usagetype": "HostedZone"}),
    "route53.health_check_aws": ("AmazonRoute53", False, {"usagetype": "Health-Check-AWS"}),
    "route53.health_check_non_aws": ("AmazonRoute53", False, {"usagetype": "Health-Check-Non-AWS"}),
}


def _aws_match(attrs: dict, filters: dict[str, str], family: str) -> bool:
    for key, want in filters.items():
        have = family if key == "productFamily" else str(attrs.get(key, ""))
        if want.startswith("~") and want[1:] not in have:
            return False
        if not want.startswith("~") and have != want:
            return False
    return True


def parse_aws_offer(offer: dict, filters: dict[str, str]) -> Optional[tuple[float, str]]:
    """(USD price of the first tier, unit) of the product an offer file lists for `filters`."""
    terms = (offer.get("terms") or {}).get("OnDemand") or {}
    for sku, product in (offer.get("products") or {}).items():
        if not _aws_match(product.get("attributes") or {}, filters, product.get("productFamily", "")):
            continue
        for term in (terms.get(sku) or {}).values():
            dims = sorted((term.get("priceDimensions") or {}).values(), key=lambda d: float(d.get("beginRange", 0) or 0))
            for dim in dims:
                usd = (dim.get("pricePerUnit") or {}).get("USD")
                if usd is not None:
                    return float(usd), dim.get("unit", "")
    return None


def aws_instance_filters(itype: str) -> dict[str, str]:
    return {"instanceType": itype, "operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA",
            "capacitystatus": "Used", "licenseModel": "No License required"}



def network_fetch(api_key: str = ""):
    """fetch(offer, "region/" or "") -> the offer file, from the Bulk API."""
    from offline.pricing.refresh import get_json

    return lambda offer, where: get_json(AWS_OFFER_URL.format(offer=offer, region=where))


def refresh_prices(prices: dict, fetch, kept: list) -> None:
    """Replace the price and source of every entry of `prices` (region -> key -> entry) that has a
    query; say in `kept` why any other is left as it is. fetch(offer, "region/" or "") -> offer file."""
    offers: dict = {}
    for region, entries in prices.items():
        for key, entry in entries.items():
            if key.startswith("ec2.instance."):
                offer, regional, filters = "AmazonEC2", True, aws_instance_filters(key.split(".", 2)[2])
            elif key in AWS_QUERIES:
                offer, regional, filters = AWS_QUERIES[key]
            else:
                kept.append(f"aws/{region}/{key}: no price-list query")
                continue
            where = f"{region}/" if regional and region != "global" else ""
            doc = offers.get((offer, where))
            if doc is None:
                doc = offers[(offer, where)] = fetch(offer, where)
            found = parse_aws_offer(doc, filters)
            if found is None:
                kept.append(f"aws/{region}/{key}: not found in {offer}")
                continue
            entry["price"], entry["source"] = found[0], AWS_OFFER_URL.format(offer=offer, region=where)
