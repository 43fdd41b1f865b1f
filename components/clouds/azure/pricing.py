"""Azure pricing rules: the bill lines of each azure-native resource type, the types Azure does not
bill, and the free allowances (the interface: offline/pricing/model.py).

Loaded by the offline engine from this file (not through the `components` package): import only the
engine's pricing model and the standard library here.
"""
from __future__ import annotations

import re
import urllib.parse
from typing import Callable, Iterable, Optional

from offline.pricing.model import Ctx, egress, num, samples

def _aks(ctx: Ctx, res: dict) -> None:
    inputs = res["inputs"]
    tier = ((inputs.get("sku") or {}).get("tier") or "Free").lower()
    if tier == "free":
        ctx.free[res["type"] + " (Free tier)"] = "the Free tier control plane carries no charge"
    else:
        ctx.add(res, "azure", f"aks.{tier}_tier", 1, f"AKS {tier} tier control plane")
    vcpus = 0.0
    for pool in inputs.get("agentPoolProfiles") or []:
        nodes = num(pool.get("minCount")) if pool.get("enableAutoScaling") else num(pool.get("count"), 1)
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
        ips = num(((net.get("loadBalancerProfile") or {}).get("managedOutboundIPs") or {}).get("count"), 1)
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
    reserved = num(auto.get("minCapacity"), num((inputs.get("sku") or {}).get("capacity"), 0)) * 10
    u = ctx.usage.cell(ctx.cells[res["urn"]])
    mbps = u["gb_egress"] * 8000 / (ctx.catalog.hours_per_month * 3600)
    needed = max(reserved, mbps / 2.22)  # a capacity unit carries 2.22 Mbps; each reserved instance is 10 units
    ctx.add(res, "azure", f"appgw.{tier}_cu", needed, "Application Gateway capacity units", usage=needed > reserved)
    egress(ctx, res, "azure")


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
    key = "hsm_key_rsa2048" if kty == "RSA-HSM" and num(props.get("keySize"), 2048) == 2048 else "hsm_key_advanced"
    label = f"Key Vault HSM key ({kty} {int(num(props.get('keySize'), 2048))})"
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


RULES = {
    "azure-native:containerservice:ManagedCluster": _aks,
    "azure-native:network:ApplicationGateway": _app_gateway,
    "azure-native:network:PublicIPAddress": _public_ip,
    "azure-native:network:NatGateway": _azure_nat,
    "azure-native:keyvault:Key": _vault_key,
    "azure-native:storage:StorageAccount": _storage_account,
    "azure-native:operationalinsights:Workspace": _workspace,
    "azure-native:certificateregistration:AppServiceCertificateOrder": _cert_order,
    "azure-native:network:WebApplicationFirewallPolicy": _waf_policy,
    "azure-native:monitor:AzureMonitorWorkspace": samples("azure", "monitor.prometheus_ingest",
                                                          "managed Prometheus samples ingested"),
}
STACK_RULES = ()
FREE_ALLOWANCES = {
    "data_transfer.internet_out": (100.0, "Azure: the first 100 GB out to the internet a month"),
    "loganalytics.ingest_pergb2018": (5.0, "Log Analytics: the first 5 GB of a billing account a month"),
}
# Types Azure does not bill by themselves (their cost, if any, is on a priced resource).
FREE = {
    **{t: "IAM carries no charge" for t in (
        "azure-native:authorization:RoleAssignment",
        "azure-native:managedidentity:UserAssignedIdentity",
        "azure-native:managedidentity:FederatedIdentityCredential")},
    **{t: "network plumbing carries no charge" for t in (
        "azure-native:network:VirtualNetwork",
        "azure-native:network:Subnet",
        "azure-native:network:NetworkSecurityGroup")},
    "azure-native:monitor:DataCollectionEndpoint": "data collection endpoints are free",
    "azure-native:monitor:DataCollectionRule": "data collection rules are free; ingestion is priced on the workspace",
    "azure-native:monitor:DataCollectionRuleAssociation": "associations are free",
    "azure-native:monitor:ActionGroup": "the first 1,000 emails a month are free",
    "azure-native:eventgrid:SystemTopic": "a system topic is free; operations bill per million (usage), a few a year here",
    "azure-native:eventgrid:SystemTopicEventSubscription": "subscriptions are free; deliveries are operations (usage)",
    "azure-native:alertsmanagement:PrometheusRuleGroup": "rule evaluation bills per query samples (usage)",
    **{t: "bucket configuration, priced with the bucket" for t in (
        "azure-native:storage:BlobContainer",
        "azure-native:storage:BlobServiceProperties",
        "azure-native:storage:ManagementPolicy")},
    "azure-native:resources:ResourceGroup": "resource groups are free",
    "azure-native:keyvault:Vault": "vaults bill per key and operation, not per vault",
    "azure-native:compute:DiskEncryptionSet": "disk encryption sets are free",
    "azure-native:certificateregistration:AppServiceCertificateOrderCertificate": "the certificate's binding to a vault is free",
    "azure-native:keyvault:Secret": "vaults bill per operation; a secret has no standing charge",
    "azure-native:monitor:DiagnosticSetting": "its cost is the workspace's ingestion",
    "azure-native:containerservice:MaintenanceConfiguration": "a maintenance schedule carries no charge",
}


