"""Encryption at rest: customer-managed keys on data stores and disks, key rotation, cluster secrets.

Where the logic is the same across clouds it is written once and driven by a table of
per-resource-type facts (which property holds the key, how the rotation period is spelled).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from .model import cannot_verify, duration_days, Finding, framework, Option, pci, require, Rule, rule, violation
from .stack import Res, Stack
from .values import as_list, get, is_unknown

PCI_AT_REST = pci("3.5.1", "Stored account data is rendered unreadable with strong cryptography")
PCI_KEY_ROTATION = pci("3.7.4", "Cryptographic keys are changed at the end of their defined cryptoperiod")


def _present(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _true(value: Any) -> bool:
    return value is True or value == "true"


# --------------------------------------------------------------------------- field expectations


@dataclass(frozen=True)
class Expect:
    """`path` must satisfy `ok`; `wanted` says what in the violation message."""

    path: str
    ok: Callable[[Any], bool]
    wanted: str
    default: Any = None  # the provider's value when the input is absent


def expect_all(*expectations: Expect) -> Callable[[Res, Any], Iterator[Finding]]:
    def check(res: Res, _settings) -> Iterator[Finding]:
        for e in expectations:
            yield from require(get(res.props, e.path, e.default), e.ok, e.path, e.wanted)
    return check


def _field_rule(id: str, types: tuple[str, ...], description: str, remediation: str, fw, *expectations: Expect) -> Rule:
    return rule(id=id, description=description, remediation=remediation, types=types, framework=fw,
                check=expect_all(*expectations))


AZURE_STORAGE = ("azure-native:storage:StorageAccount",)
CIS_AZURE = "CIS Microsoft Azure Foundations Benchmark"

FIELD_RULES = [
    _field_rule(
        "gcp-storage-bucket-cmek", ("gcp:storage/bucket:Bucket",),
        "GCS buckets are encrypted with a customer-managed Cloud KMS key.",
        "Set encryption.defaultKmsKeyName to a Cloud KMS crypto key in the bucket's location and grant the "
        "Cloud Storage service agent roles/cloudkms.cryptoKeyEncrypterDecrypter on it.",
        PCI_AT_REST, Expect("encryption.defaultKmsKeyName", _present, "a Cloud KMS crypto key")),
    _field_rule(
        "azure-storage-account-cmk", AZURE_STORAGE,
        "Storage accounts are encrypted with a customer-managed key from Key Vault.",
        "Set encryption.keySource to Microsoft.Keyvault with encryption.keyVaultProperties (keyVaultUri, keyName) "
        "and an encryption identity that can wrap/unwrap the key.",
        framework(CIS_AZURE, "2.0.0", "3.12", "Ensure Storage for Critical Data are Encrypted with Customer Managed Keys"),
        Expect("encryption.keySource", lambda v: v == "Microsoft.Keyvault", "Microsoft.Keyvault"),
        Expect("encryption.keyVaultProperties.keyName", _present, "the Key Vault key's name")),
    _field_rule(
        "azure-storage-infrastructure-encryption", AZURE_STORAGE,
        "Storage accounts add infrastructure (double) encryption.",
        "Set encryption.requireInfrastructureEncryption to true (only possible when the account is created).",
        framework(CIS_AZURE, "2.0.0", "3.2", "Ensure that 'Enable Infrastructure Encryption' for Each Storage "
                  "Account in Azure Storage is Set to 'enabled'"),
        Expect("encryption.requireInfrastructureEncryption", _true, "true")),
    _field_rule(
        "azure-storage-no-public-blob-access", AZURE_STORAGE,
        "Storage accounts do not allow anonymous public blob access.",
        "Set allowBlobPublicAccess to false.",
        framework(CIS_AZURE, "2.0.0", "3.7", "Ensure that 'Public access level' is disabled for storage accounts "
                  "with blob containers"),
        # New accounts disallow anonymous blob access unless it is switched on (Azure Storage docs,
        # "Prevent anonymous read access to blobs": the default became false for accounts created
        # after November 2023, i.e. with the API versions the pinned SDK sends). Only an explicit true fails.
        Expect("allowBlobPublicAccess", lambda v: v is False, "false (or unset: new accounts default to false)",
               default=False)),
    _field_rule(
        "azure-key-vault-recoverable", ("azure-native:keyvault:Vault",),
        "Key Vaults keep deleted keys recoverable (soft delete and purge protection).",
        "Set properties.enablePurgeProtection to true and leave properties.enableSoftDelete true; a vault that "
        "holds encryption keys must not lose them to an accidental or malicious purge.",
        framework(CIS_AZURE, "2.0.0", "8.5", "Ensure the Key Vault is Recoverable"),
        Expect("properties.enablePurgeProtection", _true, "true"),
        # Soft delete is on unless switched off explicitly.
        Expect("properties.enableSoftDelete", _true, "true (or unset)", default=True)),
    _field_rule(
        "aws-sns-topic-kms", ("aws:sns/topic:Topic",),
        "SNS topics encrypt messages with a KMS key.",
        "Set kmsMasterKeyId to a customer-managed KMS key (its policy must let the publishing services use it).",
        PCI_AT_REST, Expect("kmsMasterKeyId", _present, "a KMS key id, ARN or alias")),
    _field_rule(
        "aws-cloudwatch-log-group-kms", ("aws:cloudwatch/logGroup:LogGroup",),
        "CloudWatch log groups encrypt their events with a KMS key.",
        "Set kmsKeyId to a customer-managed KMS key ARN whose policy allows logs.<region>.amazonaws.com.",
        PCI_AT_REST, Expect("kmsKeyId", _present, "a KMS key ARN")),
    _field_rule(
        "aws-amp-workspace-kms", ("aws:amp/workspace:Workspace",),
        "Amazon Managed Service for Prometheus workspaces encrypt their metrics with a customer-managed KMS key.",
        "Set kmsKeyArn to the cell's KMS key (only possible when the workspace is created; the deployer needs "
        "kms:CreateGrant and kms:DescribeKey on it).",
        PCI_AT_REST, Expect("kmsKeyArn", _present, "a KMS key ARN")),
    _field_rule(
        "gcp-log-bucket-cmek", ("gcp:logging/projectBucketConfig:ProjectBucketConfig",),
        "Cloud Logging buckets are encrypted with a customer-managed Cloud KMS key.",
        "Set cmekSettings.kmsKeyName to a Cloud KMS key in the bucket's location and grant the project's Cloud "
        "Logging service account roles/cloudkms.cryptoKeyEncrypterDecrypter on it (only when the bucket is created).",
        PCI_AT_REST, Expect("cmekSettings.kmsKeyName", _present, "a Cloud KMS crypto key")),
]


# --------------------------------------------------------------------------- Azure managed disks

AKS_CLUSTER = ("azure-native:containerservice:ManagedCluster",)
DISK_ENCRYPTION_SET = ("azure-native:compute:DiskEncryptionSet",)
# The encryption types of a disk encryption set, all of which wrap the disk keys with the customer's
# key; anything else (e.g. a disk's own EncryptionAtRestWithPlatformKey) is not a customer key.
CUSTOMER_KEY_ENCRYPTION_TYPES = ("EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys",
                                 "ConfidentialVmEncryptedWithCustomerKey")
CIS_AZURE_DISKS_CMK = framework(CIS_AZURE, "2.0.0", "7.3",
                                "Ensure that 'OS and Data' disks are encrypted with Customer Managed Key (CMK)")

DISK_RULES = [
    _field_rule(
        "azure-aks-os-disk-cmk", AKS_CLUSTER,
        "AKS node OS disks are encrypted with a customer-managed key through a disk encryption set.",
        "Set diskEncryptionSetID to a disk encryption set whose active key is a Key Vault key, and grant the "
        "cluster identity Reader on the set. AKS accepts it only when it creates the cluster.",
        CIS_AZURE_DISKS_CMK, Expect("diskEncryptionSetID", _present, "a disk encryption set id")),
    _field_rule(
        "azure-disk-encryption-set-cmk", DISK_ENCRYPTION_SET,
        "Disk encryption sets wrap disk keys with a customer-managed Key Vault key and follow its rotations.",
        "Set activeKey.keyUrl to the versioned URL of a Key Vault key, encryptionType to "
        "EncryptionAtRestWithCustomerKey (or EncryptionAtRestWithPlatformAndCustomerKeys) and "
        "rotationToLatestKeyVersionEnabled to true; grant the set's identity Key Vault Crypto Service Encryption "
        "User on the key.",
        PCI_AT_REST,
        Expect("activeKey.keyUrl", _present, "a Key Vault key URL"),
        # Compute's default when the type is absent.
        Expect("encryptionType", lambda v: v in CUSTOMER_KEY_ENCRYPTION_TYPES,
               " or ".join(CUSTOMER_KEY_ENCRYPTION_TYPES), default="EncryptionAtRestWithCustomerKey"),
        # Without it the disks stay on the key version of the day the set was written, whatever the key rotates to.
        Expect("rotationToLatestKeyVersionEnabled", _true, "true")),
]


# --------------------------------------------------------------------------- cluster secrets (per cloud)


@dataclass(frozen=True)
class ClusterSecrets:
    rule_id: str       # the policy's name (pack configs refer to it)
    title: str         # the service's name in the description
    type: str
    enabled: Expect
    key: Expect
    framework: Any
    remediation: str


# One spec per cluster type (each service spells secrets encryption its own way).
CLUSTER_SECRETS = (
    ClusterSecrets(
        "aws-eks-secrets-encryption", "EKS", "aws:eks/cluster:Cluster",
        Expect("encryptionConfig.resources", lambda v: isinstance(v, list) and "secrets" in v, '["secrets"]'),
        Expect("encryptionConfig.provider.keyArn", _present, "a KMS key ARN"),
        framework("CIS Amazon EKS Benchmark", "1.5.0", "5.3.1",
                  "Ensure Kubernetes Secrets are encrypted using Customer Master Keys (CMKs) managed in AWS KMS"),
        "Set encryptionConfig {resources: [\"secrets\"], provider: {keyArn: <KMS key ARN>}}."),
    ClusterSecrets(
        "gcp-gke-secrets-encryption", "GKE", "gcp:container/cluster:Cluster",
        Expect("databaseEncryption.state", lambda v: v == "ENCRYPTED", "ENCRYPTED"),
        Expect("databaseEncryption.keyName", _present, "a Cloud KMS crypto key"),
        framework("CIS Google Kubernetes Engine (GKE) Benchmark", "1.5.0", "5.3.1",
                  "Ensure Kubernetes Secrets are encrypted using keys managed in Cloud KMS"),
        "Set databaseEncryption {state: ENCRYPTED, keyName: <crypto key in the cluster's region>} and grant the "
        "GKE service agent encrypt/decrypt on the key."),
    ClusterSecrets(
        "azure-aks-secrets-encryption", "AKS", "azure-native:containerservice:ManagedCluster",
        Expect("securityProfile.azureKeyVaultKms.enabled", _true, "true"),
        Expect("securityProfile.azureKeyVaultKms.keyId", _present, "the Key Vault key identifier (with version)"),
        PCI_AT_REST,
        "Set securityProfile.azureKeyVaultKms {enabled: true, keyId: <key URI with version>} with a cluster "
        "identity that can encrypt/decrypt with the key."),
)

CLUSTER_RULES = [
    rule(id=spec.rule_id, types=(spec.type,),
         description=f"{spec.title} clusters envelope-encrypt Kubernetes Secrets with a customer-managed key.",
         remediation=spec.remediation, framework=spec.framework, check=expect_all(spec.enabled, spec.key))
    for spec in CLUSTER_SECRETS
]


# --------------------------------------------------------------------------- key rotation (per cloud)


@dataclass(frozen=True)
class Rotation:
    """How one key type spells rotation. `period` returns days, None when rotation is off, or an Unknown."""

    rule_id: str       # the policy's name (pack configs refer to it)
    title: str         # what the keys are called in the description
    type: str
    rotatable: Callable[[dict], Any]  # False: the key type cannot rotate automatically (rule does not apply)
    period: Callable[[dict], Any]
    max_days: int
    framework: Any
    remediation: str


def _aws_rotatable(p: dict) -> Any:
    spec = get(p, "customerMasterKeySpec", "SYMMETRIC_DEFAULT")
    usage = get(p, "keyUsage", "ENCRYPT_DECRYPT")
    if is_unknown(spec) or is_unknown(usage):
        return spec if is_unknown(spec) else usage
    # KMS rotates only symmetric encryption keys held by KMS itself.
    return spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT" and not get(p, "customKeyStoreId")


def _aws_period(p: dict) -> Any:
    enabled = get(p, "enableKeyRotation", False)
    if is_unknown(enabled) or not _true(enabled):
        return enabled if is_unknown(enabled) else None
    days = get(p, "rotationPeriodInDays", 365)  # KMS rotates yearly unless told otherwise
    return days if is_unknown(days) else float(days)


def _gcp_rotatable(p: dict) -> Any:
    purpose = get(p, "purpose", "ENCRYPT_DECRYPT")
    if is_unknown(purpose):
        return purpose
    # Cloud KMS rotates only symmetric keys; import-only keys get new versions by import.
    return purpose == "ENCRYPT_DECRYPT" and not _true(get(p, "importOnly"))


def _gcp_period(p: dict) -> Any:
    period = get(p, "rotationPeriod")
    if period is None or is_unknown(period):
        return period
    days = duration_days(period)
    return days if days is not None else float("inf")


def _azure_period(p: dict) -> Any:
    actions = as_list(get(p, "properties.rotationPolicy.lifetimeActions"))
    if is_unknown(actions):
        return actions
    best: Optional[float] = None
    for i, a in enumerate(actions):
        kind = get(a, "action.type")
        if is_unknown(kind):
            return kind
        if str(kind).lower() != "rotate":
            continue
        after_create = get(a, "trigger.timeAfterCreate")
        before_expiry = get(a, "trigger.timeBeforeExpiry")
        for v in (after_create, before_expiry):
            if is_unknown(v):
                return v
        if after_create:
            days = duration_days(after_create)
        elif before_expiry:
            expiry = get(p, "properties.rotationPolicy.attributes.expiryTime")
            if is_unknown(expiry):
                return expiry
            total, before = duration_days(expiry or ""), duration_days(before_expiry)
            days = total - before if total is not None and before is not None else None
        else:
            days = None
        if days is not None:
            best = days if best is None else min(best, days)
    return best


# One spec per key type.
ROTATION = (
    Rotation(
        "aws-key-rotation", "KMS keys", "aws:kms/key:Key", _aws_rotatable, _aws_period, 365,
        framework("CIS Amazon Web Services Foundations Benchmark", "3.0.0", "3.6",
                  "Ensure rotation for customer-created symmetric CMKs is enabled"),
        "Set enableKeyRotation to true (and rotationPeriodInDays, if set, within the allowed maximum)."),
    Rotation(
        "gcp-key-rotation", "Cloud KMS crypto keys", "gcp:kms/cryptoKey:CryptoKey", _gcp_rotatable, _gcp_period, 90,
        framework("CIS Google Cloud Platform Foundation Benchmark", "3.0.0", "1.10",
                  "Ensure KMS encryption keys are rotated within a period of 90 days"),
        "Set rotationPeriod to at most 90 days, e.g. \"7776000s\"."),
    Rotation(
        "azure-key-rotation", "Key Vault keys", "azure-native:keyvault:Key", lambda p: True, _azure_period, 90,
        framework(CIS_AZURE, "2.0.0", "8.8",
                  "Ensure Automatic Key Rotation is Enabled within Azure Key Vault for the Supported Services"),
        "Set properties.rotationPolicy.lifetimeActions to a 'rotate' action triggered by timeAfterCreate "
        "(e.g. P90D), with attributes.expiryTime beyond it."),
)


def rotation_check(spec: Rotation):
    def check(res: Res, settings) -> Iterator[Finding]:
        rotatable = spec.rotatable(res.props)
        if is_unknown(rotatable):
            yield cannot_verify(f"whether the key can rotate ({rotatable.path})")
            return
        if not rotatable:
            return
        days = spec.period(res.props)
        limit = settings["maxRotationDays"]
        if is_unknown(days):
            yield cannot_verify(f"the rotation setting ({days.path})")
        elif days is None:
            yield violation("automatic key rotation is off")
        elif days > limit:
            shown = "unparsable" if days == float("inf") else f"{days:g} days"
            yield violation(f"the key rotates every {shown}; at most {limit} days are allowed")
    return check


ROTATION_RULES = [
    rule(id=spec.rule_id, types=(spec.type,),
         description=f"{spec.title} rotate automatically, at least every {spec.max_days} days.",
         remediation=spec.remediation, framework=spec.framework, check=rotation_check(spec),
         options=(Option("maxRotationDays", {"type": "integer", "minimum": 1,
                                             "description": "longest allowed rotation period, in days"},
                         spec.max_days),))
    for spec in ROTATION
]


# --------------------------------------------------------------------------- EBS volumes and block devices


def _ebs_check(res: Res, _settings) -> Iterator[Finding]:
    p = res.props
    if res.type == "aws:ebs/volume:Volume":
        yield from require(get(p, "encrypted"), _true, "encrypted", "true")
        return
    if res.type in ("aws:ec2/launchTemplate:LaunchTemplate",):
        mappings = as_list(get(p, "blockDeviceMappings"))
        if is_unknown(mappings):
            yield cannot_verify(f"block device mappings ({mappings.path})")
            return
        for i, m in enumerate(mappings):
            if is_unknown(m):
                yield cannot_verify(f"blockDeviceMappings[{i}]")
            elif get(m, "ebs") is not None:  # instance-store and suppressed devices carry no EBS volume
                # The launch template spells this boolean as a string ("true").
                yield from require(get(m, "ebs.encrypted"), _true, f"blockDeviceMappings[{i}].ebs.encrypted",
                                   '"true"')
        return
    # aws:ec2/instance:Instance: the root volume is created from the AMI unless declared encrypted.
    yield from require(get(p, "rootBlockDevice.encrypted"), _true, "rootBlockDevice.encrypted", "true")
    devices = as_list(get(p, "ebsBlockDevices"))
    if is_unknown(devices):
        yield cannot_verify(f"EBS block devices ({devices.path})")
        return
    for i, d in enumerate(devices):
        yield from require(get(d, "encrypted"), _true, f"ebsBlockDevices[{i}].encrypted", "true")


EBS_RULE = rule(
    id="aws-ebs-encryption",
    description="EBS volumes, launch-template block devices and instance volumes are encrypted.",
    remediation="Set encrypted (volumes, instance block devices: true; launch templates: \"true\") with kmsKeyId "
                "set to a customer-managed key.",
    types=("aws:ebs/volume:Volume", "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"),
    framework=framework("CIS Amazon Web Services Foundations Benchmark", "3.0.0", "2.2.1",
                        "Ensure EBS volume encryption is enabled in all regions"),
    check=_ebs_check,
)


# --------------------------------------------------------------------------- S3 (stack: the config is its own resource)

S3_BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
S3_SSE = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
# Elastic Load Balancing delivers access and connection logs only to buckets encrypted with SSE-S3
# (it cannot use KMS keys), so a bucket a load balancer logs to may use AES256.
SSE_S3_ONLY_WRITERS = {
    ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"): ("accessLogs.bucket",
                                                                                "connectionLogs.bucket"),
}


def _sse_rule_problem(rule: Any, sse_s3_allowed: bool = False) -> Any:
    """None if an SSE rule applies SSE-KMS/DSSE-KMS with a customer-managed key, else why not (or an Unknown)."""
    algorithm = get(rule, "applyServerSideEncryptionByDefault.sseAlgorithm")
    key = get(rule, "applyServerSideEncryptionByDefault.kmsMasterKeyId")
    if is_unknown(algorithm):
        return algorithm
    if sse_s3_allowed and algorithm == "AES256":
        return None
    if algorithm not in KMS_ALGORITHMS:
        return f"sseAlgorithm is {algorithm!r}, not aws:kms or aws:kms:dsse"
    if is_unknown(key):
        return key
    if not _present(key):
        return "no kmsMasterKeyId: S3 would use the AWS-managed key aws/s3"
    if key == "alias/aws/s3" or key.endswith(":alias/aws/s3"):
        return "kmsMasterKeyId is the AWS-managed key aws/s3, not a customer-managed key"
    return None


def _sse_config_problem(rules: Any, sse_s3_allowed: bool = False) -> Any:
    rules = as_list(rules)
    if is_unknown(rules):
        return rules
    if not rules:
        return "no rules"
    for r in rules:
        problem = _sse_rule_problem(r, sse_s3_allowed)
        if problem is not None:
            return problem
    return None


def _sse_s3_only_buckets(stack: Stack) -> set[str]:
    out: set[str] = set()
    for writer_types, paths in SSE_S3_ONLY_WRITERS.items():
        for writer in stack.of_type(*writer_types):
            for path in paths:
                targets = stack.referenced(writer, path, S3_BUCKETS)
                if not is_unknown(targets):
                    out |= {b.urn for b in targets}
    return out


def s3_bucket_kms_check(stack: Stack, _settings) -> Iterator[Finding]:
    sse_s3_allowed = _sse_s3_only_buckets(stack)
    configs: dict[str, list[Res]] = {}
    unbound: list[Res] = []
    for sse in stack.of_type(*S3_SSE):
        targets = stack.referenced(sse, "bucket", S3_BUCKETS)
        if is_unknown(targets):
            unbound.append(sse)
        for b in targets if not is_unknown(targets) else []:
            configs.setdefault(b.urn, []).append(sse)
    for bucket in stack.of_type(*S3_BUCKETS):
        bound = configs.get(bucket.urn, [])
        log_bucket = bucket.urn in sse_s3_allowed
        problems = [(c, _sse_config_problem(get(c.props, "rules"), log_bucket)) for c in bound]
        if bound:
            for c, problem in problems:
                if is_unknown(problem):
                    yield cannot_verify(f"{c.name}: {problem.path}", urn=bucket.urn)
                elif problem is not None:
                    yield violation(f"bucket {bucket.name}: encryption configuration {c.name}: {problem}", urn=bucket.urn)
            continue
        # No separate configuration: the (deprecated) inline one, else S3's default SSE-S3.
        inline = _sse_config_problem(get(bucket.props, "serverSideEncryptionConfiguration.rule"), log_bucket)
        if inline is None or log_bucket:  # without a configuration S3 applies SSE-S3
            continue
        if unbound or is_unknown(inline):
            what = ", ".join(c.name for c in unbound) or "the inline configuration"
            yield cannot_verify(f"which bucket {what} encrypts", urn=bucket.urn)
        elif get(bucket.props, "serverSideEncryptionConfiguration") is None:
            yield violation(f"bucket {bucket.name} has no server-side encryption configuration in the stack, so S3 "
                            "applies SSE-S3 (AES256) with an AWS-owned key", urn=bucket.urn)
        else:
            yield violation(f"bucket {bucket.name}: server-side encryption {inline}", urn=bucket.urn)


S3_KMS_RULE = rule(
    id="aws-s3-bucket-kms-encryption",
    description="S3 buckets are encrypted with a customer-managed KMS key (SSE-KMS or DSSE-KMS).",
    remediation="Add an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with sseAlgorithm aws:kms "
                "(or aws:kms:dsse), kmsMasterKeyId set to a customer-managed key, and bucketKeyEnabled true. "
                "Buckets that a load balancer writes access or connection logs to may use AES256 (ELB cannot "
                "use KMS keys).",
    types=S3_BUCKETS, reads=S3_SSE + tuple(t for types in SSE_S3_ONLY_WRITERS for t in types), scope="stack", framework=PCI_AT_REST, check=s3_bucket_kms_check,
)


RULES = FIELD_RULES + DISK_RULES + CLUSTER_RULES + ROTATION_RULES + [EBS_RULE, S3_KMS_RULE]
