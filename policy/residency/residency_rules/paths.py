"""Paths data takes out of a store that the location rule alone does not see
(residency-data-path-in-zone): a resource can sit in its zone and still copy or route its data
elsewhere.

- Cosmos DB accounts replicate to every region in `locations` (the account's own `location` is only
  the first write region).
- Pub/Sub topics store messages in the region nearest to each publisher unless
  `messageStoragePolicy.allowedPersistenceRegions` confines them.
- CloudWatch Logs subscription filters stream a log group's events to `destinationArn` (Kinesis,
  Firehose, Lambda, a cross-account destination), whose ARN names its region.
- Aurora global databases: every member cluster of one `aws:rds/globalCluster` holds the same data.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from stack_view import StackView, what
from zones import Location, Zones, is_unknown, parse_location

from .common import judge, zoned
from .rule_shape import Finding, cannot_verify, violation

COSMOS = "azure-native:cosmosdb:DatabaseAccount"
PUBSUB_TOPIC = "gcp:pubsub/topic:Topic"
SUBSCRIPTION_FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
RDS_CLUSTER = "aws:rds/cluster:Cluster"


def _arn_region(arn: Any) -> Any:
    parts = str(arn).split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None


def _cosmos(view: StackView, r, zone: str, zones: Zones) -> list[Finding]:
    out = []
    locations = r.props.get("locations")
    if is_unknown(locations):
        return [cannot_verify(f"{what(r)}: replica locations unknown during preview", r.urn)]
    for i, loc in enumerate(locations or []):
        name = loc.get("locationName") if isinstance(loc, dict) else None
        if is_unknown(name):
            out.append(cannot_verify(f"{what(r)}: locations[{i}].locationName unknown during preview", r.urn))
        elif name:
            out += judge(r, zone, parse_location(name, f"locations[{i}].locationName"), zones,
                         f"{what(r)} (zone {zone!r}) replicates to")
    return out


def _pubsub(view: StackView, r, zone: str, zones: Zones) -> list[Finding]:
    regions = (r.props.get("messageStoragePolicy") or {}).get("allowedPersistenceRegions") \
        if not is_unknown(r.props.get("messageStoragePolicy")) else r.props.get("messageStoragePolicy")
    if is_unknown(regions):
        return [cannot_verify(f"{what(r)}: message storage regions unknown during preview", r.urn)]
    if not regions:
        return [violation(f"{what(r)} (zone {zone!r}) has no messageStoragePolicy.allowedPersistenceRegions: Pub/Sub "
                          "then stores each message in the region nearest to its publisher, anywhere", r.urn)]
    out = []
    for i, region in enumerate(regions):
        if is_unknown(region):
            out.append(cannot_verify(f"{what(r)}: allowedPersistenceRegions[{i}] unknown during preview", r.urn))
        else:
            out += judge(r, zone, parse_location(region, "allowedPersistenceRegions"), zones,
                         f"{what(r)} (zone {zone!r}) stores messages in")
    return out


def _subscription(view: StackView, r, zone: str, zones: Zones) -> list[Finding]:
    dest = r.props.get("destinationArn")
    if is_unknown(dest):
        return [cannot_verify(f"{what(r)}: destinationArn unknown during preview", r.urn)]
    region = _arn_region(dest)
    if not region:
        return [violation(f"{what(r)}: destinationArn {dest!r} names no region, so where the log events go cannot be "
                          f"shown to lie in zone {zone!r} (fail closed)", r.urn)]
    return judge(r, zone, parse_location(region, "destinationArn"), zones,
                 f"{what(r)} (zone {zone!r}) streams log events to {dest}")


def _global_clusters(view: StackView, zones: Zones) -> list[Finding]:
    """Every member of an Aurora global database lies in the zone of the global cluster (or, without
    one, of its first member): one database, one zone."""
    out = []
    members: dict[str, list] = {}
    ids = {}
    for g in view.resources:
        if g.type == GLOBAL_CLUSTER:
            ids[g.props.get("globalClusterIdentifier")] = g
    for r in view.resources:
        if r.type != RDS_CLUSTER:
            continue
        ref = r.props.get("globalClusterIdentifier")
        if ref is None:
            continue
        key = ref if not is_unknown(ref) else next(
            (u for u in r.prop_deps.get("globalClusterIdentifier", []) if view.by_urn.get(u)), None)
        if key is None:
            out.append(cannot_verify(f"{what(r)}: its global cluster is unknown during preview", r.urn))
            continue
        members.setdefault(key, []).append(r)
    for key, clusters in members.items():
        g = ids.get(key) or view.by_urn.get(key)
        anchor = g if g is not None else clusters[0]
        zone = view.zone_of(anchor).zone
        if zone is None or not zones.known(zone):
            continue  # residency-zone-known reports it
        for c in clusters:
            loc = view.location_of(c) or Location("unknown", "<none>", source="no region")
            out += judge(c, zone, loc, zones, f"{what(c)}, a member of Aurora global database {key!r} (zone {zone!r}),")
    return out


JUDGES = {COSMOS: _cosmos, PUBSUB_TOPIC: _pubsub, SUBSCRIPTION_FILTER: _subscription}


def check_paths(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    out = []
    for r, zone in zoned(view, zones, JUDGES):
        out += JUDGES[r.type](view, r, zone, zones)
    return out + _global_clusters(view, zones)
