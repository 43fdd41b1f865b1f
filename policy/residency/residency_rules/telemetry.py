"""residency-telemetry-in-zone: telemetry stays in its zone: every metrics workspace, log bucket and log sink lies in its cell's zone.

Aggregated, label-only metrics may be *read* across zones by the one global dashboard (README
"Observe"); they are *stored* in the cell's zone. The only store allowed outside a zone is the
declared global dashboard data source: a resource tagged/labelled `telemetry: global-dashboard`.

"""
from __future__ import annotations

import datetime as dt
import re
from typing import Optional

import cloud_facts
from stack_view import Res, StackView
from zones import Location, Zones, is_unknown, parse_location

from .common import judge, zoned
from .rule_shape import Finding, violation

# Stores of metrics and logs, by type, from the cloud plugins (location from the resource or its
# provider, as everywhere).
TELEMETRY_STORES = cloud_facts.TELEMETRY_TYPES
# Routers of logs: where they send is judged (the destination's location).
GCP_SINKS = frozenset({"gcp:logging/projectSink:ProjectSink"})
GLOBAL_DASHBOARD_KEY, GLOBAL_DASHBOARD_VALUE = "telemetry", "global-dashboard"
_LOG_BUCKET = re.compile(r"logging\.googleapis\.com/projects/[^/]+/locations/([^/]+)/buckets/")


def is_global_dashboard_source(r: Res) -> bool:
    labels = r.props.get("tags") or r.props.get("labels") or {}
    return isinstance(labels, dict) and labels.get(GLOBAL_DASHBOARD_KEY) == GLOBAL_DASHBOARD_VALUE


def _sink_location(view: StackView, r: Res) -> Optional[Location]:
    dest = r.props.get("destination")
    if dest is None:
        return None
    if is_unknown(dest):
        return Location("unknown", "<unknown>", source="destination")
    m = _LOG_BUCKET.search(str(dest))
    if m:
        return parse_location(m.group(1), "destination log bucket")
    bucket = str(dest).removeprefix("storage.googleapis.com/")
    if bucket != str(dest):
        for other in view.resources:
            if other.type == "gcp:storage/bucket:Bucket" and other.props.get("name") == bucket:
                return view.location_of(other)
    # BigQuery, Pub/Sub or a bucket of another stack: not shown to be in the zone.
    return Location("unrecognized", str(dest), source="destination outside this stack")


def check_telemetry(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    out = []
    for r, zone in zoned(view, zones, TELEMETRY_STORES | GCP_SINKS):
        if is_global_dashboard_source(r):
            continue
        sink = r.type in GCP_SINKS
        loc = _sink_location(view, r) if sink else view.location_of(r)
        what = f"{'log sink' if sink else 'telemetry store'} {r.type.split(':')[-1]} {r.name!r} (zone {zone!r})"
        if loc is None:
            out.append(violation(f"{what} has no location, so it cannot be shown to stay in the zone", r.urn))
        elif loc.kind == "global":
            out.append(violation((
                f"{what} is in 'global' ({loc.source}): metrics and logs are stored in the cell's zone; only the "
                f"declared global dashboard data source ({GLOBAL_DASHBOARD_KEY}: {GLOBAL_DASHBOARD_VALUE}) may be global"),
                r.urn))
        else:
            out += judge(r, zone, loc, zones, what)
    return out
