"""Resources per second the encryption pack analyzes, through its real analyzer gRPC protocol.

A synthetic stack of N cells' worth of resources (buckets with their encryption configuration and
TLS-only policy, keys, clusters, listeners, SSL policies and proxies, storage accounts, gateways,
Ingresses and Secrets; half compliant, half not) goes through offline/analyzer.py exactly as a
preview does: Analyze per resource, then AnalyzeStack with every resource. Not a test: run it by
hand and put the figure in the issue note (goal: 2,000 resources/s or more).

    .venv/bin/python bench/policy_throughput.py [--cells N] [--pack DIR]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from components.clouds.aws.iam import deny_insecure_transport  # noqa: E402
from offline.analyzer import PolicyResource, _struct, analyze  # noqa: E402

KMS = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
GCP_KEY = "projects/p/locations/europe-west1/keyRings/ring/cryptoKeys/key"


def _r(cell: int, type_: str, name: str, inputs: dict, outputs: dict | None = None, deps: dict | None = None):
    name = f"c{cell}-{name}"
    # Wire structs, as the engine hands captured resources to the analyzer.
    return PolicyResource(urn=f"urn:pulumi:bench::platform::{type_}::{name}", type=type_, name=name,
                          inputs=_struct(inputs), outputs=_struct(outputs) if outputs else None,
                          property_dependencies=deps or {})


def cell(i: int) -> list[PolicyResource]:
    good = i % 2 == 0
    bucket = _r(i, "aws:s3/bucket:Bucket", "bucket", {"bucket": f"c{i}-bucket"}, outputs={"id": f"c{i}-bucket"})
    deny = deny_insecure_transport("s3:*", f"arn:aws:s3:::c{i}-bucket/*")
    ssl = _r(i, "gcp:compute/regionSslPolicy:RegionSslPolicy", "ssl",
             {"region": "europe-west1", "minTlsVersion": "TLS_1_2" if good else "TLS_1_0", "profile": "MODERN"})
    return [
        bucket,
        _r(i, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "sse",
           {"bucket": f"c{i}-bucket", "rules": [{"applyServerSideEncryptionByDefault": {
               "sseAlgorithm": "aws:kms" if good else "AES256", **({"kmsMasterKeyId": KMS} if good else {})},
               "bucketKeyEnabled": True}]}, deps={"bucket": [bucket.urn]}),
        _r(i, "aws:s3/bucketPolicy:BucketPolicy", "tls-only",
           {"bucket": f"c{i}-bucket", "policy": json.dumps({"Statement": [deny]})}, deps={"bucket": [bucket.urn]}),
        _r(i, "aws:kms/key:Key", "key", {"enableKeyRotation": good, "description": "cell key"}),
        _r(i, "aws:eks/cluster:Cluster", "eks", {"roleArn": "arn:aws:iam::123456789012:role/eks",
                                                 "vpcConfig": {"subnetIds": ["subnet-1", "subnet-2"]},
                                                 **({"encryptionConfig": {"resources": ["secrets"],
                                                                          "provider": {"keyArn": KMS}}} if good else {})}),
        _r(i, "aws:lb/listener:Listener", "https", {"loadBalancerArn": "arn:lb", "protocol": "HTTPS", "port": 443,
                                                    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06" if good else
                                                    "ELBSecurityPolicy-2016-08",
                                                    "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]}),
        _r(i, "aws:lb/listener:Listener", "http", {"loadBalancerArn": "arn:lb", "protocol": "HTTP", "port": 80,
                                                   "defaultActions": [{"type": "redirect", "redirect": {
                                                       "protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]}),
        _r(i, "aws:ec2/launchTemplate:LaunchTemplate", "nodes", {"blockDeviceMappings": [
            {"deviceName": "/dev/xvda", "ebs": {"encrypted": "true" if good else "false", "volumeSize": 50}}]}),
        _r(i, "gcp:storage/bucket:Bucket", "gcs", {"location": "EU", **(
            {"encryption": {"defaultKmsKeyName": GCP_KEY}} if good else {})}),
        _r(i, "gcp:kms/cryptoKey:CryptoKey", "ck", {"keyRing": "projects/p/locations/eu/keyRings/r",
                                                    "rotationPeriod": "7776000s" if good else "31536000s"}),
        ssl,
        _r(i, "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy", "proxy",
           {"region": "europe-west1", "urlMap": "projects/p/regions/europe-west1/urlMaps/app",
            "sslPolicy": "projects/p/regions/europe-west1/sslPolicies/ssl"}, deps={"sslPolicy": [ssl.urn]}),
        _r(i, "azure-native:storage:StorageAccount", "sa", {
            "resourceGroupName": "rg", "kind": "StorageV2", "sku": {"name": "Standard_ZRS"},
            "enableHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2" if good else "TLS1_0",
            "allowBlobPublicAccess": False,
            "encryption": {"keySource": "Microsoft.Keyvault", "requireInfrastructureEncryption": True,
                           "keyVaultProperties": {"keyName": "k", "keyVaultUri": "https://kv.vault.azure.net"}}}),
        _r(i, "azure-native:keyvault:Vault", "kv", {"resourceGroupName": "rg", "properties": {
            "tenantId": "t", "sku": {"family": "A", "name": "standard"}, "enablePurgeProtection": good}}),
        _r(i, "kubernetes:networking.k8s.io/v1:Ingress", "ing", {"spec": {"tls": [{"hosts": ["a.example.com"],
                                                                                  "secretName": "tls"}] if good else []}}),
        _r(i, "kubernetes:apps/v1:Deployment", "app", {"metadata": {"name": "app"}, "spec": {"replicas": 2}}),
        _r(i, "aws:ec2/subnet:Subnet", "subnet", {"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/24"}),
        _r(i, "aws:iam/role:Role", "role", {"assumeRolePolicy": "{}"}),
        _r(i, "gcp:compute/subnetwork:Subnetwork", "gsubnet", {"ipCidrRange": "10.1.0.0/20", "network": "n"}),
        _r(i, "azure-native:network:VirtualNetwork", "vnet", {"resourceGroupName": "rg"}),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=250, help="synthetic cells (20 resources each)")
    ap.add_argument("--pack", default=str(REPO / "policy" / "encryption"))
    args = ap.parse_args()
    resources = [r for i in range(args.cells) for r in cell(i)]
    start = time.perf_counter()
    analyze(args.pack, [])  # the pack's start-up alone (a new interpreter importing pulumi and grpc)
    startup = time.perf_counter() - start
    start = time.perf_counter()
    result = analyze(args.pack, resources)
    elapsed = time.perf_counter() - start
    mandatory = sum(1 for d in result.diagnostics if d.level == "mandatory")
    print(f"{len(resources)} resources, {len(result.policies)} policies, {mandatory} mandatory violations, "
          f"{elapsed:.2f} s including the pack's start ({startup:.2f} s): {len(resources) / elapsed:,.0f} resources/s "
          f"overall, {len(resources) / max(elapsed - startup, 1e-9):,.0f} resources/s analyzing")


if __name__ == "__main__":
    main()
