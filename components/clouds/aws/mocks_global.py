"""Mocks for AWS's global services: Route 53 (zone, records, health checks), and the CloudWatch
alarms and SNS topic of the global layer.

Shapes follow the provider: a hosted zone id `Z…`, a record id `<zone>_<name>_<type>[_<set id>]`,
a health check id (a UUID) and ARN `arn:aws:route53:::healthcheck/<id>`, an alarm's id is its
name, a topic's id is its ARN. Names the provider auto-generates get Pulumi's `<name>-<7 hex>`.
"""
from __future__ import annotations

from .mocks import aws_region
from offline.mocks.registry import AWS_ACCOUNT_ID, MockContext, resource, stable_hex, stable_uuid

PARTITION = "aws"


def _autoname(ctx: MockContext, name: str) -> str:
    return f"{name}-{stable_hex(ctx.stack, ctx.type_, name, n=7)}"


@resource("aws:route53/zone:Zone")
def hosted_zone(ctx: MockContext, name: str, inputs: dict):
    zone_id = "Z" + stable_hex(ctx.stack, inputs.get("name", name), n=20).upper()
    ns = [f"ns-{100 + i}.awsdns-{10 + i}.{tld}" for i, tld in enumerate(("com", "net", "org", "co.uk"))]
    return zone_id, {**inputs, "zoneId": zone_id, "nameServers": ns,
                     "arn": f"arn:aws:route53:::hostedzone/{zone_id}", "primaryNameServer": ns[0]}


@resource("aws:route53/record:Record")
def route53_record(ctx: MockContext, name: str, inputs: dict):
    # Also registered by mocks.py (certificate validation records); this one, loaded later,
    # answers both the same way.
    zone, rname, rtype = inputs.get("zoneId", ""), inputs.get("name", name), inputs.get("type", "A")
    rid = "_".join(p for p in (zone, rname.rstrip("."), rtype, inputs.get("setIdentifier")) if p)
    return rid, {**inputs, "fqdn": rname.rstrip(".")}


@resource("aws:route53/healthCheck:HealthCheck")
def health_check(ctx: MockContext, name: str, inputs: dict):
    hc_id = stable_uuid(ctx.stack, "healthcheck", name)
    outputs = {**inputs, "arn": f"arn:{PARTITION}:route53:::healthcheck/{hc_id}"}
    if inputs.get("type") != "CALCULATED":
        # Provider defaults for endpoint checks.
        outputs.setdefault("requestInterval", 30)
        outputs.setdefault("failureThreshold", 3)
        outputs.setdefault("measureLatency", False)
    return hc_id, outputs


@resource("aws:cloudwatch/metricAlarm:MetricAlarm")
def metric_alarm(ctx: MockContext, name: str, inputs: dict):
    alarm = inputs.get("name") or _autoname(ctx, name)
    region = aws_region(ctx, inputs)
    return alarm, {**inputs, "name": alarm, "actionsEnabled": inputs.get("actionsEnabled", True),
                   "arn": f"arn:{PARTITION}:cloudwatch:{region}:{AWS_ACCOUNT_ID}:alarm:{alarm}"}


@resource("aws:sns/topic:Topic")
def sns_topic(ctx: MockContext, name: str, inputs: dict):
    topic = inputs.get("name") or _autoname(ctx, name)
    arn = f"arn:{PARTITION}:sns:{aws_region(ctx, inputs)}:{AWS_ACCOUNT_ID}:{topic}"
    return arn, {**inputs, "name": topic, "arn": arn, "owner": AWS_ACCOUNT_ID,
                 "signatureVersion": inputs.get("signatureVersion", 1)}


@resource("aws:sns/topicPolicy:TopicPolicy")
def sns_topic_policy(ctx: MockContext, name: str, inputs: dict):
    return inputs.get("arn", name), {**inputs, "owner": AWS_ACCOUNT_ID}


@resource("aws:sns/topicSubscription:TopicSubscription")
def sns_topic_subscription(ctx: MockContext, name: str, inputs: dict):
    arn = f"{inputs.get('topic', '')}:{stable_uuid(ctx.stack, 'subscription', name)}"
    # An email subscription waits for the recipient's confirmation.
    pending = inputs.get("protocol") in ("email", "email-json")
    return arn, {**inputs, "arn": arn, "ownerId": AWS_ACCOUNT_ID, "pendingConfirmation": pending,
                 "confirmationWasAuthenticated": False}
