"""The region catalog is pure data; these tests pin the facts residency depends on."""
import pytest

from components.core import catalog


def test_every_region_is_complete():
    for cloud, regions in catalog.REGIONS.items():
        for r in regions.values():
            assert r.cloud == cloud
            assert r.country in catalog.COUNTRY_CONTINENT, r
            assert r.nearest_aws in catalog.AWS, r  # a Route 53 latency record needs a real AWS region
            if r.pair:
                assert cloud == "azure" and r.pair in catalog.AZURE, r


@pytest.mark.parametrize("cloud,name,zone", [
    ("aws", "us-west-2", "us"), ("aws", "eu-central-1", "eu"), ("aws", "eu-west-2", "uk"),
    ("aws", "eu-central-2", "ch"), ("aws", "ap-south-1", "in"), ("gcp", "europe-west1", "eu"),
    ("gcp", "europe-west2", "uk"), ("gcp", "europe-west6", "ch"), ("azure", "centralindia", "in"),
    ("azure", "westeurope", "eu"), ("azure", "uksouth", "uk"), ("azure", "switzerlandnorth", "ch"),
    ("azure", "norwayeast", "eu"),  # Norway is EEA
])
def test_zones(cloud, name, zone):
    assert catalog.region(cloud, name).zone == zone


def test_eea_excludes_uk_and_switzerland():
    assert "GB" not in catalog.EEA_COUNTRIES and "CH" not in catalog.EEA_COUNTRIES
    assert {"NO", "IS", "LI", "DE", "IE"} <= catalog.EEA_COUNTRIES
    assert len(catalog.EEA_COUNTRIES) == 30


def test_no_cross_cloud_names():
    assert "eu-west-1" not in catalog.GCP and "ap-south-1" not in catalog.AZURE
    assert catalog.suggest_region("gcp", "eu-west-1") == "europe-west1"
    assert catalog.suggest_region("azure", "ap-south-1") == "centralindia"


def test_azure_pairs_that_leave_the_zone():
    assert catalog.AZURE["brazilsouth"].pair == "southcentralus"
    assert catalog.azure_pair_leaves_zone("brazilsouth")
    assert not catalog.azure_pair_leaves_zone("westeurope")
    assert not catalog.azure_pair_leaves_zone("centralindia")
    assert catalog.azure_pair_leaves_zone("italynorth")  # no pair: GRS not on offer


def test_gcs_multi_regions_judged_by_span():
    assert catalog.location_zones("EU") == {"eu"}
    assert catalog.location_zones("EUR4") == {"eu"}
    assert catalog.location_zones("US") == {"us"} and catalog.location_zones("NAM4") == {"us"}
    assert catalog.location_zones("europe-west2") == {"uk"}
    assert catalog.location_zones("mars-north1") == set()


def test_nearest_aws_region_for_dev_cells():
    assert catalog.region("aws", "us-west-2").nearest_aws == "us-west-2"
    assert catalog.region("gcp", "europe-west1").nearest_aws.startswith("eu-")
    assert catalog.region("azure", "centralindia").nearest_aws == "ap-south-1"


def test_countries_of_zone():
    assert catalog.countries_of_zone("in") == ["IN"]
    assert set(catalog.countries_of_zone("eu")) == set(catalog.EEA_COUNTRIES)
    assert catalog.COUNTRY_CONTINENT["IN"] == "AS"


def test_export_is_json_data():
    import json

    data = json.loads(json.dumps(catalog.export()))
    assert data["regions"]["azure"]["brazilsouth"]["pair"] == "southcentralus"
    assert data["regions"]["gcp"]["europe-west2"]["zone"] == "uk"
