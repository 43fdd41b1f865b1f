"""The cell's edge guard on AWS: a WAFv2 regional web ACL associated with the cell's ALB.

Rules, evaluated by priority (the first terminating match wins):

0. `route53-health-checks` ALLOW: the path is exactly the workload's health path AND the source is a
   Route 53 health checker (an IP set of the published ranges): checkers probe from several
   countries, a refused one among them, and must never be refused or throttled.
1. `residency-<zone>` BLOCK, one per refused zone: geo match on the client address, custom response
   HTTP 451 with a JSON body naming that zone's own endpoint (`<zone>.pool.<public>.<domain>`).
2. `rate-limit` BLOCK with 429: a client IP over `rate_limit` requests per 5 minutes.
3. `aws-common-rule-set`: AWSManagedRulesCommonRuleSet, enforced (`block`) or count-only (`count`);
   its 8 KB body limit (`SizeRestrictions_BODY`) only counts: inference requests are larger.
Default: ALLOW.

The geo rule matches the connecting address: the ALB is internet-facing with no CDN in front, so
there is no forwarded-for header to trust.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from ...contract import EdgeGuardSpec, Piece
from .context import AwsContext

MANAGED_RULE_SET = "AWSManagedRulesCommonRuleSet"
COUNT_ONLY_RULES = ("SizeRestrictions_BODY",)
PRIORITY_HEALTH, PRIORITY_GEO, PRIORITY_RATE, PRIORITY_MANAGED = 0, 10, 50, 60


def _visibility(metric: str) -> dict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def body_key(zone: str) -> str:
    return f"residency-{zone}"


def rules(guard: EdgeGuardSpec, checkers_arn: pulumi.Input[str], prefix: str) -> list[dict]:
    """The web ACL's rules (snake_case args of aws.wafv2.WebAcl)."""
    out: list[dict] = [{
        "name": "route53-health-checks", "priority": PRIORITY_HEALTH, "action": {"allow": {}},
        "statement": {"and_statement": {"statements": [
            {"ip_set_reference_statement": {"arn": checkers_arn}},
            {"byte_match_statement": {"search_string": guard.health_path, "positional_constraint": "EXACTLY",
                                      "field_to_match": {"uri_path": {}},
                                      "text_transformations": [{"priority": 0, "type": "NONE"}]}},
        ]}},
        "visibility_config": _visibility(f"{prefix}-health-checks"),
    }]
    for i, z in enumerate(guard.refused):
        out.append({
            "name": body_key(z.zone), "priority": PRIORITY_GEO + i,
            "action": {"block": {"custom_response": {"response_code": 451, "custom_response_body_key": body_key(z.zone)}}},
            "statement": {"geo_match_statement": {"country_codes": list(z.countries)}},
            "visibility_config": _visibility(f"{prefix}-residency-{z.zone}"),
        })
    out.append({
        "name": "rate-limit", "priority": PRIORITY_RATE,
        "action": {"block": {"custom_response": {"response_code": 429}}},
        "statement": {"rate_based_statement": {"limit": guard.rate_limit, "aggregate_key_type": "IP",
                                               "evaluation_window_sec": guard.RATE_WINDOW_SECONDS}},
        "visibility_config": _visibility(f"{prefix}-rate-limit"),
    })
    out.append({
        "name": "aws-common-rule-set", "priority": PRIORITY_MANAGED,
        "override_action": {"none": {}} if guard.managed_rules == "block" else {"count": {}},
        "statement": {"managed_rule_group_statement": {
            "vendor_name": "AWS", "name": MANAGED_RULE_SET,
            # The set blocks request bodies over 8 KB; inference requests (prompts, inputs) are larger.
            "rule_action_overrides": [{"name": r, "action_to_use": {"count": {}}} for r in COUNT_ONLY_RULES]}},
        "visibility_config": _visibility(f"{prefix}-common-rule-set"),
    })
    return out


@dataclass(frozen=True)
class EdgeGuardArgs:
    ctx: AwsContext
    guard: EdgeGuardSpec             # what the web ACL enforces (contract, the same on every cloud)
    alb_arn: pulumi.Input[str]       # the load balancer it is associated with
    environment: str                 # prefixes the ACL's and IP set's names (unique per account and region)


class EdgeGuard(Piece):
    TYPE = "platform:aws:EdgeGuard"
    web_acl: aws.wafv2.WebAcl

    def __init__(self, name: str, args: EdgeGuardArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        guard, alb_arn = args.guard, args.alb_arn
        child = args.ctx.opts(self)
        prefix = f"{args.environment}-{name}"
        checkers = aws.wafv2.IpSet(
            f"{name}-route53-checkers", name=f"{prefix}-route53-checkers", scope="REGIONAL",
            ip_address_version="IPV4", addresses=list(guard.health_checker_cidrs),
            description="Route 53 health checkers (ROUTE53_HEALTHCHECKS in ip-ranges.json)", opts=child)
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-edge", name=f"{prefix}-edge", scope="REGIONAL",
            description=f"Edge guard of cell {name}: residency (451), rate limit, managed rules",
            default_action={"allow": {}},
            custom_response_bodies=[{"key": body_key(z.zone), "content": z.body(), "content_type": "APPLICATION_JSON"}
                                    for z in guard.refused],
            rules=rules(guard, checkers.arn, prefix),
            visibility_config=_visibility(f"{prefix}-edge"),
            opts=child)
        aws.wafv2.WebAclAssociation(f"{name}-edge", resource_arn=alb_arn, web_acl_arn=self.web_acl.arn, opts=child)
        self.register_outputs({"web_acl_arn": self.web_acl.arn})
