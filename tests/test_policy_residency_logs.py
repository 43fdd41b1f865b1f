"""residency-log-bucket-in-zone, through the real analyzer gRPC protocol: Cloud Logging
buckets and the log buckets sinks route to must lie in the cell's residency zone, `global` included."""
from __future__ import annotations

import pytest

from offline.analyzer import analyze
from test_policy_residency import PACK, UNKNOWN, Stack, on, tags

RULE = "residency-log-bucket-in-zone"


@pytest.fixture(scope="module")
def logs():
    s = Stack()
    gcp = s.provider("gcp", "gcp-europe-west1", project="acme", region="europe-west1")
    cell = s.add("platform:gcp:Cell", "gcp-europe-west1")
    # The cell's labelled data gives its unlabelable children (log buckets, sinks) the zone `eu`.
    s.add("gcp:storage/bucket:Bucket", "cell-data", {"location": "europe-west1", "labels": tags("eu", "gcp-europe-west1")},
          parent=cell, provider=gcp)
    r = {}
    bucket = lambda name, loc: s.add("gcp:logging/projectBucketConfig:ProjectBucketConfig", name, {
        "project": "acme", "bucketId": name, "location": loc, "retentionDays": 30}, parent=cell, provider=gcp)
    r["regional"] = bucket("regional-logs", "europe-west1")
    r["global"] = bucket("global-logs", "global")
    r["us"] = bucket("us-logs", "us-central1")
    r["eu_multi"] = bucket("eu-multi-logs", "eu")        # Logging's multi-region `eu`: inside the zone
    r["nowhere"] = bucket("mars-logs", "mars-west1")
    sink = lambda name, dest: s.add("gcp:logging/projectSink:ProjectSink", name, {
        "project": "acme", "name": name, "destination": dest, "filter": 'resource.labels.region="europe-west1"'},
        parent=cell, provider=gcp)
    r["sink_ok"] = sink("to-regional", "logging.googleapis.com/projects/acme/locations/europe-west1/buckets/regional-logs")
    r["sink_global"] = sink("to-default", "logging.googleapis.com/projects/acme/locations/global/buckets/_Default")
    r["sink_us"] = sink("to-us", "logging.googleapis.com/projects/other/locations/us-east1/buckets/b")
    r["sink_gcs"] = sink("to-gcs", "storage.googleapis.com/some-archive")
    r["sink_unknown"] = sink("to-later", UNKNOWN)
    return analyze(PACK, s.resources), r


def test_a_regional_log_bucket_in_the_zone_passes(logs):
    result, r = logs
    assert not on(result, RULE, r["regional"]) and not on(result, RULE, r["sink_ok"])
    assert not on(result, RULE, r["eu_multi"])
    # A sink to a non-log-bucket destination is judged where that destination lives, not here.
    assert not on(result, RULE, r["sink_gcs"])


def test_global_and_out_of_zone_log_buckets_fail(logs):
    result, r = logs
    assert any("'global' is not inside zone 'eu'" in m for m in on(result, RULE, r["global"]))
    assert any("us-central1" in m and "outside zone 'eu'" in m for m in on(result, RULE, r["us"]))
    assert any("not a region of the catalog" in m for m in on(result, RULE, r["nowhere"]))
    assert any("'global' is not inside zone 'eu'" in m for m in on(result, RULE, r["sink_global"]))
    assert any("us-east1" in m for m in on(result, RULE, r["sink_us"]))


def test_an_unknown_sink_destination_is_advisory(logs):
    result, r = logs
    assert not on(result, RULE, r["sink_unknown"])
    assert any("destination unknown" in m for m in on(result, "residency-cannot-verify", r["sink_unknown"]))


# ---- residency-logs-in-zone: where an Azure cell sends its logs ------------------------------

LOGS = "residency-logs-in-zone"
WORKSPACE = "azure-native:operationalinsights:Workspace"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-eu/providers"


