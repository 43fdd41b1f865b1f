"""Names the cloud keeps reserved after a delete, made to vary per creation (README "Teardown").

Some names outlive their resource: a Key Vault stays soft-deleted under its name for its retention
(7-90 days, and purge protection forbids purging it sooner), a Cloud Logging bucket stays
`DELETE_REQUESTED` under its id for 7 days. A stack destroyed and created again within that window
asks for the same name and fails. So such a name carries a `creation_suffix`: random bytes kept in
the stack's state (pulumi-random `RandomId`), drawn again only when the stack is created again.

An existing stack must not be replaced by this: its resource was created under a name without the
suffix. The named resource therefore lists the name in `ignore_changes` (`keep_name`): the engine
then diffs with the name from state, so an existing stack keeps its resource (and everything that
reads the resource's name output gets the old name), while a created one takes the new name. The
offline rule `recreate-name-reserved` (offline/apply/teardown.py) checks that every reserved-after-
delete name in a destroyable stack varies this way.
"""
from __future__ import annotations

from typing import Optional

import pulumi
import pulumi_random as random

# Hex characters a suffix adds (2 per byte): enough that two creations of one stack within a
# reservation window practically never draw the same name (1 in 65,536 for 2 bytes).
SUFFIX_BYTES = 2


def creation_suffix(name: str, parent: pulumi.Resource, byte_length: int = SUFFIX_BYTES,
                    opts: Optional[pulumi.ResourceOptions] = None) -> pulumi.Output[str]:
    """Hex drawn when the stack (re)creates `parent`'s resource, stable for every later `up` (`opts`: the
    piece's own child options, aliases included; a provider of another package in them is dropped)."""
    base = pulumi.ResourceOptions(parent=parent)
    if opts is not None:
        base = pulumi.ResourceOptions.merge(opts, base)
        base.provider = None
    return random.RandomId(f"{name}-creation", byte_length=byte_length, opts=base).hex


def keep_name(*paths: str) -> pulumi.ResourceOptions:
    """Options of a resource whose name carries a `creation_suffix`: existing stacks keep their name."""
    return pulumi.ResourceOptions(ignore_changes=list(paths))
