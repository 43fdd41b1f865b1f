"""The cell's edge guard on Azure: custom rules of the Application Gateway's WAF policy.

The WAF policy itself (mode, managed rule sets, body limits) is the gateway's (`loadbalancer.py`);
this module only builds its `custom_rules`, evaluated by priority (lowest first) before the managed
rules:

- 1 `Route53HealthChecks` ALLOW: RemoteAddr in the Route 53 checkers' ranges AND RequestUri equal to
  the health path (conditions of one rule are ANDed).
- 10.. `Residency<Zone><n>` BLOCK: RemoteAddr GeoMatch the refused countries (ten per rule).
- 50 `RateLimit` BLOCK: a RateLimitRule per client address over `rate_limit` requests in five minutes.

A block answers with the policy's `customBlockResponseStatusCode`, which allows 200, 403, 405, 406 and
429 only, and applies to every block of the policy (managed rules too), as does its body: 451 is not
available, and a residency body would mislabel an OWASP block. The guard therefore keeps the
gateway's 403; the refused zone and its endpoint appear in the WAF log under the rule name.
"""
from __future__ import annotations

import pulumi_azure_native as azure

from ...contract import EdgeGuardSpec

PRIORITY_HEALTH, PRIORITY_GEO, PRIORITY_RATE = 1, 10, 50
GEO_VALUES_PER_RULE = 10


def _rule_name(*parts: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in parts)


def custom_rules(guard: EdgeGuardSpec) -> list[azure.network.WebApplicationFirewallCustomRuleArgs]:
    def cond(variable: str, operator: str, values: list[str], negate: bool = False):
        return azure.network.MatchConditionArgs(
            match_variables=[azure.network.MatchVariableArgs(variable_name=variable)], operator=operator,
            match_values=values, negation_conditon=negate)

    out = [azure.network.WebApplicationFirewallCustomRuleArgs(
        name="Route53HealthChecks", priority=PRIORITY_HEALTH, rule_type="MatchRule", action="Allow", state="Enabled",
        match_conditions=[cond("RemoteAddr", "IPMatch", list(guard.health_checker_cidrs)),
                          cond("RequestUri", "Equal", [guard.health_path])])]
    n = 0
    for z in guard.refused:
        for i in range(0, len(z.countries), GEO_VALUES_PER_RULE):
            out.append(azure.network.WebApplicationFirewallCustomRuleArgs(
                name=_rule_name("residency", z.zone, str(i // GEO_VALUES_PER_RULE)), priority=PRIORITY_GEO + n,
                rule_type="MatchRule", action="Block", state="Enabled",
                match_conditions=[cond("RemoteAddr", "GeoMatch", list(z.countries[i:i + GEO_VALUES_PER_RULE]))]))
            n += 1
    out.append(azure.network.WebApplicationFirewallCustomRuleArgs(
        name="RateLimit", priority=PRIORITY_RATE, rule_type="RateLimitRule", action="Block", state="Enabled",
        rate_limit_duration="FiveMins", rate_limit_threshold=guard.rate_limit,
        group_by_user_session=[azure.network.GroupByUserSessionArgs(
            group_by_variables=[azure.network.GroupByVariableArgs(variable_name="ClientAddr")])],
        match_conditions=[cond("RemoteAddr", "IPMatch", ["0.0.0.0/0"])]))
    return out
