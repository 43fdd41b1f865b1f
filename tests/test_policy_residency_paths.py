"""Residency bypasses, each a failing program with a compliant twin, through the real
analyzer protocol: data paths out of a store (Cosmos DB replicas, Pub/Sub storage, log subscriptions,
Aurora global databases), global edges (Global Accelerator, Azure CDN), unlabelable sub-resources
located by what they attach to, and Cloud SQL's nested labels."""
from __future__ import annotations

import pytest

from offline.analyzer import analyze
from test_policy_residency import PACK, UNKNOWN, Stack, on, tags

RULE = "residency-data-path-in-zone"
KNOWN = "residency-zone-known"


@pytest.fixture(scope="module")
def paths():
    s = Stack()
    aws_eu = s.provider("aws", "aws-eu-central-1", region="eu-central-1")
    aws_us = s.provider("aws", "aws-us-east-1", region="us-east-1")
    gcp = s.provider("gcp", "gcp-europe-west1", project="acme", region="europe-west1")
    az = s.provider("azure-native", "azure-westeurope", location="westeurope")
    r = {}
    cosmos = lambda name, locs: s.add("azure-native:cosmosdb:DatabaseAccount", name, {  # noqa: E731
        "resourceGroupName": "rg", "location": "westeurope", "databaseAccountOfferType": "Standard",
        "tags": tags("eu"), "locations": [{"locationName": l} for l in locs]}, provider=az)
    r["cosmos_ok"] = cosmos("cosmos-eu", ["westeurope", "northeurope"])
    r["cosmos_out"] = cosmos("cosmos-us-replica", ["westeurope", "eastus"])
    topic = lambda name, policy: s.add("gcp:pubsub/topic:Topic", name, {  # noqa: E731
        "name": name, "labels": tags("eu"), **({"messageStoragePolicy": policy} if policy else {})}, provider=gcp)
    r["topic_ok"] = topic("events-eu", {"allowedPersistenceRegions": ["europe-west1", "europe-west4"]})
    r["topic_none"] = topic("events-anywhere", None)
    r["topic_us"] = topic("events-us", {"allowedPersistenceRegions": ["europe-west1", "us-central1"]})
    group = s.add("aws:cloudwatch/logGroup:LogGroup", "app-logs", {"name": "/app", "tags": tags("eu")}, provider=aws_eu)
    flt = lambda name, dest: s.add("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", name, {  # noqa: E731
        "logGroup": "/app", "filterPattern": "", "destinationArn": dest}, provider=aws_eu, deps={"logGroup": [group]})
    r["filter_ok"] = flt("to-eu-stream", "arn:aws:kinesis:eu-central-1:123456789012:stream/logs")
    r["filter_out"] = flt("to-us-firehose", "arn:aws:firehose:us-east-1:123456789012:deliverystream/logs")
    r["filter_later"] = flt("to-later", UNKNOWN)
    g = s.add("aws:rds/globalCluster:GlobalCluster", "orders", {"globalClusterIdentifier": "orders", "engine": "aurora-postgresql",
                                                                "tags": tags("eu")}, provider=aws_eu)
    member = lambda name, prov: s.add("aws:rds/cluster:Cluster", name, {  # noqa: E731
        "engine": "aurora-postgresql", "globalClusterIdentifier": "orders", "tags": tags("eu")}, provider=prov,
        deps={"globalClusterIdentifier": [g]})
    r["aurora_eu"] = member("orders-frankfurt", aws_eu)
    r["aurora_us"] = member("orders-virginia", aws_us)
    # Global edges in front of a strict zone.
    r["accelerator"] = s.add("aws:globalaccelerator/accelerator:Accelerator", "api-accel", {
        "name": "api", "tags": tags("eu")}, provider=aws_us)
    r["cdn"] = s.add("azure-native:cdn:Endpoint", "blob-cdn", {"resourceGroupName": "rg", "profileName": "p",
                                                                "tags": tags("eu"), "origins": [{"name": "o", "hostName": "x"}]},
                     provider=az)
    # Sub-resources that cannot carry labels: located by what they attach to.
    bucket = s.add("aws:s3/bucket:Bucket", "eu-data", {"tags": tags("eu")}, provider=aws_eu)
    r["policy_attached"] = s.add("aws:s3/bucketPolicy:BucketPolicy", "eu-data-policy", {"bucket": "eu-data", "policy": "{}"},
                                 provider=aws_eu, deps={"bucket": [bucket]})
    us_bucket = s.add("aws:s3/bucket:Bucket", "eu-data-in-us", {"tags": tags("eu")}, provider=aws_us)
    r["versioning_out"] = s.add("aws:s3/bucketVersioning:BucketVersioning", "eu-data-in-us-versioning", {
        "bucket": "eu-data-in-us", "versioningConfiguration": {"status": "Enabled"}}, provider=aws_us,
        deps={"bucket": [us_bucket]})
    r["orphan"] = s.add("aws:s3/bucketPolicy:BucketPolicy", "orphan-policy", {"bucket": "someone", "policy": "{}"},
                        provider=aws_eu)
    # Cloud SQL keeps labels in settings.userLabels.
    r["sql"] = s.add("gcp:sql/databaseInstance:DatabaseInstance", "orders-db", {
        "databaseVersion": "POSTGRES_16", "region": "europe-west1",
        "settings": {"tier": "db-f1-micro", "userLabels": tags("eu")}}, provider=gcp)
    return analyze(PACK, s.resources), r


