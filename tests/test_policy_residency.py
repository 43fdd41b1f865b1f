"""The residency pack, through the real analyzer gRPC protocol (offline/analyzer.py).

Resources are built as the engine sends them: wire-named inputs, parents, explicit providers
(in the same resource list, sent as AnalyzerProviderResource), property dependencies. The pack
starts twice: once with its defaults, once with a policy config (narrowed zone, exceptions).
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest

from components.core import catalog
from offline.analyzer import PolicyResource, analyze

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "policy" / "residency"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown string during preview
ACCOUNT = "123456789012"


class Stack:
    """Builds PolicyResources the way the engine registers them."""

    def __init__(self):
        self.resources: list[PolicyResource] = []

    def add(self, type_, name, inputs=None, parent=None, provider=None, deps=None, outputs=None):
        qualified = type_ if parent is None else f"{parent.urn.split('::')[2]}${type_}"
        urn = f"urn:pulumi:test::residency::{qualified}::{name}"
        ref = f"{provider.urn}::{provider.name}-id" if provider is not None else None
        r = PolicyResource(urn=urn, type=type_, name=name, inputs=inputs or {}, outputs=outputs,
                           parent=parent.urn if parent else None, provider=ref,
                           property_dependencies={k: [d.urn for d in v] for k, v in (deps or {}).items()},
                           dependencies=sorted({d.urn for v in (deps or {}).values() for d in v}))
        self.resources.append(r)
        return r

    def provider(self, pkg, name, **inputs):
        return self.add(f"pulumi:providers:{pkg}", name, inputs)


def tags(zone, cell=None):
    t = {"residency": zone, "managed-by": "pulumi", "environment": "test"}
    if cell:
        t["cell"] = cell
    return t


# Every fixture's analysis, with what it analyzed: the stock analyzer must agree on each
# (test_the_packs_analyzer_matches_the_stock_one).
ANALYZED: list = []


def run_pack(resources, config=None):
    result = analyze(PACK, resources, config=config)
    ANALYZED.append((list(resources), config, result))
    return result


def by_policy(result, policy):
    return [d for d in result.diagnostics if d.policy == policy]


def on(result, policy, res):
    return [d.message for d in by_policy(result, policy) if d.urn == res.urn]


# ---------------------------------------------------------------------------------------------
# Placement, keys, replication, labels, edges: pack defaults

@pytest.fixture(scope="module")
def placement():
    s = Stack()
    aws_us = s.provider("aws", "aws-us-west-2", region="us-west-2")
    aws_eu = s.provider("aws", "aws-eu-central-1", region="eu-central-1")
    aws_ie = s.provider("aws", "aws-eu-west-1", region="eu-west-1")
    gcp = s.provider("gcp", "gcp-europe-west1", project="acme", region="europe-west1")
    az_br = s.provider("azure-native", "azure-brazilsouth", location="brazilsouth")
    az_eu = s.provider("azure-native", "azure-westeurope", location="westeurope")
    r = {}
    # location
    r["s3_eu_in_us"] = s.add("aws:s3/bucket:Bucket", "eu-data-in-oregon", {"tags": tags("eu")}, provider=aws_us)
    r["s3_eu_ok"] = s.add("aws:s3/bucket:Bucket", "eu-data", {"tags": tags("eu")}, provider=aws_eu)
    r["s3_own_region"] = s.add("aws:s3/bucket:Bucket", "eu-data-region-input",
                               {"tags": tags("eu"), "region": "us-east-1"}, provider=aws_eu)
    r["gcs_uk"] = s.add("gcp:storage/bucket:Bucket", "eu-data-london",
                        {"location": "europe-west2", "labels": tags("eu")}, provider=gcp)
    r["gcs_multi_eu"] = s.add("gcp:storage/bucket:Bucket", "eu-multi", {"location": "EU", "labels": tags("eu")},
                              provider=gcp)
    r["gcs_eur4"] = s.add("gcp:storage/bucket:Bucket", "eu-dual", {"location": "EUR4", "labels": tags("eu")},
                          provider=gcp)
    r["gcs_eur5"] = s.add("gcp:storage/bucket:Bucket", "eu-dual-uk", {"location": "EUR5", "labels": tags("eu")},
                          provider=gcp)
    r["gcs_us_multi"] = s.add("gcp:storage/bucket:Bucket", "us-multi", {"location": "US", "labels": tags("us")},
                              provider=gcp)
    r["gcs_nowhere"] = s.add("gcp:storage/bucket:Bucket", "eu-mars", {"location": "mars-west1", "labels": tags("eu")},
                             provider=gcp)
    # labels: an unlabelled bucket fails closed; a cell's unlabelable child inherits the cell's zone
    r["s3_unlabelled"] = s.add("aws:s3/bucket:Bucket", "orphan", {}, provider=aws_eu)
    cell = s.add("platform:cells:AwsCell", "aws-eu-central-1")
    r["cell_bucket"] = s.add("aws:s3/bucket:Bucket", "cell-bucket", {"tags": tags("eu", "aws-eu-central-1")},
                             parent=cell, provider=aws_eu)
    r["cell_policy"] = s.add("aws:s3/bucketPolicy:BucketPolicy", "cell-bucket-policy",
                             {"bucket": "cell-bucket", "policy": "{}"}, parent=cell, provider=aws_ie,
                             deps={"bucket": [r["cell_bucket"]]})
    r["bad_zone"] = s.add("aws:s3/bucket:Bucket", "atlantis", {"tags": tags("atlantis")}, provider=aws_eu)
    r["global_data"] = s.add("aws:s3/bucket:Bucket", "global-bucket", {"tags": tags("global")}, provider=aws_us)
    r["iam_role"] = s.add("aws:iam/role:Role", "reader", {"assumeRolePolicy": "{}"})  # global: not placed
    # keys
    r["key_us"] = s.add("aws:kms/key:Key", "us-key", {"tags": tags("us"), "enableKeyRotation": True}, provider=aws_us,
                        outputs={"arn": f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1111"})
    r["key_eu"] = s.add("aws:kms/key:Key", "eu-key", {"tags": tags("eu"), "enableKeyRotation": True}, provider=aws_eu,
                        outputs={"arn": f"arn:aws:kms:eu-central-1:{ACCOUNT}:key/2222"})
    r["sse_foreign_key"] = s.add(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "eu-data-sse",
        {"bucket": "eu-data", "rules": [{"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "aws:kms", "kmsMasterKeyId": f"arn:aws:kms:us-west-2:{ACCOUNT}:key/1111"},
            "bucketKeyEnabled": True}]},
        provider=aws_eu, deps={"bucket": [r["s3_eu_ok"]], "rules": [r["key_us"]]})
    r["sse_own_key"] = s.add(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "cell-bucket-sse",
        {"bucket": "cell-bucket", "rules": [{"applyServerSideEncryptionByDefault": {
            "sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN}, "bucketKeyEnabled": True}]},
        parent=cell, provider=aws_eu, deps={"bucket": [r["cell_bucket"]], "rules": [r["key_eu"]]})
    r["gcs_foreign_key"] = s.add("gcp:storage/bucket:Bucket", "eu-cmek-us", {
        "location": "europe-west1", "labels": tags("eu"),
        "encryption": {"defaultKmsKeyName": "projects/acme/locations/us-central1/keyRings/r/cryptoKeys/k"}}, provider=gcp)
    r["gcs_own_key"] = s.add("gcp:storage/bucket:Bucket", "eu-cmek", {
        "location": "europe-west1", "labels": tags("eu"),
        "encryption": {"defaultKmsKeyName": "projects/acme/locations/europe-west1/keyRings/r/cryptoKeys/k"}},
        provider=gcp)
    # replication
    r["s3_dest_us"] = s.add("aws:s3/bucket:Bucket", "replica-oregon", {"bucket": "replica-oregon", "tags": tags("us")},
                            provider=aws_us)
    r["s3_dest_eu"] = s.add("aws:s3/bucket:Bucket", "replica-ireland", {"bucket": "replica-ireland", "tags": tags("eu")},
                            provider=aws_ie)
    role = f"arn:aws:iam::{ACCOUNT}:role/replication"
    r["repl_out"] = s.add("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "eu-data-to-us", {
        "bucket": "eu-data", "role": role, "rules": [{"status": "Enabled",
                                                      "destination": {"bucket": "arn:aws:s3:::replica-oregon"}}]},
        provider=aws_eu, deps={"bucket": [r["s3_eu_ok"]]})
    r["repl_in"] = s.add("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "eu-data-to-ie", {
        "bucket": "eu-data", "role": role, "rules": [{"status": "Enabled",
                                                      "destination": {"bucket": "arn:aws:s3:::replica-ireland"}}]},
        provider=aws_eu, deps={"bucket": [r["s3_eu_ok"]]})
    r["repl_external"] = s.add("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "eu-data-to-elsewhere", {
        "bucket": "eu-data", "role": role, "rules": [{"status": "Enabled",
                                                      "destination": {"bucket": "arn:aws:s3:::someone-elses"}}]},
        provider=aws_eu, deps={"bucket": [r["s3_eu_ok"]]})
    r["gcs_dual_out"] = s.add("gcp:storage/bucket:Bucket", "eu-custom-dual", {
        "location": "EU", "labels": tags("eu"),
        "customPlacementConfig": {"dataLocations": ["EUROPE-WEST1", "EUROPE-WEST2"]}}, provider=gcp)
    r["gcs_dual_in"] = s.add("gcp:storage/bucket:Bucket", "eu-custom-dual-ok", {
        "location": "EU", "labels": tags("eu"),
        "customPlacementConfig": {"dataLocations": ["EUROPE-WEST1", "EUROPE-WEST4"]}}, provider=gcp)
    r["az_grs_br"] = s.add("azure-native:storage:StorageAccount", "brdata", {
        "resourceGroupName": "rg-br", "kind": "StorageV2", "sku": {"name": "Standard_GRS"}, "tags": tags("br"),
        "minimumTlsVersion": "TLS1_2"}, provider=az_br)
    r["az_grs_eu"] = s.add("azure-native:storage:StorageAccount", "eudata", {
        "resourceGroupName": "rg-eu", "kind": "StorageV2", "sku": {"name": "Standard_GRS"}, "tags": tags("eu"),
        "location": "westeurope", "minimumTlsVersion": "TLS1_2"}, provider=az_eu)
    r["az_lrs_br"] = s.add("azure-native:storage:StorageAccount", "brlocal", {
        "resourceGroupName": "rg-br", "kind": "StorageV2", "sku": {"name": "Standard_ZRS"}, "tags": tags("br")},
        provider=az_br)
    # transit: a global edge in front of a strict zone; a regional LB is fine
    r["cloudfront"] = s.add("aws:cloudfront/distribution:Distribution", "eu-cdn", {
        "enabled": True, "tags": tags("eu"),
        "origins": [{"domainName": "eu-alb-1.eu-central-1.elb.amazonaws.com", "originId": "alb"}]})
    r["gcp_global_proxy"] = s.add("gcp:compute/targetHttpsProxy:TargetHttpsProxy", "eu-https-proxy",
                                  {"urlMap": "projects/acme/global/urlMaps/eu"}, parent=cell, provider=gcp)
    r["gcp_regional_rule"] = s.add("gcp:compute/forwardingRule:ForwardingRule", "eu-regional-lb", {
        "region": "europe-west1", "loadBalancingScheme": "EXTERNAL_MANAGED", "labels": tags("eu")}, provider=gcp)
    # preview: unknown values are "cannot verify", never a pass or a crash
    r["unknown_region"] = s.add("aws:s3/bucket:Bucket", "late-region", {"tags": tags("eu"), "region": UNKNOWN},
                                provider=aws_eu)
    r["unknown_labels"] = s.add("gcp:storage/bucket:Bucket", "late-labels",
                                {"location": "europe-west1", "labels": UNKNOWN}, provider=gcp)
    return run_pack(s.resources), r


def test_pack_metadata(placement):
    result, _ = placement
    policies = {p["name"]: p for p in result.policies}
    assert set(policies) == {"residency-zone-known", "residency-location-in-zone", "residency-key-in-zone",
                             "residency-replication-in-zone", "residency-dns-in-zone", "residency-no-global-tls-edge",
                             "residency-log-bucket-in-zone",
                             "residency-telemetry-in-zone",
                             "residency-logs-in-zone", "residency-edge-guard", "residency-package-known",
                             "residency-cannot-verify",
                             "residency-exception-approved", "residency-data-path-in-zone",
                             "residency-model-in-own-cell"}
    for name, p in policies.items():
        assert p["description"] and p["remediation"], name
        assert p["level"] == ("advisory" if name in ("residency-cannot-verify", "residency-exception-approved")
                              else "mandatory")
    assert policies["residency-location-in-zone"]["framework"] == "GDPR"
    assert policies["residency-dns-in-zone"]["framework"] == "GDPR"


def test_location_in_zone(placement):
    result, r = placement
    p = "residency-location-in-zone"
    assert any("us-west-2" in m and "outside zone 'eu'" in m for m in on(result, p, r["s3_eu_in_us"]))
    assert any("europe-west2" in m and "(uk)" in m for m in on(result, p, r["gcs_uk"]))
    assert on(result, p, r["s3_own_region"]), "a resource's own region input wins over its provider's"
    assert any("EUR5" in m and "europe-west2" in m for m in on(result, p, r["gcs_eur5"]))
    assert any("not a region of the catalog" in m for m in on(result, p, r["gcs_nowhere"]))
    for ok in ("s3_eu_ok", "gcs_multi_eu", "gcs_eur4", "gcs_us_multi", "cell_bucket", "cell_policy",
               "gcp_regional_rule", "az_grs_eu"):
        assert not on(result, p, r[ok]), ok


def test_zone_known_fails_closed(placement):
    result, r = placement
    p = "residency-zone-known"
    assert any("cannot be decided" in m for m in on(result, p, r["s3_unlabelled"]))
    assert any("'atlantis'" in m and "not a known zone" in m for m in on(result, p, r["bad_zone"]))
    assert any("claims zone 'global'" in m for m in on(result, p, r["global_data"]))
    # The cell's unlabelable child takes the cell's zone (the zone its labelled resources share).
    assert not on(result, p, r["cell_policy"]) and not on(result, p, r["cell_bucket"])
    assert not on(result, p, r["iam_role"]) and not on(result, "residency-location-in-zone", r["iam_role"])


def test_key_in_zone(placement):
    result, r = placement
    p = "residency-key-in-zone"
    assert any("us-west-2" in m and "eu-data" in m for m in on(result, p, r["sse_foreign_key"]))
    assert any("us-central1" in m for m in on(result, p, r["gcs_foreign_key"]))
    # The key id is unknown during preview, but the dependency names the (in-zone) key resource.
    assert not on(result, p, r["sse_own_key"]) and not on(result, p, r["gcs_own_key"])
    assert not on(result, "residency-cannot-verify", r["sse_own_key"])


def test_replication_in_zone(placement):
    result, r = placement
    p = "residency-replication-in-zone"
    assert any("replica-oregon" in m and "us-west-2" in m for m in on(result, p, r["repl_out"]))
    assert not on(result, p, r["repl_in"])
    assert any("not in this stack" in m and "fail closed" in m for m in on(result, p, r["repl_external"]))
    assert any("EUROPE-WEST2".lower() in m.lower() for m in on(result, p, r["gcs_dual_out"]))
    assert not on(result, p, r["gcs_dual_in"])
    assert any("southcentralus" in m and "'br'" in m for m in on(result, p, r["az_grs_br"]))
    assert not on(result, p, r["az_grs_eu"]) and not on(result, p, r["az_lrs_br"])


def test_global_tls_edge(placement):
    result, r = placement
    p = "residency-no-global-tls-edge"
    assert any("CloudFront" in m for m in on(result, p, r["cloudfront"]))
    assert any("strict zone 'eu'" in m for m in on(result, p, r["gcp_global_proxy"]))
    assert not on(result, p, r["gcp_regional_rule"])


def test_unknowns_are_advisory(placement):
    result, r = placement
    for key in ("unknown_region",):
        mandatory = [d for d in result.diagnostics if d.urn == r[key].urn and d.level == "mandatory"]
        advisory = on(result, "residency-cannot-verify", r[key])
        assert not mandatory, mandatory
        assert advisory and all("cannot verify" in m for m in advisory), key
    # A residency declaration computed at preview is not taken on trust: it must come from config.
    assert any("computed (unknown at preview)" in m and "fails closed" in m
               for m in on(result, "residency-zone-known", r["unknown_labels"])), on(result, "residency-zone-known",
                                                                                   r["unknown_labels"])
    # No policy was aborted by an unknown value (the SDK's own "can't run policy" diagnostic).
    assert not [d for d in result.diagnostics if "can't run policy" in d.message]


# ---------------------------------------------------------------------------------------------
# Route 53 and the policy config

TODAY = dt.date.today()
FUTURE = (TODAY + dt.timedelta(days=90)).isoformat()
PAST = (TODAY - dt.timedelta(days=1)).isoformat()


@pytest.fixture(scope="module")
def dns():
    s = Stack()
    aws_us = s.provider("aws", "aws-us-west-2", region="us-west-2")
    aws_eu = s.provider("aws", "aws-eu-central-1", region="eu-central-1")
    glob = s.provider("aws", "global-aws", region="us-east-1")
    az_in = s.provider("azure-native", "azure-centralindia", location="centralindia")
    r = {}

    def alb(cell, zone, provider, host):
        comp = s.add("platform:cells:AwsCell", cell)
        return s.add("aws:lb/loadBalancer:LoadBalancer", f"{cell}-alb", {"tags": tags(zone, cell),
                                                                            "loadBalancerType": "application"},
                     parent=comp, provider=provider, outputs={"dnsName": host, "zoneId": "Z1H1FL5HABSF5"})

    r["alb_us"] = alb("aws-us-west-2", "us", aws_us, "us-alb-1.us-west-2.elb.amazonaws.com")
    r["alb_eu"] = alb("aws-eu-central-1", "eu", aws_eu, "eu-alb-1.eu-central-1.elb.amazonaws.com")
    in_cell = s.add("platform:cells:AzureCell", "azure-centralindia")
    r["pip_in"] = s.add("azure-native:network:PublicIPAddress", "in-gateway-ip", {
        "resourceGroupName": "rg-in", "tags": tags("in", "azure-centralindia"),
        "publicIPAllocationMethod": "Static"}, parent=in_cell, provider=az_in,
        outputs={"ipAddress": "20.40.0.10"})
    # prod-global style: a cell known only from its stack's exports
    r["ref"] = s.add("pulumi:pulumi:StackReference", "acme/platform/prod-gcp-europe-west1", {
        "name": "acme/platform/prod-gcp-europe-west1"},
        outputs={"outputs": {"gcp-europe-west1": {"name": "gcp-europe-west1", "residency": "eu",
                                                  "region": "europe-west1", "cloud": "gcp",
                                                  "endpoint_ip": "34.120.0.7", "endpoint_hostname": "34.120.0.7"}}})
    zone_id = "Z0EXAMPLE01"
    hc = s.add("aws:route53/healthCheck:HealthCheck", "hc-eu", {
        "type": "HTTPS", "fqdn": "eu-alb-1.eu-central-1.elb.amazonaws.com", "resourcePath": "/health",
        "tags": tags("global")}, provider=glob)

    def record(name, fqdn, deps=None, **inputs):
        return s.add("aws:route53/record:Record", name, {"zoneId": zone_id, "name": fqdn, "type": "A", **inputs},
                     provider=glob, deps=deps)

    def alias(host, evaluate=True):
        return [{"name": host, "zoneId": "Z1H1FL5HABSF5", "evaluateTargetHealth": evaluate}]

    us_host = "us-alb-1.us-west-2.elb.amazonaws.com"
    eu_host = "eu-alb-1.eu-central-1.elb.amazonaws.com"
    # 1. failover across zones, no exception (and an expired one for it): a violation
    record("app-primary", "app.example.com", setIdentifier="eu-primary", aliases=alias(eu_host),
           failoverRoutingPolicies=[{"type": "PRIMARY"}], healthCheckId="hc-eu-id", deps={"healthCheckId": [hc]})
    r["app_secondary"] = record("app-secondary", "app.example.com", setIdentifier="us-secondary",
                                aliases=alias(us_host), failoverRoutingPolicies=[{"type": "SECONDARY"}])
    # 2. failover across zones with a valid exception: allowed
    record("api-primary", "api.example.com", setIdentifier="in-primary", records=["20.40.0.10"], ttl=30,
           failoverRoutingPolicies=[{"type": "PRIMARY"}], healthCheckId="hc-in-id")
    r["api_secondary"] = record("api-secondary", "api.example.com", setIdentifier="us-secondary",
                                aliases=alias(us_host), failoverRoutingPolicies=[{"type": "SECONDARY"}])
    # 2b. the same approval claimed by naming the record after the approved cell while it targets another
    record("spoof-primary", "spoof.example.com", setIdentifier="in-primary", records=["20.40.0.10"], ttl=30,
           failoverRoutingPolicies=[{"type": "PRIMARY"}], healthCheckId="hc-in-id")
    r["spoof_secondary"] = record("aws-us-west-2", "spoof.example.com", setIdentifier="aws-us-west-2",
                                  aliases=alias(eu_host), failoverRoutingPolicies=[{"type": "SECONDARY"}])
    # 3. geolocation done right: EU -> an in-zone failover set, not evaluated at the geolocation level
    record("eu-set-primary", "eu.example.com", setIdentifier="aws-eu-central-1", aliases=alias(eu_host),
           failoverRoutingPolicies=[{"type": "PRIMARY"}])
    record("eu-set-secondary", "eu.example.com", setIdentifier="gcp-europe-west1", records=["34.120.0.7"], ttl=30,
           failoverRoutingPolicies=[{"type": "SECONDARY"}], healthCheckId=UNKNOWN)
    r["geo_eu"] = record("geo-eu", "geo.example.com", setIdentifier="eu", aliases=alias("eu.example.com", False),
                         geolocationRoutingPolicies=[{"continent": "EU"}])
    r["geo_default"] = record("geo-default", "geo.example.com", setIdentifier="default", aliases=alias(us_host),
                              geolocationRoutingPolicies=[{"country": "*"}])
    # 4. the trap: the EU record is evaluated for health, so Route 53 falls back to `*` (us)
    r["trap_eu"] = record("trap-eu", "trap.example.com", setIdentifier="eu", aliases=alias("eu.example.com", True),
                          geolocationRoutingPolicies=[{"continent": "EU"}])
    r["trap_default"] = record("trap-default", "trap.example.com", setIdentifier="default", aliases=alias(us_host),
                               geolocationRoutingPolicies=[{"country": "*"}])
    # 5. a per-cell name is an address, not a routing decision
    r["cell_name"] = record("us-cell-name", "aws-us-west-2.example.com", aliases=alias(us_host))
    # 6. unknown target during preview: advisory only
    r["late"] = record("late-primary", "late.example.com", setIdentifier="a", records=[UNKNOWN], ttl=30,
                       failoverRoutingPolicies=[{"type": "PRIMARY"}], healthCheckId="x")
    record("late-secondary", "late.example.com", setIdentifier="b", aliases=alias(eu_host),
           failoverRoutingPolicies=[{"type": "SECONDARY"}])
    # 7. the CNAME tree components/global_traffic/records.py builds below a public label: plain CNAMEs (with health
    #    checks) reach the per-cell A records; CNAME aliases join the tree's own record sets.
    record("eu-cell-name", "aws-eu-central-1.example.com", aliases=alias(eu_host))

    def cname(name, fqdn, **inputs):
        return record(name, fqdn, **{**inputs, "type": "CNAME"})

    def tree_alias(fqdn, evaluate):
        return [{"name": fqdn, "zoneId": zone_id, "evaluateTargetHealth": evaluate}]

    cname("cn-eu-pool", "eu.pool.cn.example.com", setIdentifier="aws-eu-central-1", ttl=30,
          records=["aws-eu-central-1.example.com"], healthCheckId="hc-eu-id", failoverRoutingPolicies=[{"type": "PRIMARY"}])
    for label, evaluate in (("cn", False), ("cntrap", True)):
        r[f"{label}_eu"] = cname(f"{label}-eu", f"{label}.example.com", setIdentifier="EU",
                                 aliases=tree_alias("eu.pool.cn.example.com", evaluate),
                                 geolocationRoutingPolicies=[{"continent": "EU"}])
        r[f"{label}_default"] = cname(f"{label}-default", f"{label}.example.com", setIdentifier="default", ttl=30,
                                      records=["aws-us-west-2.example.com"], healthCheckId="hc-us-id",
                                      geolocationRoutingPolicies=[{"country": "*"}])
    # narrowed zone
    r["s3_ireland"] = s.add("aws:s3/bucket:Bucket", "eu-ireland", {"tags": tags("eu"), "region": "eu-west-1"},
                            provider=aws_eu)
    r["s3_frankfurt"] = s.add("aws:s3/bucket:Bucket", "eu-frankfurt", {"tags": tags("eu")}, provider=aws_eu)
    exceptions = [
        {"zone": "in", "fallback_cell": "aws-us-west-2", "reason": "DR drill approved by the DPO for Q3",
         "approver": "dpo@acme.example", "expires": FUTURE, "stacks": ["test"]},
        {"zone": "eu", "fallback_cell": "aws-us-west-2", "reason": "Temporary capacity during migration",
         "approver": "cto@acme.example", "expires": PAST, "stacks": ["test"]},
        {"zone": "eu", "fallback_cell": "aws-us-west-2", "reason": "no approver given here", "stacks": ["test"]},
        # Approved for another stack only: it does not apply here (eu -> aws-us-west-2 stays a violation).
        {"zone": "eu", "fallback_cell": "aws-us-west-2", "reason": "approved for prod-global's failover drill",
         "approver": "dpo@acme.example", "expires": FUTURE, "stacks": ["prod-global"]},
    ]
    zones = {"eu": {"regions": ["eu-central-1", "europe-west1", "us-east-1"]}}
    config = {name: {"zones": zones, "exceptions": exceptions} for name in (
        "residency-location-in-zone", "residency-dns-in-zone", "residency-cannot-verify",
        "residency-exception-approved")}
    return run_pack(s.resources, config=config), r


def test_dns_failover_across_zones(dns):
    result, r = dns
    p = "residency-dns-in-zone"
    msgs = on(result, p, r["app_secondary"])
    assert any("strict zone 'eu'" in m and "aws-us-west-2" in m and "'us'" in m for m in msgs), msgs
    assert any("expired" in m for m in msgs), "the expired exception is named and does not apply"


def test_dns_exception_allows_named_fallback(dns):
    result, r = dns
    assert not on(result, "residency-dns-in-zone", r["api_secondary"])
    # ... and the report says who approved it, until when
    approved = [d for d in by_policy(result, "residency-exception-approved")]
    assert len(approved) == 1 and approved[0].level == "advisory", approved
    assert ("zone 'in' may fall back to 'aws-us-west-2' until " + FUTURE in approved[0].message
            and "dpo@acme.example" in approved[0].message), approved[0].message


def test_dns_approval_is_matched_against_the_cell_the_record_targets(dns):
    """An approval for `in -> aws-us-west-2` does not cover a record that only carries that name
    (set identifier and resource name) while it sends India's traffic to the EU cell."""
    result, r = dns
    msgs = on(result, "residency-dns-in-zone", r["spoof_secondary"])
    assert any("strict zone 'in'" in m and "aws-eu-central-1" in m and "unapproved" in m for m in msgs), msgs


