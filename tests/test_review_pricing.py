"""The bill a reviewer reads (issue #38): unverified prices marked and verified ones proven through the
refresh path's parsers, GCP forwarding rules as a block, managed Prometheus ingestion, AKS's outbound
load balancer and IP, key rotations, free allowances, the GKE credit's reason, node sizes per cell."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from offline.pricing.catalog import CATALOG_FILE, load_catalog
from offline.pricing.model import FREE_ALLOWANCES, estimate
from offline.pricing.refresh import refresh
from offline.pricing.usage import Usage
from test_pricing import ZERO, Stack

SAMPLES = Path(__file__).resolve().parent / "pricing_samples"
H = 730


def _usage(**cell) -> Usage:
    u = copy.deepcopy(ZERO)
    u.defaults.update({k: float(v) for k, v in cell.items()})
    return u


def _lines(cost, item):
    return [l for l in cost["lines"] if l["item"] == item]


# --- verified or not -------------------------------------------------------------------------------

def test_centralindia_prices_are_marked_unverified_except_what_a_recording_proves():
    s = Stack()
    az = s.provider("azure-native", location="centralindia")
    s.add("azure-native:containerservice:ManagedCluster", "aks", az, "in", location="centralindia",
          sku={"tier": "Standard"}, agentPoolProfiles=[{"name": "user", "vmSize": "Standard_D4ds_v5",
                                                        "enableAutoScaling": True, "minCount": 2}])
    cost = estimate(s.resources, ZERO)
    by_label = {l["label"]: l for l in cost["lines"]}
    assert by_label["Standard_D4ds_v5 node (user)"]["verified"] is True  # verified_by a recorded response
    assert by_label["AKS standard tier control plane"]["verified"] is False
    unverified = sum(l["monthly"] for l in cost["lines"] if not l["verified"])
    assert cost["unverified"] == {"monthly": round(unverified, 2), "regions": ["azure/centralindia"]}
    assert 0 < unverified < cost["monthly"]


def _sample_fetchers(sample: dict) -> dict:
    return {"aws": lambda offer, where: sample, "gcp": lambda service: [sample], "azure": lambda flt: [sample]}


def test_every_verified_price_is_what_the_refresh_parser_reads_from_its_recording():
    catalog = json.loads(CATALOG_FILE.read_text())
    verified = [(cloud, region, key, entry) for cloud, regions in catalog["prices"].items()
                for region, entries in regions.items() for key, entry in entries.items() if entry.get("verified_by")]
    assert verified, "at least one price is proven against a recorded price-API response"
    for cloud, region, key, entry in verified:
        sample = json.loads((SAMPLES / entry["verified_by"]).read_text())
        one = {"catalog_date": "x", "prices": {cloud: {region: {key: dict(entry, price=-1.0)}}}}
        kept = refresh(one, [cloud], _sample_fetchers(sample))
        assert kept == [], (cloud, region, key, kept)
        assert one["prices"][cloud][region][key]["price"] == pytest.approx(entry["price"]), (cloud, region, key)
    # the unverified regions are named with their reason, and verified entries never lie in a region
    # that has no recording at all
    assert "azure/centralindia" in catalog["verification"]["unverified_regions"]


# --- the rules -------------------------------------------------------------------------------------

def test_gcp_forwarding_rules_first_five_as_a_block():
    s = Stack()
    gcp = s.provider("gcp", region="europe-west1", project="p")
    for i in range(7):
        s.add("gcp:compute/forwardingRule:ForwardingRule", f"fr{i}", gcp, region="europe-west1", portRange="80",
              labels={"cell": "eu"})
    cost = estimate(s.resources, ZERO)
    assert [l["quantity"] for l in _lines(cost, "lb.forwarding_rule")] == [H]  # one block for the first five
    assert len(_lines(cost, "lb.forwarding_rule_additional")) == 2
    assert cost["by_cell"]["eu"] == round(H * 0.025 + 2 * H * 0.01, 2)
    two = Stack()
    gcp2 = two.provider("gcp", region="europe-west1", project="p")
    for i in range(2):
        two.add("gcp:compute/forwardingRule:ForwardingRule", f"fr{i}", gcp2, region="europe-west1", labels={"cell": "eu"})
    assert estimate(two.resources, ZERO)["by_cell"]["eu"] == round(H * 0.025, 2)  # two rules: still one block


def test_managed_prometheus_ingestion_is_priced_from_usage():
    s = Stack()
    west = s.provider("aws", region="us-west-2")
    s.add("aws:amp/workspace:Workspace", "amp", west, "c1")
    az = s.provider("azure-native", location="centralindia")
    s.add("azure-native:monitor:AzureMonitorWorkspace", "amw", az, "in", location="centralindia")
    cost = estimate(s.resources, _usage(metric_samples_per_month=100_000_000))
    assert cost["by_cell"]["c1"] == round(100 * 0.09, 2) and cost["by_cell"]["in"] == round(100 * 0.016, 2)
    assert "aws:amp/workspace:Workspace" not in cost["free_types"]


def test_aks_outbound_load_balancer_and_public_ip_are_priced():
    s = Stack()
    az = s.provider("azure-native", location="centralindia")
    s.add("azure-native:containerservice:ManagedCluster", "aks", az, "in", location="centralindia",
          sku={"tier": "Free"}, networkProfile={"outboundType": "loadBalancer", "loadBalancerSku": "standard",
                                                "loadBalancerProfile": {"managedOutboundIPs": {"count": 2}}})
    cost = estimate(s.resources, _usage(gb_nat=100))
    labels = {l["label"]: l for l in cost["lines"]}
    assert labels["AKS outbound load balancer (Standard)"]["monthly"] == pytest.approx(H * 0.025)
    assert labels["AKS outbound public IP (Standard)"]["quantity"] == 2 * H
    assert labels["AKS outbound data processed"]["monthly"] == pytest.approx(100 * 0.005)
    nat = Stack()
    az2 = nat.provider("azure-native", location="centralindia")
    nat.add("azure-native:containerservice:ManagedCluster", "aks", az2, "in", location="centralindia",
            sku={"tier": "Free"}, networkProfile={"outboundType": "userAssignedNATGateway"})
    assert not [l for l in estimate(nat.resources, ZERO)["lines"] if "outbound" in l["label"]]


@pytest.mark.parametrize("days, extra", [(None, 0), (365, 1), (180, 2), (90, 2)])
def test_aws_key_rotations_cost_the_first_two(days, extra):
    s = Stack()
    west = s.provider("aws", region="us-west-2")
    inputs = {} if days is None else {"enableKeyRotation": True, "rotationPeriodInDays": days}
    s.add("aws:kms/key:Key", "k", west, "c1", **inputs)
    assert estimate(s.resources, ZERO)["by_cell"]["c1"] == 1.0 + extra


def test_gcp_and_azure_rotations_add_billed_key_versions():
    s = Stack()
    gcp = s.provider("gcp", region="europe-west1", project="p")
    s.add("gcp:kms/cryptoKey:CryptoKey", "ck", gcp, keyRing="projects/p/locations/europe-west1/keyRings/r",
          rotationPeriod="7776000s", labels={"cell": "eu"})  # 90 days
    az = s.provider("azure-native", location="centralindia")
    s.add("azure-native:keyvault:Key", "key", az, "in", properties={
        "kty": "RSA-HSM", "keySize": 2048, "rotationPolicy": {"lifetimeActions": [
            {"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": "P90D"}},
            {"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}}]}})
    cost = estimate(s.resources, ZERO)
    assert cost["by_cell"]["eu"] == round((1 + 4) * 0.06, 2)
    assert cost["by_cell"]["in"] == round((1 + 4) * 1.0, 2)


def test_free_allowances_are_deducted_once_per_stack():
    s = Stack()
    for cell in ("a", "b"):
        west = s.provider("aws", region="us-west-2")
        s.add("aws:lb/loadBalancer:LoadBalancer", f"alb-{cell}", west, cell, loadBalancerType="application",
              internal=True)
    gcp = s.provider("gcp", region="europe-west1", project="p")
    s.add("gcp:container/cluster:Cluster", "gke", gcp, location="europe-west1", resourceLabels={"cell": "eu"})
    s.resources[-1]["inputs"]["labels"] = {"cell": "eu"}
    az = s.provider("azure-native", location="centralindia")
    s.add("azure-native:operationalinsights:Workspace", "law", az, "in", location="centralindia")
    cost = estimate(s.resources, _usage(gb_egress=80, gb_logs=70))
    free = {l["label"]: l for l in cost["lines"] if l["label"].startswith("free allowance")}
    aws = next(l for k, l in free.items() if "AWS" in k)
    assert aws["quantity"] == -100 and aws["monthly"] == pytest.approx(-100 * 0.09)  # 160 GB used, 100 free once
    logging = next(l for k, l in free.items() if "Cloud Logging" in k)
    assert logging["quantity"] == -50 and logging["monthly"] == pytest.approx(-25.0)
    la = next(l for k, l in free.items() if "Log Analytics" in k)
    assert la["quantity"] == -5 and la["monthly"] == pytest.approx(-5 * 2.76)
    assert {k for k in FREE_ALLOWANCES} >= {("gcp", "logging.ingest"), ("aws", "data_transfer.internet_out"),
                                             ("azure", "loganalytics.ingest_pergb2018")}
    # nothing used, nothing deducted
    assert not [l for l in estimate(s.resources, ZERO)["lines"] if l["monthly"] < 0]


def test_the_gke_credit_is_skipped_with_its_reason():
    s = Stack()
    gcp = s.provider("gcp", region="europe-west1", project="p")
    s.add("gcp:container/cluster:Cluster", "regional", gcp, location="europe-west1", resourceLabels={"cell": "eu"})
    s.add("gcp:container/cluster:Cluster", "zonal", gcp, location="europe-west1-b", resourceLabels={"cell": "eu"})
    notes = estimate(s.resources, ZERO)["notes"]
    assert len(notes) == 1 and "regional" in notes[0] and "zonal and Autopilot" in notes[0]


# --- node sizes ------------------------------------------------------------------------------------

def _shape(cloud: str, machine: str) -> tuple[int, int]:
    """(vCPUs, GiB) from the machine type's documented naming scheme."""
    if cloud == "aws":  # m7i: large 2 vCPU/8 GiB, xlarge 4/16, Nxlarge 4N/16N
        m = re.fullmatch(r"m7i\.(\d*)x?large", machine)
        n = 1 if machine.endswith(".large") else 2 * int(m.group(1) or 1)
        return 2 * n, 8 * n
    if cloud == "gcp":  # e2-standard-N: N vCPUs, 4N GB
        n = int(machine.rsplit("-", 1)[1])
        return n, 4 * n
    n = int(re.fullmatch(r"Standard_D(\d+)ds_v5", machine).group(1))  # Ddsv5: N vCPUs, 4N GiB
    return n, 4 * n


