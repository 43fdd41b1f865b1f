"""pulumi-random's RandomId: what the provider returns (crypto/rand bytes, kept in state), offline a stable
digest of the resource name so runs repeat. Outputs as the provider's schema names them: `hex` (2 chars
per byte), `dec`, `b64Std`, `b64Url`, with an optional `prefix` on `hex` and `dec`."""
from __future__ import annotations

import base64

from .registry import MockContext, resource, stable_hex


@resource("random:index/randomId:RandomId")
def random_id(ctx: MockContext, name: str, inputs: dict):
    n = int(inputs.get("byteLength") or 0)
    raw = bytes.fromhex(stable_hex(ctx.stack, name, n=2 * max(n, 1)))[:n]
    prefix = inputs.get("prefix") or ""
    b64 = base64.b64encode(raw).decode()
    out = dict(inputs, hex=prefix + raw.hex(), dec=prefix + str(int.from_bytes(raw, "big")), b64Std=b64,
               b64Url=base64.urlsafe_b64encode(raw).decode().rstrip("="))
    return out["b64Url"], out
