"""The encryption pack through its real analyzer gRPC protocol (offline/analyzer.py).

Every rule has failing and passing resources; inputs are spelled by wire name and checked against
the provider schemas. The pack starts a few times only: one run with the default config over every
case, one over values unknown at preview, one with policy config (levels, exemptions, options).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from offline.analyzer import PolicyResource, analyze

import schema_check

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "policy" / "encryption"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-value sentinel on the wire

S3_BUCKET = "aws:s3/bucket:Bucket"
S3_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
S3_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LISTENER = "aws:lb/listener:Listener"
KMS_ARN = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GCP_KEY = "projects/p/locations/europe-west1/keyRings/ring/cryptoKeys/key"
AZ_KEY_ID = "https://kv-cell.vault.azure.net/keys/etcd/0123456789abcdef0123456789abcdef"
STORAGE = "azure-native:storage:StorageAccount"
AKS = "azure-native:containerservice:ManagedCluster"
DES = "azure-native:compute:DiskEncryptionSet"
DES_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/"
          "diskEncryptionSets/des")
AZ_DISK_KEY = "https://kv-cell.vault.azure.net/keys/disk/0123456789abcdef0123456789abcdef"
GATEWAY = "azure-native:network:ApplicationGateway"
GW_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/gw"


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::enc::{type_}::{name}"


def res(type_: str, name: str, inputs: dict, outputs: dict | None = None, deps: dict | None = None) -> PolicyResource:
    return PolicyResource(urn=urn(type_, name), type=type_, name=name, inputs=inputs, outputs=outputs,
                          property_dependencies=deps or {})


def tls_deny_policy(bucket: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def sse(algorithm: str, key: str | None = None) -> list:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True}]


def s3_cases() -> list[PolicyResource]:
    out = []
    for name, rules, policy in [
        ("b-kms", sse("aws:kms", KMS_ARN), tls_deny_policy("b-kms")),
        ("b-dsse", sse("aws:kms:dsse", KMS_ARN), tls_deny_policy("b-dsse")),
        ("b-aes", sse("AES256"), json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                            "Resource": "arn:aws:s3:::b-aes/*"}]})),
        ("b-awsmanaged", sse("aws:kms", "alias/aws/s3"), None),
    ]:
        bucket = res(S3_BUCKET, name, {"bucket": name}, outputs={"id": name, "arn": f"arn:aws:s3:::{name}"})
        out.append(bucket)
        out.append(res(S3_SSE, f"{name}-sse", {"bucket": name, "rules": rules}, deps={"bucket": [bucket.urn]}))
        if policy:
            out.append(res(S3_POLICY, f"{name}-policy", {"bucket": name, "policy": policy}, deps={"bucket": [bucket.urn]}))
    # A load balancer's access-log bucket: ELB only writes to SSE-S3 buckets, so AES256 is accepted there.
    logs = res(S3_BUCKET, "b-alblogs", {"bucket": "b-alblogs"}, outputs={"id": "b-alblogs"})
    out += [logs,
            res(S3_SSE, "b-alblogs-sse", {"bucket": "b-alblogs", "rules": sse("AES256")}, deps={"bucket": [logs.urn]}),
            res(S3_POLICY, "b-alblogs-policy", {"bucket": "b-alblogs", "policy": tls_deny_policy("b-alblogs")},
                deps={"bucket": [logs.urn]}),
            res("aws:lb/loadBalancer:LoadBalancer", "alb", {"loadBalancerType": "application", "subnets": ["subnet-1"],
                                                            "accessLogs": {"enabled": True, "bucket": "b-alblogs"}},
                deps={"accessLogs": [logs.urn]})]
    # No configuration or policy at all: S3's defaults (SSE-S3, HTTP allowed).
    out.append(res(S3_BUCKET, "b-none", {"bucket": "b-none"}, outputs={"id": "b-none"}))
    # Bound by value only (no property dependency): the config names the bucket's id.
    out.append(res(S3_BUCKET, "b-byvalue", {}, outputs={"id": "b-byvalue-8a1f", "bucket": "b-byvalue-8a1f"}))
    out.append(res(S3_SSE, "b-byvalue-sse", {"bucket": "b-byvalue-8a1f", "rules": sse("aws:kms", KMS_ARN)}))
    out.append(res(S3_POLICY, "b-byvalue-policy", {"bucket": "b-byvalue-8a1f", "policy": tls_deny_policy("b-byvalue-8a1f")}))
    return out


def storage(name: str, **overrides) -> PolicyResource:
    inputs = {"resourceGroupName": "rg", "kind": "StorageV2", "sku": {"name": "Standard_ZRS"},
              "enableHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False,
              "encryption": {"keySource": "Microsoft.Keyvault", "requireInfrastructureEncryption": True,
                             "keyVaultProperties": {"keyName": "storage", "keyVaultUri": "https://kv-cell.vault.azure.net"}}}
    inputs.update(overrides)
    return res(STORAGE, name, inputs)


def vault(name: str, **props) -> PolicyResource:
    return res("azure-native:keyvault:Vault", name, {"resourceGroupName": "rg", "properties": {
        "tenantId": "00000000-0000-0000-0000-000000000001", "sku": {"family": "A", "name": "premium"},
        "enableRbacAuthorization": True, **props}})


def az_key(name: str, lifetime_actions: list, expiry: str = "P1Y") -> PolicyResource:
    return res("azure-native:keyvault:Key", name, {"resourceGroupName": "rg", "vaultName": "kv-cell", "properties": {
        "kty": "RSA", "keySize": 3072,
        "rotationPolicy": {"attributes": {"expiryTime": expiry}, "lifetimeActions": lifetime_actions}}})


def rotate(after: str) -> dict:
    return {"action": {"type": "rotate"}, "trigger": {"timeAfterCreate": after}}


def aks(name: str, **extra) -> PolicyResource:
    """An AKS cluster with etcd KMS (so only the disk rule can tell the cases apart)."""
    return res(AKS, name, {"resourceGroupName": "rg", "securityProfile": {
        "azureKeyVaultKms": {"enabled": True, "keyId": AZ_KEY_ID, "keyVaultNetworkAccess": "Public"}}, **extra})


def des(name: str, **overrides) -> PolicyResource:
    inputs = {"resourceGroupName": "rg", "identity": {"type": "SystemAssigned"},
              "encryptionType": "EncryptionAtRestWithCustomerKey", "rotationToLatestKeyVersionEnabled": True,
              "activeKey": {"keyUrl": AZ_DISK_KEY, "sourceVault": {"id": "/subscriptions/s/resourceGroups/rg/providers/"
                                                                          "Microsoft.KeyVault/vaults/kv-cell"}}}
    inputs.update(overrides)
    return res(DES, name, {k: v for k, v in inputs.items() if v is not None})


def listener(name: str, protocol: str, actions: list | None = None, **extra) -> PolicyResource:
    forward = [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/tg/1"}]
    return res(LISTENER, name, {"loadBalancerArn": "arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/lb/1",
                                "protocol": protocol, "port": 443 if protocol in ("HTTPS", "TLS") else 80,
                                "defaultActions": actions or forward, **extra})


REDIRECT = [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]


def gcp_lb_cases() -> list[PolicyResource]:
    out = []
    good = res("gcp:compute/regionSslPolicy:RegionSslPolicy", "ssl-modern",
               {"region": "europe-west1", "minTlsVersion": "TLS_1_2", "profile": "MODERN"},
               outputs={"selfLink": "https://www.googleapis.com/compute/v1/projects/p/regions/europe-west1/sslPolicies/ssl-modern",
                        "name": "ssl-modern"})
    weak = res("gcp:compute/sSLPolicy:SSLPolicy", "ssl-weak", {"minTlsVersion": "TLS_1_0", "profile": "COMPATIBLE"},
               outputs={"selfLink": "https://www.googleapis.com/compute/v1/projects/p/global/sslPolicies/ssl-weak",
                        "name": "ssl-weak"})
    default = res("gcp:compute/sSLPolicy:SSLPolicy", "ssl-default", {"profile": "MODERN"})
    out += [good, weak, default]
    umap = "projects/p/regions/europe-west1/urlMaps/app"
    out.append(res("gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy", "proxy-good",
                   {"region": "europe-west1", "urlMap": umap, "sslPolicy": good.outputs["selfLink"],
                    "certificateManagerCertificates": ["projects/p/locations/europe-west1/certificates/c"]},
                   deps={"sslPolicy": [good.urn]}))
    # Matched by value: the weak policy's id, no property dependency.
    out.append(res("gcp:compute/targetHttpsProxy:TargetHttpsProxy", "proxy-weak",
                   {"urlMap": "projects/p/global/urlMaps/app", "sslPolicy": "projects/p/global/sslPolicies/ssl-weak"}))
    out.append(res("gcp:compute/targetHttpsProxy:TargetHttpsProxy", "proxy-nopolicy",
                   {"urlMap": "projects/p/global/urlMaps/app"}))
    # Plain HTTP: one forwarding rule through a redirect-only URL map, one through a serving map.
    for kind, umap_inputs in [("redirect", {"region": "europe-west1", "defaultUrlRedirect": {
                                  "httpsRedirect": True, "stripQuery": False, "redirectResponseCode": "MOVED_PERMANENTLY_DEFAULT"}}),
                              ("serving", {"region": "europe-west1",
                                           "defaultService": "projects/p/regions/europe-west1/backendServices/app"})]:
        m = res("gcp:compute/regionUrlMap:RegionUrlMap", f"map-{kind}", umap_inputs)
        proxy = res("gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy", f"http-{kind}",
                    {"region": "europe-west1", "urlMap": UNKNOWN}, deps={"urlMap": [m.urn]},
                    outputs={"selfLink": f"https://www.googleapis.com/compute/v1/projects/p/regions/europe-west1/targetHttpProxies/http-{kind}"})
        fr = res("gcp:compute/forwardingRule:ForwardingRule", f"fr-{kind}",
                 {"region": "europe-west1", "portRange": "80", "loadBalancingScheme": "EXTERNAL_MANAGED",
                  "target": proxy.outputs["selfLink"]})
        out += [m, proxy, fr]
    # HTTPS forwarding rule: not this rule's business.
    out.append(res("gcp:compute/forwardingRule:ForwardingRule", "fr-https",
                   {"region": "europe-west1", "portRange": "443", "loadBalancingScheme": "EXTERNAL_MANAGED",
                    "target": "projects/p/regions/europe-west1/targetHttpsProxies/proxy-good"}))
    return out


def gateway(name: str, ssl_policy: dict | None, http_rule: dict) -> PolicyResource:
    gw = f"{GW_ID.rsplit('/', 1)[0]}/{name}"
    inputs = {
        "resourceGroupName": "rg",
        "httpListeners": [{"name": "https", "protocol": "Https", "sslCertificate": {"id": f"{gw}/sslCertificates/c"}},
                          {"name": "http", "protocol": "Http"}],
        "redirectConfigurations": [{"name": "to-https", "redirectType": "Permanent", "includePath": True,
                                    "targetListener": {"id": f"{gw}/httpListeners/https"}}],
        "requestRoutingRules": [
            {"name": "https", "ruleType": "Basic", "priority": 100, "httpListener": {"id": f"{gw}/httpListeners/https"},
             "backendAddressPool": {"id": f"{gw}/backendAddressPools/aks"}},
            {"name": "http", "ruleType": "Basic", "priority": 200, "httpListener": {"id": f"{gw}/httpListeners/http"},
             **http_rule(gw)},
        ],
    }
    if ssl_policy is not None:
        inputs["sslPolicy"] = ssl_policy
    return res(GATEWAY, name, inputs)


def redirect_rule(gw):
    return {"redirectConfiguration": {"id": f"{gw}/redirectConfigurations/to-https"}}


def serving_rule(gw):
    return {"backendAddressPool": {"id": f"{gw}/backendAddressPools/aks"}}


def ingress(name: str, spec_extra: dict, annotations: dict | None = None) -> PolicyResource:
    meta = {"name": name, "namespace": "inference", **({"annotations": annotations} if annotations else {})}
    rules = [{"host": "api.example.com", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": "inference", "port": {"number": 8080}}}}]}}]
    return res("kubernetes:networking.k8s.io/v1:Ingress", name,
               {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": {"rules": rules, **spec_extra}})


def default_cases() -> list[PolicyResource]:
    c: list[PolicyResource] = s3_cases() + gcp_lb_cases()
    c += [
        # Fail closed: a package no cloud plugin declares; a data-bearing type (a plugin's fact) no rule judges.
        res("digitalocean:index/spacesBucket:SpacesBucket", "do-bucket", {"region": "fra1"}),
        res("aws:dynamodb/table:Table", "ddb-table", {"billingMode": "PAY_PER_REQUEST"}),
        # A data-bearing type (its plugin's fact) that no rule of the pack judges yet.
        res("aws:kms/replicaKey:ReplicaKey", "kms-replica", {"primaryKeyArn": KMS_ARN}),
        res("gcp:storage/bucket:Bucket", "gcs-cmek", {"location": "EUROPE-WEST1", "encryption": {"defaultKmsKeyName": GCP_KEY}}),
        res("gcp:storage/bucket:Bucket", "gcs-google", {"location": "EUROPE-WEST1"}),
        storage("sa-good"),
        storage("sa-bad", enableHttpsTrafficOnly=False, minimumTlsVersion="TLS1_0", allowBlobPublicAccess=True,
                encryption={"keySource": "Microsoft.Storage", "requireInfrastructureEncryption": False}),
        vault("kv-good", enablePurgeProtection=True, enableSoftDelete=True),
        vault("kv-bad", enableSoftDelete=False),
        res("aws:sns/topic:Topic", "topic-kms", {"kmsMasterKeyId": KMS_ARN}),
        res("aws:sns/topic:Topic", "topic-plain", {"name": "alerts"}),
        res("aws:cloudwatch/logGroup:LogGroup", "logs-kms", {"kmsKeyId": KMS_ARN, "retentionInDays": 90}),
        res("aws:amp/workspace:Workspace", "amp-kms", {"alias": "dev-cell", "kmsKeyArn": KMS_ARN}),
        res("aws:amp/workspace:Workspace", "amp-plain", {"alias": "dev-cell"}),
        res("gcp:logging/projectBucketConfig:ProjectBucketConfig", "logbucket-cmek",
            {"project": "p", "location": "europe-west1", "bucketId": "cell-logs", "retentionDays": 30,
             "cmekSettings": {"kmsKeyName": GCP_KEY}}),
        res("gcp:logging/projectBucketConfig:ProjectBucketConfig", "logbucket-plain",
            {"project": "p", "location": "europe-west1", "bucketId": "cell-logs", "retentionDays": 30}),
        res("aws:cloudwatch/logGroup:LogGroup", "logs-plain", {"retentionInDays": 90}),
        res("aws:eks/cluster:Cluster", "eks-good", {"roleArn": "arn:aws:iam::123456789012:role/eks",
                                                    "vpcConfig": {"subnetIds": ["subnet-1", "subnet-2"]},
                                                    "encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": KMS_ARN}}}),
        res("aws:eks/cluster:Cluster", "eks-bad", {"roleArn": "arn:aws:iam::123456789012:role/eks",
                                                   "vpcConfig": {"subnetIds": ["subnet-1", "subnet-2"]}}),
        res("gcp:container/cluster:Cluster", "gke-good", {"location": "europe-west1",
                                                          "databaseEncryption": {"state": "ENCRYPTED", "keyName": GCP_KEY}}),
        res("gcp:container/cluster:Cluster", "gke-bad", {"location": "europe-west1",
                                                         "databaseEncryption": {"state": "DECRYPTED"}}),
        aks("aks-good", diskEncryptionSetID=DES_ID),
        res(AKS, "aks-bad", {"resourceGroupName": "rg"}),
        aks("aks-platform-disks"),  # etcd encrypted, node OS disks on platform keys
        des("des-good"),
        des("des-double", encryptionType="EncryptionAtRestWithPlatformAndCustomerKeys"),
        des("des-default-type", encryptionType=None),  # Compute's default is the customer key
        des("des-nokey", activeKey=None),
        des("des-pinned", rotationToLatestKeyVersionEnabled=None),  # stays on one key version
        res("aws:kms/key:Key", "kms-rotating", {"enableKeyRotation": True, "rotationPeriodInDays": 90}),
        res("aws:kms/key:Key", "kms-static", {"description": "no rotation"}),
        res("aws:kms/key:Key", "kms-slow", {"enableKeyRotation": True, "rotationPeriodInDays": 730}),
        res("aws:kms/key:Key", "kms-signing", {"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}),
        res("gcp:kms/cryptoKey:CryptoKey", "ck-90d", {"keyRing": "projects/p/locations/europe-west1/keyRings/ring",
                                                      "rotationPeriod": "7776000s"}),
        res("gcp:kms/cryptoKey:CryptoKey", "ck-1y", {"keyRing": "projects/p/locations/europe-west1/keyRings/ring",
                                                     "rotationPeriod": "31536000s"}),
        res("gcp:kms/cryptoKey:CryptoKey", "ck-never", {"keyRing": "projects/p/locations/europe-west1/keyRings/ring"}),
        res("gcp:kms/cryptoKey:CryptoKey", "ck-signing", {"keyRing": "projects/p/locations/europe-west1/keyRings/ring",
                                                          "purpose": "ASYMMETRIC_SIGN"}),
        az_key("azkey-good", [rotate("P90D"), {"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}}]),
        az_key("azkey-notify", [{"action": {"type": "notify"}, "trigger": {"timeBeforeExpiry": "P30D"}}]),
        az_key("azkey-yearly", [rotate("P1Y")], expiry="P2Y"),
        res("aws:ebs/volume:Volume", "ebs-enc", {"availabilityZone": "us-west-2a", "encrypted": True, "kmsKeyId": KMS_ARN}),
        res("aws:ebs/volume:Volume", "ebs-plain", {"availabilityZone": "us-west-2a", "size": 20}),
        res("aws:ec2/launchTemplate:LaunchTemplate", "lt-enc", {"blockDeviceMappings": [
            {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KMS_ARN, "volumeSize": 50}}]}),
        res("aws:ec2/launchTemplate:LaunchTemplate", "lt-plain", {"blockDeviceMappings": [
            {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true"}},
            {"deviceName": "/dev/xvdb", "ebs": {"volumeSize": 100}}]}),
        res("aws:ec2/instance:Instance", "vm-plain", {"instanceType": "t3.micro", "rootBlockDevice": {"volumeSize": 20}}),
        res("aws:ec2/instance:Instance", "vm-enc", {"instanceType": "t3.micro", "rootBlockDevice": {"encrypted": True}}),
        listener("lst-https", "HTTPS", sslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
                 certificateArn="arn:aws:acm:us-west-2:123456789012:certificate/c"),
        listener("lst-https-default", "HTTPS", certificateArn="arn:aws:acm:us-west-2:123456789012:certificate/c"),
        listener("lst-https-old", "HTTPS", sslPolicy="ELBSecurityPolicy-2016-08"),
        listener("lst-http-redirect", "HTTP", REDIRECT),
        listener("lst-http-forward", "HTTP"),
        listener("lst-tcp", "TCP"),
        listener("lst-tls", "TLS", sslPolicy="ELBSecurityPolicy-TLS13-1-3-2021-06"),
        gateway("gw-good", {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101"}, redirect_rule),
        gateway("gw-custom", {"policyType": "CustomV2", "minProtocolVersion": "TLSv1_2"}, redirect_rule),
        gateway("gw-old", {"policyType": "Predefined", "policyName": "AppGwSslPolicy20150501"}, serving_rule),
        gateway("gw-nopolicy", None, redirect_rule),
        ingress("ing-tls", {"tls": [{"hosts": ["api.example.com"], "secretName": "api-tls"}]}),
        ingress("ing-alb", {}, {"alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:us-west-2:123456789012:certificate/c"}),
        ingress("ing-plain", {}),
        ingress("ing-partial", {"tls": [{"hosts": ["other.example.com"], "secretName": "other-tls"}]}),
    ]
    password = res("random:index/randomPassword:RandomPassword", "db-password", {"length": 32})
    c += [
        password,
        res("kubernetes:core/v1:Secret", "secret-literal",
            {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "hunter2"}}),
        res("kubernetes:core/v1:Secret", "secret-derived",
            {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": "[secret]"}},
            deps={"stringData": [password.urn]}),
    ]
    return c


def unknown_cases() -> list[PolicyResource]:
    bucket = res(S3_BUCKET, "u-bucket", {}, outputs={"id": UNKNOWN, "bucket": UNKNOWN})
    return [
        bucket,
        # No property dependency and an unknown bucket name: which bucket it encrypts cannot be told.
        res(S3_SSE, "u-sse", {"bucket": UNKNOWN, "rules": sse("aws:kms", KMS_ARN)}),
        storage("u-storage", minimumTlsVersion=UNKNOWN),
        res("gcp:kms/cryptoKey:CryptoKey", "u-key", {"keyRing": UNKNOWN, "rotationPeriod": UNKNOWN}),
        res("gcp:container/cluster:Cluster", "u-gke", {"location": "europe-west1",
                                                       "databaseEncryption": {"state": "ENCRYPTED", "keyName": UNKNOWN}}),
        listener("u-listener", "HTTPS", sslPolicy=UNKNOWN),
        res("aws:eks/cluster:Cluster", "u-eks", {"roleArn": UNKNOWN, "vpcConfig": {"subnetIds": [UNKNOWN]},
                                                 "encryptionConfig": UNKNOWN}),
        # The set's id and the key's version exist only once the set and the key do.
        aks("u-aks", diskEncryptionSetID=UNKNOWN),
        des("u-des", activeKey={"keyUrl": UNKNOWN}),
        # An unknown that does not decide the result does not hide a violation.
        res("aws:sns/topic:Topic", "u-topic", {"name": UNKNOWN}),
    ]


def as_report_inputs(value):
    if value == UNKNOWN:
        return "[unknown]"
    if isinstance(value, dict):
        return {k: as_report_inputs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_report_inputs(v) for v in value]
    return value


@pytest.fixture(scope="module")
def default_run():
    return analyze(PACK, default_cases())


@pytest.fixture(scope="module")
def unknown_run():
    return analyze(PACK, unknown_cases())


def findings(result, policy: str, name: str, level: str | None = None) -> list:
    return [d for d in result.diagnostics if d.policy == policy and d.urn.endswith(f"::{name}")
            and (level is None or d.level == level)]


# (policy, failing resources, passing resources)
CASES = [
    ("aws-s3-bucket-kms-encryption", ["b-aes", "b-awsmanaged", "b-none"], ["b-kms", "b-dsse", "b-byvalue", "b-alblogs"]),
    ("aws-s3-bucket-tls-only", ["b-aes", "b-awsmanaged", "b-none"], ["b-kms", "b-dsse", "b-byvalue"]),
    ("gcp-storage-bucket-cmek", ["gcs-google"], ["gcs-cmek"]),
    ("azure-storage-account-cmk", ["sa-bad"], ["sa-good"]),
    ("azure-storage-infrastructure-encryption", ["sa-bad"], ["sa-good"]),
    ("azure-storage-no-public-blob-access", ["sa-bad"], ["sa-good"]),
    ("azure-storage-https-only", ["sa-bad"], ["sa-good"]),
    ("azure-storage-min-tls", ["sa-bad"], ["sa-good"]),
    ("azure-key-vault-recoverable", ["kv-bad"], ["kv-good"]),
    ("aws-sns-topic-kms", ["topic-plain"], ["topic-kms"]),
    ("aws-cloudwatch-log-group-kms", ["logs-plain"], ["logs-kms"]),
    ("aws-amp-workspace-kms", ["amp-plain"], ["amp-kms"]),
    ("gcp-log-bucket-cmek", ["logbucket-plain"], ["logbucket-cmek"]),
    ("aws-eks-secrets-encryption", ["eks-bad"], ["eks-good"]),
    ("gcp-gke-secrets-encryption", ["gke-bad"], ["gke-good"]),
    ("azure-aks-secrets-encryption", ["aks-bad"], ["aks-good", "aks-platform-disks"]),
    ("azure-aks-os-disk-cmk", ["aks-bad", "aks-platform-disks"], ["aks-good"]),
    ("azure-disk-encryption-set-cmk", ["des-nokey", "des-pinned"],
     ["des-good", "des-double", "des-default-type"]),
    ("aws-key-rotation", ["kms-static", "kms-slow"], ["kms-rotating", "kms-signing"]),
    ("gcp-key-rotation", ["ck-1y", "ck-never"], ["ck-90d", "ck-signing"]),
    ("azure-key-rotation", ["azkey-notify", "azkey-yearly"], ["azkey-good"]),
    ("aws-ebs-encryption", ["ebs-plain", "lt-plain", "vm-plain"], ["ebs-enc", "lt-enc", "vm-enc"]),
    ("aws-lb-listener-tls-policy", ["lst-https-default", "lst-https-old"], ["lst-https", "lst-tls", "lst-http-redirect"]),
    ("aws-lb-listener-no-plaintext", ["lst-http-forward", "lst-tcp"], ["lst-http-redirect", "lst-https", "lst-tls"]),
    ("gcp-ssl-policy-min-tls", ["ssl-weak", "ssl-default"], ["ssl-modern"]),
    ("gcp-https-proxy-ssl-policy", ["proxy-weak", "proxy-nopolicy"], ["proxy-good"]),
    ("gcp-http-forwarding-redirect-only", ["fr-serving"], ["fr-redirect", "fr-https"]),
    ("azure-app-gateway-tls-policy", ["gw-old", "gw-nopolicy"], ["gw-good", "gw-custom"]),
    ("azure-app-gateway-http-redirect-only", ["gw-old"], ["gw-good", "gw-custom", "gw-nopolicy"]),
    ("k8s-ingress-tls", ["ing-plain", "ing-partial"], ["ing-tls", "ing-alb"]),
    ("encryption-package-known", ["do-bucket"], ["gcs-google", "sa-bad", "ddb-table"]),
    ("encryption-data-type-judged", ["kms-replica"], ["gcs-cmek", "sa-good", "do-bucket", "ddb-table"]),
]


@pytest.mark.parametrize("policy,failing,passing", CASES, ids=[c[0] for c in CASES])
def test_rule_fails_and_passes(default_run, policy, failing, passing):
    for name in failing:
        got = findings(default_run, policy, name, "mandatory")
        assert got, f"{policy}: expected a mandatory violation on {name}"
    for name in passing:
        assert not findings(default_run, policy, name), f"{policy}: unexpected {findings(default_run, policy, name)}"


def test_every_rule_has_cases(default_run):
    from test_encryption_coverage import STORE_CASES
    tested = {c[0] for c in CASES} | {c[0] for c in STORE_CASES} | {"k8s-secret-no-literal-data",
                                                                      "encryption-type-not-covered"}
    assert {p["name"] for p in default_run.policies} == tested


def test_policy_metadata(default_run):
    for p in default_run.policies:
        assert p["description"].endswith(".") and "\n" not in p["description"], p
        assert p["remediation"], p
        expected = "advisory" if p["name"] in ("k8s-secret-no-literal-data", "encryption-type-not-covered") else "mandatory"
        assert p["level"] == expected, p
    frameworks = {p["name"]: p["framework"] for p in default_run.policies}
    assert frameworks["aws-key-rotation"].startswith("CIS Amazon Web Services")
    assert frameworks["gcp-key-rotation"].startswith("CIS Google Cloud Platform")
    assert frameworks["aws-lb-listener-no-plaintext"] == "PCI DSS"


def test_messages_say_what_is_wrong(default_run):
    (d,) = findings(default_run, "aws-s3-bucket-kms-encryption", "b-aes")
    assert "AES256" in d.message
    (d,) = findings(default_run, "aws-s3-bucket-kms-encryption", "b-awsmanaged")
    assert "aws/s3" in d.message
    (d,) = findings(default_run, "gcp-key-rotation", "ck-1y")
    assert "365 days" in d.message and "90" in d.message
    (d,) = findings(default_run, "aws-lb-listener-tls-policy", "lst-https-default")
    assert "ELBSecurityPolicy-2016-08" in d.message
    (d,) = findings(default_run, "aws-ebs-encryption", "lt-plain")
    assert "blockDeviceMappings[1].ebs.encrypted" in d.message
    (d,) = findings(default_run, "k8s-ingress-tls", "ing-partial")
    assert "api.example.com" in d.message
    (d,) = findings(default_run, "azure-aks-os-disk-cmk", "aks-platform-disks")
    assert "diskEncryptionSetID not set" in d.message
    (d,) = findings(default_run, "azure-disk-encryption-set-cmk", "des-nokey")
    assert "activeKey.keyUrl not set" in d.message
    (d,) = findings(default_run, "azure-disk-encryption-set-cmk", "des-pinned")
    assert "rotationToLatestKeyVersionEnabled" in d.message


def test_literal_secret_is_a_warning(default_run):
    assert [d.level for d in findings(default_run, "k8s-secret-no-literal-data", "secret-literal")] == ["advisory"]
    assert not findings(default_run, "k8s-secret-no-literal-data", "secret-derived")


def test_type_indexed_analyzer_matches_the_stock_one(default_run):
    """The pack dispatches Analyze by type for speed; pulumi_policy's own analyzer must agree."""
    os.environ["ENCRYPTION_PACK_PLAIN_ANALYZER"] = "1"
    try:
        stock = analyze(PACK, default_cases())
    finally:
        del os.environ["ENCRYPTION_PACK_PLAIN_ANALYZER"]
    key = lambda d: (d.policy, d.urn, d.level, d.message)  # noqa: E731
    assert sorted(map(key, stock.diagnostics)) == sorted(map(key, default_run.diagnostics))


