"""The public Route 53 hosted zone every cell's certificates are validated in.

Created by the stack (dev), or an existing zone id from `platform:dns.zone_id`
(prod: the zone outlives every stack). Route 53 is global; the provider pins
us-east-1, where its control plane and metrics live.
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_aws as aws

from ..core.config import DnsOptions

GLOBAL_REGION = "us-east-1"


def global_aws_provider(name: str = "global-aws", parent: Optional[pulumi.Resource] = None) -> aws.Provider:
    return aws.Provider(name, region=GLOBAL_REGION, opts=pulumi.ResourceOptions(parent=parent))


def public_zone(dns: DnsOptions, provider: aws.Provider, protect: bool) -> pulumi.Output[str]:
    """Zone id of the public zone for `dns.domain`: the configured one, or a new (protected in prod) zone."""
    if dns.zone_id:
        return pulumi.Output.from_input(dns.zone_id)
    zone = aws.route53.Zone(
        "public-zone",
        name=dns.domain,
        comment=f"Global name of the inference platform ({dns.domain}); managed by Pulumi",
        opts=pulumi.ResourceOptions(provider=provider, protect=protect),
    )
    delegation = None
    if dns.parent_zone_id:
        # The delegation: without NS records in the parent nobody resolves the new zone, so ACM waits its
        # 72 h and fails, and every health check fails. 2 days is the TTL Route 53 gives the zone's own NS
        # set; a parent in another account needs this stack's provider to be allowed into that zone.
        delegation = aws.route53.Record(
            "public-zone-delegation",
            zone_id=dns.parent_zone_id, name=dns.domain, type="NS", ttl=172800,
            records=zone.name_servers,
            opts=pulumi.ResourceOptions(provider=provider, parent=zone))
    # Whoever delegates by hand (no parent zone in this account) needs these; a key with an underscore
    # never collides with a cell's export.
    pulumi.export("zone_name_servers", zone.name_servers)
    if delegation is not None:
        # Whatever validates a name in the zone (ACM records, the Azure cells' ACME DNS-01
        # certificate) uses the zone id only once the parent delegates to it; otherwise a validation
        # started before the NS record exists can time out. The id carries the record as a dependency.
        return pulumi.Output.all(zone.zone_id, delegation.id).apply(lambda ids: ids[0])
    return zone.zone_id
