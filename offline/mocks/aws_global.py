"""Mocks for AWS's global services (Route 53, CloudWatch alarms and SNS of the global layer)."""
from __future__ import annotations

from .registry import AWS_ACCOUNT_ID, MockContext, resource, stable_hex


@resource("aws:route53/zone:Zone")
def hosted_zone(ctx: MockContext, name: str, inputs: dict):
    zone_id = "Z" + stable_hex(ctx.stack, inputs.get("name", name), n=20).upper()
    ns = [f"ns-{100 + i}.awsdns-{10 + i}.{tld}" for i, tld in enumerate(("com", "net", "org", "co.uk"))]
    return zone_id, {**inputs, "zoneId": zone_id, "nameServers": ns,
                     "arn": f"arn:aws:route53:::hostedzone/{zone_id}", "primaryNameServer": ns[0]}