def test_an_approval_binds_to_the_stacks_it_names(dns):
    """The eu -> aws-us-west-2 approval for prod-global does not cover this stack ('test'): the fallback
    stays a violation, and the advisory lists only the approval this stack uses."""
    result, r = dns
    msgs = on(result, "residency-dns-in-zone", r["app_secondary"])
    assert any("strict zone 'eu'" in m and "unapproved" in m for m in msgs), msgs
    approved = [d.message for d in by_policy(result, "residency-exception-approved")]
    assert not [m for m in approved if "prod-global" in m or "zone 'eu'" in m], approved


def test_an_approval_that_names_no_stack_is_a_config_problem():
    import sys
    sys.path.insert(0, str(PACK))
    from zones import ConfigProblem, _exception
    with pytest.raises(ConfigProblem, match="missing stacks"):
        _exception(0, {"zone": "eu", "fallback_cell": "x", "reason": "a good long reason", "approver": "dpo",
                       "expires": "2099-01-01"})


def test_dns_unapproved_fallback_says_where_to_approve_it(dns):
    result, r = dns
    msgs = on(result, "residency-dns-in-zone", r["app_secondary"])
    assert any("unapproved" in m and "policy/residency/approvals.json" in m for m in msgs), msgs


def test_dns_expired_and_invalid_exceptions_reported(dns):
    result, _ = dns
    stack_level = [d.message for d in by_policy(result, "residency-dns-in-zone") if not d.urn]
    assert any("expired on " + PAST in m for m in stack_level), stack_level
    assert any("exceptions[2]" in m and "approver" in m for m in stack_level), stack_level


