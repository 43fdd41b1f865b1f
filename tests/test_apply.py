"""Apply checks (offline/apply): every rule fails on a real SDK program that breaks it and passes
on the same program fixed. Two tiny programs run under the offline engine (one child process each)."""
from __future__ import annotations

import gzip
import json
import re

import pytest
import yaml

from offline_helpers import REPO, offline, preview_stack, program_project

PACKS = ("policy/encryption", "policy/residency")  # same key as tests/test_stacks.py: one cached run per stack

COMMON = '''
import json
import pulumi, pulumi_aws as aws, pulumi_gcp as gcp, pulumi_azure_native as az, pulumi_kubernetes as k8s
import pulumiverse_time as time
GOOD = pulumi.get_stack() == "good"
dep = lambda *rs: pulumi.ResourceOptions(depends_on=[r for r in rs if r is not None])
ign = lambda *paths: pulumi.ResourceOptions(ignore_changes=list(paths) if GOOD else [])

# AWS
aws.route53.HealthCheck("hc", type="HTTPS", fqdn="a.example.com", port=443,
    tags={"Name": "cell a b" if GOOD else "cell (a b)"})
aws.ec2.SecurityGroup("sg", vpc_id="vpc-1", description="the workloads port" if GOOD else "the workload's port")
slr = aws.iam.ServiceLinkedRole("asg-slr", aws_service_name="autoscaling.amazonaws.com") if GOOD else None
aws.kms.Key("key", policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*",
    "Resource": "*", "Principal": {"AWS": "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"}}]}),
    opts=dep(slr))
aws.eks.NodeGroup("ng", cluster_name="c", node_role_arn="arn:aws:iam::123456789012:role/n", subnet_ids=["subnet-1"],
    scaling_config={"desired_size": 2, "min_size": 1, "max_size": 3}, opts=ign("scalingConfig.desiredSize"))
parent = aws.route53.Zone("parent", name="example.com")
zone = aws.route53.Zone("sub", name="sub.example.com")
aws.route53.Record("sub-cert-validation", zone_id=zone.zone_id, name="_abc.sub.example.com", type="CNAME",
    ttl=60, records=["_x.acm-validations.aws."])
if GOOD:
    aws.route53.Record("sub-delegation", zone_id=parent.zone_id, name="sub.example.com", type="NS", ttl=300,
        records=zone.name_servers)
aws.s3.Bucket("models", bucket=f"acme-{pulumi.get_stack()}-models" if GOOD else "acme-models")

# GCP
svc = gcp.projects.Service("compute-api", service="compute.googleapis.com")
net = gcp.compute.Network("net", name="net-a" if GOOD else "Net_A", auto_create_subnetworks=False, opts=dep(svc if GOOD else None))
if GOOD:
    zones = gcp.compute.get_zones_output(opts=pulumi.InvokeOutputOptions(depends_on=[svc]))
else:
    zones = gcp.compute.get_zones()
gcp.storage.Bucket("data", name=f"acme-{pulumi.get_stack()}-data" if GOOD else "acme-data", location="EU",
    labels={"env": "dev"} if GOOD else {"Env": "Dev"})
ident = gcp.projects.ServiceIdentity("gke-agent", service="container.googleapis.com") if GOOD else None
gcp.kms.CryptoKeyIAMMember("gke-key", crypto_key_id="projects/p/locations/l/keyRings/r/cryptoKeys/k",
    role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
    member="serviceAccount:service-123@container-engine-robot.iam.gserviceaccount.com", opts=dep(ident))
gke = gcp.container.Cluster("gke", name="gke-a", location="europe-west1", remove_default_node_pool=True,
    initial_node_count=1, node_config={"disk_size_gb": 50},
    master_authorized_networks_config={"cidr_blocks": [{"cidr_block": "203.0.113.0/24"}]},
    opts=pulumi.ResourceOptions(ignore_changes=["nodeConfig"] if GOOD else [], depends_on=[svc]))
DATA_KEY = "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/data"
gcs_grant = gcp.kms.CryptoKeyIAMMember("gcs-key", crypto_key_id=DATA_KEY, role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
    member="serviceAccount:service-123@gs-project-accounts.iam.gserviceaccount.com")
gcs_wait = time.Sleep("gcs-key-propagation", create_duration="120s", opts=dep(gcs_grant)) if GOOD else None
gcp.storage.Bucket("cmek-data", name=f"acme-{pulumi.get_stack()}-cmek", location="EUROPE-WEST1",
    encryption={"default_kms_key_name": DATA_KEY}, opts=dep(gcs_grant, gcs_wait))
pool = gcp.container.NodePool("pool", cluster=gke.id, location="europe-west1",
    autoscaling={"total_min_node_count": 1, "total_max_node_count": 3},
    initial_node_count=1 if GOOD else None, opts=ign("initialNodeCount"))
gke_k8s = k8s.Provider("gke-k8s", kubeconfig=gke.endpoint)
k8s.apps.v1.Deployment("web", metadata={"name": "web", "namespace": "default"}, spec={
    "selector": {"match_labels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}},
    "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
    opts=pulumi.ResourceOptions(provider=gke_k8s, depends_on=[pool] if GOOD else []))

# Azure
rg = az.resources.ResourceGroup("rg", resource_group_name="rg-a", tags={"team": "x"} if GOOD else {"team/owner": "x"})
az.storage.StorageAccount("st", account_name="stgooddev01" if GOOD else "St-Bad", resource_group_name=rg.name,
    kind="StorageV2", sku={"name": "Standard_LRS"})
az.network.NetworkSecurityGroup("nsg", resource_group_name=rg.name, security_rules=[{
    "name": "deny", "priority": 100, "direction": "Inbound", "access": "Deny", "protocol": "*",
    "source_address_prefix": "Internet", "destination_address_prefix": "*", "source_port_range": "*",
    **({"destination_port_range": "*"} if GOOD else {"destination_port_ranges": ["*"]})}])
ra = az.authorization.RoleAssignment("ra", principal_id="00000000-0000-0000-0000-000000000001",
    principal_type="ServicePrincipal", scope=rg.id,
    role_definition_id="/providers/Microsoft.Authorization/roleDefinitions/12338af0-0e69-4776-bea7-57ae8d297424")
wait = time.Sleep("ra-propagation", create_duration="600s", opts=dep(ra)) if GOOD else None  # Key Vault role: 600 s (#31)
az.network.PublicIPAddress("pip", resource_group_name=rg.name, sku={"name": "Standard"},
    public_ip_allocation_method="Static",
    dns_settings={"domain_name_label": f"cell-a-{pulumi.get_stack()}" if GOOD else "cell-a"},
    opts=dep(wait if GOOD else ra))
aks = az.containerservice.ManagedCluster("aks", resource_group_name=rg.name, dns_prefix="aks",
    kubernetes_version="1.33", auto_upgrade_profile={"upgrade_channel": "stable"},
    api_server_access_profile={"authorized_ip_ranges": ["203.0.113.0/24"]},
    agent_pool_profiles=[{"name": "system", "mode": "System", "count": 2, "enable_auto_scaling": True,
                          "min_count": 1, "max_count": 3, "vm_size": "Standard_D4s_v5"}],
    identity={"type": "SystemAssigned"},
    opts=ign("kubernetesVersion", "agentPoolProfiles[*].count"))

# Kubernetes through the AKS API
prov = k8s.Provider("aks-k8s", kubeconfig=aks.name)
k8s.core.v1.Namespace("ns", metadata={"name": "inference", "labels": {"app": "inference" if GOOD else "bad value!"}},
    opts=pulumi.ResourceOptions(provider=prov))
'''

