"""Google Cloud pricing rules: the bill lines of each GCP resource type, the types Google does not
bill, and the free allowances (the interface: offline/pricing/model.py).

Loaded by the offline engine from this file (not through the `components` package): import only the
engine's pricing model and the standard library here.
"""
from __future__ import annotations

import re
import urllib.parse
from typing import Iterable, Optional

from offline.pricing.model import Ctx, edge_waf, egress, num

def _gke_nodes(res: dict) -> float:
    inputs = res["inputs"]
    auto = inputs.get("autoscaling") or {}
    zones = len(inputs.get("nodeLocations") or []) or 3  # a regional cluster spreads over 3 zones
    if "totalMinNodeCount" in auto:
        return num(auto["totalMinNodeCount"])
    if "minNodeCount" in auto:
        return num(auto["minNodeCount"]) * zones
    return num(inputs.get("nodeCount"), num(inputs.get("initialNodeCount"), 1)) * zones


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
        ctx.add(res, "gcp", f"compute.{disk}", nodes * num(cfg.get("diskSizeGb"), 100), f"{disk} node disk",
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
        egress(ctx, res, "gcp")


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
    rate = num(log.get("sampleRate"), 1.0) if log.get("enable") else 0.0
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


# Cloud Armor rules managed as their own resources count the same as the policy's inline ones.
_gcp_armor = edge_waf("gcp", "armor", "policy", "Cloud Armor", "Cloud Armor policy",
                      rule_type="gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule")

RULES = {
    "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy": _gcp_armor,
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
}
STACK_RULES = ()
FREE_ALLOWANCES = {
    "logging.ingest": (50.0, "Cloud Logging: the first 50 GiB of a project a month"),
}
# Types Google Cloud does not bill by themselves (their cost, if any, is on a priced resource).
FREE = {
    **{t: "IAM carries no charge" for t in (
        "gcp:projects/iAMMember:IAMMember",
        "gcp:serviceaccount/account:Account",
        "gcp:serviceaccount/iAMMember:IAMMember",
        "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
        "gcp:storage/bucketIAMMember:BucketIAMMember")},
    **{t: "network plumbing carries no charge" for t in (
        "gcp:compute/network:Network",
        "gcp:compute/subnetwork:Subnetwork",
        "gcp:compute/firewall:Firewall",
        "gcp:compute/router:Router")},
    "gcp:monitoring/notificationChannel:NotificationChannel": "notification channels are free",
    "gcp:monitoring/alertPolicy:AlertPolicy": "alert policies bill per condition and time series scanned (usage)",
    "gcp:projects/service:Service": "enabling an API is free",
    "gcp:projects/serviceIdentity:ServiceIdentity": "creating a Google service agent is free",
    **{t: "log ingestion is billed the same whichever bucket stores it; 30 days of retention are included" for t in (
        "gcp:logging/projectBucketConfig:ProjectBucketConfig",
        "gcp:logging/projectSink:ProjectSink",
        "gcp:logging/projectExclusion:ProjectExclusion")},
    "gcp:kms/keyRing:KeyRing": "key rings are free; key versions are priced",
    "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule": "priced on its Cloud Armor policy (per rule)",
    "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": "DNS authorizations are free",
    **{t: "priced through the forwarding rules of the load balancer" for t in (
        "gcp:compute/regionBackendService:RegionBackendService",
        "gcp:compute/regionHealthCheck:RegionHealthCheck",
        "gcp:compute/regionSslPolicy:RegionSslPolicy",
        "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy",
        "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy",
        "gcp:compute/regionUrlMap:RegionUrlMap",
        "gcp:compute/instanceGroupNamedPort:InstanceGroupNamedPort")},
}


# --- the price list (python -m offline.pricing.refresh; needs network, tests do not) -----------------
# Cloud Billing Catalog API: the SKUs of a service, matched by description and service region.
GCP_SKUS_URL = "https://cloudbilling.googleapis.com/v1/services/{service}/skus"
GCP_SERVICES_URL = "https://cloudbilling.googleapis.com/v1/services"
API_KEY_ENV = "GCP_API_KEY"  # the Cloud Billing Catalog API takes an API key (also --gcp-api-key)
# Services by display name; their ids come from the services list at refresh time.
GCP_SERVICES = {"compute": "Compute Engine", "gke": "Kubernetes Engine", "storage": "Cloud Storage",
                "kms": "Cloud Key Management Service (KMS)", "networking": "Networking"}
GCP_MACHINES = {"e2-standard-4": (4, 16)}  # vCPUs, GB of memory: E2 prices per core-hour and per GB-hour


def _gcp_unit_price(sku: dict) -> Optional[float]:
    info = (sku.get("pricingInfo") or [{}])[0]
    tiers = (info.get("pricingExpression") or {}).get("tieredRates") or []
    # The first paid tier: free allotments come as a zero-priced first tier.
    for tier in tiers:
        money = tier.get("unitPrice") or {}
        value = int(money.get("units") or 0) + int(money.get("nanos") or 0) / 1e9
        if value > 0:
            return value
    return 0.0 if tiers else None


def parse_gcp_services(pages: Iterable[dict]) -> dict[str, str]:
    """Display name -> service id, from the Cloud Billing Catalog's services list."""
    return {svc["displayName"]: svc["serviceId"] for page in pages for svc in page.get("services") or []}


def parse_gcp_skus(pages: Iterable[dict], region: str, description: str) -> Optional[float]:
    """Unit price of the on-demand SKU whose description matches the regex and that serves `region`."""
    pattern = re.compile(description)
    for page in pages:
        for sku in page.get("skus") or []:
            cat = sku.get("category") or {}
            if cat.get("usageType", "OnDemand") != "OnDemand":
                continue
            if region not in (sku.get("serviceRegions") or []) and "global" not in (sku.get("serviceRegions") or []):
                continue
            if pattern.search(sku.get("description", "")):
                return _gcp_unit_price(sku)
    return None


# key -> (service, description regex); e2 machine types are composed from core and RAM prices.
GCP_QUERIES: dict[str, tuple[str, str]] = {
    "gke.cluster_management": ("gke", r"^Regional Kubernetes Clusters$"),
    "compute.pd-balanced": ("compute", r"^Balanced PD Capacity"),
    "compute.pd-standard": ("compute", r"^Storage PD Capacity"),
    "compute.external_ip": ("compute", r"^External IP Charge on a Standard VM"),
    "nat.gateway_vm": ("networking", r"^Networking Cloud NAT Gateway Uptime"),
    "nat.data": ("networking", r"^Networking Cloud NAT Data Processing"),
    "lb.forwarding_rule": ("networking", r"Regional External Application Load Balancer Forwarding Rule"),
    "kms.software_key_version": ("kms", r"^Active software symmetric key versions"),
    "gcs.standard_regional": ("storage", r"^Standard Storage "),
}


def _gcp_list(url: str, api_key: str, extra: dict):
    from offline.pricing.refresh import get_json

    token = ""
    while True:
        query = {"key": api_key, "pageSize": 5000} | extra | ({"pageToken": token} if token else {})
        page = get_json(url + "?" + urllib.parse.urlencode(query))
        yield page
        token = page.get("nextPageToken") or ""
        if not token:
            return


def network_fetch(api_key: str = ""):
    """fetch(service key) -> the SKU pages of one of GCP_SERVICES (its id looked up by display name)."""
    def pages(service: str):
        ids = parse_gcp_services(_gcp_list(GCP_SERVICES_URL, api_key, {}))
        return _gcp_list(GCP_SKUS_URL.format(service=ids[GCP_SERVICES[service]]), api_key, {"currencyCode": "USD"})
    return pages


def refresh_prices(prices: dict, fetch, kept: list) -> None:
    """Replace the price and source of every entry of `prices` (region -> key -> entry) that has a
    query; say in `kept` why any other is left as it is. fetch(service key) -> SKU pages."""
    pages: dict = {}
    for region, entries in prices.items():
        for key, entry in entries.items():
            if key.startswith("compute.instance.") and key.split(".", 2)[2] in GCP_MACHINES:
                family = key.split(".", 2)[2].split("-")[0].upper()
                cores, ram = GCP_MACHINES[key.split(".", 2)[2]]
                doc = pages.setdefault("compute", list(fetch("compute")))
                core = parse_gcp_skus(doc, region, rf"^{family} Instance Core running in")
                mem = parse_gcp_skus(doc, region, rf"^{family} Instance Ram running in")
                if core is None or mem is None:
                    kept.append(f"gcp/{region}/{key}: core or RAM SKU not found")
                    continue
                entry["price"] = round(cores * core + ram * mem, 6)
                entry["source"] = GCP_SKUS_URL.format(service="<" + GCP_SERVICES["compute"] + ">")
                continue
            if key not in GCP_QUERIES:
                kept.append(f"gcp/{region}/{key}: no price-list query")
                continue
            service, desc = GCP_QUERIES[key]
            doc = pages.setdefault(service, list(fetch(service)))
            price = parse_gcp_skus(doc, region, desc)
            if price is None:
                kept.append(f"gcp/{region}/{key}: not found")
                continue
            entry["price"], entry["source"] = price, GCP_SKUS_URL.format(service=f"<{GCP_SERVICES[service]}>")
