"""The cell's edge guard on GCP: a Cloud Armor regional security policy (type CLOUD_ARMOR) on the
regional external Application Load Balancer's backend service.

Rules, evaluated by priority (lowest number first; the first match wins):

- 100..: ALLOW the Route 53 health checkers: `request.path == <health path>` AND the source in the
  checkers' published ranges (one rule per checker region: an expression has at most five
  subexpressions, so the ranges cannot all sit in one).
- 1000..: the refused countries, `origin.region_code == 'XX' || ...` five per rule, action
  `deny(403)`. Cloud Armor's deny takes 403, 404 or 502 only (Google's body, no custom one), so 451
  is not available: 403 ("forbidden") is the closest. A redirect to the zone's endpoint would move
  the client on instead of refusing it, which is not what a residency refusal should do silently.
- 2000: `throttle` per client IP above `rate_limit` requests per 300 s, exceeding requests get 429.
- 3000..: the preconfigured WAF rules (OWASP CRS 3.3, `*-v33-stable`) deny(403), or only logged
  (`preview: true`) when `managed_rules` is `count`.
- 2147483647: the default rule, ALLOW.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_gcp as gcp

from ...contract import EdgeGuardSpec, Piece
from ...core import routing
from .context import GcpContext

DEFAULT_PRIORITY = 2147483647
PRIORITY_HEALTH, PRIORITY_GEO, PRIORITY_RATE, PRIORITY_MANAGED = 100, 1000, 2000, 3000
GEO_ACTION = "deny(403)"
MAX_SUBEXPRESSIONS = 5
# Cloud Armor's preconfigured rules for the OWASP ModSecurity Core Rule Set 3.3.
PRECONFIGURED_WAF = ("sqli-v33-stable", "xss-v33-stable", "lfi-v33-stable", "rfi-v33-stable", "rce-v33-stable",
                     "methodenforcement-v33-stable", "scannerdetection-v33-stable", "protocolattack-v33-stable",
                     "sessionfixation-v33-stable")


def _expr(priority: int, action: str, expression: str, description: str, **kw) -> dict:
    return {"priority": priority, "action": action, "description": description,
            "match": {"expr": {"expression": expression}}, **kw}


def rules(guard: EdgeGuardSpec) -> list[dict]:
    """The policy's rules (snake_case args of gcp.compute.RegionSecurityPolicyRule)."""
    out = []
    for i, (region, cidrs) in enumerate(routing.edge.ROUTE53_CHECKER_RANGES.items()):
        if not set(cidrs) <= set(guard.health_checker_cidrs):
            continue
        ips = " || ".join(f"inIpRange(origin.ip, '{c}')" for c in cidrs)
        out.append(_expr(PRIORITY_HEALTH + i, "allow", f"request.path == '{guard.health_path}' && ({ips})",
                         f"Route 53 health checkers ({region}) on the health path"))
    n = 0
    for z in guard.refused:
        for j in range(0, len(z.countries), MAX_SUBEXPRESSIONS):
            chunk = z.countries[j:j + MAX_SUBEXPRESSIONS]
            out.append(_expr(PRIORITY_GEO + n, GEO_ACTION,
                             " || ".join(f"origin.region_code == '{c}'" for c in chunk),
                             f"residency: zone {z.zone} is served only at {z.endpoint}"))
            n += 1
    out.append({"priority": PRIORITY_RATE, "action": "throttle", "description": "per-client rate limit",
                "match": {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}},
                "rate_limit_options": {"conform_action": "allow", "exceed_action": "deny(429)", "enforce_on_key": "IP",
                                       "rate_limit_threshold": {"count": guard.rate_limit,
                                                                "interval_sec": guard.RATE_WINDOW_SECONDS}}})
    for k, rule_set in enumerate(PRECONFIGURED_WAF):
        out.append(_expr(PRIORITY_MANAGED + k, "deny(403)", f"evaluatePreconfiguredWaf('{rule_set}')",
                         f"managed rules: {rule_set}", preview=guard.managed_rules == "count"))
    out.append({"priority": DEFAULT_PRIORITY, "action": "allow", "description": "default: allow",
                "match": {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}}})
    return out


@dataclass(frozen=True)
class EdgeGuardArgs:
    ctx: GcpContext
    guard: EdgeGuardSpec
    depends_on: tuple[pulumi.Resource, ...] = ()   # the Compute API


class EdgeGuard(Piece):
    """The regional security policy and its rules, one `RegionSecurityPolicyRule` each; the load balancer's
    backend service names the policy (`self_link`, which carries the rules as dependencies, so the backend
    switches to the policy only once every rule is in it).

    Separate rule resources, not the policy's inline `rules`: the provider updates inline rules by
    diffing the whole list, and an edit to one rule can leave the policy with stale or missing rules
    (hashicorp/terraform-provider-google#26062); a rule resource is added, patched and removed on its own
    (compute regionSecurityPolicies addRule / patchRule / removeRule). The default rule (priority
    2147483647) exists from the policy's creation; its resource patches it (the provider's documented
    "default rule" form).

    A new policy, not the inline one kept by alias: the old policy's inline rules stay on the server when
    its `rules` input goes away (the field is computed), and adding rule resources at the same priorities
    would fail (a priority already in use). So the policy carries a new name: `up` creates it with its
    rules, moves the backend service to it, then deletes the old one (not stateful: it holds no data).
    """

    TYPE = "platform:gcp:EdgeGuard"
    RULE_TYPE = "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule"

    def __init__(self, name: str, args: EdgeGuardArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx = args.ctx
        self.policy = gcp.compute.RegionSecurityPolicy(
            f"{ctx.cell}-edge-policy", project=ctx.project, region=ctx.region, type="CLOUD_ARMOR",
            description=f"Edge guard of cell {ctx.cell}: residency, rate limit, managed rules",
            opts=ctx.opts(self, depends_on=args.depends_on))
        self.rules = [
            gcp.compute.RegionSecurityPolicyRule(
                f"{ctx.cell}-edge-rule-{rule['priority']}", project=ctx.project, region=ctx.region,
                security_policy=self.policy.name, **rule, opts=ctx.opts(self))
            for rule in rules(args.guard)]
        self.self_link = pulumi.Output.all(self.policy.self_link, *[r.id for r in self.rules]).apply(lambda a: a[0])
        self.register_outputs({"self_link": self.self_link})
