"""Where the key a resource's encryption setting names lives: an AWS KMS ARN's region, a Cloud KMS
key name's location, an Azure vault's location, or the key resource the property depends on.

A model of the stack (like route53.py's DnsModel), used by the key and replication rules.
"""
from __future__ import annotations

import re
from typing import Optional

import cloud_facts
from stack_view import Res, StackView
from zones import Location, is_unknown, parse_location

# Encryption keys and their containers, from the cloud plugins (cloud_facts.py).
KEY_TYPES = cloud_facts.KEY_TYPES

_AWS_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d*:(key|alias)/")
_AZURE_VAULT = re.compile(r"^https://([a-z0-9-]+)\.vault\.azure\.net|/vaults/([A-Za-z0-9-]+)", re.I)


def subject(view: StackView, r: Res, prop: Optional[str]) -> Res:
    """The resource a setting resource configures (`prop` names it, e.g. `bucket`), else `r` itself."""
    if prop:
        deps = view.deps_of(r, prop)
        if deps:
            return deps[0]
    return r


def _vault(view: StackView, name: str) -> Optional[Res]:
    for v in view.resources:
        if v.type == "azure-native:keyvault:Vault" and str(v.props.get("vaultName") or v.props.get("name") or "").lower() == name.lower():
            return v
    return None


def key_location(view: StackView, owner: Res, prop: str, value) -> tuple[Optional[Location], Optional[Res]]:
    """Where the key a reference names lives, and the key resource when it is in the stack.

    (None, None) means "same place as `owner`" (an AWS key id or alias without an ARN is
    resolved in the caller's own region)."""
    key_res = next((d for d in view.deps_of(owner, prop) if d.type in KEY_TYPES), None)
    if is_unknown(value):
        if key_res is not None:
            return view.location_of(key_res), key_res
        return Location("unknown", "<unknown>", source=f"{prop} unknown during preview"), None
    text = str(value)
    m = _AWS_KMS_ARN.match(text)
    if m:
        return parse_location(m.group(1), "key ARN"), key_res
    if ((cloud_facts.cloud(owner.package) or {}).get("location") or {}).get("locator") == "arn-region":
        # A key id or alias without an ARN (the ARN-located cloud's other forms) is in the owner's region.
        return None, key_res
    m = re.search(r"locations/([^/]+)/keyRings/", text)
    if m:
        return parse_location(m.group(1), "key name"), key_res
    m = _AZURE_VAULT.search(text)
    if m:
        vault = _vault(view, m.group(1) or m.group(2))
        if vault is None and key_res is not None:
            vault = key_res
        if vault is not None:
            return view.location_of(vault), vault
        return Location("unrecognized", text, source=f"vault {m.group(1) or m.group(2)} is not in this stack"), None
    if key_res is not None:
        return view.location_of(key_res), key_res
    return Location("unrecognized", text, source="key reference"), None


