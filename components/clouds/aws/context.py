"""What every piece of an AWS cell shares: the region's provider, the account it resolves to, and
whether stateful resources are protected (prod).

A cell has one context per region it builds in: its own region, and the replica region of a
geo-redundant model bucket (`replication.py`). Every piece's Args carries the context it builds with,
so a piece never reaches for a provider or an account of its own. Options of a piece's resources:
`PieceContext.opts` (components/clouds/context.py), the same on every cloud.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..context import PieceContext
from .iam import AccountContext


@dataclass(frozen=True)
class AwsContext(PieceContext):
    provider: aws.Provider
    account: AccountContext
    protect: bool

    @property
    def region(self) -> str:
        return self.account.region

    def invoke(self, parent: pulumi.Resource) -> pulumi.InvokeOutputOptions:
        return pulumi.InvokeOutputOptions(provider=self.provider, parent=parent)