RULE_IDS = ["aws-route53-tag-charset", "aws-sg-description-charset", "aws-kms-policy-service-linked-role",
            "aws-eks-nodegroup-desired-size", "dns-zone-undelegated", "global-name-fixed", "gcp-api-order",
            "gcp-name-rfc1035", "gcp-label-charset", "gcp-service-agent-identity", "gcp-gke-node-config-ignored",
            "gcp-cmek-grant-propagation", "gcp-gke-workload-waits-for-pool",
            "azure-tag-limits", "azure-name-rules", "azure-nsg-port-ranges-star", "azure-role-assignment-propagation",
            "azure-aks-autoscaler-count", "azure-aks-version-upgrade-channel", "k8s-label-syntax", "k8s-api-unreachable"]

# Rules with their own failing/passing programs in another test module.
RULES_EXERCISED_ELSEWHERE = {r: "tests/test_apply_azure.py" for r in (
    "azure-appgw-secret-exists", "azure-aks-deployer-access", "azure-aks-ephemeral-os-disk-cmk",
    "azure-monitor-alert-destination", "azure-key-vault-role-latency", "azure-key-rotation-action-casing",
    "azure-kms-private-vault-needs-vnet-integration", "azure-apiserver-subnet-nsg", "azure-acme-waits-for-delegation")} | {
    r: "tests/test_apply_gcp.py" for r in (
    "gcp-service-identity-creatable", "gcp-deployer-binding-retained", "gcp-deployer-permission-table",
    "gcp-armor-rule-resources")}