def test_compliant_twins_pass(paths):
    result, r = paths
    for key in ("cosmos_ok", "topic_ok", "filter_ok", "aurora_eu"):
        assert not on(result, RULE, r[key]), (key, on(result, RULE, r[key]))


def test_data_paths_out_of_zone_fail(paths):
    result, r = paths
    assert any("eastus" in m for m in on(result, RULE, r["cosmos_out"]))
    assert any("no messageStoragePolicy" in m for m in on(result, RULE, r["topic_none"]))
    assert any("us-central1" in m for m in on(result, RULE, r["topic_us"]))
    assert any("us-east-1" in m for m in on(result, RULE, r["filter_out"]))
    assert any("orders-virginia" in m or "us-east-1" in m for m in on(result, RULE, r["aurora_us"]))
    assert not on(result, RULE, r["filter_later"])
    assert any("destinationArn unknown" in m for m in on(result, "residency-cannot-verify", r["filter_later"]))


def test_global_edges_in_front_of_a_strict_zone_fail(paths):
    result, r = paths
    assert any("Global Accelerator" in m for m in on(result, "residency-no-global-tls-edge", r["accelerator"]))
    assert any("Azure CDN" in m for m in on(result, "residency-no-global-tls-edge", r["cdn"]))


def test_unlabelable_sub_resources_take_the_zone_of_what_they_attach_to(paths):
    result, r = paths
    assert not on(result, KNOWN, r["policy_attached"])
    assert not on(result, KNOWN, r["filter_ok"])  # its log group's zone
    assert any("us-east-1" in m for m in on(result, "residency-location-in-zone", r["versioning_out"]))
    assert on(result, KNOWN, r["orphan"])  # attached to nothing the stack knows: still fails closed


def test_cloud_sql_labels_are_read_from_settings(paths):
    result, r = paths
    assert not on(result, KNOWN, r["sql"])


@pytest.fixture(scope="module")
def global_claims():
    s = Stack()
    use1 = s.provider("aws", "aws-us-east-1", region="us-east-1")
    g = tags("global")
    r = {}
    check = s.add("aws:route53/healthCheck:HealthCheck", "cell-health", {"type": "HTTPS", "fqdn": "a.example.com",
                                                                          "tags": g}, provider=use1)
    key = s.add("aws:kms/key:Key", "alarms-key", {"tags": g}, provider=use1)
    topic = s.add("aws:sns/topic:Topic", "alarms", {"kmsMasterKeyId": "k", "tags": g}, provider=use1,
                  deps={"kmsMasterKeyId": [key]})
    s.add("aws:sns/topicPolicy:TopicPolicy", "alarms-policy", {"arn": "t", "policy": "{}"}, provider=use1,
          deps={"arn": [topic]})
    alarm = s.add("aws:cloudwatch/metricAlarm:MetricAlarm", "cell-health-alarm", {
        "comparisonOperator": "LessThanThreshold", "evaluationPeriods": 1, "tags": g,
        "dimensions": {"HealthCheckId": "x"}}, provider=use1, deps={"dimensions": [check], "alarmActions": [topic]})
    r.update(key=key, topic=topic, alarm=alarm)
    # The trick: a data store (and its key) labelled global to escape its zone.
    data_key = s.add("aws:kms/key:Key", "data-key", {"tags": g}, provider=use1)
    r["bucket"] = s.add("aws:s3/bucket:Bucket", "customer-data", {"tags": g}, provider=use1)
    s.add("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "customer-data-sse",
          {"bucket": "customer-data", "rules": []}, provider=use1, deps={"bucket": [r["bucket"]],
                                                                         "rules": [data_key]})
    r["data_key"] = data_key
    r["queue"] = s.add("aws:sqs/queue:Queue", "orders", {"tags": g}, provider=use1)
    return analyze(PACK, s.resources), r


def test_global_is_only_for_what_serves_a_global_service(global_claims):
    result, r = global_claims
    for key in ("key", "topic", "alarm"):  # the health check's alarm plumbing: global by what it serves
        assert not on(result, KNOWN, r[key]), (key, on(result, KNOWN, r[key]))
    for key in ("bucket", "queue", "data_key"):  # data labelled global to escape a zone
        assert any("claims zone 'global'" in m for m in on(result, KNOWN, r[key])), (key, on(result, KNOWN, r[key]))
