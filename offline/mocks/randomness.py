"""Mocks for pulumi_random: values of the shape and length the inputs ask for, stable run to run.

The provider draws them at create (https://www.pulumi.com/registry/packages/random/api-docs/), so a
dry run shows them unknown (offline.engine); an assume-applied run gets these values.
"""
from __future__ import annotations

import base64
import hashlib

from .registry import MockContext, resource, stable_hex, stable_uuid

LOWER, UPPER, DIGITS = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
SPECIAL = "!@#$%&*()-_=+[]{}<>:?"
# RandomPet's word lists are the provider's own (petname); two short ones keep names readable.
ADJECTIVES = ("brave", "calm", "eager", "fancy", "gentle", "happy", "jolly", "lucky", "proud", "witty")
ANIMALS = ("otter", "lynx", "heron", "panda", "koala", "gecko", "raven", "bison", "finch", "tapir")


def _bytes(ctx: MockContext, name: str, n: int) -> bytes:
    out, i = b"", 0
    while len(out) < n:
        out += hashlib.sha256(f"{ctx.stack}/{ctx.type_}/{name}/{i}".encode()).digest()
        i += 1
    return out[:n]


def _chars(ctx: MockContext, name: str, inputs: dict) -> str:
    """`length` characters, at least `min*` of each class asked for, from the allowed classes only."""
    length = int(inputs.get("length") or 16)
    classes = []
    for key, alphabet, default in (("lower", LOWER, True), ("upper", UPPER, True),
                                   ("numeric", DIGITS, True), ("special", inputs.get("overrideSpecial") or SPECIAL, True)):
        if inputs.get(key, default) is not False and alphabet:
            classes.append((alphabet, int(inputs.get("min" + key[0].upper() + key[1:]) or 0)))
    if inputs.get("number") is False:
        classes = [c for c in classes if c[0] != DIGITS]
    classes = classes or [(LOWER, 0)]
    raw = _bytes(ctx, name, length)
    picked = []
    for alphabet, minimum in classes:
        picked += [alphabet[raw[len(picked) % length] % len(alphabet)] for _ in range(minimum)]
    everything = "".join(a for a, _ in classes)
    picked += [everything[b % len(everything)] for b in raw[len(picked):length]]
    return "".join(picked[:length])


@resource("random:index/randomPassword:RandomPassword")
def password(ctx: MockContext, name: str, inputs: dict):
    result = _chars(ctx, name, inputs)
    return "none", {**inputs, "result": result, "bcryptHash": "$2a$10$" + stable_hex(ctx.stack, name, n=53)}


@resource("random:index/randomString:RandomString")
def string(ctx: MockContext, name: str, inputs: dict):
    result = _chars(ctx, name, inputs)
    return result, {**inputs, "result": result}


@resource("random:index/randomId:RandomId")
def random_id(ctx: MockContext, name: str, inputs: dict):
    raw = _bytes(ctx, name, int(inputs.get("byteLength") or 8))
    prefix = inputs.get("prefix") or ""
    url = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return prefix + url, {**inputs, "b64Url": prefix + url, "b64Std": prefix + base64.b64encode(raw).decode(),
                          "hex": prefix + raw.hex(), "dec": prefix + str(int.from_bytes(raw, "big"))}


@resource("random:index/randomBytes:RandomBytes")
def random_bytes(ctx: MockContext, name: str, inputs: dict):
    raw = _bytes(ctx, name, int(inputs.get("length") or 32))
    return "none", {**inputs, "base64": base64.b64encode(raw).decode(), "hex": raw.hex()}


@resource("random:index/randomPet:RandomPet")
def pet(ctx: MockContext, name: str, inputs: dict):
    raw = _bytes(ctx, name, 8)
    length = int(inputs.get("length") or 2)
    words = [ADJECTIVES[raw[i] % len(ADJECTIVES)] for i in range(length - 1)] + [ANIMALS[raw[7] % len(ANIMALS)]]
    if inputs.get("prefix"):
        words.insert(0, inputs["prefix"])
    result = (inputs.get("separator") or "-").join(words)
    return result, {**inputs, "separator": inputs.get("separator") or "-", "length": length}


@resource("random:index/randomInteger:RandomInteger")
def integer(ctx: MockContext, name: str, inputs: dict):
    low, high = int(inputs.get("min") or 0), int(inputs.get("max") or 0)
    result = low + int(stable_hex(ctx.stack, name, n=8), 16) % (high - low + 1) if high >= low else low
    return str(result), {**inputs, "result": result}


@resource("random:index/randomUuid:RandomUuid")
def uuid(ctx: MockContext, name: str, inputs: dict):
    result = stable_uuid(ctx.stack, ctx.type_, name)
    return result, {**inputs, "result": result}


@resource("random:index/randomShuffle:RandomShuffle")
def shuffle(ctx: MockContext, name: str, inputs: dict):
    items = list(inputs.get("inputs") or [])
    items.sort(key=lambda v: stable_hex(ctx.stack, name, str(v)))
    count = inputs.get("resultCount")
    return "-", {**inputs, "results": items[: int(count)] if count else items}