@pytest.fixture(scope="module")
def azure_logs():
    s = Stack()
    az_eu = s.provider("azure-native", "azure-westeurope", location="westeurope")
    az_us = s.provider("azure-native", "azure-eastus", location="eastus")
    ws = lambda name, provider, **extra: s.add(WORKSPACE, name, {
        "resourceGroupName": "rg", "workspaceName": name, "tags": tags("eu"), **extra}, provider=provider)
    r = {"ws_eu": ws("eu-logs", az_eu), "ws_us": ws("us-logs", az_us), "ws_nowhere": ws("odd-logs", az_eu,
                                                                                          location=UNKNOWN)}
    vault = s.add("azure-native:keyvault:Vault", "eu-vault", {"resourceGroupName": "rg-eu", "tags": tags("eu")},
                  provider=az_eu)
    setting = lambda name, workspace_id, deps=None: s.add("azure-native:monitor:DiagnosticSetting", name, {
        "resourceUri": f"{SUB}/Microsoft.KeyVault/vaults/eu-vault", "workspaceId": workspace_id,
        "logs": [{"categoryGroup": "audit", "enabled": True}]}, parent=vault, provider=az_eu, deps=deps)
    ws_id = lambda name: f"{SUB}/Microsoft.OperationalInsights/workspaces/{name}"
    r["to_eu"] = setting("to-eu", ws_id("eu-logs"))
    r["to_eu_at_preview"] = setting("to-eu-at-preview", UNKNOWN, deps={"workspaceId": [r["ws_eu"]]})
    r["to_us"] = setting("to-us", ws_id("us-logs"))
    r["to_us_at_preview"] = setting("to-us-at-preview", UNKNOWN, deps={"workspaceId": [r["ws_us"]]})
    r["to_elsewhere"] = setting("to-elsewhere", ws_id("someone-elses"))
    r["to_later"] = setting("to-later", UNKNOWN)
    r["to_unlocated"] = setting("to-unlocated", ws_id("odd-logs"))
    r["aks"] = s.add("azure-native:containerservice:ManagedCluster", "eu-aks", {
        "resourceGroupName": "rg-eu", "tags": tags("eu"),
        "addonProfiles": {"omsagent": {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": ws_id("us-logs")}}},
        "securityProfile": {"defender": {"logAnalyticsWorkspaceResourceId": ws_id("eu-logs")}}}, provider=az_eu)
    return analyze(PACK, s.resources), r


def test_logs_sent_to_a_workspace_of_the_zone_pass(azure_logs):
    result, r = azure_logs
    for key in ("to_eu", "to_eu_at_preview"):  # by the workspace's name, or by the dependency at preview
        assert not on(result, LOGS, r[key]) and not on(result, "residency-cannot-verify", r[key]), key


def test_logs_sent_out_of_the_zone_fail(azure_logs):
    result, r = azure_logs
    for key in ("to_us", "to_us_at_preview"):
        assert any("workspace 'us-logs'" in m and "eastus" in m and "outside zone 'eu'" in m
                   for m in on(result, LOGS, r[key])), (key, on(result, LOGS, r[key]))
    # AKS: the monitoring add-on's workspace is judged, and so is Defender's (in zone here).
    msgs = on(result, LOGS, r["aks"])
    assert len(msgs) == 1 and "addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID" in msgs[0], msgs


def test_a_workspace_outside_the_stack_fails_closed(azure_logs):
    result, r = azure_logs
    assert any("someone-elses" in m and "not in this stack" in m and "fail closed" in m
               for m in on(result, LOGS, r["to_elsewhere"])), on(result, LOGS, r["to_elsewhere"])


def test_unknown_workspaces_and_locations_are_advisory(azure_logs):
    result, r = azure_logs
    for key, said in (("to_later", "unknown during preview"), ("to_unlocated", "unknown during preview")):
        assert not on(result, LOGS, r[key]), key
        assert any(said in m for m in on(result, "residency-cannot-verify", r[key])), \
            (key, on(result, "residency-cannot-verify", r[key]))
