"""Mocks for Pulumi's own resources and for the providers themselves."""
from __future__ import annotations


from ..cloud_facts import PACKAGES
from .registry import MockContext, resource, stable_hex


@resource("pulumi:pulumi:StackReference")
def stack_reference(ctx: MockContext, name: str, inputs: dict):
    # The engine runs the referenced stack offline (same project) and hands back its exports.
    full = inputs.get("name") or name
    stack = full.split("/")[-1]
    outputs = ctx.stack_outputs(stack)
    return full, {"name": full, "outputs": outputs, "secretOutputNames": []}


def provider(ctx: MockContext, name: str, inputs: dict):
    return stable_hex(ctx.type_, name, n=32), dict(inputs)


# Every package with a provider the registry knows (the clouds' and the non-cloud ones; not Pulumi's own nor
# this project's components).
for _pkg, _facts in PACKAGES.items():
    if _facts["kind"] not in ("engine", "component"):
        resource(f"pulumi:providers:{_pkg}")(provider)


@resource("time:index/sleep:Sleep")
def sleep(ctx: MockContext, name: str, inputs: dict):
    # pulumiverse-time: the id is the creation time (RFC 3339); offline, a fixed instant.
    return "2026-01-01T00:00:00Z", dict(inputs)


@resource("time:index/offset:Offset")
def offset(ctx: MockContext, name: str, inputs: dict):
    # pulumiverse-time: base (creation) time plus the offsets, fixed once created; offline the base is
    # the same fixed instant as Sleep's id.
    import datetime as _dt

    base = _dt.datetime.fromisoformat(str(inputs.get("baseRfc3339") or "2026-01-01T00:00:00+00:00").replace("Z", "+00:00"))
    years, months = int(inputs.get("offsetYears") or 0), int(inputs.get("offsetMonths") or 0)
    month0 = base.month - 1 + months
    at = base.replace(year=base.year + years + month0 // 12, month=month0 % 12 + 1)
    at += _dt.timedelta(days=int(inputs.get("offsetDays") or 0), hours=int(inputs.get("offsetHours") or 0),
                        minutes=int(inputs.get("offsetMinutes") or 0), seconds=int(inputs.get("offsetSeconds") or 0))
    rfc = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return rfc, {**inputs, "baseRfc3339": base.strftime("%Y-%m-%dT%H:%M:%SZ"), "rfc3339": rfc, "unix": int(at.timestamp()),
                 "year": at.year, "month": at.month, "day": at.day, "hour": at.hour, "minute": at.minute,
                 "second": at.second}
