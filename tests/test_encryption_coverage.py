"""The encryption pack beyond the cell's own pieces: rules derived from the provider
schemas, the generated coverage table, provider defaults, and the stores a platform team adds,
each with a failing and a passing resource through the real analyzer protocol."""
from __future__ import annotations

import copy
import gzip
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from offline.analyzer import analyze
from test_policy_encryption import AZ_DISK_KEY, DES_ID, GCP_KEY, KMS_ARN, PACK, UNKNOWN, findings, res

REPO = Path(__file__).resolve().parent.parent
FULL = REPO / "tests" / "schemas" / "full"
sys.path.insert(0, str(PACK))
stores = importlib.import_module("encryption_rules.stores")
gen = importlib.import_module("gen_schema_facts")
coverage = importlib.import_module("coverage")

AZ_KV_KEY = "https://kv-cell.vault.azure.net/keys/data/0123456789abcdef0123456789abcdef"


def store_cases():
    r = []
    add = lambda type_, name, inputs: r.append(res(type_, name, inputs))  # noqa: E731
    rds = "aws:rds/instance:Instance"
    add(rds, "rds-plain", {"engine": "postgres", "instanceClass": "db.t4g.micro"})
    add(rds, "rds-aws-key", {"engine": "postgres", "instanceClass": "db.t4g.micro", "storageEncrypted": True})
    add(rds, "rds-cmk", {"engine": "postgres", "instanceClass": "db.t4g.micro", "storageEncrypted": True, "kmsKeyId": KMS_ARN})
    add(rds, "rds-in-aurora", {"engine": "aurora-postgresql", "instanceClass": "db.r6g.large", "clusterIdentifier": "c1"})
    add("aws:rds/cluster:Cluster", "aurora-plain", {"engine": "aurora-postgresql"})
    add("aws:dynamodb/table:Table", "ddb-default", {"hashKey": "id", "attributes": [{"name": "id", "type": "S"}]})
    add("aws:dynamodb/table:Table", "ddb-cmk", {"hashKey": "id", "serverSideEncryption": {"enabled": True, "kmsKeyArn": KMS_ARN}})
    add("aws:sqs/queue:Queue", "sqs-plain", {"sqsManagedSseEnabled": True})
    add("aws:sqs/queue:Queue", "sqs-cmk", {"kmsMasterKeyId": KMS_ARN})
    add("aws:secretsmanager/secret:Secret", "secret-default", {"name": "db"})
    add("aws:secretsmanager/secret:Secret", "secret-cmk", {"name": "db", "kmsKeyId": KMS_ARN})
    add("aws:kinesis/stream:Stream", "stream-plain", {"shardCount": 1})
    add("aws:kinesis/stream:Stream", "stream-awskey", {"encryptionType": "KMS", "kmsKeyId": "alias/aws/kinesis"})
    add("aws:kinesis/stream:Stream", "stream-cmk", {"encryptionType": "KMS", "kmsKeyId": KMS_ARN})
    rg = "aws:elasticache/replicationGroup:ReplicationGroup"
    add(rg, "redis-plain", {"description": "cache"})
    add(rg, "redis-enc", {"description": "cache", "atRestEncryptionEnabled": True, "transitEncryptionEnabled": True,
                          "kmsKeyId": KMS_ARN})
    add("aws:ecr/repository:Repository", "ecr-default", {"name": "models"})
    add("aws:ecr/repository:Repository", "ecr-kms", {"name": "models", "encryptionConfigurations": [
        {"encryptionType": "KMS", "kmsKey": KMS_ARN}]})
    add("aws:redshift/cluster:Cluster", "rs-plain", {"clusterIdentifier": "rs", "nodeType": "ra3.xlplus"})
    add("aws:redshift/cluster:Cluster", "rs-cmk", {"clusterIdentifier": "rs", "nodeType": "ra3.xlplus", "encrypted": "true",
                                                   "kmsKeyId": KMS_ARN})
    cf = "aws:cloudfront/distribution:Distribution"
    add(cf, "cf-plain", {"enabled": True, "viewerCertificate": {"cloudfrontDefaultCertificate": True},
                         "defaultCacheBehavior": {"viewerProtocolPolicy": "allow-all"},
                         "origins": [{"domainName": "origin.example.com", "originId": "o",
                                      "customOriginConfig": {"originProtocolPolicy": "http-only", "httpPort": 80,
                                                             "httpsPort": 443, "originSslProtocols": ["TLSv1"]}}]})
    add(cf, "cf-tls", {"enabled": True, "viewerCertificate": {"acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/x",
                                                              "minimumProtocolVersion": "TLSv1.2_2021"},
                       "defaultCacheBehavior": {"viewerProtocolPolicy": "redirect-to-https"},
                       "orderedCacheBehaviors": [{"pathPattern": "/api/*", "viewerProtocolPolicy": "https-only"}],
                       "origins": [{"domainName": "origin.example.com", "originId": "o",
                                    "customOriginConfig": {"originProtocolPolicy": "https-only", "httpPort": 80,
                                                           "httpsPort": 443, "originSslProtocols": ["TLSv1.2"]}}]})
    sql = "gcp:sql/databaseInstance:DatabaseInstance"
    add(sql, "sql-default", {"databaseVersion": "POSTGRES_16", "settings": {"tier": "db-f1-micro"}})
    add(sql, "sql-good", {"databaseVersion": "POSTGRES_16", "encryptionKeyName": GCP_KEY, "settings": {
        "tier": "db-f1-micro", "ipConfiguration": {"ipv4Enabled": False, "sslMode": "ENCRYPTED_ONLY",
                                                   "privateNetwork": "projects/p/global/networks/n"}}})
    add("gcp:compute/disk:Disk", "disk-google", {"zone": "europe-west1-b", "size": 10})
    add("gcp:compute/disk:Disk", "disk-cmek", {"zone": "europe-west1-b", "diskEncryptionKey": {"kmsKeySelfLink": GCP_KEY}})
    add("gcp:container/nodePool:NodePool", "pool-google", {"cluster": "c", "nodeConfig": {"machineType": "e2-standard-4"}})
    add("gcp:container/nodePool:NodePool", "pool-cmek", {"cluster": "c", "nodeConfig": {"bootDiskKmsKey": GCP_KEY}})
    add("gcp:pubsub/topic:Topic", "topic-google", {"name": "events"})
    add("gcp:pubsub/topic:Topic", "topic-cmek", {"name": "events", "kmsKeyName": GCP_KEY})
    add("azure-native:compute:Disk", "azdisk-platform", {"resourceGroupName": "rg", "creationData": {"createOption": "Empty"}})
    add("azure-native:compute:Disk", "azdisk-cmk", {"resourceGroupName": "rg", "creationData": {"createOption": "Empty"},
                                                    "encryption": {"type": "EncryptionAtRestWithCustomerKey",
                                                                   "diskEncryptionSetId": DES_ID}})
    vm = "azure-native:compute:VirtualMachine"
    add(vm, "vm-platform", {"resourceGroupName": "rg", "storageProfile": {"osDisk": {"createOption": "FromImage"}}})
    add(vm, "vm-cmk", {"resourceGroupName": "rg", "storageProfile": {
        "osDisk": {"createOption": "FromImage", "managedDisk": {"diskEncryptionSet": {"id": DES_ID}}},
        "dataDisks": [{"lun": 0, "createOption": "Empty", "managedDisk": {"diskEncryptionSet": {"id": DES_ID}}}]}})
    add(vm, "vm-plain-data", {"resourceGroupName": "rg", "storageProfile": {
        "osDisk": {"createOption": "FromImage", "managedDisk": {"diskEncryptionSet": {"id": DES_ID}}},
        "dataDisks": [{"lun": 0, "createOption": "Empty"}]}})
    cosmos = "azure-native:cosmosdb:DatabaseAccount"
    add(cosmos, "cosmos-plain", {"resourceGroupName": "rg", "databaseAccountOfferType": "Standard",
                                 "locations": [{"locationName": "westeurope"}]})
    add(cosmos, "cosmos-cmk", {"resourceGroupName": "rg", "databaseAccountOfferType": "Standard", "keyVaultKeyUri": AZ_KV_KEY,
                               "minimalTlsVersion": "Tls12", "locations": [{"locationName": "westeurope"}]})
    add("azure-native:sql:Server", "sqlserver-plain", {"resourceGroupName": "rg", "minimalTlsVersion": "1.0"})
    add("azure-native:sql:Server", "sqlserver-cmk", {"resourceGroupName": "rg", "minimalTlsVersion": "1.2", "keyId": AZ_KV_KEY})
    add("azure-native:web:WebApp", "app-http", {"resourceGroupName": "rg"})
    add("azure-native:web:WebApp", "app-https", {"resourceGroupName": "rg", "httpsOnly": True,
                                                 "siteConfig": {"minTlsVersion": "1.2"}})
    add("azure-native:synapse:Workspace", "syn-plain", {"resourceGroupName": "rg"})
    add("azure-native:synapse:Workspace", "syn-cmk", {"resourceGroupName": "rg", "encryption": {"cmk": {"key": {
        "name": "data", "keyVaultUrl": AZ_KV_KEY}}}})
    svc = "kubernetes:core/v1:Service"
    add(svc, "svc-public-http", {"spec": {"type": "LoadBalancer", "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    add(svc, "svc-internal-http", {"metadata": {"annotations": {
        "service.beta.kubernetes.io/azure-load-balancer-internal": "true"}},
        "spec": {"type": "LoadBalancer", "ports": [{"name": "http", "port": 80}]}})
    add(svc, "svc-public-tls", {"spec": {"type": "LoadBalancer", "ports": [{"name": "https", "port": 443}]}})
    add(svc, "svc-nodeport", {"spec": {"type": "NodePort", "ports": [{"name": "http", "port": 80}]}})
    # Azure storage: only an explicit insecure value fails (the service's defaults are secure).
    add("azure-native:storage:StorageAccount", "sa-defaults", {
        "resourceGroupName": "rg", "kind": "StorageV2", "sku": {"name": "Standard_ZRS"}, "minimumTlsVersion": "TLS1_2",
        "encryption": {"keySource": "Microsoft.Keyvault", "requireInfrastructureEncryption": True,
                       "keyVaultProperties": {"keyName": "data", "keyVaultUri": "https://kv-cell.vault.azure.net"}}})
    add("aws:neptune/cluster:Cluster", "neptune-plain", {"engine": "neptune"})
    add("aws:neptune/cluster:Cluster", "neptune-cmk", {"engine": "neptune", "storageEncrypted": True, "kmsKeyArn": KMS_ARN})
    fh = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
    add(fh, "firehose-plain", {"destination": "extended_s3"})
    add(fh, "firehose-cmk", {"destination": "extended_s3", "serverSideEncryption": {
        "enabled": True, "keyType": "CUSTOMER_MANAGED_CMK", "keyArn": KMS_ARN}})
    add("aws:elasticache/cluster:Cluster", "memcached-plain", {"engine": "memcached"})
    add("aws:elasticache/cluster:Cluster", "memcached-tls", {"engine": "memcached", "transitEncryptionEnabled": True})
    add("aws:efs/fileSystem:FileSystem", "efs-plain", {})
    add("aws:efs/fileSystem:FileSystem", "efs-cmk", {"encrypted": True, "kmsKeyId": KMS_ARN})
    os_ = "aws:opensearch/domain:Domain"
    add(os_, "search-plain", {"domainName": "logs"})
    add(os_, "search-good", {"domainName": "logs", "encryptAtRest": {"enabled": True, "kmsKeyId": KMS_ARN},
                             "nodeToNodeEncryption": {"enabled": True}, "domainEndpointOptions": {
                                 "enforceHttps": True, "tlsSecurityPolicy": "Policy-Min-TLS-1-2-2019-07"}})
    msk = "aws:msk/cluster:Cluster"
    add(msk, "msk-plain", {"clusterName": "events", "encryptionInfo": {"encryptionInTransit": {"clientBroker": "PLAINTEXT"}}})
    add(msk, "msk-good", {"clusterName": "events", "encryptionInfo": {"encryptionAtRestKmsKeyArn": KMS_ARN}})
    add("gcp:compute/regionDisk:RegionDisk", "rdisk-google", {"region": "europe-west1", "replicaZones": ["a", "b"]})
    add("gcp:compute/regionDisk:RegionDisk", "rdisk-cmek", {"region": "europe-west1", "diskEncryptionKey": {"kmsKeyName": GCP_KEY}})
    inst = "gcp:compute/instance:Instance"
    add(inst, "gce-google", {"machineType": "e2-small", "bootDisk": {"initializeParams": {"image": "debian-12"}}})
    add(inst, "gce-cmek", {"machineType": "e2-small", "bootDisk": {"kmsKeySelfLink": GCP_KEY},
                           "attachedDisks": [{"source": "d", "kmsKeySelfLink": GCP_KEY}]})
    tpl = "gcp:compute/instanceTemplate:InstanceTemplate"
    add(tpl, "tpl-google", {"machineType": "e2-small", "disks": [{"sourceImage": "debian-12"}]})
    add(tpl, "tpl-cmek", {"machineType": "e2-small", "disks": [{"sourceImage": "debian-12",
                                                               "diskEncryptionKey": {"kmsKeySelfLink": GCP_KEY}}]})
    add("gcp:bigquery/dataset:Dataset", "bq-google", {"datasetId": "analytics"})
    add("gcp:bigquery/dataset:Dataset", "bq-cmek", {"datasetId": "analytics",
                                                    "defaultEncryptionConfiguration": {"kmsKeyName": GCP_KEY}})
    vmss = "azure-native:compute:VirtualMachineScaleSet"
    add(vmss, "vmss-platform", {"resourceGroupName": "rg"})
    add(vmss, "vmss-cmk", {"resourceGroupName": "rg", "virtualMachineProfile": {"storageProfile": {"osDisk": {
        "createOption": "FromImage", "managedDisk": {"diskEncryptionSet": {"id": DES_ID}}}}}})
    pg = "azure-native:dbforpostgresql:Server"
    add(pg, "pg-system", {"resourceGroupName": "rg"})
    add(pg, "pg-cmk", {"resourceGroupName": "rg", "dataEncryption": {"type": "AzureKeyVault", "primaryKeyURI": AZ_KV_KEY}})
    # A type with encryption properties that no rule judges, and one declared not applicable.
    add("aws:athena/workgroup:Workgroup", "athena-wg", {"name": "analytics"})
    add("azure-native:network:VirtualNetwork", "vnet", {"resourceGroupName": "rg"})
    return r