def test_no_diagnostics_on_unrelated_resources(default_run):
    assert not [d for d in default_run.diagnostics if d.urn.endswith("::db-password")]


def test_unknowns_are_advisory_cannot_verify(unknown_run):
    by_policy = {}
    for d in unknown_run.diagnostics:
        by_policy.setdefault(d.policy, []).append(d)
    for policy, name in [("azure-storage-min-tls", "u-storage"), ("gcp-key-rotation", "u-key"),
                         ("gcp-gke-secrets-encryption", "u-gke"), ("aws-lb-listener-tls-policy", "u-listener"),
                         ("aws-eks-secrets-encryption", "u-eks"), ("azure-aks-os-disk-cmk", "u-aks"),
                         ("azure-disk-encryption-set-cmk", "u-des")]:
        got = findings(unknown_run, policy, name)
        assert got and all(d.level == "advisory" and "cannot verify at preview" in d.message for d in got), (policy, got)
    # Stack rule: the unbound configuration makes the bucket undecidable, not compliant and not violating.
    (d,) = by_policy["aws-s3-bucket-kms-encryption"]
    assert d.level == "advisory" and "cannot verify at preview" in d.message and "u-bucket" in d.message
    # Known parts still decide: the storage account's other rules pass, the topic still violates.
    assert not findings(unknown_run, "azure-storage-https-only", "u-storage")
    assert [d.level for d in findings(unknown_run, "aws-sns-topic-kms", "u-topic")] == ["mandatory"]
    assert not [d for d in unknown_run.diagnostics if d.level == "mandatory" and not d.urn.endswith("::u-topic")
                and d.policy != "aws-s3-bucket-tls-only"]


