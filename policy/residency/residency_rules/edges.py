"""residency-no-global-tls-edge: no global edge (CloudFront, GCP global external HTTPS LB, Front Door)
terminates TLS in front of a strict zone, nor fronts a strict zone's origin."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from endpoints import Endpoints, Owner
from route53 import norm_name
from stack_view import Res, StackView, dig, region_in_hostname, what
from zones import Zones, is_unknown, region_zone

from .rule_shape import Finding, cannot_verify, violation


def _edge(r: Res) -> Optional[str]:
    p = r.props
    if r.type == "aws:cloudfront/distribution:Distribution":
        return "a CloudFront distribution terminates TLS at edge locations worldwide"
    if r.type in ("gcp:compute/targetHttpsProxy:TargetHttpsProxy", "gcp:compute/targetSSLProxy:TargetSSLProxy"):
        return "a global target proxy terminates TLS at Google front ends worldwide"
    if r.type == "gcp:compute/globalForwardingRule:GlobalForwardingRule":
        scheme = p.get("loadBalancingScheme")
        if scheme in (None, "EXTERNAL", "EXTERNAL_MANAGED"):
            return "a global external forwarding rule receives traffic at Google front ends worldwide"
    if r.type in ("azure-native:cdn:AFDEndpoint", "azure-native:frontdoor:FrontDoor"):
        return "Azure Front Door terminates TLS at edge locations worldwide"
    if r.type == "azure-native:cdn:Endpoint":
        return "an Azure CDN endpoint caches and serves its origin's content from edge locations worldwide"
    if r.type == "aws:globalaccelerator/accelerator:Accelerator":
        return "a Global Accelerator receives connections at AWS edge locations worldwide"
    return None


def check_edges(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    out = []
    endpoints = None
    for r in view.resources:
        why = _edge(r)
        if why is None:
            continue
        z = view.zone_of(r)
        if zones.strict(z.zone):
            out.append(violation(f"{what(r)} is in front of strict zone {z.zone!r} ({z.source}): {why}", r.urn))
            continue
        if r.type == "aws:cloudfront/distribution:Distribution":
            endpoints = endpoints or Endpoints(view)
            for origin in dig(r.props, "origins", "domainName"):
                if is_unknown(origin):
                    out.append(cannot_verify(f"{what(r)}: an origin is unknown during preview", r.urn))
                    continue
                owner = endpoints.values.get(norm_name(origin))
                if owner is None and region_in_hostname(origin):
                    owner = Owner(region_zone(region_in_hostname(origin)), None, "region in the hostname")
                if owner is not None and zones.strict(owner.zone):
                    out.append(violation(
                        f"{what(r)} fronts {origin} ({owner.how}) of strict zone {owner.zone!r}: {why}", r.urn))
    return out
