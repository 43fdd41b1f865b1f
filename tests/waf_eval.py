"""A pure evaluator of the edge-guard rules the cells build, over the captured resource inputs (wire
names, as the engine records them): what each cloud's WAF does with one request.

It understands exactly the rule shapes the guards use and raises on anything else, so a guard
that starts using a new shape fails its tests instead of being judged wrongly.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    country: str          # where the client address geolocates
    ip: str
    path: str
    rate: int = 1         # requests this client sent in the last 5 minutes
    malicious: bool = False  # matches the managed core rule set


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    status: int
    rule: str


def _in(ip: str, cidrs) -> bool:
    return any(ipaddress.ip_address(ip) in ipaddress.ip_network(c) for c in cidrs)


# ---- AWS WAFv2 -------------------------------------------------------------------------------

def _aws_statement(st: dict, req: Request, ip_sets: dict) -> bool:
    (kind, body), = st.items()
    if kind == "andStatement":
        return all(_aws_statement(s, req, ip_sets) for s in body["statements"])
    if kind == "ipSetReferenceStatement":
        return _in(req.ip, ip_sets[body["arn"]])
    if kind == "byteMatchStatement":
        assert body["fieldToMatch"] == {"uriPath": {}} and body["positionalConstraint"] == "EXACTLY", body
        return req.path == body["searchString"]
    if kind == "geoMatchStatement":
        return req.country in body["countryCodes"]
    if kind == "rateBasedStatement":
        assert body["aggregateKeyType"] == "IP", body
        return req.rate > body["limit"]
    if kind == "managedRuleGroupStatement":
        return req.malicious
    raise ValueError(f"statement not understood: {kind}")


def aws(acl: dict, ip_sets: dict, req: Request) -> Verdict:
    for rule in sorted(acl["rules"], key=lambda r: r["priority"]):
        if not _aws_statement(rule["statement"], req, ip_sets):
            continue
        if "overrideAction" in rule:  # a rule group: `count` only logs
            if "count" in rule["overrideAction"]:
                continue
            return Verdict(False, 403, rule["name"])
        action = rule["action"]
        if "allow" in action:
            return Verdict(True, 200, rule["name"])
        if "block" in action:
            custom = (action["block"] or {}).get("customResponse") or {}
            return Verdict(False, int(custom.get("responseCode", 403)), rule["name"])
        if "count" in action:
            continue
        raise ValueError(f"action not understood: {action}")
    return Verdict("allow" in acl["defaultAction"], 200 if "allow" in acl["defaultAction"] else 403, "default")


# ---- GCP Cloud Armor -------------------------------------------------------------------------

_ATOMS = [
    (re.compile(r"request\.path == '([^']*)'"), lambda m, r: r.path == m.group(1)),
    (re.compile(r"origin\.region_code == '([A-Z]{2})'"), lambda m, r: r.country == m.group(1)),
    (re.compile(r"inIpRange\(origin\.ip, '([0-9./]+)'\)"), lambda m, r: _in(r.ip, [m.group(1)])),
    (re.compile(r"evaluatePreconfiguredWaf\('([a-z0-9-]+)'\)"), lambda m, r: r.malicious),
]


def _subexpressions(expr: str) -> int:
    return sum(len(p.findall(expr)) for p, _ in _ATOMS)


def cel(expr: str, req: Request) -> bool:
    """`a && (b || c)`-shaped expressions of the atoms above (no negation, no other functions)."""
    lexer = re.compile("|".join([*(f"(?:{p.pattern})" for p, _ in _ATOMS), r"\(", r"\)", "&&", r"\|\|", r"\s+"]))
    tokens, at = [], 0
    while at < len(expr):
        m = lexer.match(expr, at)
        if m is None:
            raise ValueError(f"expression not understood at {expr[at:]!r}")
        if m.group().strip():
            tokens.append(m.group())
        at = m.end()
    pos = 0

    def atom():
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            v = disj()
            assert tokens[pos] == ")", expr
            pos += 1
            return v
        for pattern, fn in _ATOMS:
            m = pattern.fullmatch(tok)
            if m:
                return fn(m, req)
        raise ValueError(f"expression not understood: {tok!r} in {expr!r}")

    def conj():
        nonlocal pos
        v = atom()
        while pos < len(tokens) and tokens[pos] == "&&":
            pos += 1
            v = atom() and v
        return v

    def disj():
        nonlocal pos
        v = conj()
        while pos < len(tokens) and tokens[pos] == "||":
            pos += 1
            v = conj() or v
        return v

    result = disj()
    assert pos == len(tokens), expr
    return result


def gcp(policy: dict, req: Request) -> Verdict:
    for rule in sorted(policy["rules"], key=lambda r: r["priority"]):
        match = rule["match"]
        if "expr" in match:
            hit = cel(match["expr"]["expression"], req)
        else:
            assert match["versionedExpr"] == "SRC_IPS_V1", match
            ranges = match["config"]["srcIpRanges"]
            hit = ranges == ["*"] or _in(req.ip, ranges)
        if not hit or rule.get("preview"):
            continue
        action = rule["action"]
        if action == "throttle":
            opts = rule["rateLimitOptions"]
            if req.rate <= opts["rateLimitThreshold"]["count"]:
                continue  # conform action: the next rules still apply
            action = opts["exceedAction"]
        if action == "allow":
            return Verdict(True, 200, str(rule["priority"]))
        m = re.fullmatch(r"deny\((\d{3})\)", action)
        if m:
            return Verdict(False, int(m.group(1)), str(rule["priority"]))
        raise ValueError(f"action not understood: {action}")
    raise ValueError("no default rule")


# ---- Azure Application Gateway WAF -----------------------------------------------------------

def _azure_condition(c: dict, req: Request) -> bool:
    (var,) = [v["variableName"] for v in c["matchVariables"]]
    op, values = c["operator"], c["matchValues"]
    if (var, op) == ("RemoteAddr", "IPMatch"):
        hit = _in(req.ip, values)
    elif (var, op) == ("RemoteAddr", "GeoMatch"):
        hit = req.country in values
    elif (var, op) == ("RequestUri", "Equal"):
        hit = req.path in values
    else:
        raise ValueError(f"condition not understood: {var} {op}")
    return hit != bool(c.get("negationConditon"))


def azure(policy: dict, req: Request) -> Verdict:
    settings = policy.get("policySettings") or {}
    prevention = settings.get("state") == "Enabled" and settings.get("mode") == "Prevention"
    status = int(settings.get("customBlockResponseStatusCode") or 403)
    for rule in sorted(policy.get("customRules") or [], key=lambda r: r["priority"]):
        if rule.get("state", "Enabled") != "Enabled":
            continue
        if not all(_azure_condition(c, req) for c in rule["matchConditions"]):
            continue
        if rule["ruleType"] == "RateLimitRule" and req.rate <= rule["rateLimitThreshold"]:
            continue
        if rule["action"] == "Allow":
            return Verdict(True, 200, rule["name"])
        if rule["action"] == "Block" and prevention:
            return Verdict(False, status, rule["name"])
    if req.malicious and prevention:
        return Verdict(False, status, "managed")
    return Verdict(True, 200, "default")
