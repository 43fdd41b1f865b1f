"""residency-replication-in-zone: replication stays in the zone (S3 replication destinations and
replica keys, DynamoDB replicas, GCS dual-region placement, Azure geo-redundant pairs)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Optional

from key_refs import key_location, subject
from stack_view import Res, StackView, dig, what
from zones import REGIONS, Zones, is_unknown, parse_location, region_zone

from .common import judge, judge_store
from .rule_shape import Finding, cannot_verify, violation

GEO_REDUNDANT_SKUS = ("Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS", "StandardV2_GRS",
                      "StandardV2_GZRS")
_S3_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([^/]+)$")
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def _s3_destination(view: StackView, owner: Res, source: Res, value) -> tuple[Optional[Res], Optional[str]]:
    """The destination bucket resource of a replication rule, or (None, its name)."""
    name = None
    if not is_unknown(value):
        m = _S3_ARN.match(str(value))
        name = m.group(1) if m else str(value)
        for b in view.resources:
            if b.type in BUCKET_TYPES and b is not source and (b.props.get("bucket") == name or b.props.get("arn") == value):
                return b, name
    deps = [d for d in view.deps_of(owner, "rules") + view.deps_of(owner, "replicationConfiguration")
            if d.type in BUCKET_TYPES and d is not source]
    if len(deps) == 1:
        return deps[0], name
    return None, name


def _check_s3_rules(view: StackView, zones: Zones, r: Res, source: Res, zone: str, rules) -> list[Finding]:
    out = []
    for rr in rules:
        if is_unknown(rr) or not isinstance(rr, dict):
            continue
        dest = rr.get("destination") or {}
        if is_unknown(dest):
            out.append(cannot_verify(f"replication destination of {what(source)} is unknown during preview", r.urn))
            continue
        value = dest.get("bucket")
        target, name = _s3_destination(view, r, source, value)
        said = f"replication of {what(source)} (zone {zone!r}) to"
        out += judge_store(view, r, zone, zones, target, value if name is None else name, said, "bucket", shown=name)
        if target is not None:
            loc, tz = view.location_of(target), view.zone_of(target).zone
            if tz is not None and tz != zone and loc is not None and zones.allows(zone, loc):
                out.append(violation(f"{said} bucket {name or target.name!r}: the destination belongs to zone {tz!r}",
                                     r.urn))
        key = (dest.get("encryptionConfiguration") or {}).get("replicaKmsKeyId") \
            if isinstance(dest.get("encryptionConfiguration"), dict) else None
        if key is None:
            key = dest.get("replicaKmsKeyId")
        if key is not None:
            kloc, _ = key_location(view, r, "rules", key)
            if kloc is not None:
                out += judge(r, zone, kloc, zones, f"replica key {key} of {what(source)}")
    return out


def check_replication(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    out = []
    for r in view.resources:
        if r.type == "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
            source = subject(view, r, "bucket")
            zone = view.zone_of(source).zone
            if zone and zones.known(zone):
                rules = r.props.get("rules")
                if is_unknown(rules):
                    out.append(cannot_verify(f"replication rules of {what(source)} unknown during preview", r.urn))
                else:
                    out += _check_s3_rules(view, zones, r, source, zone, rules or [])
            continue
        zone = view.zone_of(r).zone
        if zone is None or not zones.known(zone):
            continue
        if r.type in BUCKET_TYPES:
            out += _check_s3_rules(view, zones, r, r, zone, dig(r.props, "replicationConfiguration", "rules"))
        elif r.type == "aws:dynamodb/table:Table":
            for region in dig(r.props, "replicas", "regionName"):
                out += judge(r, zone, parse_location(region, "replica"), zones, f"replica of {what(r)}")
        elif r.type == "gcp:storage/bucket:Bucket":
            for loc in dig(r.props, "customPlacementConfig", "dataLocations"):
                out += judge(r, zone, parse_location(loc, "dual-region data location"), zones,
                             f"dual-region placement of {what(r)}")
        elif r.type == "azure-native:storage:StorageAccount":
            sku = (r.props.get("sku") or {}).get("name") if isinstance(r.props.get("sku"), dict) else r.props.get("sku")
            if is_unknown(sku):
                out.append(cannot_verify(f"sku of {what(r)} unknown during preview", r.urn))
                continue
            if sku not in GEO_REDUNDANT_SKUS:
                continue
            loc = view.location_of(r)
            if loc is None or loc.kind != "region":
                if loc is not None and loc.kind == "unknown":
                    out.append(cannot_verify(f"{what(r)} is {sku} but its location is unknown during preview", r.urn))
                continue
            pair = REGIONS[loc.value][1].get("pair")
            said = f"{what(r)} is geo-redundant ({sku}) in {loc.value}"
            if pair is None:
                out.append(violation(f"{said}, which has no paired region in the catalog: its secondary "
                                     f"cannot be shown to lie in zone {zone!r}", r.urn))
            elif not zones.allowed_region(zone, pair):
                out.append(violation(f"{said}: Azure replicates it to the paired region {pair} ({region_zone(pair)}), "
                                     f"outside zone {zone!r}", r.urn))
    return out
