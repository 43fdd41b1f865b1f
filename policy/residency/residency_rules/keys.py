"""residency-key-in-zone: the key that encrypts a bucket, disk or cluster lies in the resource's zone
(where a reference names it: key_refs.py)."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from key_refs import key_location, subject
from stack_view import StackView, dig, what
from zones import GLOBAL_ZONE, Zones, is_unknown

from .common import judge
from .rule_shape import Finding, violation

# type -> (property of the encrypted subject or None for itself, [paths to the key reference])
ENCRYPTION_KEYS: dict[str, tuple[Optional[str], list[tuple[str, ...]]]] = {
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        ("bucket", [("rules", "applyServerSideEncryptionByDefault", "kmsMasterKeyId")]),
    "aws:s3/bucket:Bucket": (None, [("serverSideEncryptionConfiguration", "rule", "applyServerSideEncryptionByDefault",
                                     "kmsMasterKeyId")]),
    "aws:eks/cluster:Cluster": (None, [("encryptionConfig", "provider", "keyArn")]),
    "aws:ebs/volume:Volume": (None, [("kmsKeyId",)]),
    "aws:dynamodb/table:Table": (None, [("serverSideEncryption", "kmsKeyArn")]),
    "gcp:storage/bucket:Bucket": (None, [("encryption", "defaultKmsKeyName")]),
    "gcp:container/cluster:Cluster": (None, [("databaseEncryption", "keyName")]),
    "gcp:compute/disk:Disk": (None, [("diskEncryptionKey", "kmsKeySelfLink")]),
    "gcp:compute/regionDisk:RegionDisk": (None, [("diskEncryptionKey", "kmsKeyName")]),
    "azure-native:storage:StorageAccount": (None, [("encryption", "keyVaultProperties", "keyVaultUri")]),
    "azure-native:containerservice:ManagedCluster": (None, [("securityProfile", "azureKeyVaultKms", "keyId"),
                                                            ("securityProfile", "azureKeyVaultKms", "keyVaultResourceId")]),
    "azure-native:compute:DiskEncryptionSet": (None, [("activeKey", "keyUrl"), ("activeKey", "sourceVault", "id")]),
}


def check_keys(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    out = []
    for r in view.resources:
        spec = ENCRYPTION_KEYS.get(r.type)
        if spec is None:
            continue
        encrypted = subject(view, r, spec[0])
        zone = view.zone_of(encrypted).zone
        if zone is None or not zones.known(zone):
            continue
        for path in spec[1]:
            for value in dig(r.props, *path):
                loc, key_res = key_location(view, r, path[0], value)
                said = f"key {value if not is_unknown(value) else '<unknown>'} encrypting {what(encrypted)} (zone {zone!r})"
                if loc is not None:
                    out += judge(r, zone, loc, zones, said)
                if key_res is not None:
                    kz = view.zone_of(key_res).zone
                    if kz is not None and kz not in (zone, GLOBAL_ZONE):
                        out.append(violation(f"{said} belongs to zone {kz!r} ({key_res.name})", r.urn))
    return out
