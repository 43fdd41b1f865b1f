"""residency-log-bucket-in-zone (issue #18), through the real analyzer gRPC protocol: Cloud Logging
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
