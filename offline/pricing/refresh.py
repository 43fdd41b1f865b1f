"""Refresh `catalog.json` from the providers' public price-list APIs (needs network; tests do not).

    python -m offline.pricing.refresh [--cloud aws|gcp|azure]... [--dry-run]
          [--gcp-api-key KEY]      (the Cloud Billing Catalog API takes an API key; env GCP_API_KEY)

- AWS: Price List Bulk API, one offer file per service and region
  (https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<offer>/current/<region>/index.json).
- GCP: Cloud Billing Catalog API, the SKUs of a service
  (https://cloudbilling.googleapis.com/v1/services/<service id>/skus), matched by description
  and service region.
- Azure: Retail Prices API (https://prices.azure.com/api/retail/prices?$filter=...), pay-as-you-go
  consumption prices.

Each catalog entry that has a query below gets its price and source replaced; an entry without a
query, or whose query finds nothing, is kept and listed at the end (never silently dropped). The
catalog date becomes the day the refresh ran.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import urllib.parse
import urllib.request
from typing import Callable, Iterable, Optional

from .catalog import CATALOG_FILE

AWS_OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}index.json"
GCP_SKUS_URL = "https://cloudbilling.googleapis.com/v1/services/{service}/skus"
AZURE_URL = "https://prices.azure.com/api/retail/prices"

GCP_SERVICES_URL = "https://cloudbilling.googleapis.com/v1/services"
# Services by display name; their ids come from the services list at refresh time.
GCP_SERVICES = {"compute": "Compute Engine", "gke": "Kubernetes Engine", "storage": "Cloud Storage",
                "kms": "Cloud Key Management Service (KMS)", "networking": "Networking"}
GCP_MACHINES = {"e2-standard-4": (4, 16)}  # vCPUs, GB of memory: E2 prices per core-hour and per GB-hour

# --- AWS -------------------------------------------------------------------------------------------
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


# --- GCP -------------------------------------------------------------------------------------------

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

# --- Azure -----------------------------------------------------------------------------------------
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


# --- fetching (network) ----------------------------------------------------------------------------

def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310 - public price lists only
        return json.load(resp)


def _azure_pages(flt: str) -> Iterable[dict]:
    url: Optional[str] = AZURE_URL + "?" + urllib.parse.urlencode({"$filter": flt})
    while url:
        page = _get_json(url)
        yield page
        url = page.get("NextPageLink")


def _gcp_list(url: str, api_key: str, extra: dict) -> Iterable[dict]:
    token = ""
    while True:
        query = {"key": api_key, "pageSize": 5000} | extra | ({"pageToken": token} if token else {})
        page = _get_json(url + "?" + urllib.parse.urlencode(query))
        yield page
        token = page.get("nextPageToken") or ""
        if not token:
            return


def _gcp_pages(service: str, api_key: str) -> Iterable[dict]:
    """The SKU pages of one of GCP_SERVICES (its id looked up by display name)."""
    ids = parse_gcp_services(_gcp_list(GCP_SERVICES_URL, api_key, {}))
    service_id = ids[GCP_SERVICES[service]]
    return _gcp_list(GCP_SKUS_URL.format(service=service_id), api_key, {"currencyCode": "USD"})


def refresh(catalog: dict, clouds: list[str], fetch_aws: Callable[[str, str], dict],
            gcp_pages: Callable[[str], list[dict]], azure_pages: Callable[[str], list[dict]]) -> list[str]:
    """Update `catalog` in place through the given fetchers; return what was kept unchanged and why.

    fetch_aws(offer, "region/" or "") -> offer file; gcp_pages(service key) -> SKU pages;
    azure_pages(OData filter) -> Retail Prices pages."""
    kept: list[str] = []
    prices = catalog["prices"]
    if "aws" in clouds:
        offers: dict[tuple[str, str], dict] = {}
        for region, entries in prices["aws"].items():
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
                    doc = offers[(offer, where)] = fetch_aws(offer, where)
                found = parse_aws_offer(doc, filters)
                if found is None:
                    kept.append(f"aws/{region}/{key}: not found in {offer}")
                    continue
                entry["price"], entry["source"] = found[0], AWS_OFFER_URL.format(offer=offer, region=where)
    if "gcp" in clouds:
        pages: dict[str, list[dict]] = {}
        for region, entries in prices["gcp"].items():
            for key, entry in entries.items():
                if key.startswith("compute.instance.") and key.split(".", 2)[2] in GCP_MACHINES:
                    family = key.split(".", 2)[2].split("-")[0].upper()
                    cores, ram = GCP_MACHINES[key.split(".", 2)[2]]
                    doc = pages.setdefault("compute", list(gcp_pages("compute")))
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
                doc = pages.setdefault(service, list(gcp_pages(service)))
                price = parse_gcp_skus(doc, region, desc)
                if price is None:
                    kept.append(f"gcp/{region}/{key}: not found")
                    continue
                entry["price"], entry["source"] = price, GCP_SKUS_URL.format(service=f"<{GCP_SERVICES[service]}>")
    if "azure" in clouds:
        for region, entries in prices["azure"].items():
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
                found = parse_azure_items(azure_pages(flt), pred)
                if found is None:
                    kept.append(f"azure/{region}/{key}: not found")
                    continue
                entry["price"] = found[0]
                entry["source"] = AZURE_URL + "?" + urllib.parse.urlencode({"$filter": flt})
    catalog["catalog_date"] = dt.date.today().isoformat()
    catalog["date_note"] = "fetched from the providers' price-list APIs by offline/pricing/refresh.py"
    return kept


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m offline.pricing.refresh", description=__doc__.splitlines()[0])
    ap.add_argument("--cloud", action="append", choices=["aws", "gcp", "azure"])
    ap.add_argument("--gcp-api-key", default=None)
    ap.add_argument("--dry-run", action="store_true", help="print the new catalog instead of writing it")
    args = ap.parse_args(argv)
    import os

    clouds = args.cloud or ["aws", "gcp", "azure"]
    key = args.gcp_api_key or os.environ.get("GCP_API_KEY", "")
    if "gcp" in clouds and not key:
        print("error: the Cloud Billing Catalog API needs an API key (--gcp-api-key or GCP_API_KEY)", file=sys.stderr)
        return 2
    catalog = json.loads(CATALOG_FILE.read_text())
    kept = refresh(catalog, clouds,
                   fetch_aws=lambda offer, where: _get_json(AWS_OFFER_URL.format(offer=offer, region=where)),
                   gcp_pages=lambda service: _gcp_pages(service, key),
                   azure_pages=_azure_pages)
    text = json.dumps(catalog, indent=1) + "\n"
    if args.dry_run:
        sys.stdout.write(text)
    else:
        CATALOG_FILE.write_text(text)
    for line in kept:
        print(f"kept: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
