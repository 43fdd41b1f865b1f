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
    return zone.zone_id
