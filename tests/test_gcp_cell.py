"""The GCP regional cell (components/clouds/gcp/) under the offline engine.

The dev stack, the GCP prod stack and a two-GCP-cell config each run once per module; every
assertion reads captured inputs by their wire names (the names the provider and the policy
packs see) and checks how the pieces are wired to each other by id, not merely that they exist.
"""
from __future__ import annotations

import copy
import json
import re

import pytest

import schema_check
from components.core.config import ConfigError
from components.clouds.gcp.context import GcpContext
from components.clouds.gcp.network import SubnetPlan
from offline_helpers import Run, preview_config, preview_stack, stack_config

CELL_TYPE = "platform:gcp:Cell"
CELL = "gcp-europe-west1"
REGION = "europe-west1"
NODE_PORT = 30080
HEALTH_CHECK_RANGES = {"35.191.0.0/16", "130.211.0.0/22"}
PROXY_ONLY = "10.20.32.0/23"  # carved from the cell's 10.20.0.0/16
STANDARD_LABELS = {"residency", "cell", "environment", "managed-by"}
ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
SECOND_PROJECT = "acme-platform-dev-west4"
# The second cell logs everything (an investigation): every knob of platform:cells[i].gcp.logging.
SECOND_LOGGING = {"flow_interval": "INTERVAL_5_SEC", "flow_sampling": 1.0, "flow_metadata": "INCLUDE_ALL_METADATA",
                  "firewall_logging": True, "lb_sample_rate": 1.0}
STATEFUL = ("gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey", "gcp:storage/bucket:Bucket",
            "gcp:container/cluster:Cluster")


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Run:
    run = preview_stack("dev", tmp_path_factory.mktemp("dev"))
    assert run.returncode == 0, run.stderr[-4000:]
    return run


@pytest.fixture(scope="module")
def prod(tmp_path_factory) -> Run:
    run = preview_stack("prod-gcp-europe-west1", tmp_path_factory.mktemp("prod"), extra=("--unmasked-outputs",))
    assert run.returncode == 0, run.stderr[-4000:]
    return run


@pytest.fixture(scope="module")
def two_cells(tmp_path_factory) -> Run:
    """dev's GCP cell plus a second one in europe-west4 (its own project: one GCP cell per project)."""
    cfg = stack_config("dev")
    gcp_cell = next(c for c in cfg["platform:cells"] if c["cloud"] == "gcp")
    second = {**copy.deepcopy(gcp_cell), "name": "gcp-europe-west4", "region": "europe-west4",
              "network_cidr": "10.21.0.0/16", "project": SECOND_PROJECT, "gcp": {"logging": SECOND_LOGGING}}
    cfg["platform:cells"] = [gcp_cell, second]
    run = preview_config(cfg, tmp_path_factory.mktemp("two"), stack="two-gcp")
    assert run.returncode == 0, run.stderr[-4000:]
    return run


# --- helpers ---------------------------------------------------------------------------------

def cell_of(run: Run, name: str = CELL) -> dict:
    return run.one(CELL_TYPE, name)


def in_cell(run: Run, type_: str, cell: str = CELL) -> list[dict]:
    """Resources of `type_` under the cell `cell`."""
    urn = cell_of(run, cell)["urn"]
    return [r for r in run.of_type(type_) if any(a["urn"] == urn for a in run.ancestors(r))]


def one(run: Run, type_: str, suffix: str = "", cell: str = CELL) -> dict:
    found = [r for r in in_cell(run, type_, cell) if r["name"].endswith(suffix)]
    assert len(found) == 1, f"expected one {type_} *{suffix} in {cell}, found {[r['name'] for r in found]}"
    return found[0]


def out(res: dict, key: str):
    return res["outputs"][key]


def cell_resources(run: Run, cell: str = CELL) -> list[dict]:
    urn = cell_of(run, cell)["urn"]
    return [r for r in run.resources if any(a["urn"] == urn for a in run.ancestors(r))]


# --- pure pieces -----------------------------------------------------------------------------

def test_subnet_plan_carves_disjoint_ranges():
    plan = SubnetPlan.carve("10.20.0.0/16", CELL)
    assert (plan.nodes, plan.services, plan.proxy_only, plan.pods) == (
        "10.20.0.0/20", "10.20.16.0/20", PROXY_ONLY, "10.20.128.0/17")
    with pytest.raises(ConfigError, match="too small"):
        SubnetPlan.carve("10.20.0.0/24", CELL)


def test_account_ids_fit_gcp_limits():
    ctx = GcpContext(cell="a-very-long-cell-name-x", project="p", region=REGION, environment="dev",
                     residency="eu", provider=None, protect=False)  # type: ignore[arg-type]
    ids = {ctx.account_id("nodes"), ctx.account_id("inference")}
    assert all(6 <= len(i) <= 30 and i[0].isalpha() and i[-1].isalnum() for i in ids), ids
    assert len(ids) == 2


# --- the dev stack ---------------------------------------------------------------------------

def test_cell_has_its_own_provider_for_project_and_region(dev):
    cell = cell_of(dev)
    providers = [r for r in dev.of_type("pulumi:providers:gcp") if r["parent"] == cell["urn"]]
    assert len(providers) == 1
    assert providers[0]["inputs"]["project"] == "acme-platform-dev"
    assert providers[0]["inputs"]["region"] == REGION


def test_everything_the_cell_builds_sits_in_a_piece(dev):
    """One piece shape: under the cell only its provider, its pieces and the workload; the edge
    guard, the SLO alerts and the Monitoring API that used to hang on the cell directly are in pieces,
    each with an alias to the cell (their URN stays: tests/test_structure.py)."""
    cell = cell_of(dev)
    direct = {r["type"] for r in dev.children_of(cell["urn"])}
    assert direct == {"pulumi:providers:gcp", "platform:workload:InferenceService", *(
        f"platform:gcp:{t}" for t in ("ProjectApis", "Network", "Key", "Bucket", "Logs", "Cluster",
                                      "EdgeGuard", "LoadBalancer", "WorkloadIdentity", "SloAlerts"))}, direct
    moved = {"gcp:monitoring/notificationChannel:NotificationChannel": "platform:gcp:SloAlerts",
             "gcp:monitoring/alertPolicy:AlertPolicy": "platform:gcp:SloAlerts"}
    for type_, piece in moved.items():
        for r in in_cell(dev, type_):
            assert dev.by_urn(r["parent"])["type"] == piece, r["urn"]
            assert [a["parentUrn"] for a in r["aliases"]] == [cell["urn"]], r["urn"]
    monitoring = one(dev, "gcp:projects/service:Service", "-apis-monitoring")
    assert dev.by_urn(monitoring["parent"])["type"] == "platform:gcp:ProjectApis"
    assert [a["parentUrn"] for a in monitoring["aliases"]] == [cell["urn"]]
    # Nothing else moved: no other resource names an old parent (the provider SDKs' own type aliases aside).
    assert [r["urn"] for r in cell_resources(dev) if any(a.get("parentUrn") for a in r.get("aliases") or [])
            and r["type"] not in moved and r is not monitoring] == []


