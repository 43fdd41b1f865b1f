"""A routing-mode switch at apply (issue #38): Route 53 keeps one routing policy per record name and
type, and the provider changes records one call at a time, so a switch on one name stops halfway.
The rule over one run, and the check of the change the review diff runs."""
from __future__ import annotations

import gzip
import json

import pytest
import yaml

from offline_helpers import REPO, offline

PROGRAM = '''
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


def _run(tmp_path, mixed: bool):
    proj = tmp_path / ("mixed" if mixed else "uniform")
    (proj / "stacks").mkdir(parents=True)
    (proj / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "r53", "runtime": "python", "stackConfigDir": "stacks"}))
    (proj / "__main__.py").write_text(PROGRAM)
    (proj / "stacks" / "Pulumi.t.yaml").write_text(yaml.safe_dump(
        {"config": {"aws:region": "us-east-1", "r53:mixed": mixed}}))
    return offline(["preview", "t", "--quiet", "--assume-applied", "--project-dir", str(proj)], tmp_path)


def test_rule_fails_on_mixed_policies_and_passes_on_one(tmp_path):
    mixed, uniform = _run(tmp_path, True), _run(tmp_path, False)
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


def _record(logical, name, **policy):
    return {"urn": f"urn:pulumi:s::p::aws:route53/record:Record::{logical}", "type": "aws:route53/record:Record",
            "name": logical, "inputs": {"zoneId": "ZABC", "name": name, "type": "CNAME", **policy},
            "outputs": {}, "parent": None, "aliases": [], "dependencies": []}


def test_a_switch_on_one_name_fails_the_review_diff():
    from offline.apply.routing import policy_switches
    from offline.diff import diff_markdown, diff_resources, diff_text
    from offline.diff.model import StackDiff

    weighted = [_record(f"eu-{c}", "eu.pool.api.example.com.", weightedRoutingPolicies=[{"weight": 1}])
                for c in ("a", "b")]
    failover = [_record("eu-a", "eu.pool.api.example.com", failoverRoutingPolicies=[{"type": "PRIMARY"}]),
                _record("eu-b", "eu.pool.api.example.com", failoverRoutingPolicies=[{"type": "SECONDARY"}])]
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