CONFIG = {
    "aws-sns-topic-kms": "advisory",
    "aws-cloudwatch-log-group-kms": "disabled",
    "gcp-storage-bucket-cmek": {"exemptions": [
        {"resource": "gcs-exempt-*", "reason": "public website assets", "expires": "2099-12-31"},
        {"resource": "gcs-expired", "reason": "migration window", "expires": "2020-01-01"},
        {"resource": urn("gcp:storage/bucket:Bucket", "gcs-by-urn"), "reason": "vendor bucket", "expires": "2099-12-31"},
    ]},
    "aws-s3-bucket-kms-encryption": {"exemptions": [
        {"resource": "b-none", "reason": "log archive, SSE-S3 accepted", "expires": "2099-12-31"}]},
    "aws-lb-listener-tls-policy": {"allowedTlsPolicies": ["ELBSecurityPolicy-TLS13-1-3-*"]},
    "gcp-key-rotation": {"maxRotationDays": 30},
}


@pytest.fixture(scope="module")
def config_run():
    cases = [
        res("aws:sns/topic:Topic", "topic-plain", {}),
        res("aws:cloudwatch/logGroup:LogGroup", "logs-plain", {}),
        res("gcp:storage/bucket:Bucket", "gcs-exempt-site", {"location": "EU"}),
        res("gcp:storage/bucket:Bucket", "gcs-expired", {"location": "EU"}),
        res("gcp:storage/bucket:Bucket", "gcs-by-urn", {"location": "EU"}),
        res("gcp:storage/bucket:Bucket", "gcs-other", {"location": "EU"}),
        res(S3_BUCKET, "b-none", {"bucket": "b-none"}),
        res(S3_BUCKET, "b-other", {"bucket": "b-other"}),
        listener("lst-tls12", "HTTPS", sslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06"),
        listener("lst-tls13", "HTTPS", sslPolicy="ELBSecurityPolicy-TLS13-1-3-2021-06"),
        res("gcp:kms/cryptoKey:CryptoKey", "ck-90d", {"keyRing": "projects/p/locations/eu/keyRings/r",
                                                      "rotationPeriod": "7776000s"}),
        res("gcp:kms/cryptoKey:CryptoKey", "ck-7d", {"keyRing": "projects/p/locations/eu/keyRings/r",
                                                     "rotationPeriod": "604800s"}),
    ]
    return analyze(PACK, cases, config=CONFIG)


def test_config_enforcement_levels(config_run):
    assert [d.level for d in findings(config_run, "aws-sns-topic-kms", "topic-plain")] == ["advisory"]
    assert not findings(config_run, "aws-cloudwatch-log-group-kms", "logs-plain")


def test_config_exemptions_by_name_urn_and_expiry(config_run):
    assert not findings(config_run, "gcp-storage-bucket-cmek", "gcs-exempt-site")
    assert not findings(config_run, "gcp-storage-bucket-cmek", "gcs-by-urn")
    assert findings(config_run, "gcp-storage-bucket-cmek", "gcs-expired", "mandatory")
    assert findings(config_run, "gcp-storage-bucket-cmek", "gcs-other", "mandatory")
    # Stack rules honour exemptions too.
    assert not findings(config_run, "aws-s3-bucket-kms-encryption", "b-none")
    assert findings(config_run, "aws-s3-bucket-kms-encryption", "b-other", "mandatory")
    assert findings(config_run, "aws-s3-bucket-tls-only", "b-none", "mandatory")


def test_config_rule_options(config_run):
    assert findings(config_run, "aws-lb-listener-tls-policy", "lst-tls12", "mandatory")
    assert not findings(config_run, "aws-lb-listener-tls-policy", "lst-tls13")
    assert findings(config_run, "gcp-key-rotation", "ck-90d", "mandatory")
    assert not findings(config_run, "gcp-key-rotation", "ck-7d")


def test_test_inputs_match_provider_schemas():
    if not schema_check.available():
        pytest.skip("provider schemas not present")
    problems = []
    for r in default_cases() + unknown_cases():
        if r.type.startswith("random:"):
            continue
        problems += schema_check.violations({"type": r.type, "name": r.name, "inputs": as_report_inputs(r.inputs)})
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- pure parts (no pack process)

sys.path.insert(0, str(PACK))
from encryption_rules import exemptions, model, stack  # noqa: E402


def test_durations():
    assert model.duration_days("7776000s") == 90
    assert model.duration_days("P90D") == 90
    assert model.duration_days("P1Y") == 365
    assert model.duration_days("P2W") == 14
    assert model.duration_days("ninety days") is None


def test_disk_encryption_set_type_must_use_a_customer_key():
    """A type outside the set's customer-key types (the provider's schema allows none, so no analyzer case)."""
    from encryption_rules import at_rest

    (rule,) = [r for r in at_rest.RULES if r.id == "azure-disk-encryption-set-cmk"]
    props = {"activeKey": {"keyUrl": AZ_DISK_KEY}, "rotationToLatestKeyVersionEnabled": True}

    def check(**extra):
        return list(rule.check(stack.Res(DES, "des", urn(DES, "des"), {**props, **extra}), None))

    (finding,) = check(encryptionType="EncryptionAtRestWithPlatformKey")
    assert not finding.unknown  # a violation, not a cannot-verify note
    assert "'EncryptionAtRestWithPlatformKey'" in finding.message and "EncryptionAtRestWithCustomerKey" in finding.message
    assert check(encryptionType="EncryptionAtRestWithPlatformAndCustomerKeys") == []
    assert check() == []  # absent: Compute's default, the customer key


def test_bad_exemptions_are_config_errors():
    with pytest.raises(exemptions.ConfigError, match="expires '31/12/2099' is not a YYYY-MM-DD date"):
        exemptions.parse_exemptions("r", [{"resource": "x", "reason": "y", "expires": "31/12/2099"}])
    with pytest.raises(exemptions.ConfigError, match="missing reason"):
        exemptions.parse_exemptions("r", [{"resource": "x", "expires": "2099-12-31"}])