# Its own two programs (one routing policy per name, and a mixed one) are at the end of this module.
RULES_EXERCISED_ELSEWHERE["route53-one-routing-policy-per-name"] = "tests/test_apply.py (ROUTE53_PROGRAM)"

BASE_CONFIG = {"aws:region": "us-west-2", "gcp:project": "acme-p", "gcp:region": "europe-west1",
               "azure-native:location": "westeurope", "platform:environment": "dev"}


def _run(tmp_path, stack, config, extra=()):
    proj = program_project(tmp_path, stack, COMMON, config, name="applytest")
    return offline(["preview", stack, "--quiet", "--project-dir", str(proj), "--assume-applied", *extra], tmp_path)


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    run = _run(tmp, "bad", BASE_CONFIG, extra=("--markdown", str(tmp / "bad.md")))
    run.markdown = (tmp / "bad.md").read_text() if (tmp / "bad.md").exists() else ""
    return run


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("good"), "good",
                {**BASE_CONFIG, "platform:deployer": {"in_network": True}})


def test_every_rule_is_exercised():
    from offline import apply

    from test_apply_aws import RULES as AWS_RULES  # the AWS rules, exercised by their own program
    from test_teardown import RULES as TEARDOWN_RULES  # the delete-time rules, by their own program

    assert set(apply.load_all()) == set(RULE_IDS) | set(RULES_EXERCISED_ELSEWHERE) | set(AWS_RULES) | set(TEARDOWN_RULES)
    for r in apply.RULES.values():
        assert r.doc.startswith("https://") and r.description and r.level in ("error", "warning")


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_fails_on_the_broken_program(bad, rule_id):
    assert bad.report is not None, bad.stderr
    assert any(f["rule"] == rule_id and not f.get("exempted") for f in bad.report["apply"]), \
        (rule_id, [f["rule"] for f in bad.report["apply"]])


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_passes_on_the_fixed_program(good, rule_id):
    assert good.report is not None, good.stderr
    assert [f for f in good.report["apply"] if f["rule"] == rule_id] == []


def test_exit_code_errors_and_warnings(bad, good):
    assert bad.returncode == 1 and "Apply checks:" in bad.stdout
    assert good.returncode == 0, good.stdout + good.stderr


WARNING_RULES = ("aws-eks-nodegroup-desired-size", "azure-aks-autoscaler-count", "azure-aks-version-upgrade-channel")


def test_warnings_as_errors_flag(tmp_path):
    # The broken program with every error rule exempted: only warnings remain open, which fail the
    # preview only with the flag (without it, the exit code is blocking(errors) = none: see `good`).
    from offline import apply

    errors_exempted = [{"rule": r, "resource": "*", "reason": "testing the warnings flag only",
                        "expires": "2999-01-01"} for r in RULE_IDS if r not in WARNING_RULES]
    cfg = {**BASE_CONFIG, "platform:apply_exemptions": errors_exempted}
    strict = _run(tmp_path, "bad", cfg, extra=("--apply-warnings-as-errors",))
    assert strict.returncode == 1, strict.stdout + strict.stderr
    findings = [apply.Finding(f["rule"], f["urn"], f["level"], f["message"], f.get("exempted"))
                for f in strict.report["apply"]]
    assert {f.rule for f in apply.blocking(findings, warnings_as_errors=True)} == set(WARNING_RULES)
    assert apply.blocking(findings) == []
    assert all(f["exempted"] == "testing the warnings flag only (until 2999-01-01)"
               for f in strict.report["apply"] if f["level"] == "error")
    assert "exempted: testing the warnings flag only" in strict.stdout