# (policy, failing, passing)
STORE_CASES = [
    ("aws-rds-storage-cmk", ["rds-plain", "rds-aws-key", "aurora-plain"], ["rds-cmk", "rds-in-aurora"]),
    ("aws-dynamodb-cmk", ["ddb-default"], ["ddb-cmk"]),
    ("encryption-cmk-from-schema", ["sqs-plain", "secret-default", "topic-google"], ["sqs-cmk", "secret-cmk", "topic-cmek"]),
    ("aws-kinesis-stream-cmk", ["stream-plain", "stream-awskey"], ["stream-cmk"]),
    ("aws-elasticache-encryption", ["redis-plain"], ["redis-enc"]),
    ("aws-ecr-cmk", ["ecr-default"], ["ecr-kms"]),
    ("aws-redshift-cmk", ["rs-plain"], ["rs-cmk"]),
    ("aws-cloudfront-tls", ["cf-plain"], ["cf-tls"]),
    ("gcp-sql-cmek-tls", ["sql-default"], ["sql-good"]),
    ("gcp-disk-cmek", ["disk-google"], ["disk-cmek"]),
    ("gcp-gke-node-disk-cmek", ["pool-google"], ["pool-cmek"]),
    ("azure-managed-disk-cmk", ["azdisk-platform"], ["azdisk-cmk"]),
    ("azure-vm-disk-cmk", ["vm-platform", "vm-plain-data"], ["vm-cmk"]),
    ("azure-cosmosdb-cmk-tls", ["cosmos-plain"], ["cosmos-cmk"]),
    ("azure-sql-server-cmk-tls", ["sqlserver-plain"], ["sqlserver-cmk"]),
    ("azure-app-service-https", ["app-http"], ["app-https"]),
    ("azure-synapse-cmk", ["syn-plain"], ["syn-cmk"]),
    ("k8s-lb-service-tls", ["svc-public-http"], ["svc-internal-http", "svc-public-tls", "svc-nodeport"]),
    ("aws-neptune-storage-cmk", ["neptune-plain"], ["neptune-cmk"]),
    ("aws-firehose-cmk", ["firehose-plain"], ["firehose-cmk"]),
    ("aws-elasticache-cluster-tls", ["memcached-plain"], ["memcached-tls"]),
    ("aws-efs-cmk", ["efs-plain"], ["efs-cmk"]),
    ("aws-opensearch-encryption", ["search-plain"], ["search-good"]),
    ("aws-msk-encryption", ["msk-plain"], ["msk-good"]),
    ("gcp-region-disk-cmek", ["rdisk-google"], ["rdisk-cmek"]),
    ("gcp-instance-disks-cmek", ["gce-google"], ["gce-cmek"]),
    ("gcp-instance-template-disks-cmek", ["tpl-google"], ["tpl-cmek"]),
    ("gcp-bigquery-dataset-cmek", ["bq-google"], ["bq-cmek"]),
    ("azure-vmss-disk-cmk", ["vmss-platform"], ["vmss-cmk"]),
    ("azure-postgres-cmk", ["pg-system"], ["pg-cmk"]),
    ("azure-storage-https-only", [], ["sa-defaults"]),
    ("azure-storage-no-public-blob-access", [], ["sa-defaults"]),
]