def test_dns_geolocation_fallback(dns):
    result, r = dns
    p = "residency-dns-in-zone"
    for key in ("geo_eu", "geo_default", "cell_name"):
        assert not on(result, p, r[key]), key
    trap = on(result, p, r["trap_default"])
    assert any("strict zone 'eu'" in m and "geolocation *" in m for m in trap), trap
    # Only EU countries are in question: the `*` record serving everyone else is fine for 'us'.
    assert not [m for m in trap if "strict zone 'in'" in m]


def test_dns_cname_tree_is_followed_to_the_cells_a_records(dns):
    result, r = dns
    p = "residency-dns-in-zone"
    assert not on(result, p, r["cn_eu"]) and not on(result, p, r["cn_default"])
    # Evaluating the pool at the geolocation level lets Route 53 fall back from EU to `*` (us).
    trap = on(result, p, r["cntrap_default"])
    assert any("strict zone 'eu'" in m and "aws-us-west-2" in m for m in trap), trap


def test_dns_unknown_target_is_advisory(dns):
    result, r = dns
    assert not on(result, "residency-dns-in-zone", r["late"])
    assert any("cannot verify" in m for m in on(result, "residency-cannot-verify", r["late"]))


def test_config_narrows_zone_and_rejects_widening(dns):
    result, r = dns
    p = "residency-location-in-zone"
    assert any("eu-west-1" in m and "eu-central-1" in m for m in on(result, p, r["s3_ireland"]))
    assert not on(result, p, r["s3_frankfurt"])
    config_errors = [d.message for d in by_policy(result, p) if "policy config" in d.message]
    assert any("us-east-1" in m and "narrow" in m for m in config_errors), config_errors