def test_expired_exemption_is_a_config_error(tmp_path):
    entry = {"rule": "gcp-api-order", "resource": "*", "reason": "a good long reason", "expires": "2020-01-01"}
    run = _run(tmp_path, "bad", {**BASE_CONFIG, "platform:apply_exemptions": [entry]})
    assert run.returncode == 2, run.stdout
    assert "stack 'bad': platform:apply_exemptions[0].expires: 2020-01-01 has passed" in run.stderr


@pytest.mark.parametrize("entry,needle", [
    ({"rule": "gcp-api-order", "resource": "*", "reason": "", "expires": "2999-01-01"}, ".reason: required"),
    ({"rule": "gcp-api-order", "resource": "*", "reason": "a good long reason"}, ".expires: None is not a date"),
    ({"rule": "no-such-rule", "resource": "*", "reason": "a good long reason", "expires": "2999-01-01"},
     "not an apply rule"),
    ({"rule": "gcp-api-order", "reason": "a good long reason", "expires": "2999-01-01"}, ".resource: required"),
])
def test_exemption_validation(bad, entry, needle):
    from offline import apply

    g = apply.Graph(bad.resources, bad.report["invokes"],
                    {"platform:apply_exemptions": json.dumps([entry])}, "bad")
    with pytest.raises(apply.ExemptionError, match=re.escape(needle)):
        apply.check(g)


def test_exemption_matches_by_name_glob_or_urn(bad):
    from offline import apply

    agw = [f for f in bad.report["apply"] if f["rule"] == "azure-nsg-port-ranges-star"][0]
    for pattern in (agw["urn"], agw["urn"].split("::")[-1], "n*g"):
        g = apply.Graph(bad.resources, bad.report["invokes"], {"platform:apply_exemptions": json.dumps(
            [{"rule": "azure-nsg-port-ranges-star", "resource": pattern, "reason": "a good long reason",
              "expires": "2999-01-01"}])}, "bad")
        found = [f for f in apply.check(g) if f.rule == "azure-nsg-port-ranges-star"]
        assert found and all(f.exempted for f in found), pattern
        assert all(not f.exempted for f in apply.check(g) if f.rule != "azure-nsg-port-ranges-star")


def test_capture_dependencies_options_and_invokes(bad, good):
    ra = good.one("azure-native:authorization:RoleAssignment")
    sleep = good.one("time:index/sleep:Sleep", "ra-propagation")
    assert ra["urn"] in sleep["dependencies"]
    pip = good.one("azure-native:network:PublicIPAddress")
    assert sleep["urn"] in pip["dependencies"]
    rg = good.one("azure-native:resources:ResourceGroup")
    assert rg["urn"] in pip["propertyDependencies"]["resourceGroupName"]
    assert good.one("gcp:container/cluster:Cluster")["options"]["ignoreChanges"] == ["nodeConfig"]
    assert bad.one("gcp:container/cluster:Cluster")["options"]["ignoreChanges"] == []
    inv = [i for i in good.report["invokes"] if i["token"] == "gcp:compute/getZones:getZones"]
    svc = good.one("gcp:projects/service:Service")["urn"]
    assert inv and svc in inv[0]["after"] and svc in inv[0]["dependsOn"]
    inv_bad = [i for i in bad.report["invokes"] if i["token"] == "gcp:compute/getZones:getZones"]
    assert inv_bad and inv_bad[0]["dependsOn"] == []


