"""Mocks for Pulumi's own resources and for the providers themselves."""
from __future__ import annotations

import base64

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


for _pkg in ("aws", "gcp", "azure-native", "kubernetes", "random", "tls", "time"):
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


# pulumi-random's RandomId: what the provider returns (crypto/rand bytes, kept in state), offline a stable
# digest of the stack and resource name so runs repeat. Outputs as its schema names them: `hex` (2 chars per
# byte), `dec`, `b64Std`, `b64Url`, with an optional `prefix` on `hex` and `dec` (issue #33: names that vary
# per creation, components/lifecycle.py).
@resource("random:index/randomId:RandomId")
def random_id(ctx: MockContext, name: str, inputs: dict):
    n = int(inputs.get("byteLength") or 0)
    raw = bytes.fromhex(stable_hex(ctx.stack, name, n=2 * max(n, 1)))[:n]
    prefix = inputs.get("prefix") or ""
    b64 = base64.b64encode(raw).decode()
    out = dict(inputs, hex=prefix + raw.hex(), dec=prefix + str(int.from_bytes(raw, "big")), b64Std=b64,
               b64Url=base64.urlsafe_b64encode(raw).decode().rstrip("="))
    return out["b64Url"], out