@pytest.fixture(scope="module")
def store_run():
    return analyze(PACK, store_cases())


@pytest.mark.parametrize("policy,failing,passing", STORE_CASES, ids=[c[0] for c in STORE_CASES])
def test_store_rule_fails_and_passes(store_run, policy, failing, passing):
    for name in failing:
        assert findings(store_run, policy, name, "mandatory"), f"{policy}: expected a violation on {name}"
    for name in passing:
        assert not findings(store_run, policy, name), f"{policy}: unexpected {findings(store_run, policy, name)}"


def test_messages_name_the_missing_input(store_run):
    (d,) = findings(store_run, "encryption-cmk-from-schema", "sqs-plain")
    assert "kmsMasterKeyId not set" in d.message
    msgs = " ".join(d.message for d in findings(store_run, "aws-cloudfront-tls", "cf-plain"))
    assert "TLSv1" in msgs and "allow-all" in msgs and "origins[0].customOriginConfig.originProtocolPolicy" in msgs
    (d,) = findings(store_run, "gcp-sql-cmek-tls", "sql-default", "mandatory")[:1] or [None]
    assert d is not None


def test_uncovered_types_are_reported_and_declared_ones_are_not(store_run):
    (d,) = findings(store_run, "encryption-type-not-covered", "athena-wg")
    assert d.level == "advisory" and "aws:athena/workgroup:Workgroup" in d.message
    assert not findings(store_run, "encryption-type-not-covered", "vnet")
    assert not findings(store_run, "encryption-type-not-covered", "sqs-plain")  # the schema CMK rule judges it


