"""The Google Cloud regions a cell may use, as the catalog (components/core/catalog.py) reads them.

Pure data, declared by the plugin (`regions_module`): one row per region, `name country nearest-route53-latency-region`.
The country decides the residency zone; the latency region is the AWS region a Route 53 latency
record of a cell there carries (Route 53 measures latency to AWS regions only)."""
from __future__ import annotations

ROWS = """
us-central1 US us-east-2
us-east1 US us-east-1
us-east4 US us-east-1
us-west1 US us-west-2
us-west2 US us-west-1
northamerica-northeast1 CA ca-central-1
southamerica-east1 BR sa-east-1
europe-west1 BE eu-west-3
europe-west2 GB eu-west-2
europe-west3 DE eu-central-1
europe-west4 NL eu-central-1
europe-west6 CH eu-central-2
europe-west8 IT eu-south-1
europe-west9 FR eu-west-3
europe-north1 FI eu-north-1
europe-southwest1 ES eu-south-2
europe-central2 PL eu-central-1
asia-south1 IN ap-south-1
asia-south2 IN ap-south-2
asia-southeast1 SG ap-southeast-1
asia-northeast1 JP ap-northeast-1
asia-northeast3 KR ap-northeast-2
asia-east2 HK ap-east-1
australia-southeast1 AU ap-southeast-2
me-central1 QA me-central-1
africa-south1 ZA af-south-1
"""

# Another cloud's region name written for this cloud: what it most likely meant (config suggestions).
COUNTERPARTS = {
    "europe-west1": {"aws": "eu-west-1", "azure": "westeurope"},
    "asia-south1": {"aws": "ap-south-1", "azure": "centralindia"},
}

# GCS multi- and dual-regions, judged by the regions they span (a location string that is not a region).
MULTI_REGIONS = {
    "EU": ("europe-west1", "europe-west3", "europe-west4", "europe-north1", "europe-west9"),
    "EUR4": ("europe-north1", "europe-west4"),
    "EUR5": ("europe-west1", "europe-west2"),  # spans the UK: not `eu`
    "US": ("us-central1", "us-east1", "us-east4", "us-west1"),
    "NAM4": ("us-central1", "us-east1"),
    "ASIA": ("asia-northeast1", "asia-southeast1", "asia-east2"),
    "ASIA1": ("asia-northeast1", "asia-northeast3"),
}
