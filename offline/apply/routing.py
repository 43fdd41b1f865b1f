"""Route 53 routing policies: one per record name, and what a routing-mode switch does at apply.

Route 53 keeps every record set of one name and type under one routing policy: a weighted record
cannot be created while failover (or simple, latency, geolocation...) records of that name and
type exist, and vice versa (ChangeResourceRecordSets answers InvalidChangeBatch, "... cannot be
created because a non-weighted/failover set exists with the same name and type"; the Route 53 API
reference, ResourceRecordSet; github.com/kubernetes-sigs/external-dns/issues/4345). The provider changes one record per call,
so a program that moves the records of one name from one policy to another (a routing-mode switch:
`platform:dns.routing` or `platform:dns.within_zone`) fails at the first record it updates, halfway,
with the name's other records still on the old policy.

- `route53-one-routing-policy-per-name` (a rule over one run): the records of one zone, name and
  type declare one routing policy.
- `policy_switches(old, new)` (run by `python -m offline diff` on the two sides): every name and
  type whose records change routing policy between the base and the working tree; the diff gate
  fails on them (a preview of one side cannot see a switch).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Optional

from . import Graph, known, rule

RECORD = "aws:route53/record:Record"
DOC = "https://docs.aws.amazon.com/Route53/latest/APIReference/API_ResourceRecordSet.html"
# The routing-policy inputs of aws:route53/record:Record (tests/test_apply.py checks them
# against the provider schema): the policy of a record is the one it sets, "simple" when none.
POLICY_INPUTS = {
    "cidrRoutingPolicy": "cidr", "failoverRoutingPolicies": "failover", "geolocationRoutingPolicies": "geolocation",
    "geoproximityRoutingPolicy": "geoproximity", "latencyRoutingPolicies": "latency",
    "multivalueAnswerRoutingPolicy": "multivalue", "weightedRoutingPolicies": "weighted",
}
SWITCH_FIX = ("keep the mode, or switch it in a change of its own that gives the new mode's records new "
              "names: the records of one name are changed one API call at a time, so Route 53 refuses the "
              "first one of the new policy; delete the name's records first (`pulumi destroy --target` on "
              "each URN listed, then `pulumi up`) only where a pause of that name's answers is acceptable")


def policy_of(inputs: dict) -> str:
    for key, policy in POLICY_INPUTS.items():
        value = (inputs or {}).get(key)
        if value not in (None, False, [], {}):
            return policy
    return "simple"


def _key(r: dict) -> Optional[tuple[str, str, str]]:
    i = r.get("inputs") or {}
    name, type_, zone = i.get("name"), i.get("type"), i.get("zoneId")
    if not all(known(v) and isinstance(v, str) for v in (name, type_, zone)):
        return None  # unknown during preview: judged at apply, not guessed here
    return zone, name.rstrip(".").lower(), type_.upper()


def _groups(resources: Iterable[dict]) -> dict[tuple, list[dict]]:
    out: dict[tuple, list[dict]] = defaultdict(list)
    for r in resources:
        if r.get("type") == RECORD:
            k = _key(r)
            if k is not None:
                out[k].append(r)
    return out


@rule("route53-one-routing-policy-per-name",
      "The Route 53 records of one zone, name and type use one routing policy",
      DOC, fix="give the records of each policy their own name (a record set name per mode), or one policy to all "
               "records of the name")
def one_policy(g: Graph):
    for (zone, name, type_), records in sorted(_groups(g.resources).items()):
        policies = {r["urn"]: policy_of(r.get("inputs") or {}) for r in records}
        if len(set(policies.values())) > 1:
            summary = ", ".join(f"{r['name']}: {policies[r['urn']]}" for r in records)
            for r in records:
                yield r["urn"], (f"{type_} {name} holds records of {len(set(policies.values()))} routing policies "
                                 f"({summary}); Route 53 refuses every record of a policy other than the first "
                                 f"created")


def policy_switches(old: list[dict], new: list[dict]) -> list[dict]:
    """The names whose records change routing policy from `old` to `new` (report resources):
    [{"rule", "urn", "level", "message", "fix"}], one per record of the new side at such a name."""
    before, after = _groups(old), _groups(new)
    out = []
    for key in sorted(set(before) & set(after)):
        was = {policy_of(r.get("inputs") or {}) for r in before[key]}
        now = {policy_of(r.get("inputs") or {}) for r in after[key]}
        if was == now:
            continue
        zone, name, type_ = key
        for r in after[key]:
            out.append({"rule": "route53-routing-policy-switch", "urn": r["urn"], "level": "error",
                        "message": (f"{type_} {name}: routing policy {'/'.join(sorted(was))} -> "
                                    f"{'/'.join(sorted(now))} on the same name; the provider updates one record "
                                    f"at a time and Route 53 refuses a record whose policy differs from the "
                                    f"name's other records, so the apply stops halfway"),
                        "fix": SWITCH_FIX})
    return out