def test_every_resource_descends_from_the_cell_and_uses_its_provider(dev):
    cell = cell_of(dev)
    gcp_provider = next(r for r in dev.of_type("pulumi:providers:gcp") if r["parent"] == cell["urn"])
    gcp_ref = f"{gcp_provider['urn']}::{gcp_provider['id']}"
    gcp_resources = [r for r in dev.resources if r["type"].startswith("gcp:")]
    assert len(gcp_resources) >= 40
    for r in gcp_resources:
        assert cell["urn"] in [a["urn"] for a in dev.ancestors(r)], r["urn"]
        assert r["provider"] == gcp_ref, r["urn"]
        assert r["name"].startswith(f"{CELL}-"), r["name"]
    # The validation record is the cell's (its parent is in the cell), written through the stack's one
    # DnsValidator on the global us-east-1 provider: the GCP cell has no AWS provider of its own.
    record = one(dev, "aws:route53/record:Record", "-cert-validation")
    assert cell["urn"] in [a["urn"] for a in dev.ancestors(record)]
    dns_provider = dev.by_urn(record["provider"].rsplit("::", 1)[0])
    assert dns_provider["name"] == "global-aws" and dns_provider["inputs"]["region"] == "us-east-1"
    assert not [r for r in dev.of_type("pulumi:providers:aws") if cell["urn"] in [a["urn"] for a in dev.ancestors(r)]]


def test_network_is_custom_mode_with_private_access_flow_logs_and_nat(dev):
    vpc = one(dev, "gcp:compute/network:Network")
    assert vpc["inputs"]["autoCreateSubnetworks"] is False
    nodes = one(dev, "gcp:compute/subnetwork:Subnetwork", "-nodes")
    assert nodes["inputs"]["network"] == vpc["id"] and nodes["inputs"]["region"] == REGION
    assert nodes["inputs"]["privateIpGoogleAccess"] is True
    # Cost-aware flow logs by default (platform:cells[i].gcp.logging).
    assert nodes["inputs"]["logConfig"] == {"aggregationInterval": "INTERVAL_1_MIN", "flowSampling": 0.1,
                                            "metadata": "EXCLUDE_ALL_METADATA"}
    assert {r["rangeName"] for r in nodes["inputs"]["secondaryIpRanges"]} == {"pods", "services"}
    proxy = one(dev, "gcp:compute/subnetwork:Subnetwork", "-proxy-only")
    assert proxy["inputs"]["purpose"] == "REGIONAL_MANAGED_PROXY" and proxy["inputs"]["role"] == "ACTIVE"
    assert proxy["inputs"]["ipCidrRange"] == PROXY_ONLY and proxy["inputs"]["network"] == vpc["id"]
    router = one(dev, "gcp:compute/router:Router")
    assert router["inputs"]["network"] == vpc["id"]
    nat = one(dev, "gcp:compute/routerNat:RouterNat")
    assert nat["inputs"]["router"] == out(router, "name")
    assert nat["inputs"]["subnetworks"] == [{"name": nodes["id"], "sourceIpRangesToNats": ["ALL_IP_RANGES"]}]


def test_network_and_lb_logging_follow_the_cells_settings(dev, two_cells):
    """Defaults: no firewall logging, one LB request in ten; a cell's `gcp.logging` raises each knob."""
    assert all("logConfig" not in r["inputs"] for r in in_cell(dev, "gcp:compute/firewall:Firewall"))
    assert one(dev, "gcp:compute/regionBackendService:RegionBackendService")["inputs"]["logConfig"] == {
        "enable": True, "sampleRate": 0.1}
    west4 = "gcp-europe-west4"
    nodes = one(two_cells, "gcp:compute/subnetwork:Subnetwork", "-nodes", cell=west4)
    assert nodes["inputs"]["logConfig"] == {"aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 1.0,
                                            "metadata": "INCLUDE_ALL_METADATA"}
    assert all(r["inputs"]["logConfig"] == {"metadata": "INCLUDE_ALL_METADATA"}
               for r in in_cell(two_cells, "gcp:compute/firewall:Firewall", west4))
    assert one(two_cells, "gcp:compute/regionBackendService:RegionBackendService", cell=west4)["inputs"][
        "logConfig"] == {"enable": True, "sampleRate": 1.0}


def test_log_sampling_out_of_range_is_a_config_error():
    from components.core import config

    cfg = stack_config("dev")
    cell = next(c for c in cfg["platform:cells"] if c["cloud"] == "gcp")
    cell["gcp"] = {"logging": {"flow_sampling": 0, "lb_sample_rate": 2, "flow_interval": "INTERVAL_2_SEC"}}
    with pytest.raises(ConfigError) as e:
        config.load("dev", cfg)
    text = str(e.value)
    for key in ("gcp.logging.flow_sampling", "gcp.logging.lb_sample_rate", "gcp.logging.flow_interval"):
        assert f"platform:cells[1].{key} (cell 'gcp-europe-west1')" in text, text
    aws = next(c for c in cfg["platform:cells"] if c["cloud"] == "aws")
    cell.pop("gcp")
    aws["gcp"] = {"logging": {}}
    with pytest.raises(ConfigError, match=r"cells\[0\]\.gcp .*a gcp setting, and this cell is on aws"):
        config.load("dev", cfg)


def test_firewall_admits_only_health_checkers_and_proxies_on_the_node_port(dev):
    pool = one(dev, "gcp:container/nodePool:NodePool")
    node_tags = pool["inputs"]["nodeConfig"]["tags"]
    rules = in_cell(dev, "gcp:compute/firewall:Firewall")
    assert len(rules) == 2
    sources = set()
    for rule in rules:
        i = rule["inputs"]
        assert i["direction"] == "INGRESS" and i["targetTags"] == node_tags
        assert i["allows"] == [{"protocol": "tcp", "ports": [str(NODE_PORT)]}]
        sources |= set(i["sourceRanges"])
    assert sources == HEALTH_CHECK_RANGES | {PROXY_ONLY}