def test_node_sizes_are_equivalent_on_every_cloud():
    from components.clouds.aws.cluster import NODE_INSTANCE_TYPES
    from components.clouds.azure.cluster import USER_VM_SIZES
    from components.clouds.gcp.cluster import MACHINE_TYPES
    from components.core.config import NODE_SIZES, ClusterOptions

    assert ClusterOptions().node_size == "medium"
    for cloud, table in (("aws", NODE_INSTANCE_TYPES), ("gcp", MACHINE_TYPES), ("azure", USER_VM_SIZES)):
        assert set(table) == set(NODE_SIZES), cloud
        for size, machine in table.items():
            assert _shape(cloud, machine) == NODE_SIZES[size], (cloud, size, machine)


def test_one_setting_sizes_every_cloud_cell(tmp_path):
    """dev with every cell at the default size: the three clouds get the equivalent machine types."""
    from offline_helpers import preview_config, stack_config

    cfg = stack_config("dev")
    cells = [dict(c, cluster={k: v for k, v in c["cluster"].items() if k != "node_size"})
             for c in cfg["platform:cells"]]
    run = preview_config({**cfg, "platform:cells": cells}, tmp_path, stack="dev-sized")
    assert run.report is not None, run.stderr[-2000:]
    (ng,) = run.of_type("aws:eks/nodeGroup:NodeGroup")
    (pool,) = run.of_type("gcp:container/nodePool:NodePool")
    (aks,) = run.of_type("azure-native:containerservice:ManagedCluster")
    assert ng["inputs"]["instanceTypes"] == ["m7i.xlarge"]
    assert pool["inputs"]["nodeConfig"]["machineType"] == "e2-standard-4"
    user = next(p for p in aks["inputs"]["agentPoolProfiles"] if p["name"] == "user")
    assert user["vmSize"] == "Standard_D4ds_v5"


def test_the_shipped_stacks_keep_the_sizes_they_run():
    """No node pool of a shipped stack is replaced by the new setting (README "Config reference")."""
    import yaml

    from components.clouds.aws.cluster import NODE_INSTANCE_TYPES
    from components.clouds.azure.cluster import USER_VM_SIZES
    from components.clouds.gcp.cluster import MACHINE_TYPES
    from offline_helpers import REPO

    before = {"aws": "m7i.large", "gcp": "e2-standard-4", "azure": "Standard_D8ds_v5"}
    tables = {"aws": NODE_INSTANCE_TYPES, "gcp": MACHINE_TYPES, "azure": USER_VM_SIZES}
    for path in (REPO / "stacks").glob("Pulumi.*.yaml"):
        for cell in yaml.safe_load(path.read_text())["config"].get("platform:cells") or []:
            size = (cell.get("cluster") or {}).get("node_size", "medium")
            assert tables[cell["cloud"]][size] == before[cell["cloud"]], (path.name, cell["name"])
