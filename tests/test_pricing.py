"""Cost estimate (offline/pricing): the model on hand-computed examples per cloud, every stack's cost
section, usage assumptions, the price-list parsers on recorded responses, the PR cost change and
gate, and the README's figures against what the engine reports now."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from offline.pricing import ConfigError, Usage, cost_change, estimate, load_usage, over_limit
from offline.pricing.catalog import load_catalog
from components.clouds.aws.pricing import aws_instance_filters, parse_aws_offer
from components.clouds.azure.pricing import azure_vm_predicate, parse_azure_items
from components.clouds.gcp.pricing import parse_gcp_services, parse_gcp_skus
from offline.pricing.refresh import refresh
from tests.offline_helpers import REPO, preview_stack

SAMPLES = Path(__file__).resolve().parent / "pricing_samples"
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml"))
# The same runs as tests/test_stacks.py (cached per session, so the suite runs each stack once).
PACKS = ("policy/encryption", "policy/residency")
ZERO = Usage(defaults={k: 0.0 for k in Usage().defaults}, global_={"dns_queries_per_month": 0.0})


# --- building blocks -------------------------------------------------------------------------------

class Stack:
    """Report-shaped resources, as the offline engine writes them."""

    def __init__(self) -> None:
        self.resources: list[dict] = []

    def provider(self, pkg: str, **inputs) -> str:
        urn = f"urn:pulumi:t::p::pulumi:providers:{pkg}::{pkg}-{len(self.resources)}"
        self.resources.append({"urn": urn, "id": "pid", "type": f"pulumi:providers:{pkg}", "name": urn.split("::")[-1],
                               "parent": None, "provider": None, "inputs": inputs, "outputs": {}})
        return f"{urn}::pid"

    def add(self, type_: str, name: str, provider: str, cell: str | None = None, **inputs) -> dict:
        if cell:
            inputs.setdefault("tags", {})["cell"] = cell
        res = {"urn": f"urn:pulumi:t::p::{type_}::{name}", "id": f"id-{name}", "type": type_, "name": name,
               "parent": None, "provider": provider, "inputs": inputs, "outputs": {}}
        self.resources.append(res)
        return res

    def zone_with_three_https_checks(self) -> None:
        glob = self.provider("aws", region="us-east-1")
        self.add("aws:route53/zone:Zone", "zone", glob, comment="example.com")
        for i in range(3):  # HTTPS, standard 30 s interval, no latency measurement, non-AWS endpoints
            self.add("aws:route53/healthCheck:HealthCheck", f"hc{i}", glob, type="HTTPS", requestInterval=30,
                     fqdn=f"c{i}.example.com", port=443, regions=["us-east-1", "eu-west-1", "ap-southeast-1"])


def test_aws_example_to_the_cent():
    s = Stack()
    west = s.provider("aws", region="us-west-2")
    s.add("aws:ec2/launchTemplate:LaunchTemplate", "lt", west, "c1",
          blockDeviceMappings=[{"ebs": {"volumeSize": 50, "volumeType": "gp3"}}])
    s.resources[-1]["id"] = "lt-1"
    s.add("aws:eks/nodeGroup:NodeGroup", "nodes", west, "c1", instanceTypes=["m7i.large"],
          scalingConfig={"minSize": 2, "maxSize": 4, "desiredSize": 2}, launchTemplate={"id": "lt-1", "version": "1"})
    s.add("aws:ec2/natGateway:NatGateway", "nat", west, "c1", connectivityType="public")
    s.add("aws:lb/loadBalancer:LoadBalancer", "alb", west, "c1", loadBalancerType="application", internal=False,
          subnets=["subnet-a", "subnet-b"])
    s.zone_with_three_https_checks()
    cost = estimate(s.resources, ZERO)
    # nodes 2 x 730 h x $0.1008 = 147.168; root volumes 2 x 50 GB x $0.08 = 8.00; NAT 730 x $0.045 = 32.85;
    # ALB 730 x $0.0225 = 16.425 + its 2 public IPv4 addresses 2 x 730 x $0.005 = 7.30 -> cell 211.743
    assert cost["by_cell"]["c1"] == 211.74
    # zone $0.50 + 3 x (non-AWS check $0.75 + HTTPS option $2.00) = 8.75
    assert cost["by_cell"]["global"] == 8.75
    assert cost["monthly"] == 220.49
    assert cost["unpriced"] == []


def test_gcp_example_to_the_cent():
    s = Stack()
    gcp = s.provider("gcp", region="europe-west1", project="p")
    s.add("gcp:container/nodePool:NodePool", "pool", gcp, location="europe-west1",
          nodeConfig={"machineType": "e2-standard-4", "diskSizeGb": 100, "diskType": "pd-balanced",
                      "resourceLabels": {"cell": "eu"}},
          autoscaling={"totalMinNodeCount": 3, "totalMaxNodeCount": 6})
    s.resources[-1]["inputs"]["labels"] = {"cell": "eu"}
    s.add("gcp:compute/routerNat:RouterNat", "nat", gcp, region="europe-west1", natIpAllocateOption="AUTO_ONLY",
          labels={"cell": "eu"})
    s.add("gcp:compute/forwardingRule:ForwardingRule", "https", gcp, region="europe-west1", portRange="443",
          loadBalancingScheme="EXTERNAL_MANAGED", labels={"cell": "eu"})
    s.zone_with_three_https_checks()
    cost = estimate(s.resources, ZERO)
    # nodes 3 x 730 x $0.14741 = 322.8279; disks 300 GB x $0.10 = 30.00; Cloud NAT 3 VMs x 730 x $0.0014 = 3.066
    # + its address 730 x $0.005 = 3.65; forwarding rule 730 x $0.025 = 18.25 -> 377.7939
    assert cost["by_cell"]["eu"] == 377.79
    assert cost["by_cell"]["global"] == 8.75
    assert cost["monthly"] == 386.54


def test_azure_example_to_the_cent():
    s = Stack()
    az = s.provider("azure-native", location="centralindia")
    s.add("azure-native:containerservice:ManagedCluster", "aks", az, "in", location="centralindia",
          sku={"name": "Base", "tier": "Standard"},
          agentPoolProfiles=[{"name": "user", "vmSize": "Standard_D4ds_v5", "enableAutoScaling": True,
                              "minCount": 2, "maxCount": 4, "count": 2}])
    s.add("azure-native:network:NatGateway", "nat", az, "in", location="centralindia")
    s.add("azure-native:network:ApplicationGateway", "agw", az, "in", location="centralindia",
          sku={"name": "WAF_v2", "tier": "WAF_v2"}, autoscaleConfiguration={"minCapacity": 1, "maxCapacity": 10})
    s.add("azure-native:network:WebApplicationFirewallPolicy", "waf", az, "in", location="centralindia")
    s.zone_with_three_https_checks()
    cost = estimate(s.resources, ZERO)
    # AKS Standard 730 x $0.10 = 73.00; nodes 2 x 730 x $0.221 = 322.66; NAT 730 x $0.045 = 32.85;
    # WAF_v2 730 x $0.443 = 323.39 + 1 reserved instance = 10 capacity units x 730 x $0.0144 = 105.12;
    # AKS's outbound Standard load balancer 730 x $0.025 = 18.25 + its public IP 730 x $0.005 = 3.65 -> 878.92
    assert cost["by_cell"]["in"] == 878.92
    assert cost["monthly"] == 887.67
    assert "included in the WAF_v2" in cost["free_types"]["azure-native:network:WebApplicationFirewallPolicy"]


def test_edge_guard_firewalls_to_the_cent():
    # AWS WAF and Cloud Armor Standard (the edge guard) bill alike: per policy, per rule, per million requests.
    s = Stack()
    west = s.provider("aws", region="us-west-2")
    gcp = s.provider("gcp", region="europe-west1", project="p")
    s.add("aws:wafv2/webAcl:WebAcl", "acl", west, "c1", rules=[{"name": "a"}, {"name": "b"}])
    s.add("aws:wafv2/webAcl:WebAcl", "bare", west, "c2")
    s.add("gcp:compute/regionSecurityPolicy:RegionSecurityPolicy", "armor", gcp, labels={"cell": "eu"},
          region="europe-west1", rules=[{"priority": p} for p in (1, 2, 2147483647)])
    cost = estimate(s.resources, Usage())  # 10 million requests a month per cell
    # web ACL $5 + 2 rules x $1 + 10 x $0.60 = 13.00; no rules: 5 + 6 = 11.00
    assert cost["by_cell"]["c1"] == 13.00 and cost["by_cell"]["c2"] == 11.00
    # Cloud Armor policy $5 + 3 rules x $1 + 10 x $0.75 = 15.50
    assert cost["by_cell"]["eu"] == 15.50 and cost["unpriced"] == []
    lines = {(l["name"], l["item"]): (l["label"], l["quantity"], l["usage"]) for l in cost["lines"]}
    assert lines == {
        ("acl", "wafv2.web_acl"): ("WAF web ACL", 1, False), ("acl", "wafv2.rule"): ("WAF rule", 2, False),
        ("acl", "wafv2.requests"): ("WAF requests", 10.0, True),
        ("bare", "wafv2.web_acl"): ("WAF web ACL", 1, False), ("bare", "wafv2.requests"): ("WAF requests", 10.0, True),
        ("armor", "armor.policy"): ("Cloud Armor policy", 1, False), ("armor", "armor.rule"): ("Cloud Armor rule", 3, False),
        ("armor", "armor.requests"): ("Cloud Armor requests", 10.0, True),
    }


def test_health_check_options_and_aws_endpoints():
    s = Stack()
    glob = s.provider("aws", region="us-east-1")
    west = s.provider("aws", region="us-west-2")
    s.add("aws:eks/cluster:Cluster", "eks", west, "aws-cell")
    s.add("aws:route53/healthCheck:HealthCheck", "to-aws", glob, type="HTTPS_STR_MATCH", requestInterval=10,
          measureLatency=True, tags={"target-cell": "aws-cell"})
    s.add("aws:route53/healthCheck:HealthCheck", "elsewhere", glob, type="HTTPS", requestInterval=10,
          measureLatency=True, tags={"Name": "gcp-x (gcp europe-west1)", "target-cell": "gcp-x"})
    lines = estimate(s.resources, ZERO)["lines"]
    to_aws = sum(l["monthly"] for l in lines if l["name"] == "to-aws")
    other = sum(l["monthly"] for l in lines if l["name"] == "elsewhere")
    assert to_aws == pytest.approx(0.50 + 4 * 1.00)  # AWS endpoint: HTTPS, string match, fast, latency
    assert other == pytest.approx(0.75 + 3 * 2.00)


def test_unknown_billable_type_is_listed_never_zero():
    s = Stack()
    west = s.provider("aws", region="us-west-2")
    s.add("aws:rds/instance:Instance", "db", west, "c1", instanceClass="db.r6g.large")
    s.add("aws:iam/role:Role", "role", west, "c1")
    s.add("aws:eks/cluster:Cluster", "eks", s.provider("aws", region="mars-north-1"), "c2")
    cost = estimate(s.resources, ZERO)
    reasons = {u["name"]: u["reason"] for u in cost["unpriced"]}
    assert reasons["db"] == "no cost rule for this type"
    assert reasons["eks"] == "no catalog price aws/mars-north-1/eks.cluster"
    assert cost["monthly"] == 0 and "c2" not in cost["by_cell"]
    assert "aws:iam/role:Role" in cost["free_types"]


# --- every stack -----------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_has_a_cost_section(stack, tmp_path):
    run = preview_stack(stack, tmp_path, packs=PACKS)
    cost = run.report["cost"]
    assert set(cost) >= {"currency", "monthly", "by_cell", "by_type", "unpriced", "catalog_date"}
    assert cost["currency"] == "USD" and cost["catalog_date"] == load_catalog().date
    assert cost["monthly"] > 0
    assert round(sum(cost["by_cell"].values()), 2) == pytest.approx(cost["monthly"], abs=0.05)
    assert len(cost["unpriced_types"]) <= 3, cost["unpriced"]
    for u in cost["unpriced"]:
        assert u["type"] and u["name"] and u["reason"]
        assert not u["reason"].startswith("no catalog price"), u  # every region the stacks use is priced
    # Every custom resource is accounted for: priced, known-free or listed as not priced.
    priced = {l["type"] for l in cost["lines"]}
    known = priced | {t.split(" (")[0] for t in cost["free_types"]} | set(cost["unpriced_types"])
    custom = {r["type"] for r in run.resources if r["id"] and not r["type"].startswith("pulumi:")}
    assert custom <= known, custom - known
    cells = {c["name"] for c in json.loads(json.dumps(run.report["resources"])) if c["type"].endswith(":Cell")}
    assert cells <= set(cost["by_cell"])
    assert "Cost (monthly" in run.stdout


@pytest.mark.parametrize("stack", ["prod-global", "prod-gcp-europe-west1"])
def test_the_bill_does_not_depend_on_the_registration_order(stack, tmp_path):
    """The SDK registers from several threads, so the order of a report's resources varies run to run;
    every line (which resource carries the DNS queries included) must not."""
    resources = preview_stack(stack, tmp_path, packs=PACKS).report["resources"]
    key = lambda cost: sorted(json.dumps(line, sort_keys=True) for line in cost["lines"])  # noqa: E731
    forward, backward = estimate(resources, Usage()), estimate(list(reversed(resources)), Usage())
    assert any(line["item"].startswith("route53.queries") for line in forward["lines"])
    assert key(forward) == key(backward)
    assert forward["monthly"] == backward["monthly"]


def test_the_text_and_markdown_reports_carry_the_cost(tmp_path):
    from tests.offline_helpers import offline

    proj = tmp_path / "proj"
    (proj / "stacks").mkdir(parents=True)
    (proj / "Pulumi.yaml").write_text("name: t\nruntime: python\nstackConfigDir: stacks\n")
    (proj / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-central-1\n")
    (proj / "__main__.py").write_text("import pulumi_aws as aws\n"
                                      "aws.kms.Key('k', enable_key_rotation=True, tags={'cell': 'eu'})\n"
                                      "aws.rds.Instance('db', instance_class='db.t4g.micro', engine='postgres', "
                                      "allocated_storage=20, tags={'cell': 'eu'})\n")
    md = tmp_path / "r.md"
    run = offline(["preview", "dev", "--quiet", "--assume-applied", "--project-dir", str(proj), "--markdown", str(md)], tmp_path)
    assert run.returncode == 0, run.stderr
    # the key and, rotated yearly, its first-year rotation (each rotation is billed)
    assert run.report["cost"]["by_cell"] == {"eu": 2.00}
    text = md.read_text()
    assert "#### Cost: $2.00/month" in text and "| `eu` | $2.00 | KMS key $1.00, KMS key rotations (first year) $1.00 |" in text
    assert "Not priced: `aws:rds/instance:Instance` `db` (no cost rule for this type)" in text
    assert "Cost (monthly, on-demand list prices of" in run.stdout
    assert "not priced: aws:rds/instance:Instance (1)" in run.stdout


# --- usage -----------------------------------------------------------------------------------------

def test_usage_layers_and_errors(tmp_path):
    (tmp_path / "usage.yaml").write_text(
        "defaults: {gb_stored: 10}\nstacks:\n  s1:\n    cells: {c1: {gb_egress: 7}}\n    global: {dns_queries_per_month: 5}\n")
    u = load_usage("s1", tmp_path, {"platform:usage": json.dumps({"cells": {"c1": {"gb_stored": 3}}})})
    assert u.cell("c1")["gb_stored"] == 3 and u.cell("c1")["gb_egress"] == 7
    assert u.cell("c2")["gb_stored"] == 10 and u.global_["dns_queries_per_month"] == 5
    assert load_usage("other", tmp_path).cell("c1")["gb_egress"] == 100  # built-in default
    (tmp_path / "usage.yaml").write_text("defaults: {gb_store: 10}\n")
    with pytest.raises(ConfigError, match=r"usage.yaml: defaults.gb_store: unknown key; did you mean 'gb_stored'"):
        load_usage("s1", tmp_path)
    with pytest.raises(ConfigError, match=r"stack 's1': platform:usage: defaults.gb_egress: -1 is not a number >= 0"):
        load_usage("s1", None, {"platform:usage": json.dumps({"defaults": {"gb_egress": -1}})})


def test_usage_drives_only_the_usage_lines():
    s = Stack()
    west = s.provider("aws", region="us-west-2")
    s.add("aws:s3/bucket:Bucket", "data", west, "c1")
    s.add("aws:kms/key:Key", "key", west, "c1")
    small = estimate(s.resources, Usage(defaults={**Usage().defaults, "gb_stored": 100}))
    large = estimate(s.resources, Usage(defaults={**Usage().defaults, "gb_stored": 1100}))
    assert large["monthly"] - small["monthly"] == pytest.approx(1000 * 0.023, abs=0.01)


def test_repository_usage_file_is_valid():
    for stack in STACKS:
        load_usage(stack, REPO)


def test_bad_usage_file_fails_the_preview_as_a_config_error(tmp_path):
    from tests.offline_helpers import offline

    proj = tmp_path / "proj"
    (proj / "stacks").mkdir(parents=True)
    (proj / "Pulumi.yaml").write_text("name: t\nruntime: python\nstackConfigDir: stacks\n")
    (proj / "stacks" / "Pulumi.dev.yaml").write_text("config: {}\n")
    (proj / "__main__.py").write_text("import pulumi\n")
    (proj / "usage.yaml").write_text("defaults: {requests: 5}\n")
    run = offline(["preview", "dev", "--assume-applied", "--project-dir", str(proj)], tmp_path)
    assert run.returncode == 2
    assert "defaults.requests: unknown key" in run.stderr and "Traceback" not in run.stderr


# --- refresh: parsing recorded price-list responses ------------------------------------------------

def test_parse_aws_bulk_offer():
    offer = json.loads((SAMPLES / "aws_AmazonEKS_us-west-2.json").read_text())
    assert parse_aws_offer(offer, {"usagetype": "~AmazonEKS-Hours:perCluster"}) == (0.10, "Hours")
    assert parse_aws_offer(offer, {"usagetype": "~extendedSupport"}) == (0.60, "Hours")
    assert parse_aws_offer(offer, aws_instance_filters("m7i.large")) is None


def test_parse_gcp_billing_catalog():
    page = json.loads((SAMPLES / "gcp_compute_skus.json").read_text())
    core = parse_gcp_skus([page], "europe-west1", r"^E2 Instance Core running in")
    ram = parse_gcp_skus([page], "europe-west1", r"^E2 Instance Ram running in")
    assert (core, ram) == (pytest.approx(0.023991), pytest.approx(0.0032155))  # on demand, not the Spot SKU
    assert parse_gcp_skus([page], "us-central1", r"^E2 Instance Core") == pytest.approx(0.02181159)
    assert parse_gcp_skus([page], "asia-south1", r"^E2 Instance Core") is None
    services = parse_gcp_services([json.loads((SAMPLES / "gcp_services.json").read_text())])
    assert services["Compute Engine"] == "6F81-5844-456A" and services["Kubernetes Engine"] == "CCD8-9BF1-090E"


def test_parse_azure_retail_prices():
    page = json.loads((SAMPLES / "azure_vm_centralindia.json").read_text())
    # Not the Spot meter, not Windows, not the reservation: the Linux pay-as-you-go price.
    assert parse_azure_items([page], azure_vm_predicate("Standard_D4ds_v5")) == (0.221, "1 Hour")
    assert parse_azure_items([page], azure_vm_predicate("Standard_D8ds_v5")) is None


def test_refresh_updates_entries_from_the_apis_and_keeps_the_rest():
    aws_offer = json.loads((SAMPLES / "aws_AmazonEKS_us-west-2.json").read_text())
    gcp_page = json.loads((SAMPLES / "gcp_compute_skus.json").read_text())
    az_page = json.loads((SAMPLES / "azure_vm_centralindia.json").read_text())
    catalog = {"catalog_date": "2000-01-01", "prices": {
        "aws": {"us-west-2": {"eks.cluster": {"price": 9, "unit": "hour", "source": "x"},
                              "wafv2.rule": {"price": 1, "unit": "month", "source": "x"}}},
        "gcp": {"europe-west1": {"compute.instance.e2-standard-4": {"price": 9, "unit": "hour", "source": "x"}}},
        "azure": {"centralindia": {"vm.Standard_D4ds_v5": {"price": 9, "unit": "hour", "source": "x"}}}}}
    asked = []

    def fetch_aws(offer, where):
        asked.append((offer, where))
        return aws_offer

    kept = refresh(catalog, ["aws", "gcp", "azure"],
                   {"aws": fetch_aws, "gcp": lambda service: [gcp_page], "azure": lambda flt: [az_page]})
    prices = catalog["prices"]
    assert asked == [("AmazonEKS", "us-west-2/")]
    assert prices["aws"]["us-west-2"]["eks.cluster"]["price"] == 0.10
    assert "AmazonEKS/current/us-west-2/index.json" in prices["aws"]["us-west-2"]["eks.cluster"]["source"]
    assert prices["gcp"]["europe-west1"]["compute.instance.e2-standard-4"]["price"] == pytest.approx(
        4 * 0.023991 + 16 * 0.0032155)
    assert prices["azure"]["centralindia"]["vm.Standard_D4ds_v5"]["price"] == 0.221
    assert kept == ["aws/us-west-2/wafv2.rule: no price-list query"]
    assert catalog["catalog_date"] != "2000-01-01"


def test_catalog_entries_carry_unit_and_source():
    doc = load_catalog().doc
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc["catalog_date"]) and doc["date_note"]
    for cloud, regions in doc["prices"].items():
        for region, entries in regions.items():
            for key, e in entries.items():
                assert e["unit"] and e["source"].startswith("https://"), (cloud, region, key)
                assert isinstance(e["price"], (int, float)) and e["price"] >= 0


# --- the PR: change and gate -----------------------------------------------------------------------

def test_cost_change_names_what_changed():
    base = Stack()
    west = base.provider("aws", region="us-west-2")
    base.add("aws:eks/cluster:Cluster", "eks", west, "c1")
    head = Stack()
    head.resources = list(base.resources)
    head.add("aws:ec2/natGateway:NatGateway", "nat-a", west, "c1")
    head.add("aws:ec2/natGateway:NatGateway", "nat-b", west, "c1")
    head.add("aws:wafv2/webAcl:WebAcl", "waf", west, "c1")
    change = cost_change({"cost": estimate(base.resources, ZERO)}, {"cost": estimate(head.resources, ZERO)})
    # 2 x 730 x $0.045 = 65.70 + web ACL $5.00
    assert change["delta"] == 70.70
    assert change["summary"] == "+$70.70/month: +2 NAT gateways, +1 WAF web ACL"
    assert change["by_cell"]["c1"]["delta"] == 70.70
    assert over_limit([("s", change)], 50.0) == [
        "s: monthly cost rises by $70.70 (+$70.70/month: +2 NAT gateways, +1 WAF web ACL), above "
        "--max-monthly-increase $50.00"]
    assert over_limit([("s", change)], 100.0) == [] and over_limit([("s", change)], None) == []
    bigger = Stack()
    bigger.resources = [dict(r, inputs=dict(r["inputs"])) for r in head.resources]
    bigger.add("aws:eks/nodeGroup:NodeGroup", "nodes", west, "c1", instanceTypes=["m7i.large"],
               scalingConfig={"minSize": 3})
    more = Stack()
    more.resources = [dict(r, inputs=dict(r["inputs"])) for r in bigger.resources]
    more.resources[-1]["inputs"]["scalingConfig"] = {"minSize": 5}
    grow = cost_change({"cost": estimate(bigger.resources, ZERO)}, {"cost": estimate(more.resources, ZERO)})
    # 2 more nodes: 2 x 730 x $0.1008 = 147.168 + their 2 x 20 GB default root volumes x $0.08 = 3.20
    assert grow["summary"] == "+$150.37/month: +2 m7i.large nodes"
    gone = cost_change({"cost": estimate(head.resources, ZERO)}, None)
    assert gone["delta"] == -gone["before"] and gone["summary"].startswith("-$")


def test_diff_cli_fails_above_max_monthly_increase(tmp_path):
    import subprocess

    from tests.test_diff import _git, offline_cli

    proj = tmp_path / "repo"
    (proj / "stacks").mkdir(parents=True)
    (proj / "Pulumi.yaml").write_text("name: costs\nruntime: python\nstackConfigDir: stacks\n")
    (proj / "stacks" / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-west-2\n")
    program = "import pulumi_aws as aws\naws.kms.Key('a', enable_key_rotation=True)\n"
    (proj / "__main__.py").write_text(program)
    _git(proj, "init", "--quiet")
    _git(proj, "add", ".")
    _git(proj, "commit", "--quiet", "-m", "base")
    (proj / "__main__.py").write_text(program + "aws.ec2.NatGateway('nat', subnet_id='subnet-1')\n")
    out = tmp_path / "d.json"
    proc = offline_cli(["diff", "dev", "--base", "HEAD", "--project-dir", str(proj), "--json", str(out),
                        "--max-monthly-increase", "20"])
    assert proc.returncode == 1, proc.stderr
    cost = json.loads(out.read_text())["stacks"][0]["cost"]
    # NAT gateway 730 x $0.045 = 32.85 + its data, default usage 10 GB x $0.045 = 0.45
    assert cost["delta"] == 33.30 and "+1 NAT gateway" in cost["summary"]
    assert "above --max-monthly-increase $20.00" in proc.stdout
    ok = offline_cli(["diff", "dev", "--base", "HEAD", "--project-dir", str(proj), "--max-monthly-increase", "40"])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Cost: +$33.30/month: +1 NAT gateway" in ok.stdout
    subprocess.run(["git", "worktree", "prune"], cwd=proj)


# --- README figures --------------------------------------------------------------------------------

def test_readme_cost_figures_match_the_engine(tmp_path):
    readme = (REPO / "README.md").read_text()
    m = re.search(r"<!-- cost:figures -->(.*?)<!-- /cost:figures -->", readme, re.S)
    assert m, "README lacks the cost figures block"
    block = m.group(1)
    dev = float(re.search(r"`dev`: \*\*\$([\d,.]+)/month\*\*", block).group(1).replace(",", ""))
    prod = float(re.search(r"prod stacks together: \*\*\$([\d,.]+)/month\*\*", block).group(1).replace(",", ""))
    date = re.search(r"catalog of (\d{4}-\d{2}-\d{2})", block).group(1)
    live_dev = preview_stack("dev", tmp_path, packs=PACKS).report["cost"]["monthly"]
    live_prod = sum(preview_stack(s, tmp_path, packs=PACKS).report["cost"]["monthly"] for s in STACKS if s.startswith("prod-"))
    assert date == load_catalog().date
    assert abs(dev - live_dev) <= 0.01 * live_dev, f"README dev ${dev}, engine ${live_dev}: update README"
    assert abs(prod - live_prod) <= 0.01 * live_prod, f"README prod ${prod}, engine ${live_prod}: update README"


def test_platform_usage_is_a_known_stack_key():
    import yaml

    from components.core import config

    raw = dict(yaml.safe_load((REPO / "stacks" / "Pulumi.dev.yaml").read_text())["config"])
    config.load("dev", {k: json.dumps(v) if not isinstance(v, str) else v for k, v in raw.items()})  # valid as is
    raw["platform:usage"] = {"defaults": {"gb_stored": 5}}
    config.load("dev", {k: json.dumps(v) if not isinstance(v, str) else v for k, v in raw.items()})


def test_workflow_passes_the_cost_limit_from_a_repository_variable():
    import yaml

    wf = yaml.safe_load((REPO / ".github" / "workflows" / "pull-request.yml").read_text())
    steps = [s for job in wf["jobs"].values() for s in job.get("steps", [])]
    review = next(s for s in steps if "offline diff --all" in s.get("run", ""))
    # The repository variable, else a committed default (fork pull requests get no variables):
    # tests/test_workflows.py runs the step and checks the limit reaches `offline diff` either way.
    assert wf["env"]["MAX_MONTHLY_INCREASE"].startswith("${{ vars.MAX_MONTHLY_INCREASE || ")
    assert '--max-monthly-increase "$MAX_MONTHLY_INCREASE"' in review["run"]


# ---- What the bill says: verified prices, blocks, usage, rotations, allowances, credits, sizes --------------

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
    from offline.pricing.catalog import CATALOG_FILE

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
    from offline.pricing.model import FREE_ALLOWANCES

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