def test_text_and_markdown_show_apply_findings(bad):
    # One table of what to act on, each row with what / where / fix
    assert "| level | rule | what | where | fix |" in bad.markdown and "| apply error | `gcp-api-order`" in bad.markdown
    assert "apply errors" in bad.markdown
    assert "[error] gcp-api-order" in bad.stdout


def test_cross_stack_collision_of_global_names():
    from offline.apply import Graph
    from offline.apply.common import collisions

    res = {"urn": "urn:pulumi:x::p::gcp:storage/bucket:Bucket::b", "type": "gcp:storage/bucket:Bucket",
           "name": "b", "inputs": {"name": "same-name"}, "dependencies": []}
    graphs = [Graph([dict(res, urn=res["urn"].replace("x", s))], [], {}, s) for s in ("dev", "prod")]
    assert len(collisions(graphs)) == 1


# The shipped stacks are examples: the findings their placeholder values (no platform:deployer, an
# undelegated zone) cause are recorded as reasoned, expiring exemptions naming what to set (visible
# in the report; test_workflows checks the wording). Real values turn these xfails into passes.
STACK_ISSUES = {"dev": "placeholders", "eu-ha": "placeholders", "prod-aws-us-west-2": "placeholders",
                "prod-azure-centralindia": "placeholders", "prod-gcp-europe-west1": "placeholders",
                "prod-global": ""}


@pytest.mark.parametrize("stack", sorted(STACK_ISSUES))
def test_stack_previews_without_unexempted_apply_errors(stack, tmp_path):
    run = preview_stack(stack, tmp_path, packs=PACKS)
    assert run.report is not None, run.stderr
    assert [f for f in run.report["apply"] if f["level"] == "error" and not f.get("exempted")] == []
    exemptions = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"].get(
        "platform:apply_exemptions", [])
    assert all(e["reason"].startswith("placeholder by design") for e in exemptions)


@pytest.mark.parametrize("stack", [pytest.param(s, marks=[pytest.mark.xfail(
    strict=True, reason=f"apply errors of the example's {i} (by design)")] if i else []) for s, i in sorted(STACK_ISSUES.items())])
def test_stack_has_zero_apply_errors_without_exemptions(stack, tmp_path):
    run = preview_stack(stack, tmp_path, packs=PACKS)
    assert [f["rule"] for f in run.report["apply"] if f["level"] == "error"] == []


def test_platform_config_validates_apply_exemptions_before_any_resource():
    import datetime as dt

    from components.core.config import ConfigError, load
    from offline.project import load_project, stack_config

    flat, _ = stack_config(load_project(REPO), "dev")
    cfg = load("dev", flat, today=dt.date(2026, 11, 26))
    assert cfg.apply_exemptions and all(e.reason and e.expires for e in cfg.apply_exemptions)
    for entry, needle in (
            ({"rule": "gcp-api-order", "resource": "x", "reason": "short", "expires": "2999-01-01"}, "reason"),
            ({"rule": "gcp-api-order", "resource": "x", "reason": "a good long reason", "expires": "2020-01-01"},
             "platform:apply_exemptions[0].expires = 2020-01-01: has passed")):
        with pytest.raises(ConfigError, match=re.escape(needle)):
            load("dev", {**flat, "platform:apply_exemptions": json.dumps([entry])}, today=dt.date(2026, 11, 26))


def test_report_dependencies_include_the_parent_and_options_every_resource(tmp_path):
    run = preview_stack("dev", tmp_path, packs=PACKS)
    urns = {r["urn"] for r in run.resources}
    children = [r for r in run.resources if r["parent"] in urns]
    assert children and all(r["parent"] in r["dependencies"] for r in children)
    assert all(set(r["options"]) == {"ignoreChanges", "replaceOnChanges", "deleteBeforeReplace", "retainOnDelete",
                                     "customTimeouts", "aliases"} for r in run.resources)
    for r in run.resources:
        for urns_ in r["propertyDependencies"].values():
            assert set(urns_) <= set(r["dependencies"]), r["urn"]


def _res(type_: str, name: str, deps=(), **inputs) -> dict:
    return {"urn": f"urn:pulumi:s::p::{type_}::{name}", "type": type_, "name": name, "inputs": inputs,
            "dependencies": [f"urn:pulumi:s::p::{t}::{n}" for t, n in deps]}