def test_shipped_catalog_is_the_project_catalog():
    assert json.loads((PACK / "catalog.json").read_text()) == catalog.export()


def test_shipped_locations_match_the_provider_schemas():
    # Every resource of each package with its location inputs, vendored (tests/schemas/regenerate.py).
    schemas = Path(__file__).resolve().parent / "schemas" / "located"
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_locations", PACK / "gen_locations.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert json.loads((PACK / "locations.json").read_text()) == gen.build(schemas)


def test_pack_is_self_contained():
    for f in PACK.glob("*.py"):
        text = f.read_text()
        assert "from components" not in text and "import components" not in text, f
        assert "from offline" not in text and "import offline" not in text, f
    assert (PACK / "requirements.txt").read_text().split() == ["pulumi==3.272.0", "pulumi-policy==1.21.0"]


# ---------------------------------------------------------------------------------------------
# S3 replication as the AWS cell builds it for `bucket.geo_redundant` (components/clouds/aws/replication.py)

def _replicated_cell(s, cell, zone, region, replica_region, known=True):
    """A cell's model bucket, its replica bucket and key in `replica_region` (own provider) and the
    replication config, shaped as the engine registers them; ARNs unknown when not `known` (preview)."""
    comp = s.add("platform:aws:Cell", cell)
    repl = s.add("platform:aws:Replication", cell, parent=comp)
    here = s.provider("aws", f"{cell}-aws", region=region)
    there = s.provider("aws", f"{cell}-replica-aws", region=replica_region)
    t = tags(zone, cell)
    key_arn = f"arn:aws:kms:{replica_region}:{ACCOUNT}:key/{cell}" if known else UNKNOWN
    source = s.add("aws:s3/bucket:Bucket", f"{cell}-models", {"tags": t}, parent=comp, provider=here,
                   outputs={"bucket": f"{cell}-models-1", "arn": f"arn:aws:s3:::{cell}-models-1"})
    key = s.add("aws:kms/key:Key", f"{cell}-replica-key", {"tags": t, "enableKeyRotation": True, "multiRegion": False},
                parent=repl, provider=there, outputs={"arn": key_arn})
    replica_name = f"{cell}-models-replica-1"
    replica = s.add("aws:s3/bucket:Bucket", f"{cell}-models-replica", {"tags": t}, parent=repl, provider=there,
                    outputs={"bucket": replica_name, "arn": f"arn:aws:s3:::{replica_name}"} if known else None)
    s.add("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          f"{cell}-models-replica", {"bucket": replica_name if known else UNKNOWN, "rules": [
              {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn},
               "bucketKeyEnabled": True}]},
          parent=repl, provider=there, deps={"bucket": [replica], "rules": [key]})
    config = s.add("aws:s3/bucketReplicationConfig:BucketReplicationConfig", f"{cell}-models", {
        "bucket": f"{cell}-models-1", "role": f"arn:aws:iam::{ACCOUNT}:role/{cell}-replication",
        "rules": [{"id": "replicate-all-in-zone", "status": "Enabled", "filter": {"prefix": ""},
                   "deleteMarkerReplication": {"status": "Enabled"},
                   "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
                   "destination": {"bucket": f"arn:aws:s3:::{replica_name}" if known else UNKNOWN,
                                   "storageClass": "STANDARD",
                                   "encryptionConfiguration": {"replicaKmsKeyId": key_arn}}}]},
        parent=repl, provider=here, deps={"bucket": [source], "rules": [replica, key]})
    return {"config": config, "replica": replica, "key": key}


