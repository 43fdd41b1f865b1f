"""What every piece of an AWS cell shares: the region's provider, the account it resolves to, and
whether stateful resources are protected (prod).

A cell has one context per region it builds in: its own region, and the replica region of a
geo-redundant model bucket (`replication.py`). Every piece's Args carries the context it builds with,
so a piece never reaches for a provider or an account of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_aws as aws

from ...contract import child_options
from .iam import AccountContext


@dataclass(frozen=True)
class AwsContext:
    provider: aws.Provider
    account: AccountContext
    protect: bool

    @property
    def region(self) -> str:
        return self.account.region

    def opts(self, parent: pulumi.Resource, *, stateful: bool = False,
             opts: Optional[pulumi.ResourceOptions] = None, **kw: Any) -> pulumi.ResourceOptions:
        """Options of a piece's child: under `parent`, with this region's provider, protected in prod
        when it holds state (`contract.child_options`, the one rule); `opts`/`kw` add plain options."""
        return child_options(parent, self.protect, stateful, opts, provider=self.provider, **kw)

    def invoke(self, parent: pulumi.Resource) -> pulumi.InvokeOutputOptions:
        return pulumi.InvokeOutputOptions(provider=self.provider, parent=parent)