def test_key_is_regional_and_rotates_within_90_days(dev):
    ring = one(dev, "gcp:kms/keyRing:KeyRing")
    assert ring["inputs"]["location"] == REGION
    key = one(dev, "gcp:kms/cryptoKey:CryptoKey")
    assert key["inputs"]["keyRing"] == ring["id"]
    assert key["id"].startswith(f"projects/acme-platform-dev/locations/{REGION}/keyRings/")
    period = key["inputs"]["rotationPeriod"]
    assert period.endswith("s") and 0 < int(period[:-1]) <= 90 * 86400


def test_bucket_uses_the_cell_key_after_the_storage_agent_is_granted(dev):
    key = one(dev, "gcp:kms/cryptoKey:CryptoKey")
    bucket = one(dev, "gcp:storage/bucket:Bucket")
    i = bucket["inputs"]
    assert i["encryption"]["defaultKmsKeyName"] == key["id"]
    assert i["location"].lower() == REGION
    assert i["uniformBucketLevelAccess"] is True and i["publicAccessPrevention"] == "enforced"
    assert i["versioning"] == {"enabled": True}
    assert i["softDeletePolicy"]["retentionDurationSeconds"] >= 7 * 86400
    assert {"Delete", "AbortIncompleteMultipartUpload"} <= {r["action"]["type"] for r in i["lifecycleRules"]}
    grant = one(dev, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "-storage-agent")
    g = grant["inputs"]
    assert g["cryptoKeyId"] == key["id"] and g["role"] == ENCRYPTER
    assert g["member"].startswith("serviceAccount:service-")
    assert g["member"].endswith("@gs-project-accounts.iam.gserviceaccount.com")
    # The grant exists before the bucket: the bucket waits for it in the graph.
    assert grant["urn"] in bucket["dependencies"]


def test_cluster_is_regional_private_encrypted_and_shielded(dev):
    key = one(dev, "gcp:kms/cryptoKey:CryptoKey")
    cluster = one(dev, "gcp:container/cluster:Cluster")
    i = cluster["inputs"]
    assert i["location"] == REGION
    assert i["privateClusterConfig"]["enablePrivateNodes"] is True
    assert i["workloadIdentityConfig"]["workloadPool"] == "acme-platform-dev.svc.id.goog"
    assert i["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": key["id"]}
    assert i["enableShieldedNodes"] is True and i["removeDefaultNodePool"] is True
    assert i["releaseChannel"]["channel"] in ("RAPID", "REGULAR", "STABLE")
    assert i["ipAllocationPolicy"] == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"}
    assert [b["cidrBlock"] for b in i["masterAuthorizedNetworksConfig"]["cidrBlocks"]] == ["203.0.113.0/24"]
    assert i["masterAuth"]["clientCertificateConfig"]["issueClientCertificate"] is False
    gke_grant = one(dev, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "-gke-agent")
    assert gke_grant["inputs"]["cryptoKeyId"] == key["id"] and gke_grant["inputs"]["role"] == ENCRYPTER
    assert gke_grant["inputs"]["member"].endswith("@container-engine-robot.iam.gserviceaccount.com")
    assert gke_grant["urn"] in cluster["dependencies"]