# --- the price list (python -m offline.pricing.refresh; needs network, tests do not) -----------------
# Retail Prices API: pay-as-you-go consumption prices.
AZURE_URL = "https://prices.azure.com/api/retail/prices"
API_KEY_ENV = ""  # the Retail Prices API takes no key

# key -> (OData filter without the region, predicate on an item)
AZURE_QUERIES: dict[str, tuple[str, Callable[[dict], bool]]] = {
    "aks.standard_tier": ("serviceName eq 'Azure Kubernetes Service'", lambda i: "Uptime SLA" in i["meterName"]),
    "appgw.waf_v2_fixed": ("serviceName eq 'Application Gateway'",
                           lambda i: i["skuName"] == "WAF v2" and "Fixed Cost" in i["meterName"]),
    "appgw.waf_v2_cu": ("serviceName eq 'Application Gateway'",
                        lambda i: i["skuName"] == "WAF v2" and "Capacity Unit" in i["meterName"]),
    "network.public_ip_standard": ("serviceName eq 'Virtual Network'",
                                   lambda i: i["meterName"] == "Standard IPv4 Static Public IP"),
    "keyvault.hsm_key_rsa2048": ("serviceName eq 'Key Vault'",
                                 lambda i: "HSM-protected RSA 2048" in i["meterName"] and i["unitPrice"] > 0),
    "keyvault.hsm_key_advanced": ("serviceName eq 'Key Vault'",
                                  lambda i: "HSM-protected Advanced Key" in i["meterName"] and i["unitPrice"] > 0),
    "storage.blob_hot_Standard_ZRS": ("serviceName eq 'Storage'",
                                      lambda i: i["productName"] == "General Block Blob v2"
                                      and i["meterName"] == "Hot ZRS Data Stored"),
    "storage.blob_hot_Standard_LRS": ("serviceName eq 'Storage'",
                                      lambda i: i["productName"] == "General Block Blob v2"
                                      and i["meterName"] == "Hot LRS Data Stored"),
    "loganalytics.ingest_pergb2018": ("serviceName eq 'Log Analytics'",
                                      lambda i: "Data Ingestion" in i["meterName"] and i["unitPrice"] > 0),
}


def azure_vm_predicate(size: str) -> Callable[[dict], bool]:
    return lambda i: (i.get("armSkuName") == size and "Windows" not in i["productName"]
                      and not re.search(r"Spot|Low Priority", i["skuName"]))


def parse_azure_items(pages: Iterable[dict], predicate: Callable[[dict], bool]) -> Optional[tuple[float, str]]:
    """(unit price, unit of measure) of the first pay-as-you-go consumption item the predicate accepts."""
    for page in pages:
        for item in page.get("Items") or []:
            if item.get("type") != "Consumption" or item.get("currencyCode", "USD") != "USD":
                continue
            if predicate(item):
                return float(item["unitPrice"]), item.get("unitOfMeasure", "")
    return None


def network_fetch(api_key: str = ""):
    """fetch(OData filter) -> the Retail Prices pages, following NextPageLink."""
    from offline.pricing.refresh import get_json

    def pages(flt: str):
        url: Optional[str] = AZURE_URL + "?" + urllib.parse.urlencode({"$filter": flt})
        while url:
            page = get_json(url)
            yield page
            url = page.get("NextPageLink")
    return pages


def refresh_prices(prices: dict, fetch, kept: list) -> None:
    """Replace the price and source of every entry of `prices` (region -> key -> entry) that has a
    query; say in `kept` why any other is left as it is. fetch(OData filter) -> Retail Prices pages."""
    for region, entries in prices.items():
        for key, entry in entries.items():
            if key.startswith("vm."):
                flt, pred = "serviceName eq 'Virtual Machines'", azure_vm_predicate(key[3:])
                flt += f" and armSkuName eq '{key[3:]}'"
            elif key in AZURE_QUERIES:
                flt, pred = AZURE_QUERIES[key]
            else:
                kept.append(f"azure/{region}/{key}: no price-list query")
                continue
            if region != "global":
                flt += f" and armRegionName eq '{region}'"
            found = parse_azure_items(fetch(flt), pred)
            if found is None:
                kept.append(f"azure/{region}/{key}: not found")
                continue
            entry["price"] = found[0]
            entry["source"] = AZURE_URL + "?" + urllib.parse.urlencode({"$filter": flt})