def _resolve(schema: dict, token: str, path: str) -> bool:
    props = schema["resources"][token]["inputProperties"]
    parts = [p for p in path.split(".") if not p.isdigit()]
    for i, part in enumerate(parts):
        if part not in props:
            return False
        if i == len(parts) - 1:
            return True
        p = props[part]
        ref = next((h["$ref"] for h in (p, p.get("items") or {}, p.get("additionalProperties") or {})
                    if isinstance(h, dict) and "$ref" in h), None)
        if not ref:
            return False
        props = schema["types"][ref[len("#/types/"):]].get("properties") or {}
    return True


def _paths(needs, prefix=""):
    for n in needs:
        if isinstance(n, stores.Each):
            yield from _paths(n.needs, f"{prefix}{n.path}.")
        else:
            yield prefix + n.path


@pytest.fixture(scope="module")
def schemas():
    return {p: json.load(gzip.open(FULL / f"{p}.json.gz")) for p in ("aws", "gcp", "azure-native")}


def test_every_rule_path_exists_in_the_provider_schema(schemas):
    checked = 0
    for rule in stores.TYPE_RULES:
        for token in rule.types:
            pkg = token.split(":")[0]
            if pkg not in schemas:
                continue
            for path in _paths(stores.NEEDS.get(rule.id, ())):
                assert _resolve(schemas[pkg], token, path), f"{rule.id}: {token} has no input {path}"
                checked += 1
    for token, props in stores.FACTS["cmk"].items():
        for p in props:
            assert _resolve(schemas[token.split(":")[0]], token, p)
    assert checked > 40