SLEEP = "time:index/sleep:Sleep"
RA = "azure-native:authorization:RoleAssignment"


def test_propagation_wait_walk_shared_by_the_clouds():
    """offline/apply/common.propagation_waits: the walk azure-role-assignment-propagation,
    azure-aks-deployer-access and gcp-cmek-grant-propagation share."""
    from offline.apply import Graph
    from offline.apply.common import propagation_waits

    a, b = _res(RA, "a"), _res(RA, "b")
    after_a = _res(SLEEP, "after-a", [(RA, "a")], createDuration="120s")
    after_both = _res(SLEEP, "after-both", [(RA, "a"), (RA, "b")], createDuration="120s")
    no_pause = _res(SLEEP, "no-pause", [(RA, "a"), (RA, "b")])  # no createDuration: does not wait
    users = {n: _res("azure-native:storage:BlobContainer", n, deps) for n, deps in (
        ("via-a", [(SLEEP, "after-a")]), ("via-both", [(SLEEP, "after-both")]),
        ("via-no-pause", [(SLEEP, "no-pause")]), ("direct", [(RA, "a")]))}
    waited = propagation_waits(Graph([a, b, after_a, after_both, no_pause, *users.values()], [], {}, "s"))
    urn = {n: u["urn"] for n, u in users.items()}
    assert waited(urn["via-a"], [a["urn"]]) and waited(urn["via-a"], [a["urn"], b["urn"]])
    assert not waited(urn["via-a"], [a["urn"], b["urn"]], every=True) and not waited(urn["via-a"], [b["urn"]])
    assert waited(urn["via-both"], [a["urn"], b["urn"]], every=True)
    assert not waited(urn["via-no-pause"], [a["urn"]]) and not waited(urn["direct"], [a["urn"]])