@pytest.fixture(scope="module")
def cell_replication():
    s = Stack()
    cells = {
        "in_zone": _replicated_cell(s, "aws-us-west-2", "us", "us-west-2", "us-west-1"),
        # Preview of a new stack: the replica's ARN and its key's are unknown; the dependencies name them.
        "in_zone_preview": _replicated_cell(s, "aws-ap-south-1", "in", "ap-south-1", "ap-south-2", known=False),
        # Zurich is the nearest AWS region to Frankfurt, but it is zone `ch`: never a replica of `eu`.
        "out_of_zone": _replicated_cell(s, "aws-eu-central-1", "eu", "eu-central-1", "eu-central-2"),
    }
    return run_pack(s.resources), cells


def test_in_zone_cell_replication_passes(cell_replication):
    result, cells = cell_replication
    for case in ("in_zone", "in_zone_preview"):
        urns = {r.urn for r in cells[case].values()}
        found = [(d.policy, d.message) for d in result.diagnostics if d.urn in urns]
        assert not found, (case, found)


def test_out_of_zone_cell_replication_is_a_violation(cell_replication):
    result, cells = cell_replication
    case, p = cells["out_of_zone"], "residency-replication-in-zone"
    mandatory = [d for d in by_policy(result, p) if d.urn == case["config"].urn and d.level == "mandatory"]
    messages = [d.message for d in mandatory]
    # The destination bucket and the replica key, each named with the region and the zone it leaves.
    assert any("aws-eu-central-1-models-replica-1" in m and "eu-central-2 (ch)" in m and "outside zone 'eu'" in m
               for m in messages), messages
    assert any("replica key" in m and "eu-central-2 (ch)" in m for m in messages), messages
    # The replica's own resources are out of place too.
    for res in (case["replica"], case["key"]):
        assert any("eu-central-2" in m for m in on(result, "residency-location-in-zone", res)), res.name


