"""GlobalTraffic under the offline engine: records, health checks, us-east-1 alarms, the encrypted
alarm topic, and prod-global built from StackReferences to cell stacks.

The cells here are literal `CellOutputs` (small programs), so these tests do not depend on the
cloud cells; `tests/test_stacks.py` runs the real stacks."""
from __future__ import annotations

import copy
import json

import pytest
import yaml

import schema_check
from components.core import catalog
from offline_helpers import preview_config, stack_config

GLOBAL = "platform:dns:GlobalTraffic"
RECORD = "aws:route53/record:Record"
HEALTH = "aws:route53/healthCheck:HealthCheck"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"

# The endpoint each cloud's load balancer would export.
LITERAL_CELLS = '''
import pulumi
from components.core import routing
from components import tags
from components.contract import Address, AliasTarget, CellOutputs
from components.global_traffic.records import GlobalTraffic, GlobalTrafficArgs
from components.stack_config import load_stack_config
from components.global_traffic.hosted_zone import global_aws_provider, public_zone

ALB_ZONES = {"us-west-2": "Z1H1FL5HABSF5", "eu-central-1": "Z215JYRZR1TBD5"}


def literal_cell(spec, public_name=None) -> CellOutputs:
    o = pulumi.Output.from_input
    aws = spec.cloud == "aws"
    endpoint = (AliasTarget(o(f"{spec.name}-1234567890.{spec.region}.elb.amazonaws.com"), o(ALB_ZONES[spec.region]))
                if aws else Address(o({"gcp": "34.76.10.20", "azure": "20.204.30.40"}[spec.cloud]),
                                    o(f"{spec.name}.example.net")))
    return CellOutputs(
        endpoint=endpoint,
        health_path="/healthz", bucket_uri=o(f"s3://{spec.name}"), cluster_name=o(spec.name),
        kubeconfig=pulumi.Output.secret("apiVersion: v1"), workload_identity=o(f"id-{spec.name}"),
        residency=spec.residency, region=spec.region, cloud=spec.cloud, name=spec.name,
        public_name=public_name,
    )

'''

PROGRAM = LITERAL_CELLS + '''
cfg = load_stack_config()
tags.register_stack_labels(cfg.environment)
provider = global_aws_provider()
zone_id = public_zone(cfg.dns, provider, protect=False)
outputs = [literal_cell(c) for c in cfg.cells]
# Hand-built placements (checked=False: routing.plan runs the placement checks itself).
placements = [routing.Cell.from_config(c, alias_endpoint=isinstance(o.endpoint, AliasTarget))
              for c, o in zip(cfg.cells, outputs)]
tree = routing.plan(placements, cfg.dns, routing.strict_map(cfg.zones, placements), cfg.exceptions)
traffic = GlobalTraffic("global", GlobalTrafficArgs(dns=cfg.dns, zone_id=zone_id, cells=outputs, tree=tree,
                                                    provider=provider))
pulumi.export("global_traffic", traffic.summary())
'''

# One project for prod: cell stacks export a literal cell, prod-global runs the real platform.build().
PROD_PROGRAM = LITERAL_CELLS + '''
from components.assemble import build

cfg = load_stack_config()
if cfg.cell_stacks:
    build(cfg)
else:
    for c in cfg.cells:
        pulumi.export(c.name, literal_cell(c, cfg.dns.public_name).as_dict())
'''


