"""Edge residency: each cell refuses, at its load balancer, the countries its zone must not
serve, so that residency holds when DNS is bypassed; Route 53 health checks always pass.

- the pure model: for every country and every failure, what a client that bypasses DNS gets from
  every cell, and that DNS never answers with a cell whose edge refuses the client;
- the WAF inputs each cloud's cell registers (the dev stack under the offline engine), judged by a
  pure evaluator of those rules (tests/waf_eval.py): a health check from every checker region is
  admitted, a user of a refused country is not;
- the residency pack's `residency-edge-guard`, through the analyzer protocol.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import json

import pytest

import waf_eval
from components.core import catalog, config, routing
from components.core.routing.edge import ROUTE53_CHECKER_RANGES
from offline_helpers import preview_stack
from offline.project import load_project
from offline.project import stack_config as raw_stack_config
from offline.analyzer import PolicyResource
from test_policy_residency import PACK, Stack, analyze, by_policy, on, tags

ALL_COUNTRIES = sorted(catalog.COUNTRY_CONTINENT)
TODAY = dt.date(2026, 1, 1)
RULE = "residency-edge-guard"


def load(stack: str, **extra) -> config.PlatformConfig:
    raw, _ = raw_stack_config(load_project(), stack)
    return config.load(stack, {**raw, **extra}, today=TODAY)


def tree_of(cfg: config.PlatformConfig, exceptions=None) -> routing.RoutingTree:
    cells = [routing.Cell.from_config(c) for c in [*cfg.cells, *cfg.cell_stacks]]
    exceptions = cfg.exceptions if exceptions is None else exceptions
    return routing.plan(cells, cfg.dns, routing.strict_map(cfg.zones, cells), exceptions)


def _exception(expires="2099-01-01"):
    return config.ResidencyException(zone="eu", fallback_cell="aws-us-west-2", reason="pilot customer accepts US "
                                     "processing", approver="dpo@example.com", expires=dt.date.fromisoformat(expires))


# ---- the pure model ----------------------------------------------------------------------------

def test_dev_cells_refuse_every_other_served_strict_zone():
    plan = routing.EdgePlan.of(tree_of(load("dev")), today=TODAY)
    assert plan.refused == {"aws-us-west-2": ("eu", "in"), "gcp-europe-west1": ("in",),
                            "azure-centralindia": ("eu",)}
    assert set(plan.countries("aws-us-west-2")) == set(catalog.EEA_COUNTRIES) | {"IN"}
    # us is not strict, and uk has no cell: nobody refuses them (GB takes the world pool as before).
    assert all(plan.admits(c, "US") and plan.admits(c, "GB") for c in plan.refused)


@pytest.mark.parametrize("stack", ["dev", "prod-global", "eu-ha"])
@pytest.mark.parametrize("mode", ["geolocation", "latency", "weighted", "failover"])
def test_no_strict_country_is_served_out_of_zone_dns_bypassed_or_not(stack, mode):
    cfg = load(stack)
    tree = tree_of(cfg.model_copy(update={"dns": cfg.dns.model_copy(update={"routing": mode})}))
    plan = routing.EdgePlan.of(tree, today=TODAY)
    scenarios = tree.failure_scenarios()
    assert not plan.violations(tree, ALL_COUNTRIES, scenarios)
    # Spelled out for every single-cell failure: who serves a strict country when DNS is bypassed.
    cells = {c.name: c for c in tree.cells}
    for country in ALL_COUNTRIES:
        zone = catalog.zone_of_country(country)
        for failed in [frozenset()] + [frozenset({c}) for c in cells]:
            got = plan.bypass(tree, country, failed)
            assert {c for c, o in got.items() if o == "down"} == set(failed)
            if zone in tree.strict_zones and zone in tree.served_zones:
                assert {cells[c].residency for c, o in got.items() if o == "served"} <= {zone}, (country, got)


def test_a_cell_without_its_refusals_is_caught():
    tree = tree_of(load("dev"))
    plan = routing.EdgePlan.of(tree, today=TODAY)
    leaky = routing.EdgePlan({**plan.refused, "aws-us-west-2": ("in",)})
    problems = leaky.violations(tree, ["DE"], [frozenset()])
    assert problems and "DE (strict zone 'eu'), DNS bypassed" in problems[0] and "aws-us-west-2" in problems[0]
    # ...and a guard that refuses its own zone turns DNS answers into an outage.
    wrong = routing.EdgePlan({**plan.refused, "gcp-europe-west1": ("eu", "in")})
    assert any("whose edge refuses it (outage)" in p for p in wrong.violations(tree, ["DE"], [frozenset()]))


def test_an_active_exception_lets_its_zone_in_and_expiry_ends_it():
    tree = tree_of(load("dev"), exceptions=[_exception()])
    plan = routing.EdgePlan.of(tree, today=TODAY)
    assert plan.refused["aws-us-west-2"] == ("in",) and plan.admits("aws-us-west-2", "DE")
    assert not plan.violations(tree, ALL_COUNTRIES, tree.failure_scenarios())
    # Expired: the US cell refuses EU again, and the model shows the DNS fallback would now be refused.
    late = routing.EdgePlan.of(tree, today=dt.date(2099, 1, 2))
    assert late.refused["aws-us-west-2"] == ("eu", "in")
    assert any("DNS answers aws-us-west-2" in p for p in late.violations(tree, ["DE"], [{"gcp-europe-west1"}]))


def test_a_cell_stack_names_the_zones_the_platform_serves():
    cfg = load("prod-aws-us-west-2")
    assert cfg.served_zones == ["us", "eu", "in"]
    from components.contract import EdgeGuardSpec
    guard = EdgeGuardSpec.for_cell(cfg.cells[0], cfg)
    assert guard.refused_zones == ("eu", "in")
    assert guard.refused[0].endpoint == "eu.pool.api.inference.example.com"
    with pytest.raises(config.ConfigError, match=r"platform:edge.served_zones: misses us"):
        load("prod-aws-us-west-2", **{"platform:edge": {"served_zones": ["eu"]}})
    with pytest.raises(config.ConfigError, match=r"platform:edge.served_zones\[1\] = 'europe'"):
        load("prod-aws-us-west-2", **{"platform:edge": {"served_zones": ["us", "europe"]}})
    with pytest.raises(config.ConfigError, match=r"platform:edge.managed_rules"):
        load("dev", **{"platform:edge": {"managed_rules": "detect"}})


# ---- the WAF each cloud registers, evaluated ----------------------------------------------------

@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    run = preview_stack("dev", tmp_path_factory.mktemp("edge-dev"))
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def _inputs(r: dict) -> dict:
    return r.get("inputs") or r.get("props") or {}


def _gcp_policy(run) -> dict:
    """The Cloud Armor policy with its rules: RegionSecurityPolicyRule resources of the policy, each
    naming the policy; none inline."""
    policy = run.one("gcp:compute/regionSecurityPolicy:RegionSecurityPolicy")
    assert "rules" not in _inputs(policy)
    rules = [_inputs(r) for r in run.of_type("gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule")]
    assert rules and all(r["securityPolicy"] == policy["outputs"]["name"] for r in rules)
    assert all(r["region"] == _inputs(policy)["region"] for r in rules)
    return {**_inputs(policy), "rules": rules}


def _checker_requests(path: str):
    """One request per checker range, from the country of its checker region (GLOBAL: every refused
    zone's first country, the worst case)."""
    for region, cidrs in ROUTE53_CHECKER_RANGES.items():
        countries = ["DE", "IN", "US"] if region == "GLOBAL" else [catalog.AWS[region].country]
        for cidr in cidrs:
            ip = str(next(ipaddress.ip_network(cidr).hosts()))
            for country in countries:
                yield waf_eval.Request(country=country, ip=ip, path=path)


USER_IP = "198.51.100.7"


def _judge(evaluate, refused: set[str], own: str, health: str, refusal: int, throttled: int):
    exercised = False
    for req in _checker_requests(health):
        v = evaluate(req)
        assert v.allowed, (req, v)
        exercised |= req.country in refused
    assert exercised, "no checker request came from a refused country: the bypass was not exercised"
    for country in sorted(refused):
        assert evaluate(waf_eval.Request(country, USER_IP, "/v1/infer")) == waf_eval.Verdict(
            False, refusal, evaluate(waf_eval.Request(country, USER_IP, "/v1/infer")).rule)
        # The health path alone is not a way in, nor is a checker address on another path.
        assert not evaluate(waf_eval.Request(country, USER_IP, health)).allowed
        checker_ip = str(next(ipaddress.ip_network(ROUTE53_CHECKER_RANGES["eu-west-1"][0]).hosts()))
        assert not evaluate(waf_eval.Request(country, checker_ip, "/v1/infer")).allowed
    assert evaluate(waf_eval.Request(own, USER_IP, "/v1/infer")).allowed
    assert evaluate(waf_eval.Request(own, USER_IP, "/v1/infer", rate=2001)).status == throttled
    assert not evaluate(waf_eval.Request(own, USER_IP, "/v1/infer", malicious=True)).allowed


def test_aws_web_acl_refuses_with_451_and_admits_health_checks(dev):
    acl = _inputs(dev.one("aws:wafv2/webAcl:WebAcl"))
    ip_sets = {r["outputs"]["arn"]: _inputs(r)["addresses"] for r in dev.of_type("aws:wafv2/ipSet:IpSet")}
    refused = set(catalog.EEA_COUNTRIES) | {"IN"}
    _judge(lambda req: waf_eval.aws(acl, ip_sets, req), refused, "US", "/health", 451, 429)
    bodies = {b["key"]: json.loads(b["content"]) for b in acl["customResponseBodies"]}
    assert bodies["residency-eu"]["endpoint"] == "https://eu.pool.api.dev.inference.example.com"
    assert bodies["residency-in"]["status"] == 451
    assoc = _inputs(dev.one("aws:wafv2/webAclAssociation:WebAclAssociation"))
    assert assoc["resourceArn"].startswith("arn:aws:elasticloadbalancing:us-west-2:")


def test_gcp_security_policy_refuses_and_admits_health_checks(dev):
    policy = _gcp_policy(dev)
    assert policy["type"] == "CLOUD_ARMOR"
    for rule in policy["rules"]:  # Cloud Armor: at most five subexpressions per expression
        if "expr" in rule["match"]:
            assert waf_eval._subexpressions(rule["match"]["expr"]["expression"]) <= 5, rule
    _judge(lambda req: waf_eval.gcp(policy, req), {"IN"}, "DE", "/health", 403, 429)
    backend = _inputs(dev.one("gcp:compute/regionBackendService:RegionBackendService"))
    assert backend["securityPolicy"].endswith("/securityPolicies/" + backend["securityPolicy"].rsplit("/", 1)[-1])


def test_azure_waf_policy_refuses_and_admits_health_checks(dev):
    policy = _inputs(dev.one("azure-native:network:WebApplicationFirewallPolicy"))
    _judge(lambda req: waf_eval.azure(policy, req), set(catalog.EEA_COUNTRIES), "IN", "/health", 403, 403)


def test_managed_rules_in_count_mode_only_log():
    from components.clouds.aws import edge_guard as aws_guard
    from components.clouds.gcp import edge_guard as gcp_guard
    from components.contract import EdgeGuardSpec
    # (a stack with no Azure cell: Azure refuses `count`, test_azure_first_up.py)
    cfg = load("prod-aws-us-west-2", **{"platform:edge": {"managed_rules": "count", "rate_limit": 100}})
    spec = EdgeGuardSpec.for_cell(cfg.cells[0], cfg)
    assert spec.rate_limit == 100
    managed = [r for r in aws_guard.rules(spec, "arn", "p") if r["name"] == "aws-common-rule-set"]
    assert managed[0]["override_action"] == {"count": {}}
    assert all(r.get("preview") for r in gcp_guard.rules(spec) if "evaluatePreconfiguredWaf" in str(r))
    block = dataclasses.replace(spec, managed_rules="block")
    assert [r for r in aws_guard.rules(block, "arn", "p") if r["name"] == "aws-common-rule-set"][0][
        "override_action"] == {"none": {}}


# ---- the residency pack ----------------------------------------------------------------------

ALB = "aws:lb/loadBalancer:LoadBalancer"


UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown string during preview


def _aws_cell(s, cell, zone, region, refuse, known=True, preview=False):
    """An AWS cell's ALB and, unless `refuse` is None, a web ACL blocking each country list of `refuse`.
    `known=False`: the ALB's ARN is unknown; `preview`: the association's ARNs are unknown too, but it
    depends on the ALB and the ACL (what a real first preview sends)."""
    prov = s.provider("aws", f"{cell}-aws", region=region)
    comp = s.add("platform:aws:Cell", cell)
    arn = f"arn:aws:elasticloadbalancing:{region}:123456789012:loadbalancer/app/{cell}/0123456789abcdef"
    lb = s.add(ALB, f"{cell}-alb", {"tags": tags(zone, cell), "loadBalancerType": "application", "internal": False},
               parent=comp, provider=prov, outputs={"arn": arn if known and not preview else UNKNOWN})
    if refuse is None:
        return lb
    acl_arn = f"arn:aws:wafv2:{region}:123456789012:regional/webacl/{cell}-edge/1b2c"
    rules = [{"name": f"residency-{i}", "priority": 10 + i, "statement": {"geoMatchStatement": {"countryCodes": cs}},
              "action": {"block": {"customResponse": {"responseCode": 451}}}} for i, cs in enumerate(refuse)]
    acl = s.add("aws:wafv2/webAcl:WebAcl", f"{cell}-edge", {"scope": "REGIONAL", "rules": rules,
                                                          "tags": tags(zone, cell), "defaultAction": {"allow": {}}},
                parent=comp, provider=prov, outputs={"arn": UNKNOWN if preview else acl_arn})
    if preview:
        s.add("aws:wafv2/webAclAssociation:WebAclAssociation", f"{cell}-edge",
              {"resourceArn": UNKNOWN, "webAclArn": UNKNOWN}, parent=comp, provider=prov,
              deps={"resourceArn": [lb], "webAclArn": [acl]})
    else:
        s.add("aws:wafv2/webAclAssociation:WebAclAssociation", f"{cell}-edge",
              {"resourceArn": arn if known else UNKNOWN, "webAclArn": acl_arn}, parent=comp, provider=prov)
    return lb


EU = sorted(catalog.EEA_COUNTRIES)


@pytest.fixture(scope="module")
def pack():
    s = Stack()
    r = {
        "ok_us": _aws_cell(s, "aws-us-west-2", "us", "us-west-2", [EU, ["IN"]]),
        "ok_eu": _aws_cell(s, "aws-eu-central-1", "eu", "eu-central-1", [["IN"]]),
        "none_us": _aws_cell(s, "aws-us-east-1", "us", "us-east-1", None),
        "partial_us": _aws_cell(s, "aws-us-east-2", "us", "us-east-2", [EU[:10]]),
        "own_eu": _aws_cell(s, "aws-eu-west-1", "eu", "eu-west-1", [["IN"], ["DE"]]),
        "preview_ok": _aws_cell(s, "aws-eu-west-3", "eu", "eu-west-3", [["IN"]], preview=True),
        "preview_bad": _aws_cell(s, "aws-eu-north-1", "eu", "eu-north-1", [["SG"]], preview=True),
    }
    in_prov = s.provider("azure-native", "azure-centralindia", location="centralindia")
    in_cell = s.add("platform:azure:Cell", "azure-centralindia")
    pid = "/subscriptions/0000/resourceGroups/rg-in/providers/Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies/in-waf"
    geo = {"name": "ResidencyEu0", "priority": 10, "ruleType": "MatchRule", "action": "Block", "matchConditions": [
        {"matchVariables": [{"variableName": "RemoteAddr"}], "operator": "GeoMatch", "matchValues": EU}]}
    s.add("azure-native:network:WebApplicationFirewallPolicy", "in-waf", {
        "policyName": "in-waf", "resourceGroupName": "rg-in", "tags": tags("in", "azure-centralindia"), "policySettings": {"state": "Enabled", "mode": "Prevention"},
        "customRules": [geo]}, parent=in_cell, provider=in_prov)
    r["ok_in"] = s.add("azure-native:network:ApplicationGateway", "in-appgw", {
        "tags": tags("in", "azure-centralindia"), "firewallPolicy": {"id": pid},
        "frontendIPConfigurations": [{"name": "public", "publicIPAddress": {"id": "/pip"}}]},
        parent=in_cell, provider=in_prov)
    gcp_prov = s.provider("gcp", "gcp-europe-west1", project="acme", region="europe-west1")
    gcp_cell = s.add("platform:gcp:Cell", "gcp-europe-west1")
    r["none_gcp"] = s.add("gcp:compute/regionBackendService:RegionBackendService", "eu-backend", {
        "labels": tags("eu", "gcp-europe-west1"), "loadBalancingScheme": "EXTERNAL_MANAGED", "region": "europe-west1"},
        parent=gcp_cell, provider=gcp_prov)
    # Cloud Armor rules as RegionSecurityPolicyRule resources of the policy: enforced -> guarded;
    # the same rule in preview (log only) refuses nobody.
    link = "https://www.googleapis.com/compute/v1/projects/acme/regions/europe-west1/securityPolicies/{}"
    for key, preview in (("ok_gcp_rules", False), ("preview_gcp_rules", True)):
        name = f"armor-{key.replace('_', '-')}"
        s.add("gcp:compute/regionSecurityPolicy:RegionSecurityPolicy", name, {
            "name": name, "region": "europe-west1", "type": "CLOUD_ARMOR", "selfLink": link.format(name)},
            parent=gcp_cell, provider=gcp_prov)
        s.add("gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule", f"{name}-1000", {
            "securityPolicy": name, "region": "europe-west1", "priority": 1000, "action": "deny(403)",
            "preview": preview, "match": {"expr": {"expression": "origin.region_code == 'IN'"}}},
            parent=gcp_cell, provider=gcp_prov)
        r[key] = s.add("gcp:compute/regionBackendService:RegionBackendService", f"{name}-backend", {
            "labels": tags("eu", "gcp-europe-west1"), "loadBalancingScheme": "EXTERNAL_MANAGED",
            "region": "europe-west1", "securityPolicy": link.format(name)}, parent=gcp_cell, provider=gcp_prov)
    result = analyze(PACK, s.resources)
    with_exception = analyze(PACK, s.resources, config={RULE: {"exceptions": [{
        "zone": "eu", "fallback_cell": "aws-us-east-1", "reason": "pilot customer accepts US processing",
        "approver": "dpo@example.com", "expires": "2099-01-01", "stacks": ["test"]}]}})
    return result, with_exception, r


def test_pack_passes_guards_that_refuse_what_their_zone_must_not_serve(pack):
    result, _, r = pack
    for key in ("ok_us", "ok_eu", "ok_in", "ok_gcp_rules"):
        assert not on(result, RULE, r[key]), on(result, RULE, r[key])
    assert any("does not refuse" in m and "IN" in m for m in on(result, RULE, r["preview_gcp_rules"]))


def test_pack_fails_a_missing_or_partial_guard_and_one_that_refuses_its_own_zone(pack):
    result, _, r = pack
    assert any("has no edge guard" in m for m in on(result, RULE, r["none_us"]))
    partial = " ".join(on(result, RULE, r["partial_us"]))
    assert "does not refuse" in partial and "SE" in partial and "IN" in partial
    assert any("refuses its own zone's countries DE" in m for m in on(result, RULE, r["own_eu"]))
    # A GCP backend of strict zone eu with no Cloud Armor policy must still refuse India.
    assert any("no Cloud Armor security policy" in m for m in on(result, RULE, r["none_gcp"]))
    levels = {d.level for d in by_policy(result, RULE)}
    assert levels == {"mandatory"}


def test_pack_unknown_values_are_advisory():
    """An association whose target is unknown and traceable to no resource: the ALB might be it."""
    s = Stack()
    lb = _aws_cell(s, "aws-us-west-1", "us", "us-west-1", [EU, ["IN"]], known=False)
    eu = _aws_cell(s, "aws-eu-central-1", "eu", "eu-central-1", [["IN"]])
    result = analyze(PACK, s.resources)
    assert not on(result, RULE, lb) and not on(result, RULE, eu)
    advisory = on(result, "residency-cannot-verify", lb)
    assert any(RULE in m and "unknown at preview" in m for m in advisory), advisory


def test_pack_decides_at_preview_through_property_dependencies(pack):
    """A real first preview knows no ARN, but knows which ALB and ACL the association's ARNs come from."""
    result, _, r = pack
    assert not on(result, RULE, r["preview_ok"])
    assert any("does not refuse" in m and "IN" in m for m in on(result, RULE, r["preview_bad"]))
    assert not any(RULE in m for m in on(result, "residency-cannot-verify", r["preview_ok"]))


def test_pack_an_active_exception_lets_its_zone_into_the_fallback_cell(pack):
    _, with_exception, r = pack
    assert not any("eu" in m and "no edge guard" in m for m in on(with_exception, RULE, r["none_us"]))
    # ...which does not excuse it from refusing India.
    assert any("strict zone(s) in" in m for m in on(with_exception, RULE, r["none_us"]))


def _policy_resources(run, drop=(), edit=None) -> list[PolicyResource]:
    """The dev stack's captured resources as the analyzer receives them, optionally crippled."""
    out = []
    for r in run.resources:
        if r["type"] in drop:
            continue
        inputs, outputs = dict(r["inputs"] or {}), dict(r.get("outputs") or {})
        if edit and r["type"] in edit:
            inputs, outputs = edit[r["type"]](inputs), edit[r["type"]](outputs)
        out.append(PolicyResource(urn=r["urn"], type=r["type"], name=r["name"], inputs=inputs, outputs=outputs,
                                  parent=r.get("parent"), provider=r.get("provider"), protect=r.get("protect", False),
                                  dependencies=r.get("dependencies") or []))
    return out


def test_pack_judges_the_guards_the_dev_cells_really_build(dev):
    """Not vacuous: the same resources with each cloud's guard taken away or emptied fail, cell by cell."""
    assert not by_policy(analyze(PACK, _policy_resources(dev)), RULE)
    crippled = analyze(PACK, _policy_resources(
        dev, drop=("aws:wafv2/webAclAssociation:WebAclAssociation",),
        edit={"gcp:compute/regionBackendService:RegionBackendService":
              lambda p: {k: v for k, v in p.items() if k != "securityPolicy"},
              "azure-native:network:WebApplicationFirewallPolicy":
              lambda p: {k: v for k, v in p.items() if k != "customRules"}}))
    found = {d.urn.rsplit("::", 1)[-1]: d.message for d in by_policy(crippled, RULE)}
    assert set(found) == {"aws-us-west-2-alb", "gcp-europe-west1-lb-backend", "azure-centralindia-appgw"}, found
    assert "no WAFv2 web ACL" in found["aws-us-west-2-alb"]
    assert "no Cloud Armor security policy" in found["gcp-europe-west1-lb-backend"]
    assert "does not refuse AT BE" in found["azure-centralindia-appgw"]


def test_report_lists_each_cells_refused_countries(dev):
    from offline import report
    from offline.engine import StackRun
    guards = dev.report["outputs"]["edge_guards"]
    assert guards["gcp-europe-west1"] == {"residency": "eu", "refused_zones": ["in"], "refused_countries": ["IN"]}
    assert guards["azure-centralindia"]["refused_countries"] == sorted(catalog.EEA_COUNTRIES)
    run = StackRun(stack="dev", project="platform", resources=[], outputs={"edge_guards": guards}, config={})
    md = report.to_markdown(run, [])
    assert "| gcp-europe-west1 | eu | in | IN |" in md
    assert f"| aws-us-west-2 | us | eu, in | {' '.join(sorted([*catalog.EEA_COUNTRIES, 'IN']))} |" in md
    assert "    azure-centralindia (in): AT BE" in report.to_text(run, [], verbose=False)


def test_guard_inputs_are_what_the_providers_accept(dev):
    """The limits an apply would hit: names, metric names, priorities (AWS WAFv2, Cloud Armor, App Gateway WAF)."""
    import re
    acl = _inputs(dev.one("aws:wafv2/webAcl:WebAcl"))
    names = [acl["name"], *(r["name"] for r in acl["rules"]), _inputs(dev.one("aws:wafv2/ipSet:IpSet"))["name"]]
    assert all(re.fullmatch(r"[\w-]{1,128}", n) for n in names), names
    metrics = [acl["visibilityConfig"]["metricName"], *(r["visibilityConfig"]["metricName"] for r in acl["rules"])]
    assert all(re.fullmatch(r"[\w#:.\-/]{1,255}", m) for m in metrics), metrics
    assert len({r["priority"] for r in acl["rules"]}) == len(acl["rules"])
    assert {b["key"] for b in acl["customResponseBodies"]} == {
        r["action"]["block"]["customResponse"]["customResponseBodyKey"] for r in acl["rules"]
        if "customResponseBodyKey" in r.get("action", {}).get("block", {}).get("customResponse", {})}
    assert all(len(b["content"]) <= 4096 for b in acl["customResponseBodies"])
    policy = _gcp_policy(dev)
    priorities = [r["priority"] for r in policy["rules"]]
    assert len(set(priorities)) == len(priorities) and max(priorities) == 2147483647
    waf = _inputs(dev.one("azure-native:network:WebApplicationFirewallPolicy"))
    custom = waf["customRules"]
    assert all(re.fullmatch(r"[A-Za-z0-9]{1,128}", r["name"]) for r in custom), [r["name"] for r in custom]
    assert len({r["priority"] for r in custom}) == len(custom) and all(1 <= r["priority"] <= 100 for r in custom)


def test_aws_common_rule_set_does_not_refuse_large_inference_bodies(dev):
    acl = _inputs(dev.one("aws:wafv2/webAcl:WebAcl"))
    managed = next(r for r in acl["rules"] if "managedRuleGroupStatement" in r["statement"])
    overrides = managed["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"]
    assert {"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}} in overrides
