"""residency-edge-guard: every internet-facing load balancer of a cell refuses, at its edge, the
countries its zone must not serve, and never its own zone's countries.

DNS residency is best effort (resolvers abroad, VPNs, direct calls to a cell's name); the guard is
what holds when DNS is bypassed. A cell of zone Z must refuse the countries of every strict zone
served in the stack (or listed in the pack config's `served_zones`) other than Z, minus the zones
whose active exception names the cell as its fallback. Guards read, per cloud:

- AWS: the WAFv2 web ACL associated (WebAclAssociation.resourceArn) with the ALB: BLOCK rules with
  a geoMatchStatement;
- GCP: the regional backend service's securityPolicy: enforced (not preview) deny rules whose
  expression is only `origin.region_code == 'XX'` terms joined by `||` (inline, or RegionSecurityPolicyRule
  resources of the policy);
- Azure: the Application Gateway's firewallPolicy in Prevention mode: enabled Block MatchRules with
  one RemoteAddr GeoMatch condition.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Optional

import cloud_facts
from stack_view import Res, StackView, dig, what
from zones import UNKNOWN, Zones, countries_of_zone, is_unknown

from .rule_shape import Finding, cannot_verify, violation

ALB = "aws:lb/loadBalancer:LoadBalancer"
GCP_BACKEND = "gcp:compute/regionBackendService:RegionBackendService"
AZ_GATEWAY = "azure-native:network:ApplicationGateway"
_REGION_TERM = re.compile(r"^\s*origin\.region_code\s*==\s*'([A-Z]{2})'\s*$")


def _internet_facing(r: Res) -> Optional[bool]:
    p = r.props
    if r.type == ALB:
        return p.get("loadBalancerType", "application") == "application" and not p.get("internal")
    if r.type == GCP_BACKEND:
        return p.get("loadBalancingScheme") in ("EXTERNAL", "EXTERNAL_MANAGED")
    if r.type == AZ_GATEWAY:
        pips = dig(p, "frontendIPConfigurations", "publicIPAddress")
        return bool(pips)
    return None


def _find(view: StackView, type_: str, ref, keys=("arn", "id", "selfLink", "name")) -> Optional[Res]:
    for r in view.resources:
        if r.type == type_ and any(r.props.get(k) == ref for k in keys if r.props.get(k) is not None):
            return r
    return None


def _via(view: StackView, r: Res, prop: str, type_: str, ref, keys=("arn", "id", "selfLink", "name")) -> Optional[Res]:
    """The resource of `type_` that `r.prop` names: by its value when known, else by the property's
    dependency (a real preview knows which resource an unknown ARN or id comes from)."""
    if not is_unknown(ref) and ref:
        found = _find(view, type_, ref, keys)
        if found is not None:
            return found
    for urn in r.prop_deps.get(prop, []):
        dep = view.by_urn.get(urn)
        if dep is not None and dep.type == type_:
            return dep
    return None


def _aws(view: StackView, lb: Res):
    """(refused countries, None) or (None, why), or (UNKNOWN, why)."""
    arn = lb.props.get("arn")
    assoc = [a for a in view.resources if a.type == "aws:wafv2/webAclAssociation:WebAclAssociation"
             and ((not is_unknown(arn) and a.props.get("resourceArn") == arn)
                  or lb.urn in a.prop_deps.get("resourceArn", []))]
    if not assoc:
        # An association whose target is unknown and comes from no known resource may be this ALB's.
        if any(a.type == "aws:wafv2/webAclAssociation:WebAclAssociation"
                                  and is_unknown(a.props.get("resourceArn")) and not a.prop_deps.get("resourceArn")
                                  for a in view.resources):
            return UNKNOWN, "which web ACL protects the ALB is unknown at preview"
        return None, "no WAFv2 web ACL is associated with it"
    acl = _via(view, assoc[0], "webAclArn", "aws:wafv2/webAcl:WebAcl", assoc[0].props.get("webAclArn"))
    if acl is None:
        if is_unknown(assoc[0].props.get("webAclArn")):
            return UNKNOWN, "the associated web ACL is unknown at preview"
        return None, f"the associated web ACL {assoc[0].props.get('webAclArn')} is not in the stack"
    out: set[str] = set()
    for rule in acl.props.get("rules") or []:
        if is_unknown(rule) or "block" not in (rule.get("action") or {}):
            continue
        for codes in dig(rule, "statement", "geoMatchStatement", "countryCodes"):
            if is_unknown(codes):
                return UNKNOWN, "a geo rule's countries are unknown at preview"
            out.add(codes)
    return out, None


def _gcp(view: StackView, backend: Res):
    ref = backend.props.get("securityPolicy")
    if not ref:
        return None, "no Cloud Armor security policy on the backend service"
    policy = _via(view, backend, "securityPolicy", "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy", ref,
                  ("selfLink", "id", "selfLinkWithPolicyId", "name"))
    if policy is None:
        if is_unknown(ref):
            return UNKNOWN, "the backend service's security policy is unknown at preview"
        return None, f"its security policy {ref} is not in the stack"
    out: set[str] = set()
    for rule in (policy.props.get("rules") or []) + _gcp_rule_resources(view, policy):
        if not is_unknown(rule) and is_unknown(rule.get("preview")):
            return UNKNOWN, "whether a rule only previews is unknown at preview"
        if is_unknown(rule) or rule.get("preview") or not str(rule.get("action", "")).startswith("deny"):
            continue
        expr = dig(rule, "match", "expr", "expression")
        if not expr:
            continue
        if is_unknown(expr[0]):
            return UNKNOWN, "a rule expression is unknown at preview"
        terms = [_REGION_TERM.match(t) for t in str(expr[0]).split("||")]
        if all(terms):
            out |= {t.group(1) for t in terms}
    return out, None


GCP_RULE = "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule"


def _gcp_rule_resources(view: StackView, policy: Res) -> list[dict]:
    """The policy's rules managed as separate RegionSecurityPolicyRule resources (their `securityPolicy`
    names the policy, or comes from it)."""
    names = {policy.props.get(k) for k in ("name", "id", "selfLink") if policy.props.get(k)}
    return [r.props for r in view.resources if r.type == GCP_RULE and (
        policy.urn in r.prop_deps.get("securityPolicy", [])
        or (not is_unknown(r.props.get("securityPolicy")) and r.props.get("securityPolicy") in names))]


def _azure(view: StackView, gateway: Res):
    ref = dig(gateway.props, "firewallPolicy", "id")
    if not ref:
        return None, "no WAF policy on the application gateway"
    policy = None if is_unknown(ref[0]) else _azure_policy(view, str(ref[0]))
    if policy is None:
        policy = _via(view, gateway, "firewallPolicy", "azure-native:network:WebApplicationFirewallPolicy", None)
    if policy is None:
        if is_unknown(ref[0]):
            return UNKNOWN, "the gateway's WAF policy id is unknown at preview"
        return None, f"its WAF policy {ref[0]} is not in the stack"
    settings = policy.props.get("policySettings") or {}
    if settings.get("state", "Enabled") != "Enabled" or settings.get("mode") != "Prevention":
        return set(), None  # a policy that does not block refuses nobody
    out: set[str] = set()
    for rule in policy.props.get("customRules") or []:
        if is_unknown(rule) or rule.get("action") != "Block" or rule.get("state", "Enabled") != "Enabled" \
                or rule.get("ruleType") != "MatchRule":
            continue
        conds = rule.get("matchConditions") or []
        if len(conds) == 1 and conds[0].get("operator") == "GeoMatch" and not conds[0].get("negationConditon") \
                and dig(conds[0], "matchVariables", "variableName") == ["RemoteAddr"]:
            out |= set(conds[0].get("matchValues") or [])
    return out, None


_AZ_POLICY_ID = re.compile(r"/resourceGroups/([^/]+)/providers/Microsoft\.Network/"
                           r"ApplicationGatewayWebApplicationFirewallPolicies/([^/]+)$", re.I)


def _azure_policy(view: StackView, ref: str) -> Optional[Res]:
    """The WAF policy an id names (ARM ids are case-insensitive; a stack policy's props carry no id)."""
    m = _AZ_POLICY_ID.search(ref)
    for r in view.resources:
        if r.type != "azure-native:network:WebApplicationFirewallPolicy":
            continue
        if str(r.props.get("id", "")).lower() == ref.lower():
            return r
        if m and str(r.props.get("policyName", "")).lower() == m.group(2).lower() \
                and str(r.props.get("resourceGroupName", "")).lower() == m.group(1).lower():
            return r
    return None


# How the guard of each load-balancer type is read. Which types are a cell's internet-facing load
# balancers is a cloud plugin's fact (cloud_facts.LOAD_BALANCER_TYPES); one with no reader here fails
# closed: nothing shows that it refuses anyone.
GUARDS = {ALB: _aws, GCP_BACKEND: _gcp, AZ_GATEWAY: _azure}


def _no_reader(view: StackView, lb: Res):
    return None, "the pack cannot read (no reader for this load-balancer type)"


def check_edge_guard(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    lbs = [(r, view.zone_of(r)) for r in view.resources
           if r.type in cloud_facts.LOAD_BALANCER_TYPES and _internet_facing(r) is not False]
    served = {z.zone for _, z in lbs if z.zone} | set(zones.served)
    strict = {z for z in served if zones.strict(z)}
    out = []
    for lb, z in lbs:
        if z.zone is None:
            continue  # residency-zone-known reports it
        labels = lb.props.get("tags") or lb.props.get("labels") or {}
        cell = labels.get("cell") if isinstance(labels, dict) else None
        allowed = {e.zone for e in zones.active_exceptions(today, view.stack) if cell and e.fallback_cell == cell}
        must_zones = sorted(strict - {z.zone} - allowed)
        must = {c for s in must_zones for c in countries_of_zone(s)}
        own = set(countries_of_zone(z.zone))
        refused, why = GUARDS.get(lb.type, _no_reader)(view, lb)
        if refused is UNKNOWN:
            out.append(cannot_verify(f"{what(lb)} (zone {z.zone!r}): {why}", lb.urn))
            continue
        if refused is None and lb.type not in GUARDS:
            out.append(violation((
                f"{what(lb)} of zone {z.zone!r} is a public load balancer whose edge guard the pack cannot read "
                "(no reader for its type): it cannot be shown to refuse any country, so it fails closed"), lb.urn))
            continue
        if refused is None:
            if must:
                out.append(violation((
                    f"{what(lb)} of zone {z.zone!r} has no edge guard ({why}): clients that bypass DNS from "
                    f"strict zone(s) {', '.join(must_zones)} are served out of zone"), lb.urn))
            continue
        missing = sorted(must - refused)
        if missing:
            out.append(violation((
                f"{what(lb)} of zone {z.zone!r}: its edge guard does not refuse {' '.join(missing)} "
                f"(countries of strict zone(s) {', '.join(must_zones)}), served out of zone when DNS is bypassed"),
                lb.urn))
        wrong = sorted(own & refused)
        if wrong:
            out.append(violation((
                f"{what(lb)} of zone {z.zone!r}: its edge guard refuses its own zone's countries "
                f"{' '.join(wrong)} (an outage for them)"), lb.urn))
    return out
