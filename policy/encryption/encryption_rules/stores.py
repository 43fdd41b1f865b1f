"""Data stores and transports beyond the cell's own pieces: the pack's standard (customer-managed keys
at rest, TLS 1.2+ in transit) applied to what a platform team plausibly adds.

Two layers:
- `encryption-cmk-from-schema`: every resource type whose schema has a top-level customer-managed-key
  input (schema_facts.json, generated from the provider schemas by gen_schema_facts.py) must set one,
  unless a rule below (or elsewhere in the pack) judges that type more precisely. No hand-kept list.
- Type rules where the key is nested or needs a switch too (RDS `storageEncrypted`, DynamoDB
  `serverSideEncryption`, ECR `encryptionConfigurations`, ...), and transports the schema cannot
  judge by a name (CloudFront, Cloud SQL, App Service, a Kubernetes LoadBalancer Service).

Every path is checked against the provider schemas by tests/test_encryption_coverage.py, and each
`default` is the provider's documented value when the input is absent (cited where it matters).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

from .at_rest import Expect, _present, _true
from .model import cannot_verify, Finding, framework, pci, require, Rule, rule, violation
from .stack import Res
from .values import as_list, get, is_unknown

FACTS = json.loads((Path(__file__).resolve().parent.parent / "schema_facts.json").read_text())
PCI_AT_REST = pci("3.5.1", "Stored account data is rendered unreadable with strong cryptography")
PCI_IN_TRANSIT = pci("4.2.1", "Strong cryptography protects cardholder data during transmission over open, "
                              "public networks")
CIS_AZURE = "CIS Microsoft Azure Foundations Benchmark"


def _false(v: Any) -> bool:
    return v is False or v == "false"


def _one_of(*allowed: str) -> Callable[[Any], bool]:
    return lambda v: v in allowed


# One expectation (`path` satisfies `ok`; `default`: the provider's value when absent): at_rest's Expect.
Need = Expect


def _judge(need: "Expect | Each", props: Any, prefix: str = "") -> Iterator[Finding]:
    if isinstance(need, Each):
        yield from need.check(props, prefix)
    else:
        yield from require(get(props, need.path, need.default), need.ok, prefix + need.path, need.wanted)


class Each:
    """Expectations on every element of the list at `path` (an absent list: nothing to judge)."""

    def __init__(self, path: str, *needs: Need, when: Callable[[Any], bool] = lambda item: True):
        self.path, self.needs, self.when = path, needs, when

    def check(self, props: Any, prefix: str = "") -> Iterator[Finding]:
        items = as_list(get(props, self.path))
        if is_unknown(items):
            yield cannot_verify(f"{prefix}{self.path} ({items.path})")
            return
        for i, item in enumerate(items):
            if is_unknown(item):
                yield cannot_verify(f"{prefix}{self.path}[{i}]")
            elif self.when(item):
                for n in self.needs:
                    yield from _judge(n, item, f"{prefix}{self.path}[{i}].")


def _checks(*needs, skip: Callable[[dict], bool] = lambda p: False):
    def check(res: Res, _settings) -> Iterator[Finding]:
        if skip(res.props):
            return
        for n in needs:
            yield from _judge(n, res.props)
    return check


# rule id -> its expectations (the schema-path test reads them)
NEEDS: dict[str, tuple] = {}


def store_rule(id: str, types: tuple[str, ...], description: str, remediation: str, fw, *needs,
               skip: Callable[[dict], bool] = lambda p: False) -> Rule:
    NEEDS[id] = needs
    return rule(id=id, types=types, description=description, remediation=remediation, framework=fw,
                check=_checks(*needs, skip=skip))


# --------------------------------------------------------------------------- AWS at rest

_in_aurora_cluster = lambda p: _present(get(p, "clusterIdentifier"))  # noqa: E731 (storage is the cluster's)

AWS_RULES = [
    store_rule("aws-rds-storage-cmk", ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:docdb/cluster:Cluster"),
               "RDS/Aurora and DocumentDB storage is encrypted with a customer-managed KMS key.",
               "Set storageEncrypted to true and kmsKeyId to a customer-managed key (only when the database is created; "
               "an existing one is re-created from an encrypted snapshot copy).",
               framework("CIS Amazon Web Services Foundations Benchmark", "3.0.0", "2.3.1",
                         "Ensure that encryption-at-rest is enabled for RDS Instances"),
               Need("storageEncrypted", _true, "true", default=False), Need("kmsKeyId", _present, "a KMS key ARN"),
               skip=_in_aurora_cluster),
    store_rule("aws-neptune-storage-cmk", ("aws:neptune/cluster:Cluster",),
               "Neptune clusters encrypt storage with a customer-managed KMS key.",
               "Set storageEncrypted to true and kmsKeyArn to a customer-managed key.", PCI_AT_REST,
               Need("storageEncrypted", _true, "true", default=False), Need("kmsKeyArn", _present, "a KMS key ARN")),
    store_rule("aws-dynamodb-cmk", ("aws:dynamodb/table:Table",),
               "DynamoDB tables are encrypted with a customer-managed KMS key (the default is an AWS-owned key).",
               "Set serverSideEncryption {enabled: true, kmsKeyArn: <customer-managed key>}.", PCI_AT_REST,
               Need("serverSideEncryption.enabled", _true, "true"),
               Need("serverSideEncryption.kmsKeyArn", _present, "a KMS key ARN")),
    store_rule("aws-kinesis-stream-cmk", ("aws:kinesis/stream:Stream",),
               "Kinesis data streams encrypt records with a customer-managed KMS key.",
               "Set encryptionType to KMS and kmsKeyId to a customer-managed key (not alias/aws/kinesis).", PCI_AT_REST,
               Need("encryptionType", _one_of("KMS"), "KMS", default="NONE"),
               Need("kmsKeyId", lambda v: _present(v) and v != "alias/aws/kinesis", "a customer-managed KMS key")),
    store_rule("aws-firehose-cmk", ("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",),
               "Firehose delivery streams encrypt buffered data with a customer-managed KMS key.",
               "Set serverSideEncryption {enabled: true, keyType: CUSTOMER_MANAGED_CMK, keyArn: <key>}.", PCI_AT_REST,
               Need("serverSideEncryption.enabled", _true, "true"),
               Need("serverSideEncryption.keyType", _one_of("CUSTOMER_MANAGED_CMK"), "CUSTOMER_MANAGED_CMK"),
               Need("serverSideEncryption.keyArn", _present, "a KMS key ARN")),
    store_rule("aws-elasticache-encryption", ("aws:elasticache/replicationGroup:ReplicationGroup",),
               "ElastiCache replication groups encrypt at rest with a customer-managed key and in transit with TLS.",
               "Set atRestEncryptionEnabled and transitEncryptionEnabled to true and kmsKeyId to a customer-managed "
               "key (both switches only when the group is created).", PCI_AT_REST,
               Need("atRestEncryptionEnabled", _true, "true"), Need("kmsKeyId", _present, "a KMS key ARN"),
               Need("transitEncryptionEnabled", _true, "true")),
    store_rule("aws-elasticache-cluster-tls", ("aws:elasticache/cluster:Cluster",),
               "Stand-alone ElastiCache clusters encrypt connections with TLS.",
               "Set transitEncryptionEnabled to true (Redis/Valkey 7+ or Memcached 1.6.12+), or use a replication "
               "group, which also encrypts at rest.", PCI_IN_TRANSIT,
               Need("transitEncryptionEnabled", _true, "true")),
    store_rule("aws-ecr-cmk", ("aws:ecr/repository:Repository",),
               "ECR repositories encrypt images with a customer-managed KMS key (the default is AES256).",
               "Set encryptionConfigurations [{encryptionType: KMS, kmsKey: <key ARN>}] (only when the repository is "
               "created).", PCI_AT_REST,
               Need("encryptionConfigurations.0.encryptionType", _one_of("KMS", "KMS_DSSE"), "KMS", default="AES256"),
               Need("encryptionConfigurations.0.kmsKey", _present, "a KMS key ARN")),
    store_rule("aws-redshift-cmk", ("aws:redshift/cluster:Cluster",),
               "Redshift clusters encrypt data with a customer-managed KMS key.",
               "Set encrypted to true and kmsKeyId to a customer-managed key.", PCI_AT_REST,
               Need("encrypted", _true, "true", default=True), Need("kmsKeyId", _present, "a KMS key ARN")),
    store_rule("aws-efs-cmk", ("aws:efs/fileSystem:FileSystem",),
               "EFS file systems encrypt data with a customer-managed KMS key.",
               "Set encrypted to true and kmsKeyId to a customer-managed key (only when the file system is created).",
               PCI_AT_REST, Need("encrypted", _true, "true", default=False), Need("kmsKeyId", _present, "a KMS key ARN")),
    store_rule("aws-opensearch-encryption", ("aws:opensearch/domain:Domain",),
               "OpenSearch domains encrypt at rest with a customer-managed key, between nodes, and serve HTTPS with TLS 1.2+.",
               "Set encryptAtRest {enabled: true, kmsKeyId}, nodeToNodeEncryption.enabled true and domainEndpointOptions "
               "{enforceHttps: true, tlsSecurityPolicy: Policy-Min-TLS-1-2-2019-07 or Policy-Min-TLS-1-2-PFS-2023-10}.",
               PCI_AT_REST,
               Need("encryptAtRest.enabled", _true, "true"), Need("encryptAtRest.kmsKeyId", _present, "a KMS key ARN"),
               Need("nodeToNodeEncryption.enabled", _true, "true"),
               Need("domainEndpointOptions.enforceHttps", _true, "true"),
               Need("domainEndpointOptions.tlsSecurityPolicy", _one_of("Policy-Min-TLS-1-2-2019-07",
                                                                       "Policy-Min-TLS-1-2-PFS-2023-10"),
                    "a TLS 1.2 minimum policy")),
    store_rule("aws-msk-encryption", ("aws:msk/cluster:Cluster",),
               "MSK clusters encrypt at rest with a customer-managed key and every connection with TLS.",
               "Set encryptionInfo {encryptionAtRestKmsKeyArn, encryptionInTransit {clientBroker: TLS, inCluster: true}}.",
               PCI_AT_REST,
               Need("encryptionInfo.encryptionAtRestKmsKeyArn", _present, "a KMS key ARN"),
               # MSK's defaults: TLS to clients and within the cluster.
               Need("encryptionInfo.encryptionInTransit.clientBroker", _one_of("TLS"), "TLS", default="TLS"),
               Need("encryptionInfo.encryptionInTransit.inCluster", _true, "true", default=True)),
]

# --------------------------------------------------------------------------- AWS CloudFront (in transit)

_HTTPS_VIEWER = _one_of("redirect-to-https", "https-only")
CLOUDFRONT_RULE = store_rule(
    "aws-cloudfront-tls", ("aws:cloudfront/distribution:Distribution",),
    "CloudFront distributions serve viewers HTTPS with TLS 1.2+ and reach custom origins over HTTPS with TLS 1.2.",
    "Use a custom viewer certificate with minimumProtocolVersion TLSv1.2_2021 (the default certificate allows "
    "TLSv1), viewerProtocolPolicy redirect-to-https or https-only on every cache behavior, and on custom origins "
    "originProtocolPolicy https-only with originSslProtocols [TLSv1.2].",
    PCI_IN_TRANSIT,
    Need("viewerCertificate.minimumProtocolVersion", lambda v: isinstance(v, str) and v.startswith("TLSv1.2"),
         "TLSv1.2_2019 or later", default="TLSv1"),
    Need("defaultCacheBehavior.viewerProtocolPolicy", _HTTPS_VIEWER, "redirect-to-https or https-only"),
    Each("orderedCacheBehaviors", Need("viewerProtocolPolicy", _HTTPS_VIEWER, "redirect-to-https or https-only")),
    Each("origins", Need("customOriginConfig.originProtocolPolicy", _one_of("https-only"), "https-only"),
         Need("customOriginConfig.originSslProtocols", lambda v: isinstance(v, list) and set(v) <= {"TLSv1.2"},
              '["TLSv1.2"]'),
         when=lambda o: get(o, "customOriginConfig") is not None))

# --------------------------------------------------------------------------- GCP

GCP_RULES = [
    store_rule("gcp-sql-cmek-tls", ("gcp:sql/databaseInstance:DatabaseInstance",),
               "Cloud SQL instances use a customer-managed key, accept only encrypted connections and have no public IP.",
               "Set encryptionKeyName to a Cloud KMS key of the instance's region (only at creation), "
               "settings.ipConfiguration.sslMode to ENCRYPTED_ONLY (or TRUSTED_CLIENT_CERTIFICATE_REQUIRED) and "
               "settings.ipConfiguration.ipv4Enabled to false (private IP).",
               framework("CIS Google Cloud Platform Foundation Benchmark", "3.0.0", "6.2.x/6.6",
                         "Cloud SQL requires SSL and has no public IP"),
               Need("encryptionKeyName", _present, "a Cloud KMS crypto key"),
               Need("settings.ipConfiguration.sslMode", _one_of("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"),
                    "ENCRYPTED_ONLY or TRUSTED_CLIENT_CERTIFICATE_REQUIRED", default="ALLOW_UNENCRYPTED_AND_ENCRYPTED"),
               # Cloud SQL gives an instance a public IPv4 address unless told not to.
               Need("settings.ipConfiguration.ipv4Enabled", _false, "false", default=True)),
    store_rule("gcp-disk-cmek", ("gcp:compute/disk:Disk",),
               "Persistent disks are encrypted with a customer-managed Cloud KMS key.",
               "Set diskEncryptionKey.kmsKeySelfLink to a Cloud KMS key of the disk's region.", PCI_AT_REST,
               Need("diskEncryptionKey.kmsKeySelfLink", _present, "a Cloud KMS crypto key")),
    store_rule("gcp-region-disk-cmek", ("gcp:compute/regionDisk:RegionDisk",),
               "Regional persistent disks are encrypted with a customer-managed Cloud KMS key.",
               "Set diskEncryptionKey.kmsKeyName to a Cloud KMS key of the disk's region.", PCI_AT_REST,
               Need("diskEncryptionKey.kmsKeyName", _present, "a Cloud KMS crypto key")),
    store_rule("gcp-instance-disks-cmek", ("gcp:compute/instance:Instance",),
               "VM boot and attached disks are encrypted with a customer-managed Cloud KMS key.",
               "Set bootDisk.kmsKeySelfLink and attachedDisks[*].kmsKeySelfLink.", PCI_AT_REST,
               Need("bootDisk.kmsKeySelfLink", _present, "a Cloud KMS crypto key"),
               Each("attachedDisks", Need("kmsKeySelfLink", _present, "a Cloud KMS crypto key"))),
    store_rule("gcp-instance-template-disks-cmek", ("gcp:compute/instanceTemplate:InstanceTemplate",
                                                     "gcp:compute/regionInstanceTemplate:RegionInstanceTemplate"),
               "Instance templates create their disks under a customer-managed Cloud KMS key.",
               "Set disks[*].diskEncryptionKey.kmsKeySelfLink.", PCI_AT_REST,
               Each("disks", Need("diskEncryptionKey.kmsKeySelfLink", _present, "a Cloud KMS crypto key"))),
    store_rule("gcp-gke-node-disk-cmek", ("gcp:container/nodePool:NodePool",),
               "GKE node boot disks are encrypted with a customer-managed Cloud KMS key.",
               "Set nodeConfig.bootDiskKmsKey to a Cloud KMS key of the cluster's region and grant the Compute Engine "
               "service agent encrypt/decrypt on it.", PCI_AT_REST,
               Need("nodeConfig.bootDiskKmsKey", _present, "a Cloud KMS crypto key")),
    store_rule("gcp-bigquery-dataset-cmek", ("gcp:bigquery/dataset:Dataset",),
               "BigQuery datasets encrypt new tables with a customer-managed Cloud KMS key by default.",
               "Set defaultEncryptionConfiguration.kmsKeyName to a Cloud KMS key of the dataset's location.", PCI_AT_REST,
               Need("defaultEncryptionConfiguration.kmsKeyName", _present, "a Cloud KMS crypto key")),
]

# --------------------------------------------------------------------------- Azure

_CUSTOMER_DISK_TYPES = ("EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys")
_TLS12 = _one_of("1.2", "1.3", "TLS1_2", "TLS1_3", "Tls12", "Tls13")
AZURE_RULES = [
    store_rule("azure-managed-disk-cmk", ("azure-native:compute:Disk",),
               "Managed disks are encrypted with a customer-managed key through a disk encryption set.",
               "Set encryption {type: EncryptionAtRestWithCustomerKey, diskEncryptionSetId: <set id>}.",
               framework(CIS_AZURE, "2.0.0", "7.3", "Ensure that 'OS and Data' disks are encrypted with CMK"),
               Need("encryption.diskEncryptionSetId", _present, "a disk encryption set id"),
               Need("encryption.type", _one_of(*_CUSTOMER_DISK_TYPES), " or ".join(_CUSTOMER_DISK_TYPES),
                    default="EncryptionAtRestWithPlatformKey")),
    store_rule("azure-vm-disk-cmk", ("azure-native:compute:VirtualMachine",),
               "VM OS and data disks are encrypted with a customer-managed key through a disk encryption set.",
               "Set storageProfile.osDisk.managedDisk.diskEncryptionSet.id and the same on every data disk.",
               framework(CIS_AZURE, "2.0.0", "7.3", "Ensure that 'OS and Data' disks are encrypted with CMK"),
               Need("storageProfile.osDisk.managedDisk.diskEncryptionSet.id", _present, "a disk encryption set id"),
               Each("storageProfile.dataDisks",
                    Need("managedDisk.diskEncryptionSet.id", _present, "a disk encryption set id"))),
    store_rule("azure-vmss-disk-cmk", ("azure-native:compute:VirtualMachineScaleSet",),
               "Scale-set OS disks are encrypted with a customer-managed key through a disk encryption set.",
               "Set virtualMachineProfile.storageProfile.osDisk.managedDisk.diskEncryptionSet.id.",
               framework(CIS_AZURE, "2.0.0", "7.3", "Ensure that 'OS and Data' disks are encrypted with CMK"),
               Need("virtualMachineProfile.storageProfile.osDisk.managedDisk.diskEncryptionSet.id", _present,
                    "a disk encryption set id")),
    store_rule("azure-cosmosdb-cmk-tls", ("azure-native:cosmosdb:DatabaseAccount",),
               "Cosmos DB accounts encrypt with a customer-managed Key Vault key and require TLS 1.2.",
               "Set keyVaultKeyUri (only when the account is created) and minimalTlsVersion Tls12.",
               framework(CIS_AZURE, "2.0.0", "4.5.3", "Ensure that Cosmos DB uses customer-managed keys"),
               Need("keyVaultKeyUri", _present, "a Key Vault key URI"),
               Need("minimalTlsVersion", _TLS12, "Tls12")),
    store_rule("azure-sql-server-cmk-tls", ("azure-native:sql:Server",),
               "Azure SQL servers protect TDE with a customer-managed key and require TLS 1.2.",
               "Set keyId to the Key Vault key that protects TDE and minimalTlsVersion to 1.2.",
               framework(CIS_AZURE, "2.0.0", "4.1.3", "Ensure SQL server's TDE protector is encrypted with CMK"),
               Need("keyId", _present, "a Key Vault key URI"), Need("minimalTlsVersion", _TLS12, "1.2")),
    store_rule("azure-synapse-cmk", ("azure-native:synapse:Workspace",),
               "Synapse workspaces encrypt with a customer-managed Key Vault key.",
               "Set encryption.cmk.key {name, keyVaultUrl} (double encryption, only at creation).", PCI_AT_REST,
               Need("encryption.cmk.key.name", _present, "the Key Vault key's name")),
    store_rule("azure-postgres-cmk", ("azure-native:dbforpostgresql:Server",),
               "PostgreSQL flexible servers encrypt data with a customer-managed Key Vault key.",
               "Set dataEncryption {type: AzureKeyVault, primaryKeyURI, primaryUserAssignedIdentityId}.", PCI_AT_REST,
               Need("dataEncryption.type", _one_of("AzureKeyVault"), "AzureKeyVault", default="SystemManaged"),
               Need("dataEncryption.primaryKeyURI", _present, "a Key Vault key URI")),
    store_rule("azure-app-service-https", ("azure-native:web:WebApp",),
               "App Service apps accept HTTPS only, with TLS 1.2+.",
               "Set httpsOnly to true and siteConfig.minTlsVersion to 1.2.",
               framework(CIS_AZURE, "2.0.0", "9.2", "Ensure Web App Redirects All HTTP traffic to HTTPS"),
               # App Service answers plain HTTP unless httpsOnly is set; its TLS minimum defaults to 1.2.
               Need("httpsOnly", _true, "true", default=False),
               Need("siteConfig.minTlsVersion", _TLS12, "1.2", default="1.2")),
]

# --------------------------------------------------------------------------- Kubernetes

_INTERNAL_LB = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": ("true",),
    "service.beta.kubernetes.io/aws-load-balancer-scheme": ("internal",),
    "service.beta.kubernetes.io/azure-load-balancer-internal": ("true",),
    "networking.gke.io/load-balancer-type": ("Internal",),
    "cloud.google.com/load-balancer-type": ("Internal",),
}
_TLS_AT_LB = ("service.beta.kubernetes.io/aws-load-balancer-ssl-cert",)
_PLAIN = {"http", "h2c", "kubernetes.io/h2c", "ws"}


def _k8s_lb_check(res: Res, _settings) -> Iterator[Finding]:
    spec_type = get(res.props, "spec.type", "ClusterIP")
    if is_unknown(spec_type):
        yield cannot_verify(f"spec.type ({spec_type.path})")
        return
    if spec_type != "LoadBalancer":
        return
    ann = get(res.props, "metadata.annotations") or {}
    if is_unknown(ann):
        yield cannot_verify(f"metadata.annotations ({ann.path})")
        return
    if any(str(ann.get(k)) in v for k, v in _INTERNAL_LB.items()) or any(k in ann for k in _TLS_AT_LB):
        return
    ports = as_list(get(res.props, "spec.ports"))
    if is_unknown(ports):
        yield cannot_verify(f"spec.ports ({ports.path})")
        return
    for i, p in enumerate(ports):
        if is_unknown(p):
            continue
        proto = str(get(p, "appProtocol") or "").lower()
        name = str(get(p, "name") or "").lower()
        port = get(p, "port")
        if proto in _PLAIN or port in (80, 8080) or (name.startswith("http") and not name.startswith("https")):
            yield violation(f"spec.ports[{i}] (port {port}, {proto or name or 'no app protocol'}) is served to the "
                            "internet in plain HTTP by an external LoadBalancer Service")


K8S_LB_RULE = rule(
    id="k8s-lb-service-tls", types=("kubernetes:core/v1:Service",), framework=PCI_IN_TRANSIT,
    description="An internet-facing LoadBalancer Service does not serve plain HTTP.",
    remediation="Expose the workload through the cell's load balancer (TLS ends there), make the Service internal "
                "(the cloud's internal-LB annotation), or terminate TLS at the load balancer (e.g. "
                "service.beta.kubernetes.io/aws-load-balancer-ssl-cert) or in the pod on 443.",
    check=_k8s_lb_check)

TYPE_RULES: list[Rule] = [*AWS_RULES, CLOUDFRONT_RULE, *GCP_RULES, *AZURE_RULES, K8S_LB_RULE]


# --------------------------------------------------------------------------- derived from the schemas


def cmk_rule(judged_elsewhere: frozenset) -> Rule:
    """One rule over every schema type with a top-level customer-managed-key input that no other rule
    judges: one of those inputs must be set."""
    types = tuple(sorted(t for t in FACTS["cmk"] if t not in judged_elsewhere))

    def check(res: Res, _settings) -> Iterator[Finding]:
        props = FACTS["cmk"].get(res.type, [])
        values = [get(res.props, p) for p in props]
        if any(_present(v) for v in values):
            return
        unknown = [v for v in values if is_unknown(v)]
        if unknown:
            yield cannot_verify(f"the customer-managed key ({unknown[0].path})")
            return
        yield violation(f"no customer-managed key: {' / '.join(props)} not set (the provider then uses its own key)")

    return rule(id="encryption-cmk-from-schema", types=types, framework=PCI_AT_REST, check=check,
                description="Every resource whose provider schema takes a customer-managed key is given one.",
                remediation="Set the key input the message names to a customer-managed key of the resource's region "
                            "(AWS KMS key ARN, Cloud KMS crypto key, Key Vault key URI).")


# Candidate types (their schema has a key, encryption or TLS property) that no rule needs to judge,
# and why. The coverage advisory skips them; COVERAGE.md lists them with the reason.
NOT_APPLICABLE: dict[str, str] = {
    "azure-native:network:VirtualNetwork": "`encryption` is VNet encryption of VM-to-VM traffic inside the network, "
                                           "not data at rest; transport to the workload is judged at the gateway",
    "azure-native:storage:BlobContainer": "the container's encryption scope defaults to its account's, which "
                                          "azure-storage-account-cmk judges",
    "azure-native:operationalinsights:Workspace": "workspace data is encrypted by Azure Monitor; a customer key needs "
                                                  "a dedicated cluster (500 GB/day commitment), out of the pack's scope",
    "gcp:compute/router:Router": "`encryptedInterconnectRouter` concerns HA VPN over Interconnect, not stored data",
    "gcp:compute/regionHealthCheck:RegionHealthCheck": "probes the backends inside the VPC; carries no user data",
    "gcp:compute/healthCheck:HealthCheck": "probes the backends inside the VPC; carries no user data",
    "gcp:compute/regionBackendService:RegionBackendService": "load balancer to backends inside the cell's VPC; "
        "client TLS ends at the target HTTPS proxy (gcp-https-proxy-ssl-policy)",
    "aws:lb/loadBalancer:LoadBalancer": "TLS is a property of its listeners (aws-lb-listener-tls-policy, aws-lb-listener-no-plaintext)",
    "aws:lb/targetGroup:TargetGroup": "load balancer to targets inside the cell's VPC; client TLS ends at the listener",
}


def coverage_rule(judged: frozenset) -> Rule:
    """Advisory: a type whose schema holds encryption, key or TLS properties that no rule judges."""
    kinds = {"k": "key", "e": "encryption", "t": "TLS/protocol"}
    uncovered = tuple(sorted(t for t in FACTS["candidates"] if t not in judged))

    def check(res: Res, _settings) -> Iterator[Finding]:
        found = ", ".join(kinds[k] for k in FACTS["candidates"].get(res.type, ""))
        yield violation(f"no rule of the encryption pack judges {res.type}, whose schema has {found} properties; "
                        "review its settings by hand (policy/encryption/COVERAGE.md)")

    return rule(id="encryption-type-not-covered", level="advisory", severity="low", types=uncovered, check=check,
                description="Lists resources whose type has encryption, key or TLS properties that no rule of this "
                            "pack judges (the generated coverage table, COVERAGE.md).",
                remediation="Check the resource's encryption settings by hand, and add a rule for its type.")
