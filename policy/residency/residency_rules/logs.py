"""Logs are data: Cloud Logging buckets and the log buckets sinks route to lie in the zone
(residency-log-bucket-in-zone); diagnostic settings and AKS monitoring send a cell's logs only to a
Log Analytics workspace of its zone (residency-logs-in-zone)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Optional

from stack_view import Res, StackView, dig, what
from zones import Location, Zones, is_unknown, parse_location

from .common import judge, judge_store, zoned
from .rule_shape import Finding, cannot_verify


# ---- residency-log-bucket-in-zone -------------------------------------------------------------

# Cloud Logging buckets hold log entries (client IPs, URLs, pod output): data, even though the
# location rule lets a `global` control-plane object pass. `_Default` and `_Required` are global
# unless the organization's default storage location says otherwise.
LOG_BUCKET_TYPES = ("gcp:logging/projectBucketConfig:ProjectBucketConfig",
                    "gcp:logging/folderBucketConfig:FolderBucketConfig",
                    "gcp:logging/organizationBucketConfig:OrganizationBucketConfig",
                    "gcp:logging/billingAccountBucketConfig:BillingAccountBucketConfig",
                    "gcp:logging/linkedDataset:LinkedDataset")
LOG_SINK_TYPES = ("gcp:logging/projectSink:ProjectSink", "gcp:logging/folderSink:FolderSink",
                  "gcp:logging/organizationSink:OrganizationSink", "gcp:logging/billingAccountSink:BillingAccountSink")
_LOG_BUCKET_DEST = re.compile(r"^logging\.googleapis\.com/.+/locations/([^/]+)/buckets/[^/]+$")


def check_log_buckets(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    out = []
    for r in view.resources:
        zone = view.zone_of(r).zone
        if r.type in LOG_BUCKET_TYPES:
            loc = view.location_of(r) or Location("global", "global", source="no location")
        elif r.type in LOG_SINK_TYPES:
            dest = r.props.get("destination")
            if is_unknown(dest):
                out.append(cannot_verify(f"{what(r)}: destination unknown during preview", r.urn))
                continue
            m = _LOG_BUCKET_DEST.match(str(dest or ""))
            if not m:
                continue  # a GCS/BigQuery/Pub/Sub destination is judged where that resource lives
            loc = parse_location(m.group(1), "destination")
        else:
            continue
        if zone is None or not zones.known(zone):
            continue  # residency-zone-known reports it
        out += judge(r, zone, loc, zones, f"{what(r)} (log storage, zone {zone!r})")
    return out


# ---- residency-logs-in-zone ------------------------------------------------------------------

WORKSPACE_TYPE = "azure-native:operationalinsights:Workspace"
# Where a resource names the Log Analytics workspace its logs (audit, firewall, access) go to.
LOG_DESTINATIONS: dict[str, list[tuple[str, ...]]] = {
    "azure-native:monitor:DiagnosticSetting": [("workspaceId",)],
    "azure-native:containerservice:ManagedCluster": [
        ("addonProfiles", "omsagent", "config", "logAnalyticsWorkspaceResourceID"),
        ("securityProfile", "defender", "logAnalyticsWorkspaceResourceId")],
}


def _workspace(view: StackView, owner: Res, prop: str, value) -> Optional[Res]:
    """The workspace resource a destination names: through the property's dependency (ids are unknown
    in preview), else by the workspace's name at the end of a known resource id."""
    for urn in owner.prop_deps.get(prop, []):
        dep = view.by_urn.get(urn)
        if dep is not None and dep.type == WORKSPACE_TYPE:
            return dep
    if isinstance(value, str) and not is_unknown(value):
        name = value.rstrip("/").rsplit("/", 1)[-1].lower()
        for r in view.resources:
            if r.type == WORKSPACE_TYPE and str(r.props.get("workspaceName") or "").lower() == name:
                return r
    return None


def check_logs(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    """Logs are data: a diagnostic setting (or AKS's monitoring add-on / Defender) sends them to a
    Log Analytics workspace that must lie in the sender's zone (a workspace outside the stack fails closed)."""
    out = []
    for r, zone in zoned(view, zones, LOG_DESTINATIONS):
        for path in LOG_DESTINATIONS[r.type]:
            for value in dig(r.props, *path):
                out += judge_store(view, r, zone, zones, _workspace(view, r, path[0], value), value,
                                   f"{what(r)} (zone {zone!r}) sends {'.'.join(path)} to", "workspace")
    return out