@pytest.mark.parametrize("pause,fails", [({"createDuration": "120s"}, False), ({}, True)])
def test_cmek_wait_must_pause(pause, fails):
    # A time Sleep with no createDuration does not pause: the CMEK user still races the grant.
    from offline.apply import Graph, load_all

    key = "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k"
    grant = _res("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "grant", cryptoKeyId=key,
                 member="serviceAccount:service-1@gs-project-accounts.iam.gserviceaccount.com")
    wait = _res(SLEEP, "wait", [("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "grant")], **pause)
    bucket = _res("gcp:storage/bucket:Bucket", "bucket", [(SLEEP, "wait")], encryption={"defaultKmsKeyName": key})
    graph = Graph([grant, wait, bucket], [], {}, "s")
    found = list(load_all()["gcp-cmek-grant-propagation"].check(graph))
    assert [f.urn for f in found] == ([bucket["urn"]] if fails else [])


# ---- Route 53: one routing policy per record name and type (a switch on one name stops halfway) -------------

ROUTE53_PROGRAM = '''
import pulumi, pulumi_aws as aws
MIXED = pulumi.Config().get_bool("mixed")
zone = aws.route53.Zone("zone", name="example.com")
aws.route53.Record("pool-a", zone_id=zone.zone_id, name="eu.pool.example.com", type="CNAME", ttl=30,
                   records=["a.example.com"], set_identifier="a",
                   weighted_routing_policies=[aws.route53.RecordWeightedRoutingPolicyArgs(weight=1)])
if MIXED:
    aws.route53.Record("pool-b", zone_id=zone.zone_id, name="eu.pool.example.com", type="CNAME", ttl=30,
                       records=["b.example.com"], set_identifier="b",
                       failover_routing_policies=[aws.route53.RecordFailoverRoutingPolicyArgs(type="PRIMARY")])
else:
    aws.route53.Record("pool-b", zone_id=zone.zone_id, name="eu.pool.example.com", type="CNAME", ttl=30,
                       records=["b.example.com"], set_identifier="b",
                       weighted_routing_policies=[aws.route53.RecordWeightedRoutingPolicyArgs(weight=1)])
'''


def _route53_run(tmp_path, mixed: bool):
    proj = tmp_path / ("mixed" if mixed else "uniform")
    (proj / "stacks").mkdir(parents=True)
    (proj / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "r53", "runtime": "python", "stackConfigDir": "stacks"}))
    (proj / "__main__.py").write_text(ROUTE53_PROGRAM)
    (proj / "stacks" / "Pulumi.t.yaml").write_text(yaml.safe_dump(
        {"config": {"aws:region": "us-east-1", "r53:mixed": mixed}}))
    return offline(["preview", "t", "--quiet", "--assume-applied", "--project-dir", str(proj)], tmp_path)


def test_rule_fails_on_mixed_policies_and_passes_on_one(tmp_path):
    mixed, uniform = _route53_run(tmp_path, True), _route53_run(tmp_path, False)
    found = [f for f in mixed.report["apply"] if f["rule"] == "route53-one-routing-policy-per-name"]
    assert mixed.returncode == 1 and len(found) == 2, mixed.stdout
    assert "pool-a: weighted, pool-b: failover" in found[0]["message"] and "a record set name per mode" in found[0]["fix"]
    assert not [f for f in uniform.report["apply"] if f["rule"] == "route53-one-routing-policy-per-name"]
    assert uniform.returncode == 0, uniform.stdout


def test_policy_inputs_are_the_provider_schemas():
    from offline.apply.routing import POLICY_INPUTS

    schema = json.load(gzip.open(REPO / "tests" / "schemas" / "aws.json.gz"))
    inputs = schema["resources"]["aws:route53/record:Record"]["inputProperties"]
    assert set(POLICY_INPUTS) == {k for k in inputs if "RoutingPolic" in k}


def _route53_record(logical, name, **policy):
    return {"urn": f"urn:pulumi:s::p::aws:route53/record:Record::{logical}", "type": "aws:route53/record:Record",
            "name": logical, "inputs": {"zoneId": "ZABC", "name": name, "type": "CNAME", **policy},
            "outputs": {}, "parent": None, "aliases": [], "dependencies": []}


def test_a_switch_on_one_name_fails_the_review_diff():
    from offline.apply.routing import policy_switches
    from offline.diff import diff_markdown, diff_resources, diff_text
    from offline.diff.model import StackDiff

    weighted = [_route53_record(f"eu-{c}", "eu.pool.api.example.com.", weightedRoutingPolicies=[{"weight": 1}])
                for c in ("a", "b")]
    failover = [_route53_record("eu-a", "eu.pool.api.example.com", failoverRoutingPolicies=[{"type": "PRIMARY"}]),
                _route53_record("eu-b", "eu.pool.api.example.com", failoverRoutingPolicies=[{"type": "SECONDARY"}])]
    switches = policy_switches(weighted, failover)
    assert [s["urn"].rsplit("::", 1)[-1] for s in switches] == ["eu-a", "eu-b"]
    assert "weighted -> failover" in switches[0]["message"]
    # new names per mode: the new records do not share a name with the old ones, nothing to refuse
    renamed = [dict(r, inputs={**r["inputs"], "name": "eu.failover.pool.api.example.com"}) for r in failover]
    assert policy_switches(weighted, renamed) == []
    assert policy_switches(weighted, weighted) == []

    changes, unchanged, moved = diff_resources(weighted, failover)
    d = StackDiff("s", "base", changes, unchanged, moved, {"resources": failover, "policy": []}, apply_alerts=switches)
    assert d.to_json()["apply_alerts"] == switches
    text, md = diff_text(d), diff_markdown([d])
    assert text.rstrip().splitlines()[-1].startswith("Verdict: FAIL: 2 record(s) switch routing policy")
    assert "route53-routing-policy-switch" in md and "❌ needs attention" in md


def test_the_shipped_stacks_hold_one_policy_per_name(tmp_path):
    """Every record name of the shipped routing trees has one policy (dev's run is shared with other tests)."""
    from offline_helpers import preview_stack

    run = preview_stack("dev", tmp_path)
    assert not [f for f in run.report["apply"] if f["rule"] == "route53-one-routing-policy-per-name"]
