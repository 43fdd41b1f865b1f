"""residency-dns-in-zone: DNS failover and geolocation never send a strict zone's countries to
another zone's cell, Route 53 fallback included (route53.py evaluates the records, endpoints.py
says who owns an answer); and the approved exceptions the stack's DNS relies on."""
from __future__ import annotations

import datetime as dt

from endpoints import Endpoints
from route53 import DnsModel
from stack_view import StackView
from zones import Zones, countries_of_zone, is_unknown

from .rule_shape import Finding, cannot_verify, violation

def _countries(cs: list[str]) -> str:
    shown = ", ".join(cs[:6])
    return f"{len(cs)} countries ({shown}{', ...' if len(cs) > 6 else ''})"


APPROVALS_HINT = ("approve it in the residency pack's config: an `exceptions` entry {zone, fallback_cell, reason, "
                  "approver, expires} (policy/residency/approvals.json, owned by the residency approvers in "
                  ".github/CODEOWNERS); the stack cannot approve itself")


def check_dns(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    return _dns(view, zones, today)[0]


def check_exceptions_in_use(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    """One finding per approved exception this stack's DNS relies on (reported, advisory)."""
    uses = _dns(view, zones, today)[1]
    out = []
    for e, (urns, paths) in uses.items():
        shown = "; ".join(sorted(paths)[:3]) + (" ..." if len(paths) > 3 else "")
        out.append(violation(f"approved: zone {e.zone!r} may fall back to {e.fallback_cell!r} until "
                             f"{e.expires.isoformat()} (approved by {e.approver}; reason: {e.reason}) through {shown}",
                             sorted(urns)[0]))
    return out


def _dns(view: StackView, zones: Zones, today: dt.date):
    out = []
    uses: dict = {}  # approved exception -> (entry URNs, paths) it allows
    for e in zones.expired_exceptions(today, view.stack):
        out.append(violation(f"{e.describe()} expired on {e.expires.isoformat()} and no longer applies; "
                             "renew it (new expiry, approver) or remove it"))
    model = DnsModel.build(view)
    if not model.sets:
        return out, uses
    endpoints = Endpoints(view)
    candidate_zones = set(endpoints.cells.values()) | {o.zone for o in endpoints.values.values() if o.zone}
    strict = sorted(z for z in candidate_zones if zones.strict(z))
    active, expired = zones.active_exceptions(today, view.stack), zones.expired_exceptions(today, view.stack)
    for root in model.roots():
        for zone in strict:
            leaks: dict[tuple, list[str]] = {}
            blind: dict[tuple, Finding] = {}
            served = False
            for country in countries_of_zone(zone):
                for leaf in model.reach(root, country):
                    owner = endpoints.owner(leaf)
                    target = leaf.target.value if not is_unknown(leaf.target.value) else "<unknown>"
                    path = leaf.entry.label() + ("" if leaf.record is leaf.entry else f" -> {leaf.record.label()}")
                    if owner.unknown:
                        blind[(leaf.entry.res.urn, path)] = cannot_verify(
                            f"cannot verify where {path} sends zone {zone!r} traffic: target unknown during preview",
                            leaf.entry.res.urn)
                        continue
                    if owner.zone == zone:
                        served = True
                        continue
                    # The approval names a cell: match it against the cell the record actually sends the
                    # traffic to (or, for a target no cell owns, the target itself), never the record's own
                    # set identifier or resource name, which its author chooses.
                    names = {owner.cell} if owner.cell else {str(target)}
                    approved = [e for e in active if e.zone == zone and e.fallback_cell in names]
                    if approved:
                        urns, paths = uses.setdefault(approved[0], (set(), set()))
                        urns.add(leaf.entry.res.urn)
                        paths.add(path)
                        continue
                    key = (leaf.entry.res.urn, path, owner.zone, owner.cell or str(target), owner.how)
                    leaks.setdefault(key, []).append(country)
            if not served:
                continue  # this name does not serve the zone at all: it is not the zone's route
            out += blind.values()
            for (urn, path, ozone, who, how), countries in leaks.items():
                late = [e for e in expired if e.zone == zone and e.fallback_cell == who]
                if ozone is None:
                    msg = (f"strict zone {zone!r}: {_countries(countries)} can be answered with {who} through {path}, "
                           f"and no cell or zone can be found for it (fail closed)")
                else:
                    msg = (f"strict zone {zone!r}: {_countries(countries)} can be answered with cell {who} of zone "
                           f"{ozone!r} ({how}) through {path}")
                if late:
                    msg += f"; {late[0].describe()} expired on {late[0].expires.isoformat()} and no longer applies"
                msg += f"; unapproved: if this fallback is intended, {APPROVALS_HINT}"
                out.append(violation(msg, urn))
    return out, uses

