"""Monthly cost of a stack from the resources the offline engine captured.

Every custom resource ends in exactly one of three states:
- priced: one or more lines (catalog SKU x quantity), fixed from its inputs (control planes,
  nodes x min size, NAT gateways, load balancers and their reserved capacity, keys, zones and
  health checks with their options, certificates) or usage-driven from `usage.yaml` (storage,
  egress, logs, NAT data, DNS queries);
- free: a type the providers do not bill (IAM, route tables, subnets...), listed as known-free
  with the reason;
- not priced: billable (or unknown) and no rule or no catalog price for its region: listed by
  name with the reason, never counted as zero.

A resource's cell is its `cell` tag/label, else the `platform:*:Cell` component above it, else
"global". Components and providers cost nothing by themselves and are skipped.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Callable, Optional

from ..cloud_facts import DEFAULT_REGION_KEYS, cloud_of_package
from .catalog import HOURLY_UNITS, Catalog, load_catalog
from .usage import Usage

GLOBAL = "global"


@dataclass
class Line:
    urn: str
    type: str
    name: str
    cell: str
    item: str            # catalog key
    label: str           # what a reviewer reads ("NAT gateway", "m7i.large node")
    quantity: float      # in `unit` per month (hours for hourly units)
    unit: str
    unit_price: float
    monthly: float
    region: str
    usage: bool = False  # driven by the usage assumptions, not by the inputs alone
    verified: bool = True  # False: the price's region is listed unverified in the catalog (not API-checked)


@dataclass
class Unpriced:
    urn: str
    type: str
    name: str
    cell: str
    reason: str


@dataclass
class Ctx:
    catalog: Catalog
    usage: Usage
    resources: list[dict]
    by_urn: dict[str, dict]
    providers: dict[str, dict]            # provider reference -> provider inputs
    default_regions: dict[str, str]       # cloud -> region of the default provider (stack config)
    cells: dict[str, str]                 # urn -> cell
    cell_cloud: dict[str, str]            # cell -> cloud
    lines: list[Line] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    free: dict[str, str] = field(default_factory=dict)   # type -> why it costs nothing
    notes: list[str] = field(default_factory=list)       # what the estimate leaves out on purpose, and why

    def region(self, res: dict) -> Optional[str]:
        inputs = res.get("inputs") or {}
        for key in ("region", "location"):
            value = inputs.get(key)
            if isinstance(value, str) and value and value != "global" and not value.startswith("["):
                return value.lower()
        prov = self.providers.get(res.get("provider") or "")
        if prov is None:  # the default provider: its region comes from the stack config
            return self.default_regions.get(_cloud_of(res["type"]) or "")
        value = prov.get("region") or prov.get("location")
        return value.lower() if isinstance(value, str) else None

    def add(self, res: dict, cloud: str, key: str, quantity: float, label: str, usage: bool = False,
            region: Optional[str] = None, months: bool = False) -> bool:
        """A line for `quantity` (hours are computed for hourly prices unless `months`); False if unpriced."""
        region = region if region is not None else self.region(res)
        price = self.catalog.get(cloud, region, key)
        if price is None:
            self.unpriced.append(Unpriced(res["urn"], res["type"], res["name"], self.cells[res["urn"]],
                                          f"no catalog price {cloud}/{region or '?'}/{key}"))
            return False
        qty = quantity
        if price.unit in HOURLY_UNITS and not months:
            qty = quantity * self.catalog.hours_per_month
        monthly = qty * price.price
        if price.unit == "year":
            qty, monthly = quantity / 12.0, quantity * price.price / 12.0
        elif price.unit.startswith("million"):
            qty, monthly = quantity / 1e6, quantity / 1e6 * price.price
        unverified = self.catalog.unverified_regions()
        self.lines.append(Line(res["urn"], res["type"], res["name"], self.cells[res["urn"]], key, label, qty,
                               price.unit, price.price, monthly, price.region, usage,
                               verified=f"{cloud}/{price.region}" not in unverified or bool(price.verified_by)))
        return True

    def not_priced(self, res: dict, reason: str) -> None:
        self.unpriced.append(Unpriced(res["urn"], res["type"], res["name"], self.cells[res["urn"]], reason))

    def of_type(self, type_: str, cell: Optional[str] = None) -> list[dict]:
        return [r for r in self.resources if r["type"] == type_ and (cell is None or self.cells[r["urn"]] == cell)]


def _num(value, default: float = 0.0) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


# --- AWS -------------------------------------------------------------------------------------------

def _aws_node_group(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    nodes = _num((inputs.get("scalingConfig") or {}).get("minSize"))
    if (inputs.get("capacityType") or "ON_DEMAND") != "ON_DEMAND":
        ctx.not_priced(res, f"capacity type {inputs['capacityType']} (spot prices vary)")
        return
    itype = (inputs.get("instanceTypes") or ["t3.medium"])[0]  # the EKS default instance type
    ctx.add(res, "aws", f"ec2.instance.{itype}", nodes, f"{itype} node")
    # The root volume: the launch template's block device if there is one, else diskSize (EKS default 20 GB gp3).
    size, vtype = _num(inputs.get("diskSize"), 20.0), "gp3"
    lt_id = (inputs.get("launchTemplate") or {}).get("id")
    for lt in ctx.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        if lt_id and lt.get("id") == lt_id:
            for bdm in lt["inputs"].get("blockDeviceMappings") or []:
                ebs = bdm.get("ebs") or {}
                size, vtype = _num(ebs.get("volumeSize"), size), ebs.get("volumeType") or vtype
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
    _egress(ctx, res, "aws")


def _aws_health_check(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    kind = inputs.get("type") or "HTTP"
    tags = inputs.get("tags") or {}
    target = tags.get("target-cell")
    cloud = ctx.cell_cloud.get(target or "")
    if cloud is None:  # the target cell lives in another stack: its Name tag says "<cell> (<cloud> <region>)"
        m = re.search(r"\((aws|gcp|azure) ", tags.get("Name") or "")
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
        if _num(inputs.get("requestInterval"), 30) == 10:
            options.append("fast interval")
        if inputs.get("measureLatency"):
            options.append("latency measurement")
    for opt in options:
        ctx.add(res, "aws", f"route53.health_check_{side}_option", 1, f"health check option: {opt}", months=True,
                region="global")
    # Checker regions (`regions`) carry no charge of their own in the Route 53 price list.


def _aws_zone(ctx: Ctx, res: dict) -> None:
    ctx.add(res, "aws", "route53.hosted_zone", 1, "Route 53 hosted zone", months=True, region="global")


def _dns_queries(ctx: Ctx) -> None:
    """Queries to the records this stack serves (billed on the zone, which may live elsewhere: zone_id)."""
    records = ctx.of_type("aws:route53/record:Record")
    anchor = (ctx.of_type("aws:route53/zone:Zone") or records or [None])[0]
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
    months_kept = min(_num(res["inputs"].get("retentionInDays"), 365) / 30.0, 12.0)
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


# Rules a policy type may have as separate resources (priced on the policy, with its inline rules).
RULE_RESOURCES = {"gcp:compute/regionSecurityPolicy:RegionSecurityPolicy":
                  "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule"}


def _edge_waf(cloud: str, service: str, policy: str, product: str, policy_label: str) -> Callable[[Ctx, dict], None]:
    """An edge guard's web application firewall (#21): AWS WAF and Cloud Armor Standard bill alike,
    per policy a month, per rule a month and per million requests evaluated (catalog keys
    `<service>.<policy>`, `<service>.rule`, `<service>.requests`)."""
    def rule(ctx: Ctx, res: dict) -> None:
        ctx.add(res, cloud, f"{service}.{policy}", 1, policy_label, months=True)
        rules = len(res["inputs"].get("rules") or [])
        # Cloud Armor rules managed as their own resources count the same as inline ones.
        rules += len([r for r in ctx.of_type(RULE_RESOURCES.get(res["type"], ""), ctx.cells[res["urn"]])
                      if r["parent"] == res["parent"]])
        if rules:
            ctx.add(res, cloud, f"{service}.rule", rules, f"{product} rule", months=True)
        ctx.add(res, cloud, f"{service}.requests", ctx.usage.cell(ctx.cells[res["urn"]])["requests_per_month"],
                f"{product} requests", usage=True)
    return rule


_aws_waf = _edge_waf("aws", "wafv2", "web_acl", "WAF", "WAF web ACL")
_gcp_armor = _edge_waf("gcp", "armor", "policy", "Cloud Armor", "Cloud Armor policy")


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
        rotations = min(2, int(365 // max(_num(inputs.get("rotationPeriodInDays"), 365), 1)))
        if rotations:
            ctx.add(res, "aws", "kms.key", rotations, "KMS key rotations (first year)", months=True)


def _samples(ctx: Ctx, res: dict, cloud: str, key: str, label: str) -> None:
    """Managed Prometheus ingestion: billed per sample ingested (usage: metric_samples_per_month)."""
    ctx.add(res, cloud, key, ctx.usage.cell(ctx.cells[res["urn"]])["metric_samples_per_month"], label, usage=True)


# --- GCP -------------------------------------------------------------------------------------------

def _gke_nodes(res: dict) -> float:
    inputs = res["inputs"]
    auto = inputs.get("autoscaling") or {}
    zones = len(inputs.get("nodeLocations") or []) or 3  # a regional cluster spreads over 3 zones
    if "totalMinNodeCount" in auto:
        return _num(auto["totalMinNodeCount"])
    if "minNodeCount" in auto:
        return _num(auto["minNodeCount"]) * zones
    return _num(inputs.get("nodeCount"), _num(inputs.get("initialNodeCount"), 1)) * zones


def _gcp_cluster(ctx: Ctx, res: dict) -> None:
    if res["inputs"].get("enableAutopilot"):
        ctx.not_priced(res, "Autopilot clusters bill per pod resource request")
        return
    ctx.add(res, "gcp", "gke.cluster_management", 1, "GKE cluster management")
    location = str(res["inputs"].get("location") or ctx.region(res) or "")
    if re.fullmatch(r"[a-z]+-[a-z]+\d+", location):  # a region, not a zone (europe-west1 vs europe-west1-b)
        ctx.notes.append(f"GKE free-tier credit ($74.40 a month per billing account) not applied to {res['name']}: "
                         f"it covers zonal and Autopilot clusters, and this one is regional ({location})")
    ctx.add(res, "gcp", "logging.ingest", ctx.usage.cell(ctx.cells[res["urn"]])["gb_logs"], "Cloud Logging ingestion",
            usage=True, months=True)


def _gcp_node_pool(ctx: Ctx, res: dict) -> None:
    cfg = res["inputs"].get("nodeConfig") or {}
    if cfg.get("spot") or cfg.get("preemptible"):
        ctx.not_priced(res, "spot/preemptible nodes (prices vary)")
        return
    nodes = _gke_nodes(res)
    mtype = cfg.get("machineType") or "e2-medium"
    ctx.add(res, "gcp", f"compute.instance.{mtype}", nodes, f"{mtype} node")
    disk = cfg.get("diskType") or "pd-balanced"
    if nodes:
        ctx.add(res, "gcp", f"compute.{disk}", nodes * _num(cfg.get("diskSizeGb"), 100), f"{disk} node disk",
                months=True)


def _gcp_nat(ctx: Ctx, res: dict) -> None:
    cell = ctx.cells[res["urn"]]
    vms = sum(_gke_nodes(p) for p in ctx.of_type("gcp:container/nodePool:NodePool", cell))
    ctx.add(res, "gcp", "nat.gateway_vm", min(max(vms, 1), 32), "Cloud NAT (per VM)")
    if (res["inputs"].get("natIpAllocateOption") or "AUTO_ONLY") == "AUTO_ONLY":
        ctx.add(res, "gcp", "compute.external_ip", 1, "Cloud NAT address")
    ctx.add(res, "gcp", "nat.data", ctx.usage.cell(cell)["gb_nat"], "Cloud NAT data processed", usage=True, months=True)


def _gcp_address(ctx: Ctx, res: dict) -> None:
    if (res["inputs"].get("addressType") or "EXTERNAL") == "INTERNAL":
        ctx.free[res["type"] + " (INTERNAL)"] = "internal addresses carry no charge"
        return
    ctx.add(res, "gcp", "compute.external_ip", 1, "static external IP")


def _gcp_forwarding_rule(ctx: Ctx, res: dict) -> None:
    """The first five forwarding rules of a project in a region cost one block price together; each
    one beyond them costs its own (https://cloud.google.com/vpc/network-pricing#lb)."""
    inputs = res["inputs"]
    prov = ctx.providers.get(res.get("provider") or "") or {}
    where = (inputs.get("project") or prov.get("project") or "", ctx.region(res))
    seen = [r for r in ctx.of_type(res["type"]) if (
        (r["inputs"].get("project") or (ctx.providers.get(r.get("provider") or "") or {}).get("project") or ""),
        ctx.region(r)) == where]
    index = next(i for i, r in enumerate(seen) if r["urn"] == res["urn"])
    if index == 0:
        ctx.add(res, "gcp", "lb.forwarding_rule", 1, f"forwarding rules, first 5 of the region ({min(len(seen), 5)} used)")
    elif index >= 5:
        ctx.add(res, "gcp", "lb.forwarding_rule_additional", 1, "forwarding rule beyond the first 5")
    if str(inputs.get("portRange") or "").split("-")[0] == "443":
        u = ctx.usage.cell(ctx.cells[res["urn"]])
        ctx.add(res, "gcp", "lb.data", u["gb_egress"], "load balancer data processed", usage=True, months=True)
        _egress(ctx, res, "gcp")


def _gcp_crypto_key(ctx: Ctx, res: dict) -> None:
    level = ((res["inputs"].get("versionTemplate") or {}).get("protectionLevel") or "SOFTWARE").lower()
    ring = res["inputs"].get("keyRing") or ""
    m = re.search(r"/locations/([^/]+)/", ring)
    ctx.add(res, "gcp", f"kms.{level}_key_version", 1, f"Cloud KMS key version ({level})", months=True,
            region=m.group(1) if m else None)
    # Every version stays billed while enabled: a rotation period adds one a period (first year counted).
    period = re.fullmatch(r"(\d+(?:\.\d+)?)s", str(res["inputs"].get("rotationPeriod") or ""))
    rotations = int(365 * 86400 // float(period.group(1))) if period and float(period.group(1)) > 0 else 0
    if rotations:
        ctx.add(res, "gcp", f"kms.{level}_key_version", rotations, f"Cloud KMS key versions from rotation (first year)",
                months=True, region=m.group(1) if m else None)


def _gcp_bucket(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    cls = (inputs.get("storageClass") or "STANDARD").lower()
    ctx.add(res, "gcp", f"gcs.{cls}_regional", ctx.usage.cell(ctx.cells[res["urn"]])["gb_stored"], "GCS storage",
            usage=True, months=True, region=(inputs.get("location") or "").lower() or None)


# Cloud Logging bytes per record of the network logs a cell's settings turn on (platform:cells[i].gcp.logging):
# an external Application LB request entry with its httpRequest and the backend's details is about 1.5 KB,
# a firewall rule log record (connection and instance metadata) about 1 KB
# (https://cloud.google.com/load-balancing/docs/https/https-logging-monitoring#what_is_logged,
# https://cloud.google.com/firewall/docs/firewall-rules-logging#log-format). VPC flow logs stay in
# usage.yaml's gb_logs (their volume follows the connections, not the requests).
LB_LOG_ENTRY_KB = 1.5
FIREWALL_LOG_ENTRY_KB = 1.0


def _gcp_backend_service(ctx: Ctx, res: dict) -> None:
    """The LB's request log: requests x sample rate x an entry (the backend itself is priced on the rules)."""
    log = res["inputs"].get("logConfig") or {}
    rate = _num(log.get("sampleRate"), 1.0) if log.get("enable") else 0.0
    if not rate:
        ctx.free[res["type"]] = "priced through the forwarding rules of the load balancer (request log off)"
        return
    requests = ctx.usage.cell(ctx.cells[res["urn"]])["requests_per_month"]
    ctx.add(res, "gcp", "logging.ingest", requests * rate * LB_LOG_ENTRY_KB / 1e6,
            f"Cloud Logging: LB request log at {rate:g} sampling", usage=True, months=True)


def _gcp_firewall(ctx: Ctx, res: dict) -> None:
    """Firewall rule logging: one record per connection the rule admits (at most one per request)."""
    if not res["inputs"].get("logConfig"):
        ctx.free[res["type"]] = "network plumbing carries no charge (rule logging off)"
        return
    requests = ctx.usage.cell(ctx.cells[res["urn"]])["requests_per_month"]
    ctx.add(res, "gcp", "logging.ingest", requests * FIREWALL_LOG_ENTRY_KB / 1e6,
            "Cloud Logging: firewall rule log (a connection per request, upper bound)", usage=True, months=True)


def _gcp_certificate(ctx: Ctx, res: dict) -> None:
    ctx.add(res, "gcp", "certificatemanager.certificate", 1, "Certificate Manager certificate", months=True)


# --- Azure -----------------------------------------------------------------------------------------

def _aks(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    tier = ((inputs.get("sku") or {}).get("tier") or "Free").lower()
    if tier == "free":
        ctx.free[res["type"] + " (Free tier)"] = "the Free tier control plane carries no charge"
    else:
        ctx.add(res, "azure", f"aks.{tier}_tier", 1, f"AKS {tier} tier control plane")
    vcpus = 0.0
    for pool in inputs.get("agentPoolProfiles") or []:
        nodes = _num(pool.get("minCount")) if pool.get("enableAutoScaling") else _num(pool.get("count"), 1)
        size = pool.get("vmSize") or "Standard_DS2_v2"
        if (pool.get("scaleSetPriority") or "Regular") == "Spot":
            ctx.not_priced(res, f"spot pool {pool.get('name')}")
            continue
        if ctx.add(res, "azure", f"vm.{size}", nodes, f"{size} node ({pool.get('name')})"):
            vcpus += nodes * (ctx.catalog.get("azure", ctx.region(res), f"vm.{size}").vcpus or 0)
        if pool.get("osDiskType") == "Managed":
            ctx.not_priced(res, f"managed OS disks of pool {pool.get('name')}")
        # Unset osDiskType on a VM size with a local disk: AKS uses ephemeral OS disks (in the VM price).
    net = inputs.get("networkProfile") or {}
    if (net.get("outboundType") or "loadBalancer") == "loadBalancer" and (net.get("loadBalancerSku") or "standard").lower() == "standard":
        # AKS creates (outside the program) a Standard load balancer for outbound traffic, with
        # managed public IPs (one unless managedOutboundIPs says more).
        ips = _num(((net.get("loadBalancerProfile") or {}).get("managedOutboundIPs") or {}).get("count"), 1)
        ctx.add(res, "azure", "network.lb_standard", 1, "AKS outbound load balancer (Standard)")
        ctx.add(res, "azure", "network.public_ip_standard", ips, "AKS outbound public IP (Standard)")
        ctx.add(res, "azure", "network.lb_standard_data", ctx.usage.cell(ctx.cells[res["urn"]])["gb_nat"],
                "AKS outbound data processed", usage=True, months=True)
    defender = ((inputs.get("securityProfile") or {}).get("defender") or {}).get("securityMonitoring") or {}
    if defender.get("enabled") and vcpus:
        ctx.add(res, "azure", "defender.containers", vcpus, "Defender for Containers (per vCore)", months=True)


def _app_gateway(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    tier = ((inputs.get("sku") or {}).get("tier") or "").lower()
    if tier not in ("waf_v2", "standard_v2"):
        ctx.not_priced(res, f"Application Gateway tier {tier or '?'} (v1 is retired)")
        return
    ctx.add(res, "azure", f"appgw.{tier}_fixed", 1, f"Application Gateway {tier.upper()}")
    auto = inputs.get("autoscaleConfiguration") or {}
    reserved = _num(auto.get("minCapacity"), _num((inputs.get("sku") or {}).get("capacity"), 0)) * 10
    u = ctx.usage.cell(ctx.cells[res["urn"]])
    mbps = u["gb_egress"] * 8000 / (ctx.catalog.hours_per_month * 3600)
    needed = max(reserved, mbps / 2.22)  # a capacity unit carries 2.22 Mbps; each reserved instance is 10 units
    ctx.add(res, "azure", f"appgw.{tier}_cu", needed, "Application Gateway capacity units", usage=needed > reserved)
    _egress(ctx, res, "azure")


def _azure_nat(ctx: Ctx, res: dict) -> None:
    ctx.add(res, "azure", "network.nat_gateway", 1, "NAT gateway")
    ctx.add(res, "azure", "network.nat_gateway_data", ctx.usage.cell(ctx.cells[res["urn"]])["gb_nat"],
            "NAT data processed", usage=True, months=True)


def _public_ip(ctx: Ctx, res: dict) -> None:
    sku = ((res["inputs"].get("sku") or {}).get("name") or "Basic").lower()
    if sku != "standard":
        ctx.not_priced(res, f"public IP sku {sku}")
        return
    ctx.add(res, "azure", "network.public_ip_standard", 1, "public IP (Standard)")


def _vault_key(ctx: Ctx, res: dict) -> None:
    props = res["inputs"].get("properties") or {}
    kty = props.get("kty") or "RSA"
    if not kty.endswith("-HSM"):
        ctx.free[res["type"] + " (software)"] = "software-protected keys bill per operation only"
        return
    key = "hsm_key_rsa2048" if kty == "RSA-HSM" and _num(props.get("keySize"), 2048) == 2048 else "hsm_key_advanced"
    label = f"Key Vault HSM key ({kty} {int(_num(props.get('keySize'), 2048))})"
    ctx.add(res, "azure", f"keyvault.{key}", 1, label, months=True)
    # Each key version is billed as a key; a rotation policy adds versions (kept: the estimate is the
    # key a year after creation, its rotations of that year counted).
    rotations = _yearly(_iso_days(a) for a in ((props.get("rotationPolicy") or {}).get("lifetimeActions") or [])
                        if str(((a.get("action") or {}).get("type")) or "").lower() == "rotate")
    if rotations:
        ctx.add(res, "azure", f"keyvault.{key}", rotations, f"{label}: versions from rotation (first year)", months=True)


def _iso_days(action: dict) -> Optional[float]:
    """Days of an ISO 8601 duration in a rotation trigger (P90D, P1Y, P3M); None if absent."""
    raw = str(((action.get("trigger") or {}).get("timeAfterCreate")) or "")
    m = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?", raw)
    if not m or not any(m.groups()):
        return None
    y, mo, d = (int(x or 0) for x in m.groups())
    return y * 365 + mo * 30 + d


def _yearly(periods) -> int:
    """Rotations within a year for the shortest rotation period given (0 when none)."""
    days = [p for p in periods if p]
    return int(365 // min(days)) if days else 0


def _storage_account(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    sku = (inputs.get("sku") or {}).get("name") or "Standard_LRS"
    ctx.add(res, "azure", f"storage.blob_{(inputs.get('accessTier') or 'Hot').lower()}_{sku}",
            ctx.usage.cell(ctx.cells[res["urn"]])["gb_stored"], f"Blob storage ({sku})", usage=True, months=True)


def _workspace(ctx: Ctx, res: dict) -> None:
    sku = ((res["inputs"].get("sku") or {}).get("name") or "PerGB2018").lower()
    ctx.add(res, "azure", f"loganalytics.ingest_{sku}", ctx.usage.cell(ctx.cells[res["urn"]])["gb_logs"],
            "Log Analytics ingestion", usage=True, months=True)


def _cert_order(ctx: Ctx, res: dict) -> None:
    product = res["inputs"].get("productType") or ""
    if product != "StandardDomainValidatedSsl":
        ctx.not_priced(res, f"certificate product {product}")
        return
    ctx.add(res, "azure", "appservice.certificate_standard", 1, "App Service certificate (Standard)",
            region="global")


def _waf_policy(ctx: Ctx, res: dict) -> None:
    gateways = ctx.of_type("azure-native:network:ApplicationGateway", ctx.cells[res["urn"]])
    if any(((g["inputs"].get("sku") or {}).get("tier") == "WAF_v2") for g in gateways):
        ctx.free[res["type"]] = "included in the WAF_v2 Application Gateway price"
    else:
        ctx.not_priced(res, "WAF policy outside a WAF_v2 Application Gateway (Front Door WAF)")


def _k8s_service(ctx: Ctx, res: dict) -> None:
    if ((res["inputs"].get("spec") or {}).get("type")) == "LoadBalancer":
        ctx.not_priced(res, "a Service of type LoadBalancer makes the cloud create a load balancer")
    else:
        ctx.free[res["type"]] = "runs on the cluster's nodes"


def _egress(ctx: Ctx, res: dict, cloud: str) -> None:
    u = ctx.usage.cell(ctx.cells[res["urn"]])
    ctx.add(res, cloud, "data_transfer.internet_out", u["gb_egress"], "internet egress", usage=True, months=True)


RULES: dict[str, Callable[[Ctx, dict], None]] = {
    "aws:eks/cluster:Cluster": lambda c, r: c.add(r, "aws", "eks.cluster", 1, "EKS control plane"),
    "aws:eks/nodeGroup:NodeGroup": _aws_node_group,
    "aws:ec2/natGateway:NatGateway": _aws_nat,
    "aws:ec2/eip:Eip": lambda c, r: c.add(r, "aws", "vpc.public_ipv4", 1, "public IPv4 (Elastic IP)"),
    "aws:lb/loadBalancer:LoadBalancer": _aws_lb,
    "aws:alb/loadBalancer:LoadBalancer": _aws_lb,
    "aws:kms/key:Key": lambda c, r: _aws_kms_key(c, r),
    "aws:route53/zone:Zone": _aws_zone,
    "aws:route53/healthCheck:HealthCheck": _aws_health_check,
    "aws:s3/bucket:Bucket": _aws_bucket,
    "aws:s3/bucketV2:BucketV2": _aws_bucket,
    "aws:cloudwatch/logGroup:LogGroup": _aws_log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": lambda c, r: c.add(r, "aws", "cloudwatch.alarm", 1, "CloudWatch alarm",
                                                                 months=True),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _aws_vpc_endpoint,
    "aws:wafv2/webAcl:WebAcl": _aws_waf,
    "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy": _gcp_armor,
    "aws:acm/certificate:Certificate": _aws_certificate,
    "gcp:container/cluster:Cluster": _gcp_cluster,
    "gcp:container/nodePool:NodePool": _gcp_node_pool,
    "gcp:compute/routerNat:RouterNat": _gcp_nat,
    "gcp:compute/address:Address": _gcp_address,
    "gcp:compute/forwardingRule:ForwardingRule": _gcp_forwarding_rule,
    "gcp:kms/cryptoKey:CryptoKey": _gcp_crypto_key,
    "gcp:storage/bucket:Bucket": _gcp_bucket,
    "gcp:certificatemanager/certificate:Certificate": _gcp_certificate,
    "gcp:compute/regionBackendService:RegionBackendService": _gcp_backend_service,
    "gcp:compute/firewall:Firewall": _gcp_firewall,
    "azure-native:containerservice:ManagedCluster": _aks,
    "azure-native:network:ApplicationGateway": _app_gateway,
    "azure-native:network:PublicIPAddress": _public_ip,
    "azure-native:network:NatGateway": _azure_nat,
    "azure-native:keyvault:Key": _vault_key,
    "azure-native:storage:StorageAccount": _storage_account,
    "azure-native:operationalinsights:Workspace": _workspace,
    "azure-native:certificateregistration:AppServiceCertificateOrder": _cert_order,
    "azure-native:network:WebApplicationFirewallPolicy": _waf_policy,
    "kubernetes:core/v1:Service": _k8s_service,
    "aws:amp/workspace:Workspace": lambda c, r: _samples(c, r, "aws", "amp.ingest", "AMP samples ingested"),
    "azure-native:monitor:AzureMonitorWorkspace": lambda c, r: _samples(
        c, r, "azure", "monitor.prometheus_ingest", "managed Prometheus samples ingested"),
}

# Free monthly allowances, deducted once per stack (the scope each applies to is at least the stack's:
# a project, an account, a billing account): (cloud, catalog key) -> (quantity, what it is).
FREE_ALLOWANCES: dict[tuple[str, str], tuple[float, str]] = {
    ("gcp", "logging.ingest"): (50.0, "Cloud Logging: the first 50 GiB of a project a month"),
    ("aws", "data_transfer.internet_out"): (100.0, "AWS: the first 100 GB out to the internet a month, all regions"),
    ("azure", "data_transfer.internet_out"): (100.0, "Azure: the first 100 GB out to the internet a month"),
    ("azure", "loganalytics.ingest_pergb2018"): (5.0, "Log Analytics: the first 5 GB of a billing account a month"),
}


def _allowances(ctx: Ctx) -> None:
    """One negative line per allowance the stack's usage reaches, on the first line it applies to."""
    for (cloud, key), (free, what) in FREE_ALLOWANCES.items():
        lines = [l for l in ctx.lines if l.item == key and _cloud_of(l.type) == cloud]
        used = sum(l.quantity for l in lines)
        if not lines or used <= 0:
            continue
        first = lines[0]
        qty = min(used, free)
        ctx.lines.append(Line(first.urn, first.type, first.name, first.cell, key, f"free allowance: {what}", -qty,
                              first.unit, first.unit_price, -qty * first.unit_price, first.region, usage=True,
                              verified=first.verified))

# Types the providers do not bill by themselves (their cost, if any, is on a priced resource).
FREE: dict[str, str] = {
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "IAM roles carry no charge",
    **{t: "IAM carries no charge" for t in (
        "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/policy:Policy", "aws:iam/instanceProfile:InstanceProfile", "aws:eks/podIdentityAssociation:PodIdentityAssociation",
        "gcp:projects/iAMMember:IAMMember", "gcp:serviceaccount/account:Account", "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "gcp:storage/bucketIAMMember:BucketIAMMember",
        "azure-native:authorization:RoleAssignment", "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:managedidentity:FederatedIdentityCredential")},
    **{t: "network plumbing carries no charge" for t in (
        "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/routeTable:RouteTable", "aws:ec2/route:Route",
        "aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "gcp:compute/network:Network", "gcp:compute/subnetwork:Subnetwork", "gcp:compute/firewall:Firewall",
        "gcp:compute/router:Router", "azure-native:network:VirtualNetwork", "azure-native:network:Subnet",
        "azure-native:network:NetworkSecurityGroup")},
    "aws:ec2/launchTemplate:LaunchTemplate": "priced through the node group that launches it",
    "aws:ec2/flowLog:FlowLog": "its cost is the log group's ingestion",
    "aws:eks/addon:Addon": "EKS add-ons carry no charge of their own",
    "aws:autoscaling/attachment:Attachment": "an attachment carries no charge",
    "aws:acm/certificateValidation:CertificateValidation": "a validation waiter, not a resource",
    "aws:lb/listener:Listener": "priced with the load balancer", "aws:lb/targetGroup:TargetGroup": "priced with the load balancer",
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
    "gcp:monitoring/notificationChannel:NotificationChannel": "notification channels are free",
    "gcp:monitoring/alertPolicy:AlertPolicy": "alert policies bill per condition and time series scanned (usage)",
    "azure-native:monitor:DataCollectionEndpoint": "data collection endpoints are free",
    "azure-native:monitor:DataCollectionRule": "data collection rules are free; ingestion is priced on the workspace",
    "azure-native:monitor:DataCollectionRuleAssociation": "associations are free",
    "azure-native:monitor:ActionGroup": "the first 1,000 emails a month are free",
    "azure-native:eventgrid:SystemTopic": "a system topic is free; operations bill per million (usage), a few a year here",
    "azure-native:eventgrid:SystemTopicEventSubscription": "subscriptions are free; deliveries are operations (usage)",
    "azure-native:alertsmanagement:PrometheusRuleGroup": "rule evaluation bills per query samples (usage)",
    "aws:sns/topicPolicy:TopicPolicy": "a policy carries no charge",
    **{t: "bucket configuration, priced with the bucket" for t in (
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "aws:s3/bucketPolicy:BucketPolicy",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "azure-native:storage:BlobContainer", "azure-native:storage:BlobServiceProperties",
        "azure-native:storage:ManagementPolicy")},
    "gcp:projects/service:Service": "enabling an API is free",
    "gcp:projects/serviceIdentity:ServiceIdentity": "creating a Google service agent is free",
    **{t: "log ingestion is billed the same whichever bucket stores it; 30 days of retention are included" for t in (
        "gcp:logging/projectBucketConfig:ProjectBucketConfig", "gcp:logging/projectSink:ProjectSink",
        "gcp:logging/projectExclusion:ProjectExclusion")},
    "time:index/sleep:Sleep": "a wait inside the deployment, no cloud object",
    "gcp:kms/keyRing:KeyRing": "key rings are free; key versions are priced",
    "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule": "priced on its Cloud Armor policy (per rule)",
    "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": "DNS authorizations are free",
    **{t: "priced through the forwarding rules of the load balancer" for t in (
        "gcp:compute/regionBackendService:RegionBackendService", "gcp:compute/regionHealthCheck:RegionHealthCheck",
        "gcp:compute/regionSslPolicy:RegionSslPolicy", "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy",
        "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy", "gcp:compute/regionUrlMap:RegionUrlMap",
        "gcp:compute/instanceGroupNamedPort:InstanceGroupNamedPort")},
    "azure-native:resources:ResourceGroup": "resource groups are free",
    "azure-native:keyvault:Vault": "vaults bill per key and operation, not per vault",
    "azure-native:compute:DiskEncryptionSet": "disk encryption sets are free",
    "azure-native:certificateregistration:AppServiceCertificateOrderCertificate": "the certificate's binding to a vault is free",
    "azure-native:keyvault:Secret": "vaults bill per operation; a secret has no standing charge",
    "azure-native:monitor:DiagnosticSetting": "its cost is the workspace's ingestion",
    "azure-native:containerservice:MaintenanceConfiguration": "a maintenance schedule carries no charge",
    "acme:index/registration:Registration": "ACME accounts are free (Let's Encrypt)",
    "acme:index/certificate:Certificate": "ACME certificates are free (Let's Encrypt)",
    "tls:index/privateKey:PrivateKey": "a key generated in the program's state",
    "time:index/sleep:Sleep": "a wait in the program, not a cloud resource",
}
FREE_PREFIXES = {"kubernetes:": "runs on the cluster's nodes"}


def _cell_of(res: dict, by_urn: dict[str, dict]) -> str:
    seen = 0
    node: Optional[dict] = res
    while node is not None and seen < 64:
        inputs = node.get("inputs") or {}
        for key in ("tags", "labels", "resourceLabels"):
            bag = inputs.get(key)
            if isinstance(bag, dict) and isinstance(bag.get("cell"), str):
                return bag["cell"]
        labels = (inputs.get("metadata") or {}).get("labels") if isinstance(inputs.get("metadata"), dict) else None
        if isinstance(labels, dict) and isinstance(labels.get("cell"), str):
            return labels["cell"]
        if node["type"].endswith(":Cell") and not node.get("id"):
            return node["name"]
        node = by_urn.get(node.get("parent") or "")
        seen += 1
    return GLOBAL


def _cloud_of(type_: str) -> Optional[str]:
    return cloud_of_package(type_.split(":", 1)[0])


# The stack config key of each cloud's default region (a plugin's fact): DEFAULT_REGION_KEYS.


def estimate(resources: list[dict], usage: Optional[Usage] = None, catalog: Optional[Catalog] = None,
             config: Optional[dict[str, str]] = None) -> dict:
    """The "cost" section of a report, from its resources (report dicts, in registration order).

    `config` (the stack's flat config) gives the default providers' regions."""
    catalog = catalog or load_catalog()
    usage = usage or Usage()
    by_urn = {r["urn"]: r for r in resources}
    providers = {}
    for r in resources:
        if r["type"].startswith("pulumi:providers:"):
            providers[f"{r['urn']}::{r.get('id')}"] = r.get("inputs") or {}
    cells = {r["urn"]: _cell_of(r, by_urn) for r in resources}
    cell_cloud: dict[str, str] = {}
    for r in resources:
        cloud = _cloud_of(r["type"])
        if cloud and cells[r["urn"]] != GLOBAL:
            cell_cloud.setdefault(cells[r["urn"]], cloud)
    defaults = {cloud: str((config or {}).get(key)).lower() for cloud, key in DEFAULT_REGION_KEYS.items()
                if (config or {}).get(key)}
    ctx = Ctx(catalog, usage, resources, by_urn, providers, defaults, cells, cell_cloud)
    for r in resources:
        if not r.get("id") or r["type"].startswith("pulumi:"):
            continue  # components, providers and stack references cost nothing themselves
        rule = RULES.get(r["type"])
        if rule is not None:
            rule(ctx, r)
        elif r["type"] in FREE:
            ctx.free[r["type"]] = FREE[r["type"]]
        elif any(r["type"].startswith(p) for p in FREE_PREFIXES):
            ctx.free[r["type"]] = next(v for p, v in FREE_PREFIXES.items() if r["type"].startswith(p))
        else:
            ctx.not_priced(r, "no cost rule for this type")
    _dns_queries(ctx)
    _allowances(ctx)
    return summarize(ctx)


def summarize(ctx: Ctx) -> dict:
    by_cell: dict[str, float] = defaultdict(float)
    by_type: dict[str, float] = defaultdict(float)
    for line in ctx.lines:
        by_cell[line.cell] += line.monthly
        by_type[line.type] += line.monthly
    return {
        "currency": ctx.catalog.currency,
        "monthly": round(sum(l.monthly for l in ctx.lines), 2),
        "by_cell": {k: round(v, 2) for k, v in sorted(by_cell.items())},
        "by_type": {k: round(v, 2) for k, v in sorted(by_type.items(), key=lambda kv: -kv[1])},
        "unpriced": [asdict(u) for u in ctx.unpriced],
        "unpriced_types": sorted({u.type for u in ctx.unpriced}),
        "free_types": dict(sorted(ctx.free.items())),
        "catalog_date": ctx.catalog.date,
        "usage": ctx.usage.report(),
        "lines": [asdict(l) | {"monthly": round(l.monthly, 4)} for l in ctx.lines],
        # Prices not checked against the providers' price APIs (catalog `verification`), and what the
        # estimate leaves out on purpose (e.g. a credit that does not apply), with the reason.
        "unverified": {"monthly": round(sum(l.monthly for l in ctx.lines if not l.verified), 2),
                       "regions": sorted({f"{_cloud_of(l.type)}/{l.region}" for l in ctx.lines if not l.verified})},
        "notes": list(dict.fromkeys(ctx.notes)),
    }