def test_schema_facts_and_coverage_table_are_generated_from_the_schemas():
    assert gen.main(["--check", str(FULL)]) == 0, "schema_facts.json drifted: run policy/encryption/gen_schema_facts.py"
    assert coverage.main(["--check"]) == 0, "COVERAGE.md drifted: run policy/encryption/coverage.py"
    table = (PACK / "COVERAGE.md").read_text()
    for token in stores.FACTS["candidates"]:
        assert f"| `{token}` |" in table


def test_a_new_schema_type_with_an_encryption_property_and_no_rule_fails_the_check(tmp_path, schemas):
    """What the drift check catches when an SDK bump adds a store: regenerated facts list it, so the
    committed table no longer matches until a rule (or a reason) is added and the table regenerated."""
    for pkg, schema in schemas.items():
        s = copy.deepcopy(schema) if pkg == "aws" else schema
        if pkg == "aws":
            s["resources"]["aws:newstore/vault:Vault"] = {"inputProperties": {
                "name": {"type": "string"}, "kmsKeyArn": {"type": "string"}}}
        with gzip.open(tmp_path / f"{pkg}.json.gz", "wt") as fh:
            json.dump(s, fh)
    facts = gen.facts(tmp_path)
    assert facts["candidates"]["aws:newstore/vault:Vault"] == "k" and facts["cmk"]["aws:newstore/vault:Vault"] == ["kmsKeyArn"]
    assert gen.main(["--check", str(tmp_path)]) == 1


def test_shipped_stacks_have_no_uncovered_type():
    """Our own stacks: every type with encryption properties is judged or declared not applicable."""
    uncovered = set(stores.FACTS["candidates"]) - set(coverage.verdicts()) - set()
    assert not uncovered
    out = subprocess.run([sys.executable, str(PACK / "coverage.py"), "--check"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
