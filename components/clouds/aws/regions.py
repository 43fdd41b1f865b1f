"""The AWS regions a cell may use, as the catalog (components/core/catalog.py) reads them.

Pure data, declared by the plugin (`regions_module`): one row per region, `name country nearest-route53-latency-region`.
The country decides the residency zone; the latency region is the AWS region a Route 53 latency
record of a cell there carries (Route 53 measures latency to AWS regions only)."""
from __future__ import annotations

ROWS = """
us-east-1 US us-east-1
us-east-2 US us-east-2
us-west-1 US us-west-1
us-west-2 US us-west-2
ca-central-1 CA ca-central-1
eu-west-1 IE eu-west-1
eu-west-2 GB eu-west-2
eu-west-3 FR eu-west-3
eu-central-1 DE eu-central-1
eu-central-2 CH eu-central-2
eu-north-1 SE eu-north-1
eu-south-1 IT eu-south-1
eu-south-2 ES eu-south-2
ap-south-1 IN ap-south-1
ap-south-2 IN ap-south-2
ap-southeast-1 SG ap-southeast-1
ap-southeast-2 AU ap-southeast-2
ap-northeast-1 JP ap-northeast-1
ap-northeast-2 KR ap-northeast-2
ap-east-1 HK ap-east-1
sa-east-1 BR sa-east-1
me-central-1 AE me-central-1
af-south-1 ZA af-south-1
"""

# Another cloud's region name written for this cloud: what it most likely meant (config suggestions).
COUNTERPARTS = {
    "eu-west-1": {"gcp": "europe-west1", "azure": "northeurope"},
    "eu-west-2": {"gcp": "europe-west2", "azure": "uksouth"},
    "eu-west-3": {"gcp": "europe-west9", "azure": "francecentral"},
    "eu-central-1": {"gcp": "europe-west3", "azure": "germanywestcentral"},
    "eu-north-1": {"gcp": "europe-north1", "azure": "swedencentral"},
    "ap-south-1": {"gcp": "asia-south1", "azure": "centralindia"},
    "us-east-1": {"gcp": "us-east4", "azure": "eastus"},
    "us-west-2": {"gcp": "us-west1", "azure": "westus2"},
}