# ---------------------------------------------------------------------------------------------
# Only A/AAAA/CNAME records (and aliases) route users

@pytest.fixture(scope="module")
def txt_validation():
    """Two Azure cells in two strict zones, each validating its certificate with its own
    multivalue TXT record at the zone apex (set id = the cell), as components/azure does."""
    s = Stack()
    glob = s.provider("aws", "global-aws", region="us-east-1")
    r = {}
    for cell, zone, location, ip in (("azure-westeurope", "eu", "westeurope", "20.50.0.10"),
                                     ("azure-centralindia", "in", "centralindia", "20.40.0.10")):
        prov = s.provider("azure-native", f"azure-{location}", location=location)
        comp = s.add("platform:azure:Cell", cell)
        r[f"order_{zone}"] = s.add(
            "azure-native:certificateregistration:AppServiceCertificateOrder", f"{cell}-cert",
            {"resourceGroupName": f"rg-{zone}", "tags": tags(zone, cell), "productType": "StandardDomainValidatedSsl",
             "location": "global"}, parent=comp, provider=prov, outputs={"domainVerificationToken": f"tok-{zone}"})
        r[f"pip_{zone}"] = s.add("azure-native:network:PublicIPAddress", f"{cell}-ip", {
            "resourceGroupName": f"rg-{zone}", "tags": tags(zone, cell), "publicIPAllocationMethod": "Static"},
            parent=comp, provider=prov, outputs={"ipAddress": ip})
        r[f"txt_{zone}"] = s.add("aws:route53/record:Record", f"{cell}-cert-validation", {
            "zoneId": "Z0EXAMPLE01", "name": "example.com", "type": "TXT", "ttl": 300, "setIdentifier": cell,
            "multivalueAnswerRoutingPolicy": True, "records": [f"tok-{zone}"]},
            provider=glob, deps={"records": [r[f"order_{zone}"]]})
        # the same shape on an A record does route users: still judged
        r[f"a_{zone}"] = s.add("aws:route53/record:Record", f"{cell}-mv", {
            "zoneId": "Z0EXAMPLE01", "name": "mv.example.com", "type": "A", "ttl": 30, "setIdentifier": cell,
            "multivalueAnswerRoutingPolicy": True, "records": [ip]},
            provider=glob, deps={"records": [r[f"pip_{zone}"]]})
    return run_pack(s.resources), r


