"""What every piece of a GCP cell shares: the cell's project, region, provider and labels. Options of a
piece's resources: `PieceContext.opts` (components/clouds/context.py), the same on every cloud."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_gcp as gcp

from ..context import PieceContext
from ...tags import in_form, standard_labels
from ..naming import child_name, fit, stable_digest
from .plugin import PLUGIN


@dataclass(frozen=True)
class GcpContext(PieceContext):
    cell: str
    project: str
    region: str
    environment: str
    residency: str
    provider: gcp.Provider
    protect: bool

    @property
    def labels(self) -> dict[str, str]:
        """The standard labels in GCP form, for nested label fields the transformation cannot see
        (e.g. a node pool's `nodeConfig.resourceLabels`, which land on the node VMs and disks)."""
        return in_form(standard_labels(self.environment, self.residency, self.cell), PLUGIN.label_form)

    def invoke_opts(self, depends_on: Optional[Sequence[pulumi.Resource]] = None) -> pulumi.InvokeOutputOptions:
        return pulumi.InvokeOutputOptions(provider=self.provider, depends_on=list(depends_on or []))

    def account_id(self, suffix: str) -> str:
        """A service account id (6-30 chars, [a-z][a-z0-9-]*[a-z0-9]) unique per cell and purpose.

        Cell names may be up to 22 characters; when `<cell>-<suffix>` is too long the cell part
        is shortened and a short hash of the full cell name keeps two cells apart."""
        full = child_name(self.cell, suffix)
        if len(full) <= 30:
            return full
        digest = stable_digest(self.cell, 4)
        return f"{fit(self.cell, 30 - len(suffix) - len(digest) - 2)}-{digest}-{suffix}"
