"""The cell's Cloud KMS key: a key ring in the cell's own region (never `global`: residency) and one
symmetric key that encrypts the bucket, the cluster's Kubernetes secrets and the node boot disks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_gcp as gcp
import pulumiverse_time as time

from ...contract import Piece
from .context import GcpContext

ROTATION_DAYS = 90
ROTATION_PERIOD = f"{ROTATION_DAYS * 24 * 3600}s"
# A destroyed key version stays recoverable this long (the KMS default is 30 days; kept explicit).
DESTROY_SCHEDULED = f"{30 * 24 * 3600}s"
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
# IAM grants are eventually consistent: "typically within 2 minutes, occasionally 7 or more"
# (https://cloud.google.com/iam/docs/access-change-propagation). A bucket or cluster created the
# moment its agent's key grant returns can fail its first CMEK call, so it waits this long after the
# grants (on creation, and again whenever a grant is replaced: the wait's triggers are their ids).
GRANT_PROPAGATION = "120s"


@dataclass(frozen=True)
class KeyGrant:
    """A Google service agent that needs the key (`what` names the member resource)."""
    what: str
    email: pulumi.Input[str]


@dataclass(frozen=True)
class CellKeyArgs:
    ctx: GcpContext
    depends_on: tuple[pulumi.Resource, ...] = ()   # the Cloud KMS API


class CellKey(Piece):
    TYPE = "platform:gcp:Key"

    def __init__(self, name: str, args: CellKeyArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, depends_on = args.ctx, args.depends_on
        # Key rings and keys cannot be deleted in Cloud KMS, only their versions destroyed: both
        # are stateful, protected in prod, and auto-named, so that a cell destroyed and built again
        # does not collide with its predecessor's ring that lives on.
        self.key_ring = gcp.kms.KeyRing(
            f"{name}-ring", project=ctx.project, location=ctx.region,
            opts=ctx.opts(self, stateful=True, depends_on=depends_on),
        )
        self.key = gcp.kms.CryptoKey(
            f"{name}-key", key_ring=self.key_ring.id, purpose="ENCRYPT_DECRYPT",
            rotation_period=ROTATION_PERIOD, destroy_scheduled_duration=DESTROY_SCHEDULED,
            version_template=gcp.kms.CryptoKeyVersionTemplateArgs(
                algorithm="GOOGLE_SYMMETRIC_ENCRYPTION", protection_level="SOFTWARE"),
            opts=ctx.opts(self, stateful=True),
        )
        self._ctx, self._base = ctx, name
        self.register_outputs({"key": self.key.id})

    def grant(self, grant: KeyGrant) -> gcp.kms.CryptoKeyIAMMember:
        """Let a service agent encrypt/decrypt with this key only (a member, not the key's whole policy)."""
        return gcp.kms.CryptoKeyIAMMember(
            f"{self._base}-{grant.what}", crypto_key_id=self.key.id, role=ENCRYPTER_DECRYPTER,
            member=pulumi.Output.concat("serviceAccount:", grant.email),
            opts=self._ctx.opts(self),
        )

    def settled(self, what: str, grants: Sequence[gcp.kms.CryptoKeyIAMMember]) -> time.Sleep:
        """A wait after `grants` (IAM propagation), for whatever first uses the key through them."""
        return time.Sleep(
            f"{self._base}-{what}-propagation", create_duration=GRANT_PROPAGATION,
            triggers={f"grant-{i}": g.id for i, g in enumerate(grants)},
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(grants)))