def test_dns_multivalue_txt_is_not_a_traffic_route(txt_validation):
    result, r = txt_validation
    p = "residency-dns-in-zone"
    for zone in ("eu", "in"):
        assert not on(result, p, r[f"txt_{zone}"]), on(result, p, r[f"txt_{zone}"])
    # A multivalue A record across the two zones does send users out of zone.
    leaks = on(result, p, r["a_in"]) + on(result, p, r["a_eu"])
    assert any("strict zone 'eu'" in m and "azure-centralindia" in m for m in leaks), leaks
    assert any("strict zone 'in'" in m and "azure-westeurope" in m for m in leaks), leaks


# ---------------------------------------------------------------------------------------------
# Telemetry stores and log sinks

@pytest.fixture(scope="module")
def telemetry():
    s = Stack()
    aws_us = s.provider("aws", "aws-us-west-2", region="us-west-2")
    gcp = s.provider("gcp", "gcp-europe-west1", project="acme", region="europe-west1")
    az = s.provider("azure-native", "azure-centralindia", location="centralindia")
    r = {}
    # An AMP workspace whose provider puts it in us-west-2, labelled for zone eu: stored outside its zone.
    r["amp_out"] = s.add("aws:amp/workspace:Workspace", "amp-out", {"alias": "eu-cell", "tags": tags("eu")},
                         provider=aws_us)
    r["amp_in"] = s.add("aws:amp/workspace:Workspace", "amp-in", {"alias": "us-cell", "tags": tags("us")},
                        provider=aws_us)
    # GCP's `global` log bucket location (the _Default bucket's) is no region of the zone.
    cell = s.add("platform:gcp:Cell", "gcp-europe-west1", {})
    s.add("gcp:storage/bucket:Bucket", "cell-data", {"location": "europe-west1", "labels": tags("eu", "gcp-europe-west1")},
          parent=cell, provider=gcp)
    r["log_global"] = s.add("gcp:logging/projectBucketConfig:ProjectBucketConfig", "logs-global",
                            {"project": "acme", "location": "global", "bucketId": "cell-logs"}, parent=cell, provider=gcp)
    r["log_regional"] = s.add("gcp:logging/projectBucketConfig:ProjectBucketConfig", "logs-regional",
                              {"project": "acme", "location": "europe-west1", "bucketId": "cell-logs-eu"},
                              parent=cell, provider=gcp)
    r["sink_out"] = s.add("gcp:logging/projectSink:ProjectSink", "sink-out", {
        "project": "acme", "name": "to-us",
        "destination": "logging.googleapis.com/projects/acme/locations/us-central1/buckets/central"},
        parent=cell, provider=gcp)
    r["sink_in"] = s.add("gcp:logging/projectSink:ProjectSink", "sink-in", {
        "project": "acme", "name": "to-eu",
        "destination": "logging.googleapis.com/projects/acme/locations/europe-west1/buckets/cell-logs-eu"},
        parent=cell, provider=gcp)
    # Azure Monitor workspace out of its zone, and the declared global dashboard source (allowed anywhere).
    r["azmon_out"] = s.add("azure-native:monitor:AzureMonitorWorkspace", "azmon-out",
                           {"resourceGroupName": "rg", "location": "westeurope", "tags": tags("in")}, provider=az)
    r["azmon_in"] = s.add("azure-native:monitor:AzureMonitorWorkspace", "azmon-in",
                          {"resourceGroupName": "rg", "location": "centralindia", "tags": tags("in")}, provider=az)
    r["dashboard_source"] = s.add(
        "azure-native:monitor:AzureMonitorWorkspace", "dashboard-source",
        {"resourceGroupName": "rg", "location": "westeurope", "tags": {**tags("in"), "telemetry": "global-dashboard"}},
        provider=az)
    return run_pack(s.resources), r