def dev_config(**dns) -> dict:
    cfg = copy.deepcopy(stack_config("dev"))
    cfg["platform:dns"] = {**cfg["platform:dns"], **dns}
    return cfg


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    run = preview_config(dev_config(alarm_email="oncall@example.com"), tmp_path_factory.mktemp("dev"),
                         stack="dev", program=PROGRAM)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def euha_exception(tmp_path_factory):
    """eu-ha plus a US cell, and an approved exception: eu fails over to the US cell only when all
    three eu cells are down."""
    cfg = copy.deepcopy(stack_config("eu-ha"))
    cfg["platform:cells"].append({"name": "aws-us-east-1", "cloud": "aws", "region": "us-east-1",
                                  "residency": "us", "role": "secondary", "weight": 10,
                                  "network_cidr": "10.70.0.0/16"})
    cfg["platform:exceptions"] = [{"zone": "eu", "fallback_cell": "aws-us-east-1",
                                   "reason": "contractual uptime over residency for the pilot",
                                   "approver": "dpo@example.com", "expires": "2099-12-31"}]
    # aws-us-east-1 lies in us: it has no ALB zone in the literal table, give it one.
    program = PROGRAM.replace('"eu-central-1": "Z215JYRZR1TBD5"}',
                              '"eu-central-1": "Z215JYRZR1TBD5", "us-east-1": "Z35SXDOTRQ7X7K"}')
    run = preview_config(cfg, tmp_path_factory.mktemp("euha"), stack="eu-ha", program=program)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def _prod_project(tmp_path, global_overrides=None) -> dict:
    stacks = tmp_path / "project" / "stacks"
    stacks.mkdir(parents=True)
    for name in ("prod-aws-us-west-2", "prod-gcp-europe-west1", "prod-azure-centralindia"):
        (stacks / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": stack_config(name)}))
    cfg = copy.deepcopy(stack_config("prod-global"))
    for k, v in (global_overrides or {}).items():
        cfg[k] = v
    return cfg


@pytest.fixture(scope="module")
def prod_global(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prod")
    run = preview_config(_prod_project(tmp), tmp, stack="prod-global", program=PROD_PROGRAM)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def _records(run, name=None) -> list[dict]:
    return [r["inputs"] for r in run.of_type(RECORD) if name is None or r["inputs"]["name"] == name]


def _provider_region(run, res) -> str:
    urn = res["provider"].rsplit("::", 1)[0]
    return run.by_urn(urn)["inputs"]["region"]


# ---- health checks ---------------------------------------------------------------------

def test_one_https_health_check_per_cell(dev):
    checks = {r["inputs"]["fqdn"]: r["inputs"] for r in dev.of_type(HEALTH)}
    assert set(checks) == {f"{c}.dev.inference.example.com"
                           for c in ("aws-us-west-2", "gcp-europe-west1", "azure-centralindia")}
    for hc in checks.values():
        assert hc["type"] == "HTTPS" and hc["port"] == 443 and hc["enableSni"] is True
        assert hc["resourcePath"] == "/healthz"  # the cell's own health_path
        assert hc["requestInterval"] == 10 and hc["failureThreshold"] == 3
        assert len(set(hc["regions"])) >= 3 and hc["measureLatency"] is True
        assert hc["tags"]["residency"] == "global" and hc["tags"]["managed-by"] == "pulumi"


def test_health_checks_and_records_sit_under_global_traffic(dev):
    component = dev.one(GLOBAL)
    for r in dev.of_type(HEALTH) + dev.of_type(RECORD) + dev.of_type(ALARM):
        assert component in dev.ancestors(r)


# ---- alarms ------------------------------------------------------------------------------

def test_an_alarm_per_health_check_in_us_east_1_to_an_encrypted_topic(dev):
    checks = {r["id"]: r for r in dev.of_type(HEALTH)}
    alarms = dev.of_type(ALARM)
    assert {a["inputs"]["dimensions"]["HealthCheckId"] for a in alarms} == set(checks)
    topic = dev.one(TOPIC)
    for a in alarms:
        i = a["inputs"]
        assert (i["namespace"], i["metricName"], i["statistic"]) == ("AWS/Route53", "HealthCheckStatus", "Minimum")
        assert i["comparisonOperator"] == "LessThanThreshold" and i["threshold"] == 1
        assert i["treatMissingData"] == "breaching"
        assert i["alarmActions"] == [topic["outputs"]["arn"]] and i["okActions"] == [topic["outputs"]["arn"]]
        # Route 53 publishes its metrics in us-east-1 only: an explicit provider pins it.
        assert _provider_region(dev, a) == "us-east-1"
        assert a["outputs"]["arn"].startswith("arn:aws:cloudwatch:us-east-1:")
    assert _provider_region(dev, topic) == "us-east-1"


def test_alarm_topic_uses_a_rotating_cmk_that_cloudwatch_may_use(dev):
    topic = dev.one(TOPIC)
    key = dev.one("aws:kms/key:Key")
    assert topic["inputs"]["kmsMasterKeyId"] == key["outputs"]["arn"]
    assert not topic["inputs"]["kmsMasterKeyId"].startswith("alias/aws/")
    assert key["inputs"]["enableKeyRotation"] is True
    statements = json.loads(key["inputs"]["policy"])["Statement"]
    cw = next(s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"})
    assert set(cw["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    policy = json.loads(dev.one("aws:sns/topicPolicy:TopicPolicy")["inputs"]["policy"])["Statement"]
    publish = next(s for s in policy if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"})
    assert publish["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    sub = dev.one("aws:sns/topicSubscription:TopicSubscription")["inputs"]
    assert (sub["protocol"], sub["endpoint"]) == ("email", "oncall@example.com")


# ---- records -----------------------------------------------------------------------------

def test_per_cell_names(dev):
    aws = _records(dev, "aws-us-west-2.dev.inference.example.com")
    assert len(aws) == 1 and aws[0]["type"] == "A"
    assert aws[0]["aliases"] == [{"name": "aws-us-west-2-1234567890.us-west-2.elb.amazonaws.com",
                                  "zoneId": "Z1H1FL5HABSF5", "evaluateTargetHealth": True}]
    gcp = _records(dev, "gcp-europe-west1.dev.inference.example.com")
    assert gcp[0]["records"] == ["34.76.10.20"] and gcp[0]["ttl"] == 30 and "aliases" not in gcp[0]
    azure = _records(dev, "azure-centralindia.dev.inference.example.com")
    assert azure[0]["records"] == ["20.204.30.40"]


def test_strict_countries_never_fall_back_and_non_strict_ones_do(dev):
    public = _records(dev, "api.dev.inference.example.com")
    assert not _records(dev, "dev.inference.example.com")  # the apex is not the public name
    assert {r["type"] for r in public} == {"CNAME"}
    geo = {r["geolocationRoutingPolicies"][0]["country"]: r for r in public}
    assert set(geo) == set(catalog.countries_of_zone("eu")) | {"US", "IN", "*"}
    for country in catalog.countries_of_zone("eu"):
        assert geo[country]["aliases"] == [{"name": "eu.pool.api.dev.inference.example.com",
                                            "zoneId": dev.one("aws:route53/zone:Zone")["id"],
                                            "evaluateTargetHealth": False}]
        assert "healthCheckId" not in geo[country]
    assert geo["IN"]["aliases"][0]["evaluateTargetHealth"] is False
    assert geo["US"]["aliases"][0]["evaluateTargetHealth"] is True  # us is not strict: may fall back
    assert geo["*"]["aliases"][0]["name"] == "world.pool.api.dev.inference.example.com"
    assert all(r["setIdentifier"] for r in public)


def test_zone_pools_and_world_pool(dev):
    checks = {r["name"].removesuffix("-health"): r["id"] for r in dev.of_type(HEALTH)}
    eu = _records(dev, "eu.pool.api.dev.inference.example.com")
    # Members are plain CNAMEs to the cell's own name: resolvers cache them for the tree's 30 s,
    # also for the AWS cell, whose own name is an ALB alias (the ELB's 60 s).
    assert [(r["type"], r["failoverRoutingPolicies"][0]["type"], r["records"], r["ttl"]) for r in eu] == [
        ("CNAME", "PRIMARY", ["gcp-europe-west1.dev.inference.example.com"], 30)]
    assert eu[0]["healthCheckId"] == checks["gcp-europe-west1"] and "aliases" not in eu[0]
    world = {r["setIdentifier"]: r for r in _records(dev, "world.pool.api.dev.inference.example.com")}
    assert world["aws-us-west-2"]["records"] == ["aws-us-west-2.dev.inference.example.com"]
    assert {r["type"] for r in world.values()} == {"CNAME"} and {r["ttl"] for r in world.values()} == {30}
    assert {k: r["latencyRoutingPolicies"][0]["region"] for k, r in world.items()} == {
        "aws-us-west-2": "us-west-2", "gcp-europe-west1": "eu-west-3", "azure-centralindia": "ap-south-1"}
    assert {k: r["healthCheckId"] for k, r in world.items()} == checks


def test_aliases_and_cnames_depend_on_their_targets(dev):
    by_name = {}
    for r in dev.of_type(RECORD):
        by_name.setdefault(r["inputs"]["name"], []).append(r["urn"])
    checked = 0
    for r in dev.of_type(RECORD):
        targets = [a["name"] for a in r["inputs"].get("aliases", [])]
        targets += r["inputs"]["records"] if r["inputs"]["type"] == "CNAME" and "records" in r["inputs"] else []
        for target in targets:
            if target in by_name:  # a name of this zone
                checked += 1
                assert set(by_name[target]) <= set(r["dependencies"]), r["urn"]
    assert checked >= 30


def test_exports_worst_case_failover(dev):
    out = dev.report["outputs"]["global_traffic"]
    # 10 s x 3 probes + 30 s: every cell, the ALB one too, is answered through a 30 s CNAME.
    assert out["worst_case_failover_seconds"] == 60
    assert out["public_name"] == "api.dev.inference.example.com"
    assert "above the 60 s target" not in dev.stdout + dev.stderr


def test_a_slower_config_is_warned_about(tmp_path):
    run = preview_config(dev_config(ttl=60), tmp_path, stack="dev", program=PROGRAM)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.report["outputs"]["global_traffic"]["worst_case_failover_seconds"] == 90
    assert "worst-case failover is 90 s" in run.stdout + run.stderr
    assert "above the 60 s target" in run.stdout + run.stderr


# ---- eu-ha: three clouds in one strict zone, latency inside, and an exception -------------

def test_euha_latency_regions_never_clash(euha_exception):
    eu = _records(euha_exception, "eu.pool.api.eu.inference.example.com")
    regions = {r["setIdentifier"]: r["latencyRoutingPolicies"][0]["region"] for r in eu}
    assert set(regions) == {"aws-eu-central-1", "gcp-europe-west1", "azure-westeurope"}
    assert len(set(regions.values())) == 3
    assert regions["aws-eu-central-1"] == "eu-central-1"  # the primary keeps the contested region
    assert all(catalog.AWS[r].zone == "eu" for r in regions.values())


def test_exception_fallback_record_and_alarm(euha_exception):
    run = euha_exception
    fallback = {r["failoverRoutingPolicies"][0]["type"]: r
                for r in _records(run, "eu.fallback.api.eu.inference.example.com")}
    assert fallback["PRIMARY"]["aliases"][0]["name"] == "eu.pool.api.eu.inference.example.com"
    assert fallback["PRIMARY"]["aliases"][0]["evaluateTargetHealth"] is True
    assert fallback["SECONDARY"]["records"] == ["aws-us-east-1.eu.inference.example.com"]
    de = next(r for r in _records(run, "api.eu.inference.example.com")
              if r["geolocationRoutingPolicies"][0]["country"] == "DE")
    assert de["aliases"][0]["name"] == "eu.fallback.api.eu.inference.example.com"
    calculated = run.one(HEALTH, "eu-any-health")
    assert calculated["inputs"]["type"] == "CALCULATED" and calculated["inputs"]["childHealthThreshold"] == 1
    eu_checks = {r["id"] for r in run.of_type(HEALTH) if r["inputs"].get("tags", {}).get("target-residency") == "eu"
                 and r["inputs"]["type"] == "HTTPS"}
    assert set(calculated["inputs"]["childHealthchecks"]) == eu_checks and len(eu_checks) == 3
    alarm = next(a for a in run.of_type(ALARM) if a["inputs"]["dimensions"]["HealthCheckId"] == calculated["id"])
    assert "Residency exception in use" in alarm["inputs"]["alarmDescription"]
    assert "dpo@example.com" in alarm["inputs"]["alarmDescription"]
    assert "residency exception in force for zone 'eu'" in run.stdout + run.stderr


# ---- prod: the global layer from StackReferences ------------------------------------------

def test_prod_global_reads_the_cell_stacks(prod_global):
    refs = prod_global.of_type("pulumi:pulumi:StackReference")
    # No organization in the stack file: the backend's own (pulumi.get_organization()).
    assert sorted(r["inputs"]["name"] for r in refs) == [
        "organization/platform/prod-aws-us-west-2", "organization/platform/prod-azure-centralindia",
        "organization/platform/prod-gcp-europe-west1"]
    # Only the global layer: no cell, no zone of its own (prod uses the configured zone id).
    assert not [r for r in prod_global.resources if r["type"].endswith(":Cell")]
    assert not prod_global.of_type("aws:route53/zone:Zone")
    assert {r["inputs"]["zoneId"] for r in prod_global.of_type(RECORD)} == {"Z0PRODEXAMPLE01"}
    aws = _records(prod_global, "aws-us-west-2.inference.example.com")[0]
    assert aws["aliases"][0]["name"] == "aws-us-west-2-1234567890.us-west-2.elb.amazonaws.com"
    assert _records(prod_global, "gcp-europe-west1.inference.example.com")[0]["records"] == ["34.76.10.20"]
    assert len(prod_global.of_type(HEALTH)) == 3 and len(prod_global.of_type(ALARM)) == 3


def test_prod_global_rejects_a_cell_stack_that_exports_another_placement(tmp_path):
    cfg = _prod_project(tmp_path)
    # The gcp stack exports a cell in zone eu; claim it is in India.
    bad = cfg["platform:cell_stacks"][1]
    bad.update(name="gcp-europe-west1", cloud="gcp", region="asia-south1", residency="in")
    cfg["platform:cell_stacks"] = [bad]
    run = preview_config(cfg, tmp_path, stack="prod-global", program=PROD_PROGRAM)
    assert run.returncode != 0
    assert "exports disagree with platform:cell_stacks" in run.stderr
    assert "region: configured 'asia-south1', exported 'europe-west1'" in run.stderr


def test_prod_global_rejects_a_cell_whose_certificate_is_for_another_public_name(tmp_path):
    cfg = _prod_project(tmp_path)
    cfg["platform:dns"] = {**cfg["platform:dns"], "public_label": "www"}
    run = preview_config(cfg, tmp_path, stack="prod-global", program=PROD_PROGRAM)
    assert run.returncode != 0
    assert "exports disagree with platform:cell_stacks" in run.stderr
    assert "public_name: configured 'www.inference.example.com', exported 'api.inference.example.com'" in run.stderr


@pytest.mark.skipif(not schema_check.available(), reason="../shared/schemas/full is not beside this checkout")
def test_global_layer_conforms_to_the_provider_schema(dev, euha_exception, prod_global):
    problems = [p for run in (dev, euha_exception, prod_global) for r in run.resources
                for p in schema_check.violations(r)]
    assert not problems, "\n".join(problems[:30])