def test_node_pool_runs_as_a_minimal_service_account(dev):
    key = one(dev, "gcp:kms/cryptoKey:CryptoKey")
    cluster = one(dev, "gcp:container/cluster:Cluster")
    account = one(dev, "gcp:serviceaccount/account:Account", "-nodes")
    roles = [r for r in in_cell(dev, "gcp:projects/iAMMember:IAMMember")]
    assert {r["inputs"]["role"] for r in roles} == {"roles/container.defaultNodeServiceAccount"}
    assert all(r["inputs"]["member"] == f"serviceAccount:{out(account, 'email')}" for r in roles)
    pool = one(dev, "gcp:container/nodePool:NodePool")
    p = pool["inputs"]
    assert p["cluster"] == cluster["id"] and p["location"] == REGION
    assert p["autoscaling"]["totalMinNodeCount"] == 1 and p["autoscaling"]["totalMaxNodeCount"] == 3
    nc = p["nodeConfig"]
    assert nc["serviceAccount"] == out(account, "email")
    assert nc["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert nc["workloadMetadataConfig"]["mode"] == "GKE_METADATA"
    assert nc["bootDiskKmsKey"] == key["id"]
    assert STANDARD_LABELS <= set(nc["resourceLabels"])
    compute_grant = one(dev, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "-compute-agent")
    assert compute_grant["inputs"]["member"].endswith("@compute-system.iam.gserviceaccount.com")
    assert compute_grant["urn"] in pool["dependencies"]


def test_load_balancer_is_regional_external_managed_and_fully_wired(dev):
    assert not [r for r in cell_resources(dev) if r["type"].startswith(("gcp:compute/global", "gcp:compute/targetHttp",
                                                                       "gcp:compute/uRLMap", "gcp:compute/backendService"))]
    address = one(dev, "gcp:compute/address:Address")
    assert address["inputs"]["region"] == REGION and address["inputs"]["addressType"] == "EXTERNAL"
    rules = {r["inputs"]["portRange"]: r for r in in_cell(dev, "gcp:compute/forwardingRule:ForwardingRule")}
    assert set(rules) == {"443", "80"}
    proxy_subnet = one(dev, "gcp:compute/subnetwork:Subnetwork", "-proxy-only")
    for rule in rules.values():
        assert rule["inputs"]["loadBalancingScheme"] == "EXTERNAL_MANAGED"
        assert rule["inputs"]["region"] == REGION
        assert rule["inputs"]["ipAddress"] == out(address, "address")
        assert rule["inputs"]["networkTier"] == address["inputs"]["networkTier"]
        assert proxy_subnet["urn"] in rule["dependencies"]
    # 443 -> HTTPS proxy -> URL map -> backend service -> health check
    https = one(dev, "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy")
    assert rules["443"]["inputs"]["target"] == https["id"]
    policy = one(dev, "gcp:compute/regionSslPolicy:RegionSslPolicy")
    assert https["inputs"]["sslPolicy"] == policy["id"]
    assert policy["inputs"]["minTlsVersion"] == "TLS_1_2" and policy["inputs"]["profile"] in ("MODERN", "RESTRICTED")
    url_map = one(dev, "gcp:compute/regionUrlMap:RegionUrlMap", "-https")
    assert https["inputs"]["urlMap"] == url_map["id"]
    backend = one(dev, "gcp:compute/regionBackendService:RegionBackendService")
    assert url_map["inputs"]["defaultService"] == backend["id"]
    b = backend["inputs"]
    assert b["loadBalancingScheme"] == "EXTERNAL_MANAGED" and b["protocol"] == "HTTP" and b["region"] == REGION
    hc = one(dev, "gcp:compute/regionHealthCheck:RegionHealthCheck")
    assert b["healthChecks"] == hc["id"]
    assert hc["inputs"]["httpHealthCheck"] == {"port": NODE_PORT, "requestPath": "/health"}
    # 80 -> HTTP proxy -> a URL map that only redirects (no backend behind plain HTTP)
    http = one(dev, "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy")
    assert rules["80"]["inputs"]["target"] == http["id"]
    redirect = one(dev, "gcp:compute/regionUrlMap:RegionUrlMap", "-http-redirect")
    assert http["inputs"]["urlMap"] == redirect["id"]
    assert redirect["inputs"]["defaultUrlRedirect"]["httpsRedirect"] is True
    assert "defaultService" not in redirect["inputs"] and "pathMatchers" not in redirect["inputs"]


def test_backends_are_the_node_pool_instance_groups_on_the_named_node_port(dev):
    pool = one(dev, "gcp:container/nodePool:NodePool")
    groups = out(pool, "managedInstanceGroupUrls")
    assert len(groups) == 3 and all("/instanceGroups/" in g for g in groups)
    backend = one(dev, "gcp:compute/regionBackendService:RegionBackendService")
    assert [b["group"] for b in backend["inputs"]["backends"]] == groups
    ports = in_cell(dev, "gcp:compute/instanceGroupNamedPort:InstanceGroupNamedPort")
    assert sorted(p["inputs"]["group"] for p in ports) == sorted(groups)
    for p in ports:
        assert p["inputs"]["name"] == backend["inputs"]["portName"] and p["inputs"]["port"] == NODE_PORT
        assert f"/zones/{p['inputs']['zone']}/" in p["inputs"]["group"]
        assert p["urn"] in backend["dependencies"]
    # The workload's Service listens on exactly that NodePort (the cell's WorkloadExposure).
    services = [s for s in in_cell(dev, "kubernetes:core/v1:Service")]
    assert services and services[0]["inputs"]["spec"]["type"] == "NodePort"
    assert [p.get("nodePort") for p in services[0]["inputs"]["spec"]["ports"]] == [NODE_PORT]


def test_certificate_covers_the_cell_name_and_the_public_name_each_validated_in_route53(dev):
    hostname = f"{CELL}.dev.inference.example.com"
    domain = "api.dev.inference.example.com"  # the name components/global_traffic/records.py answers with this cell
    zone = dev.one("aws:route53/zone:Zone")
    auths = []
    for suffix, name in (("", hostname), ("-domain", domain)):
        auth = one(dev, "gcp:certificatemanager/dnsAuthorization:DnsAuthorization", f"-dns-auth{suffix}")
        assert auth["inputs"]["domain"] == name and auth["inputs"]["location"] == REGION
        assert auth["inputs"]["type"] == "PER_PROJECT_RECORD"
        record = one(dev, "aws:route53/record:Record", f"-cert-validation{suffix}")
        (dns_record,) = out(auth, "dnsResourceRecords")
        assert dns_record["name"].endswith(f".{name}.")
        assert record["inputs"]["zoneId"] == out(zone, "zoneId")
        assert record["inputs"]["name"] == dns_record["name"] and record["inputs"]["type"] == "CNAME"
        assert record["inputs"]["records"] == [dns_record["data"]]
        auths.append((auth, record))
    # Only the shared public name's record may be taken over from, and is left to, other cells.
    assert auths[0][1]["inputs"]["allowOverwrite"] is False and auths[0][1]["retainOnDelete"] is False
    # Shared, but in the zone dev owns: not retained, or the zone could not be deleted.
    assert auths[1][1]["inputs"]["allowOverwrite"] is True and auths[1][1]["retainOnDelete"] is False
    cert = one(dev, "gcp:certificatemanager/certificate:Certificate")
    assert cert["inputs"]["location"] == REGION
    assert cert["inputs"]["managed"] == {"domains": [hostname, domain],
                                         "dnsAuthorizations": [a["id"] for a, _ in auths]}
    assert out(cert, "sanDnsnames") == [hostname, domain]
    # Issuance waits for both CNAMEs, and the HTTPS proxy serves that one certificate for both names.
    assert {r["urn"] for _, r in auths} <= set(cert["dependencies"])
    https = one(dev, "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy")
    assert https["inputs"]["certificateManagerCertificates"] == [cert["id"]]


def test_workload_identity_reads_only_its_bucket(dev):
    gsa = one(dev, "gcp:serviceaccount/account:Account", "-gsa")
    binding = one(dev, "gcp:serviceaccount/iAMMember:IAMMember")
    assert binding["inputs"] == {
        "serviceAccountId": out(gsa, "name"), "role": "roles/iam.workloadIdentityUser",
        "member": "serviceAccount:acme-platform-dev.svc.id.goog[inference/inference]"}
    bucket = one(dev, "gcp:storage/bucket:Bucket")
    readers = in_cell(dev, "gcp:storage/bucketIAMMember:BucketIAMMember")
    assert [r["inputs"] for r in readers] == [{
        "bucket": out(bucket, "name"), "role": "roles/storage.objectViewer",
        "member": f"serviceAccount:{out(gsa, 'email')}"}]
    assert not [r for r in in_cell(dev, "gcp:projects/iAMMember:IAMMember") if out(gsa, "email") in r["inputs"]["member"]]


def test_labelable_resources_carry_the_standard_labels(dev):
    labelled = 0
    for r in cell_resources(dev):
        if not r["type"].startswith("gcp:"):
            continue
        props = schema_check.schema("gcp")["resources"][r["type"]]["inputProperties"]
        # Cloud Monitoring objects carry labels in userLabels (a notification channel's `labels` are its config).
        for prop in (("userLabels",) if r["type"].startswith("gcp:monitoring/") else ("labels", "resourceLabels")):
            if prop in props:
                labels = r["inputs"].get(prop) or {}
                assert STANDARD_LABELS <= set(labels), (r["name"], labels)
                assert labels["residency"] == "eu" and labels["cell"] == CELL and labels["environment"] == "dev"
                assert all(k == k.lower() and v == v.lower() for k, v in labels.items())
                labelled += 1
    assert labelled >= 7  # key, bucket, cluster, address, 2 forwarding rules, certificate, dns authorization


def test_dev_resources_follow_the_provider_schema(dev):
    problems = [v for r in cell_resources(dev) for v in schema_check.violations(r)]
    assert problems == []


def test_dev_stateful_resources_are_not_protected(dev):
    for t in STATEFUL:
        assert one(dev, t)["protect"] is False
    assert one(dev, "gcp:container/cluster:Cluster")["inputs"]["deletionProtection"] is False


def test_only_the_kubeconfig_export_is_secret(dev):
    assert dev.report["outputs"][CELL + "_kubeconfig"] == "[secret]"
    assert dev.report["outputs"][CELL]["residency"] == "eu"


# --- prod -----------------------------------------------------------------------------------

def test_prod_protects_stateful_resources(prod):
    for t in STATEFUL:
        assert one(prod, t)["protect"] is True, t
    assert one(prod, "gcp:container/cluster:Cluster")["inputs"]["deletionProtection"] is True
    assert one(prod, "gcp:compute/firewall:Firewall", "-allow-health-checks")["protect"] is False


def test_prod_uses_the_configured_zone_and_project(prod):
    record = one(prod, "aws:route53/record:Record", "-cert-validation")
    assert record["inputs"]["zoneId"] == "Z0PRODEXAMPLE01"
    assert one(prod, "gcp:storage/bucket:Bucket")["inputs"]["project"] == "acme-platform-prod"
    assert one(prod, "gcp:container/nodePool:NodePool")["inputs"]["autoscaling"]["totalMinNodeCount"] == 3


def test_prod_exports_the_cell_contract(prod):
    exported = prod.report["outputs"][CELL]
    address = one(prod, "gcp:compute/address:Address")
    bucket = one(prod, "gcp:storage/bucket:Bucket")
    cluster = one(prod, "gcp:container/cluster:Cluster")
    gsa = one(prod, "gcp:serviceaccount/account:Account", "-gsa")
    assert exported["endpoint_ip"] == out(address, "address")
    assert exported["endpoint_hostname"] == f"{CELL}.inference.example.com"
    assert exported["health_path"] == "/health"
    assert exported["bucket_uri"] == f"gs://{out(bucket, 'name')}"
    assert exported["cluster_name"] == out(cluster, "name")
    assert exported["workload_identity"] == out(gsa, "email")
    assert (exported["residency"], exported["region"], exported["cloud"], exported["name"]) == (
        "eu", REGION, "gcp", CELL)
    kubeconfig = json.loads(prod.report["outputs"][CELL + "_kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://{out(cluster, 'endpoint')}"
    exec_ = kubeconfig["users"][0]["user"]["exec"]
    assert exec_["command"] == "gke-gcloud-auth-plugin"
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert "token" not in kubeconfig["users"][0]["user"]


def test_prod_resources_follow_the_provider_schema(prod):
    problems = [v for r in cell_resources(prod) for v in schema_check.violations(r)]
    assert problems == []


# --- two cells in one stack ------------------------------------------------------------------

def test_a_second_gcp_cell_gets_its_own_provider_key_bucket_and_cluster(two_cells):
    names = ("gcp-europe-west1", "gcp-europe-west4")
    regions = {}
    for name in names:
        cell = cell_of(two_cells, name)
        provider = next(r for r in two_cells.of_type("pulumi:providers:gcp") if r["parent"] == cell["urn"])
        ref = f"{provider['urn']}::{provider['id']}"
        for t in (*STATEFUL, "gcp:compute/network:Network", "gcp:compute/forwardingRule:ForwardingRule"):
            for r in in_cell(two_cells, t, name):
                assert r["provider"] == ref and r["name"].startswith(f"{name}-")
        regions[name] = (provider["inputs"]["region"], one(two_cells, "gcp:kms/keyRing:KeyRing", cell=name)
                         ["inputs"]["location"], one(two_cells, "gcp:container/cluster:Cluster", cell=name)
                         ["inputs"]["location"])
    assert regions == {"gcp-europe-west1": ("europe-west1",) * 3, "gcp-europe-west4": ("europe-west4",) * 3}
    buckets = {one(two_cells, "gcp:storage/bucket:Bucket", cell=n)["inputs"]["name"] for n in names}
    accounts = {r["inputs"]["accountId"] for r in two_cells.of_type("gcp:serviceaccount/account:Account")}
    assert len(buckets) == 2 and len(accounts) == 4


def test_gcp_cells_of_two_projects_each_publish_their_own_public_name_challenge(two_cells):
    names = ("gcp-europe-west1", "gcp-europe-west4")
    apex = [one(two_cells, "aws:route53/record:Record", "-cert-validation-domain", cell=n)["inputs"] for n in names]
    # A PER_PROJECT_RECORD challenge depends on the project: two projects, two CNAMEs for the public name,
    # each still shareable with the other cells of its own project (other stacks).
    assert apex[0]["name"] != apex[1]["name"] and all(a["allowOverwrite"] is True for a in apex)
    certs = [one(two_cells, "gcp:certificatemanager/certificate:Certificate", cell=n)["inputs"] for n in names]
    assert [c["managed"]["domains"] for c in certs] == [[f"{n}.dev.inference.example.com", "api.dev.inference.example.com"]
                                                        for n in names]


def test_no_cell_can_act_as_another_cells_workload_identity(two_cells):
    """The only principal that may act as a cell's GSA is `<pool>[inference/inference]`, and the
    pool is the cell's own cluster's: no other cell's cluster issues tokens of that pool."""
    names = ("gcp-europe-west1", "gcp-europe-west4")
    pools = {n: one(two_cells, "gcp:container/cluster:Cluster", cell=n)["inputs"]["workloadIdentityConfig"]
             ["workloadPool"] for n in names}
    assert len(set(pools.values())) == 2
    for n in names:
        gsa = one(two_cells, "gcp:serviceaccount/account:Account", "-gsa", cell=n)
        # Every IAM grant on this cell's GSA, wherever it sits in the stack.
        grants = [r for r in two_cells.of_type("gcp:serviceaccount/iAMMember:IAMMember")
                  if r["inputs"]["serviceAccountId"] == out(gsa, "name")]
        assert [g["inputs"]["member"] for g in grants] == [f"serviceAccount:{pools[n]}[inference/inference]"]
        other = next(m for m in names if m != n)
        assert pools[other] not in grants[0]["inputs"]["member"]
        # ...and the GSA reads only its own cell's bucket.
        readers = [r for r in two_cells.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
                   if r["inputs"]["member"] == f"serviceAccount:{out(gsa, 'email')}"]
        assert [r["inputs"]["bucket"] for r in readers] == [out(one(two_cells, "gcp:storage/bucket:Bucket", cell=n), "name")]


def test_two_gcp_cells_in_one_project_are_a_config_error():
    from components.core import config

    cfg = stack_config("dev")
    gcp_cell = next(c for c in cfg["platform:cells"] if c["cloud"] == "gcp")
    second = {**copy.deepcopy(gcp_cell), "name": "gcp-europe-west4", "region": "europe-west4",
              "network_cidr": "10.21.0.0/16"}
    cfg["platform:cells"] = [gcp_cell, second]
    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}
    with pytest.raises(ConfigError) as err:
        config.load("two", raw)
    assert "platform:cells[1].project = 'acme-platform-dev'" in str(err.value)
    assert "already the project of cell 'gcp-europe-west1'" in str(err.value)


# --- config errors ---------------------------------------------------------------------------

def test_an_aws_region_name_for_a_gcp_cell_is_a_clear_config_error(tmp_path):
    cfg = stack_config("dev")
    cfg["platform:cells"] = [{**c, "region": "eu-west-1"} for c in cfg["platform:cells"] if c["cloud"] == "gcp"]
    run = preview_config(cfg, tmp_path, stack="bad-region")
    assert run.returncode == 2, run.stderr
    assert "platform:cells[0].region" in run.stderr and "'europe-west1'" in run.stderr
    assert run.report is None


# --- a first `up` in a fresh project ---------------------------------------------

API_OF_MODULE = {"compute": "compute.googleapis.com", "container": "container.googleapis.com",
                 "kms": "cloudkms.googleapis.com", "storage": "storage.googleapis.com",
                 "serviceaccount": "iam.googleapis.com", "certificatemanager": "certificatemanager.googleapis.com",
                 "logging": "logging.googleapis.com"}


def waits_for(run: Run, res: dict) -> set[str]:
    """Every URN `res` waits for through dependencies (transitively; parents do not order children)."""
    by_urn = {r["urn"]: r for r in run.resources}
    seen, stack = set(), list(res["dependencies"])
    while stack:
        u = stack.pop()
        if u not in seen:
            seen.add(u)
            stack += by_urn.get(u, {}).get("dependencies", [])
    return seen


def test_zones_come_from_the_table_for_every_catalog_region():
    from components.clouds.gcp import zones
    from components.core import catalog
    from offline.clouds.gcp.mocks import zones_of as mocked

    assert set(zones.REGIONS) == set(catalog.GCP)
    for region in catalog.GCP:
        assert len(zones.zones_of(region)) >= 3 and zones.zones_of(region) == mocked(region), region
    assert zones.zones_of("europe-west1") == ["europe-west1-b", "europe-west1-c", "europe-west1-d"]
    with pytest.raises(ValueError, match="no zone list"):
        zones.zones_of("mars-north1")


def test_no_compute_invoke_runs_before_the_api_is_enabled(dev):
    invokes = [i["token"] for i in dev.report.get("invokes", [])]
    assert "gcp:compute/getZones:getZones" not in invokes
    pool = one(dev, "gcp:container/nodePool:NodePool")
    assert pool["inputs"]["nodeLocations"] == ["europe-west1-b", "europe-west1-c", "europe-west1-d"]
    ports = in_cell(dev, "gcp:compute/instanceGroupNamedPort:InstanceGroupNamedPort")
    assert sorted(p["inputs"]["zone"] for p in ports) == pool["inputs"]["nodeLocations"]


def test_every_resource_waits_for_the_api_it_calls(dev):
    services = {r["inputs"]["service"]: r["urn"] for r in in_cell(dev, "gcp:projects/service:Service")}
    assert set(API_OF_MODULE.values()) <= set(services)
    checked = []
    for r in cell_resources(dev):
        api = API_OF_MODULE.get(r["type"].split(":")[1].split("/")[0]) if r["type"].startswith("gcp:") else None
        if api:
            assert services[api] in waits_for(dev, r), f"{r['name']} ({r['type']}) does not wait for {api}"
            checked.append(r["name"])
    # The resources seen failing a fresh project's first `up` on an API not yet enabled are among them.
    for name in ("-identity-gsa", "-lb-http-redirect", "-lb-tls", "-lb-https", "-cluster-nodes"):
        assert any(n.endswith(name) for n in checked), name


def test_service_agents_come_from_service_identities_and_the_key_waits_for_propagation(dev):
    key = one(dev, "gcp:kms/cryptoKey:CryptoKey")
    services = {r["inputs"]["service"]: r for r in in_cell(dev, "gcp:projects/service:Service")}
    idents = {r["inputs"]["service"]: r for r in in_cell(dev, "gcp:projects/serviceIdentity:ServiceIdentity")}
    # generateServiceIdentity creates the GKE agent; for Compute it answers INVALID_ARGUMENT.
    assert set(idents) == {"container.googleapis.com"}
    ident = idents["container.googleapis.com"]
    assert services["container.googleapis.com"]["urn"] in ident["dependencies"]
    grant = one(dev, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "-gke-agent")
    assert grant["inputs"]["member"] == f"serviceAccount:{out(ident, 'email')}"
    assert grant["inputs"]["cryptoKeyId"] == key["id"] and ident["urn"] in grant["dependencies"]
    # The Compute Engine agent exists once the Compute API is on: its documented address, after the API.
    compute = one(dev, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "-compute-agent")
    assert re.fullmatch(r"serviceAccount:service-\d+@compute-system\.iam\.gserviceaccount\.com",
                        compute["inputs"]["member"]), compute["inputs"]["member"]
    assert services["compute.googleapis.com"]["urn"] in waits_for(dev, compute)
    sleeps = {r["name"]: r for r in in_cell(dev, "time:index/sleep:Sleep")}
    cluster_wait = sleeps["gcp-europe-west1-kms-cluster-propagation"]
    bucket_wait = sleeps["gcp-europe-west1-kms-bucket-propagation"]
    for wait in (cluster_wait, bucket_wait):
        assert int(wait["inputs"]["createDuration"].rstrip("s")) >= 120  # IAM: "typically within 2 minutes"
    grants = {g: one(dev, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", g)
              for g in ("-gke-agent", "-compute-agent", "-storage-agent")}
    assert {grants["-gke-agent"]["urn"], grants["-compute-agent"]["urn"]} <= set(cluster_wait["dependencies"])
    assert sorted(cluster_wait["inputs"]["triggers"].values()) == sorted(
        [grants["-gke-agent"]["id"], grants["-compute-agent"]["id"]])
    assert grants["-storage-agent"]["urn"] in bucket_wait["dependencies"]
    for res in (one(dev, "gcp:container/cluster:Cluster"), one(dev, "gcp:container/nodePool:NodePool")):
        assert cluster_wait["urn"] in res["dependencies"], res["name"]
    assert bucket_wait["urn"] in one(dev, "gcp:storage/bucket:Bucket")["dependencies"]


def test_cluster_is_hardened_on_a_release_channel(dev):
    i = one(dev, "gcp:container/cluster:Cluster")["inputs"]
    assert "minMasterVersion" not in i and i["releaseChannel"] == {"channel": "REGULAR"}
    assert i["nodePoolDefaults"]["nodeConfigDefaults"]["insecureKubeletReadonlyPortEnabled"] == "FALSE"
    assert i["securityPostureConfig"] == {"mode": "BASIC", "vulnerabilityMode": "VULNERABILITY_DISABLED"}
    assert i["binaryAuthorization"] == {"evaluationMode": "DISABLED"}
    window = i["maintenancePolicy"]["recurringWindow"]
    assert window["recurrence"] == "FREQ=WEEKLY;BYDAY=SA,SU"
    from datetime import datetime
    hours = (datetime.fromisoformat(window["endTime"]) - datetime.fromisoformat(window["startTime"])).seconds / 3600
    assert hours >= 4 and hours * 2 * 32 / 7 >= 48   # GKE: >= 48 h of windows in any 32 days
    pool = one(dev, "gcp:container/nodePool:NodePool")["inputs"]
    assert pool["nodeConfig"]["kubeletConfig"] == {"insecureKubeletReadonlyPortEnabled": "FALSE"}
    assert i["defaultMaxPodsPerNode"] == pool["maxPodsPerNode"] == 110


def test_pool_starts_with_nodes_and_the_workload_waits_for_it(dev):
    pool = one(dev, "gcp:container/nodePool:NodePool")
    # dev: min_nodes 1 over 3 zones -> 1 per zone at creation.
    assert pool["inputs"]["initialNodeCount"] == 1
    deployment = one(dev, "kubernetes:apps/v1:Deployment")
    assert pool["urn"] in deployment["dependencies"]
    binding = one(dev, "gcp:serviceaccount/iAMMember:IAMMember")
    assert binding["urn"] in deployment["dependencies"]


def test_drain_outlasts_the_load_balancers_failure_detection(dev):
    hc = one(dev, "gcp:compute/regionHealthCheck:RegionHealthCheck")["inputs"]
    backend = one(dev, "gcp:compute/regionBackendService:RegionBackendService")["inputs"]
    spec = one(dev, "kubernetes:apps/v1:Deployment")["inputs"]["spec"]["template"]["spec"]
    sleep = spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
    failure = hc["checkIntervalSec"] * hc["unhealthyThreshold"] + hc["timeoutSec"]
    assert sleep == hc["checkIntervalSec"] * hc["unhealthyThreshold"] + backend["connectionDrainingTimeoutSec"]
    assert sleep > failure
    assert spec["terminationGracePeriodSeconds"] > sleep


def test_logs_stay_in_a_regional_bucket(dev):
    bucket = one(dev, "gcp:logging/projectBucketConfig:ProjectBucketConfig")
    assert bucket["inputs"]["location"] == REGION and bucket["inputs"]["project"] == "acme-platform-dev"
    sink = one(dev, "gcp:logging/projectSink:ProjectSink")
    assert sink["inputs"]["destination"] == f"logging.googleapis.com/{bucket['id']}"
    exclusion = one(dev, "gcp:logging/projectExclusion:ProjectExclusion")
    assert exclusion["inputs"]["filter"] == sink["inputs"]["filter"]
    assert f'resource.labels.region="{REGION}"' in sink["inputs"]["filter"]
    assert f'resource.labels.zone=~"^{REGION}-[a-z]$"' in sink["inputs"]["filter"]
    assert sink["urn"] in exclusion["dependencies"]   # never excluded from _Default before routed


def test_log_bucket_is_encrypted_with_the_cell_key_after_loggings_cmek_account_is_granted(dev):
    bucket = one(dev, "gcp:logging/projectBucketConfig:ProjectBucketConfig")
    key = one(dev, "gcp:kms/cryptoKey:CryptoKey")
    assert bucket["inputs"]["cmekSettings"]["kmsKeyName"] == key["id"]
    grant = next(r for r in dev.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
                 if r["name"].endswith("-logging-agent"))
    assert re.fullmatch(r"serviceAccount:cmek-p\d+@gcp-sa-logging\.iam\.gserviceaccount\.com", grant["inputs"]["member"])
    wait = next(r for r in dev.of_type("time:index/sleep:Sleep") if grant["urn"] in r["dependencies"])
    assert wait["urn"] in bucket["dependencies"]
    # The CMEK account is read only once the Logging API is on (a fresh project answers SERVICE_DISABLED).
    api = next(r for r in dev.of_type("gcp:projects/service:Service") if r["inputs"]["service"] == "logging.googleapis.com")
    invoke = next(i for i in dev.report["invokes"] if i["token"] == "gcp:logging/getProjectCmekSettings:getProjectCmekSettings")
    assert api["urn"] in invoke["dependsOn"]


def test_nat_allocates_ports_dynamically(dev):
    nat = one(dev, "gcp:compute/routerNat:RouterNat")["inputs"]
    assert nat["enableDynamicPortAllocation"] is True and nat["enableEndpointIndependentMapping"] is False
    assert 32 <= nat["minPortsPerVm"] < nat["maxPortsPerVm"] <= 65536


def test_pod_range_must_hold_max_nodes_and_surge():
    from components.clouds.gcp import settings
    from components.core import config

    assert settings.pod_range_nodes("10.20.0.0/16") == 128 and settings.pod_range_nodes("10.20.0.0/19") == 16
    cfg = stack_config("dev")
    cfg["platform:cells"] = [c for c in cfg["platform:cells"] if c["cloud"] == "gcp"]
    cfg["platform:cells"][0]["network_cidr"] = "10.20.0.0/19"
    for max_nodes, ok in ((13, True), (14, False)):   # 16 nodes' /24s; 3 zones x 1 surge node
        cfg["platform:cells"][0]["cluster"]["max_nodes"] = max_nodes
        raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}
        if ok:
            config.load("small", raw)
        else:
            with pytest.raises(ConfigError, match=r"cells\[0\]\.cluster\.max_nodes = 14 .*holds 16 nodes.*max_nodes <= 13"):
                config.load("small", raw)


@pytest.fixture(scope="module")
def deployable(tmp_path_factory) -> Run:
    """The GCP cell of a deployable dev: a deployer service account, Binary Authorization enforced."""
    from test_deployer import deployable_dev

    cfg = deployable_dev()
    cfg["platform:cells"] = [c for c in cfg["platform:cells"] if c["cloud"] == "gcp"]
    cfg["platform:cells"][0]["binary_authorization"] = "PROJECT_SINGLETON_POLICY_ENFORCE"
    run = preview_config(cfg, tmp_path_factory.mktemp("deployable"), stack="gcp-deployable")
    assert run.returncode == 0, run.stderr[-4000:]
    return run


def test_deployer_is_kubernetes_admin_before_the_workload(deployable):
    from test_deployer import GSA

    admin = one(deployable, "gcp:projects/iAMMember:IAMMember", "-deployer-admin")
    assert admin["inputs"] == {"project": "acme-platform-dev", "role": "roles/container.admin",
                               "member": f"serviceAccount:{GSA}"}
    assert admin["urn"] in one(deployable, "kubernetes:apps/v1:Deployment")["dependencies"]
    # It outlives the stack: `destroy` must not strip the deployer's own role mid-run.
    assert admin["options"]["retainOnDelete"] is True
    cluster = one(deployable, "gcp:container/cluster:Cluster")["inputs"]
    # The deployer's CIDRs are merged into the allow-list, so the endpoint stays public but fenced.
    assert "20.42.1.0/28" in [b["cidrBlock"] for b in cluster["masterAuthorizedNetworksConfig"]["cidrBlocks"]]
    assert cluster["privateClusterConfig"]["enablePrivateEndpoint"] is False
    assert cluster["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}


def test_no_deployer_no_grant(dev):
    assert not [r for r in in_cell(dev, "gcp:projects/iAMMember:IAMMember") if r["name"].endswith("-deployer-admin")]


def test_binary_authorization_on_another_cloud_is_a_config_error():
    from components.core import config

    cfg = stack_config("dev")
    aws = next(c for c in cfg["platform:cells"] if c["cloud"] == "aws")
    aws["binary_authorization"] = "PROJECT_SINGLETON_POLICY_ENFORCE"
    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()}
    with pytest.raises(ConfigError, match=r"binary_authorization = 'PROJECT_SINGLETON_POLICY_ENFORCE'.*a gcp setting, and this cell is on aws"):
        config.load("dev", raw)


def test_kubeconfig_never_prompts(prod):
    kubeconfig = json.loads(prod.report["outputs"][CELL + "_kubeconfig"])
    assert kubeconfig["users"][0]["user"]["exec"]["interactiveMode"] == "Never"


def test_second_up_does_not_replace_the_cluster_for_the_removed_default_pool(dev):
    """After removeDefaultNodePool GKE reads `nodeConfig` back as something else than what the program
    sent; nodeConfig is ForceNew. The cluster ignores it, so the second `up` is a no-op."""
    from offline.diff import diff_resources

    cluster = one(dev, "gcp:container/cluster:Cluster")
    assert cluster["inputs"]["removeDefaultNodePool"] is True
    assert "nodeConfig" in cluster["options"]["ignoreChanges"]
    state = copy.deepcopy(cluster)   # what the first `up` left in the state after reading the cluster back
    state["inputs"]["nodeConfig"] = {"machineType": "e2-medium", "diskSizeGb": 100, "oauthScopes": []}
    changes, unchanged, _ = diff_resources([state], [cluster])
    assert changes == [] and unchanged == 1
    # The same read-back without ignore_changes: a planned replacement of the (stateful) cluster.
    bare = copy.deepcopy(cluster)
    bare["options"]["ignoreChanges"] = []
    (change,), _, _ = diff_resources([state], [bare])
    assert change.op == "replace" and change.keys == ["nodeConfig"] and change.alert
    # A freeze an operator added (maintenance exclusion) survives the next `up`.
    frozen = copy.deepcopy(cluster)
    frozen["inputs"]["maintenancePolicy"]["maintenanceExclusions"] = [{
        "exclusionName": "year-end", "startTime": "2026-12-20T00:00:00Z", "endTime": "2027-01-04T00:00:00Z",
        "exclusionOptions": {"scope": "NO_MINOR_UPGRADES"}}]
    assert diff_resources([frozen], [cluster])[0] == []
    # The node pool's initial count is ignored too: the autoscaler owns it afterwards.
    pool = one(dev, "gcp:container/nodePool:NodePool")
    assert "initialNodeCount" in pool["options"]["ignoreChanges"]


def test_network_logs_are_priced_from_their_sampling(dev, two_cells):
    """`cost` follows the knobs: the LB request log scales with its sample rate, firewall logs appear when on."""
    def lines(run, cell, label):
        return [l for l in run.report["cost"]["lines"] if l["cell"] == cell and l["label"].startswith(label)]

    requests = 10_000_000  # usage.yaml defaults (dev)
    [lb] = lines(dev, CELL, "Cloud Logging: LB request log")
    assert lb["quantity"] == pytest.approx(requests * 0.1 * 1.5 / 1e6) and lb["unit"] == "GB"
    assert lines(dev, CELL, "Cloud Logging: firewall") == []
    # The second cell turns everything on; the catalog records no europe-west4 Cloud Logging price, so its
    # log lines are priced as an estimate from the named region (never counted as zero, never unmarked),
    # one per firewall rule and one for the LB.
    from offline.pricing.catalog import load_catalog

    logs = [l for l in two_cells.report["cost"]["lines"] if l["cell"] == "gcp-europe-west4"
            and l["item"] == "logging.ingest" and l["type"].startswith("gcp:compute/") and l["quantity"] > 0]
    assert sorted(l["type"] for l in logs) == ["gcp:compute/firewall:Firewall"] * 2 + [
        "gcp:compute/regionBackendService:RegionBackendService"], logs
    assert {l["estimated_from"] for l in logs} == {load_catalog().doc["estimates"]["gcp"]["from"]}
    assert not [u for u in two_cells.report["cost"]["unpriced"] if "logging.ingest" in u["reason"]]