def test_telemetry_stores_and_sinks_stay_in_their_zone(telemetry):
    result, r = telemetry
    p = "residency-telemetry-in-zone"
    assert any("us-west-2" in m and "outside zone 'eu'" in m for m in on(result, p, r["amp_out"]))
    assert any("'global'" in m and "global dashboard" in m for m in on(result, p, r["log_global"]))
    assert any("us-central1" in m for m in on(result, p, r["sink_out"]))
    assert any("westeurope" in m and "outside zone 'in'" in m for m in on(result, p, r["azmon_out"]))
    for ok in ("amp_in", "log_regional", "sink_in", "azmon_in", "dashboard_source"):
        assert not on(result, p, r[ok]), (ok, on(result, p, r[ok]))
    assert all(d.level == "mandatory" for d in by_policy(result, p))


# ---- Approvals: one entry reaches every residency policy; the old three-key form is still read --------------

APPROVAL = {"zone": "in", "fallback_cell": "aws-us-west-2", "reason": "capacity during the migration",
            "approver": "dpo@acme.example", "expires": "2099-01-31", "stacks": ["dev"]}


def _approvals_reader():
    spec = importlib.util.spec_from_file_location("residency_approvals", REPO / "policy/residency/approvals.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_one_entry_reaches_every_policy(tmp_path):
    f = tmp_path / "approvals.json"
    f.write_text(json.dumps({"residency-exception-approved": {"exceptions": [APPROVAL]}}))
    merged, problems = _approvals_reader().with_approvals({"zones": {"in": {"strict": True}}}, f)
    assert merged["exceptions"] == [APPROVAL] and merged["zones"] == {"in": {"strict": True}} and problems == []


def test_the_old_three_key_form_is_read_once(tmp_path):
    f = tmp_path / "approvals.json"
    f.write_text(json.dumps({k: {"exceptions": [APPROVAL]} for k in (
        "residency-dns-in-zone", "residency-exception-approved", "residency-edge-guard")}))
    reader = _approvals_reader()
    assert reader.approved_exceptions(f) == ([APPROVAL], [])
    # the CLI passing the same file as the policy's own config: still one entry
    merged, _ = reader.with_approvals({"exceptions": [APPROVAL]}, f)
    assert merged["exceptions"] == [APPROVAL]


def test_an_unreadable_file_is_a_reported_problem(tmp_path):
    f = tmp_path / "approvals.json"
    f.write_text("{not json")
    merged, problems = _approvals_reader().with_approvals({}, f)
    assert merged["exceptions"] == [] and problems and "approvals.json" in problems[0]


def test_the_packs_analyzer_matches_the_stock_one(placement, dns, cell_replication, txt_validation, telemetry,
                                                  monkeypatch):
    """The pack reads each resource once per AnalyzeStack and shares one view of the stack between its
    policies (residency_rules/server.py, StackView.of); pulumi_policy's own analyzer, which reads the
    stack again for every policy, must report exactly the same on every fixture here."""
    monkeypatch.setenv("POLICY_PACK_PLAIN_ANALYZER", "1")
    assert len(ANALYZED) >= 5
    key = lambda d: (d.policy, d.urn, d.level, d.message)  # noqa: E731
    for resources, config, fast in ANALYZED:
        stock = analyze(PACK, resources, config=config)
        assert fast.diagnostics, "a fixture with nothing to report proves nothing"
        assert sorted(map(key, stock.diagnostics)) == sorted(map(key, fast.diagnostics))
