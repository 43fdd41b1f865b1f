"""The Azure regions a cell may use, as the catalog (components/core/catalog.py) reads them.

Pure data, declared by the plugin (`regions_module`): one row per region, `name country nearest-route53-latency-region pair`.
The country decides the residency zone; the latency region is the AWS region a Route 53 latency
record of a cell there carries (Route 53 measures latency to AWS regions only)."""
from __future__ import annotations

ROWS = """
eastus US us-east-1 westus
eastus2 US us-east-1 centralus
centralus US us-east-2 eastus2
northcentralus US us-east-2 southcentralus
southcentralus US us-east-2 northcentralus
westus US us-west-1 eastus
westus2 US us-west-2 westcentralus
westus3 US us-west-1 eastus
westcentralus US us-west-2 westus2
canadacentral CA ca-central-1 canadaeast
canadaeast CA ca-central-1 canadacentral
brazilsouth BR sa-east-1 southcentralus
northeurope IE eu-west-1 westeurope
westeurope NL eu-central-1 northeurope
francecentral FR eu-west-3 francesouth
francesouth FR eu-west-3 francecentral
germanywestcentral DE eu-central-1 germanynorth
germanynorth DE eu-central-1 germanywestcentral
swedencentral SE eu-north-1 swedensouth
swedensouth SE eu-north-1 swedencentral
norwayeast NO eu-north-1 norwaywest
norwaywest NO eu-north-1 norwayeast
italynorth IT eu-south-1
polandcentral PL eu-central-1
spaincentral ES eu-south-2
uksouth GB eu-west-2 ukwest
ukwest GB eu-west-2 uksouth
switzerlandnorth CH eu-central-2 switzerlandwest
switzerlandwest CH eu-central-2 switzerlandnorth
centralindia IN ap-south-1 southindia
southindia IN ap-south-2 centralindia
westindia IN ap-south-1 southindia
southeastasia SG ap-southeast-1 eastasia
eastasia HK ap-east-1 southeastasia
japaneast JP ap-northeast-1 japanwest
japanwest JP ap-northeast-1 japaneast
koreacentral KR ap-northeast-2 koreasouth
koreasouth KR ap-northeast-2 koreacentral
australiaeast AU ap-southeast-2 australiasoutheast
australiasoutheast AU ap-southeast-2 australiaeast
uaenorth AE me-central-1 uaecentral
uaecentral AE me-central-1 uaenorth
southafricanorth ZA af-south-1 southafricawest
southafricawest ZA af-south-1 southafricanorth
"""

# Another cloud's region name written for this cloud: what it most likely meant (config suggestions).
COUNTERPARTS = {
    "centralindia": {"aws": "ap-south-1", "gcp": "asia-south1"},
    "westeurope": {"aws": "eu-central-1", "gcp": "europe-west4"},
    "northeurope": {"aws": "eu-west-1", "gcp": "europe-west1"},
}
