"""Delete-time apply rules: what `pulumi destroy` of the stack, and the next `up` that creates it again,
would run into (README "Teardown"; `python -m offline destroy STACK` shows the deletion itself).

`python -m offline destroy` runs them (a preview does not: `DELETE_TIME`). They judge a stack that may
be destroyed: `platform:teardown` = `destroyable` (the default of dev and
staging, `TEARDOWN_DEFAULTS` in components/core/config/schema.py). A `protected` stack (prod's default) keeps
its protections on purpose; `offline destroy` checks its two-step path by running these rules on the
stack as its first step (`up` with `destroyable`) leaves it.

- destroy-protected: `protect` refuses the delete in the engine itself;
- destroy-cloud-protection: the cloud's own deletion protection (`CLOUD_PROTECTION`) refuses the API call;
- destroy-container-not-empty: a container (hosted zone, bucket) deleted while something stays inside;
- destroy-deployer-grant-order: the deployer's own access deleted before what is deleted through it;
- recreate-name-reserved: a name the cloud keeps after the delete (`RESERVED_AFTER_DELETE`), fixed, so the
  next create of the stack asks for it and fails within the window.
"""
from __future__ import annotations

from typing import Any, Optional

from ..cloud_facts import CLOUDS
from . import DELETE_TIME, Graph, known, rule

# Every plugin's Kubernetes cluster types (its facts).
CLUSTER_TYPES = frozenset(t for c in CLOUDS.values() for t in c["cluster_types"])

DESTROYABLE, PROTECTED = "destroyable", "protected"
TEARDOWN_KEY = "platform:teardown"


def teardown_mode(g: Graph) -> str:
    """`platform:teardown`, else the environment's default (the program's own table)."""
    from components.core.config import TEARDOWN_DEFAULTS

    mode = g.cfg(TEARDOWN_KEY)
    if mode in (DESTROYABLE, PROTECTED):
        return mode
    return TEARDOWN_DEFAULTS.get(g.environment or "", PROTECTED)  # unknown environment: fail closed


def destroyable(g: Graph) -> bool:
    return teardown_mode(g) == DESTROYABLE


# ---------------------------------------------------------------------------------------------
# Protection at the cloud: input (wire name) -> (value when the program omits it, documentation).
# tests/test_teardown.py checks that every deletion-protection input of the vendored schemas, on every
# type the stacks register, is in this table.
TF_AWS = "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/"
TF_GOOGLE = "https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/"
CLOUD_PROTECTION: dict[str, tuple[str, bool, str]] = {
    "aws:eks/cluster:Cluster": ("deletionProtection", False, TF_AWS + "eks_cluster#deletion_protection-1"),
    "aws:lb/loadBalancer:LoadBalancer": ("enableDeletionProtection", False, TF_AWS + "lb#enable_deletion_protection-1"),
    "aws:alb/loadBalancer:LoadBalancer": ("enableDeletionProtection", False, TF_AWS + "lb#enable_deletion_protection-1"),
    "aws:cloudwatch/logGroup:LogGroup": ("deletionProtectionEnabled", False,
                                         TF_AWS + "cloudwatch_log_group#deletion_protection_enabled-1"),
    "aws:rds/instance:Instance": ("deletionProtection", False, TF_AWS + "db_instance#deletion_protection-1"),
    "aws:rds/cluster:Cluster": ("deletionProtection", False, TF_AWS + "rds_cluster#deletion_protection-1"),
    "aws:dynamodb/table:Table": ("deletionProtectionEnabled", False,
                                 TF_AWS + "dynamodb_table#deletion_protection_enabled-1"),
    # "Whether Terraform will be prevented from destroying the cluster ... defaults to true" (provider 5.0+).
    "gcp:container/cluster:Cluster": ("deletionProtection", True, TF_GOOGLE + "container_cluster#deletion_protection-1"),
    "gcp:sql/databaseInstance:DatabaseInstance": ("deletionProtection", True,
                                                  TF_GOOGLE + "sql_database_instance#deletion_protection-1"),
    "gcp:compute/instance:Instance": ("deletionProtection", False, TF_GOOGLE + "compute_instance#deletion_protection-1"),
}
# Azure has no per-resource flag: a management lock at level CanNotDelete/ReadOnly refuses every delete under it.
AZURE_LOCKS = ("azure-native:authorization:ManagementLockAtResourceGroupLevel",
               "azure-native:authorization:ManagementLockAtResourceLevel",
               "azure-native:authorization:ManagementLockAtSubscriptionLevel",
               "azure-native:authorization:ManagementLockByScope")


def cloud_protection(r: dict) -> Optional[str]:
    """The input that keeps `r` from being deleted at the cloud, when it is on (explicitly or by default)."""
    entry = CLOUD_PROTECTION.get(r["type"])
    inputs = r.get("inputs") or {}
    if entry:
        key, default, _doc = entry
        value = inputs.get(key, default)
        if value is True or (isinstance(value, str) and value.lower() == "true"):
            return key if key in inputs else f"{key} (on by default when omitted)"
    if r["type"] in AZURE_LOCKS and str(inputs.get("level", "")) in ("CanNotDelete", "ReadOnly"):
        return f"level {inputs['level']}"
    return None


@rule("destroy-protected",
      "A destroyable stack (platform:teardown) holds no `protect`ed resource: `pulumi destroy` refuses to delete one",
      "https://www.pulumi.com/docs/iac/concepts/options/protect/")
def protected(g: Graph):
    if not destroyable(g):
        return
    for r in g.resources:
        if r.get("protect"):
            yield r["urn"], (f"{r['type']} {r['name']} is protected while {TEARDOWN_KEY} is destroyable: "
                             "`pulumi destroy` stops at it; protect stateful resources only in a protected stack "
                             "(the cell's `protect` follows platform:teardown)")


@rule("destroy-cloud-protection",
      "A destroyable stack turns off the cloud's own deletion protection (EKS, ALB, GKE, Azure locks)",
      "https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_cluster#deletion_protection-1")
def cloud_protected(g: Graph):
    if not destroyable(g):
        return
    for r in g.resources:
        what = cloud_protection(r)
        if what:
            yield r["urn"], (f"{r['type']} {r['name']}: {what} refuses the delete at the cloud, and "
                             f"{TEARDOWN_KEY} says the stack may be destroyed; tie it to platform:teardown "
                             "(the `up` that sets destroyable lifts it before `destroy`)")


# ---------------------------------------------------------------------------------------------
# Containers deleted with something left inside.

ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"
S3_BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
S3_VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
GCS_BUCKET = "gcp:storage/bucket:Bucket"


def _refs(r: dict) -> set[str]:
    outs = r.get("outputs") or {}
    return {v for v in (r.get("id"), outs.get("id"), outs.get("zoneId"), outs.get("bucket"), outs.get("name"))
            if isinstance(v, str) and known(v)}


def _inside(g: Graph, container: dict, members: list[dict], key: str) -> list[dict]:
    refs = _refs(container)
    return [m for m in members if (m.get("inputs") or {}).get(key) in refs
            or container["urn"] in (m.get("propertyDependencies") or {}).get(key, [])]


def _versioned(g: Graph, bucket: dict) -> bool:
    inputs = bucket.get("inputs") or {}
    if (inputs.get("versioning") or {}).get("enabled") is True:
        return True
    for v in _inside(g, bucket, g.of_type(*S3_VERSIONING), "bucket"):
        if ((v.get("inputs") or {}).get("versioningConfiguration") or {}).get("status") == "Enabled":
            return True
    return False


@rule("destroy-container-not-empty",
      "A container the stack deletes is empty by then: no retained record in a zone, buckets force-destroyed",
      "https://docs.aws.amazon.com/Route53/latest/APIReference/API_DeleteHostedZone.html")
def container_not_empty(g: Graph):
    if not destroyable(g):
        return
    records = g.of_type(RECORD)
    for z in g.of_type(ZONE):
        if z.get("retainOnDelete") or (z.get("inputs") or {}).get("forceDestroy") is True:
            continue
        kept = [r for r in _inside(g, z, records, "zoneId") if r.get("retainOnDelete")]
        if kept:
            yield z["urn"], (f"zone {(z.get('inputs') or {}).get('name')} is deleted by `destroy`, but "
                             f"{len(kept)} record(s) inside it are retained on delete "
                             f"({', '.join(r['name'] for r in kept)}): Route 53 refuses to delete a zone that "
                             "holds records besides its own NS/SOA (HostedZoneNotEmpty); do not retain records "
                             "in a zone the stack owns")
    for b in g.of_type(*S3_BUCKETS):
        if b.get("retainOnDelete") or (b.get("inputs") or {}).get("forceDestroy") is True:
            continue
        why = ("versioned: every object leaves noncurrent versions and delete markers behind"
               if _versioned(g, b) else "any object written to it is left behind")
        yield b["urn"], (f"S3 bucket {b['name']} has no force_destroy ({why}); DeleteBucket refuses a bucket that "
                         "is not empty (BucketNotEmpty), so `destroy` stops there; set force_destroy where "
                         f"{TEARDOWN_KEY} is destroyable")
    for b in g.of_type(GCS_BUCKET):
        inputs = b.get("inputs") or {}
        if b.get("retainOnDelete"):
            continue
        if (inputs.get("retentionPolicy") or {}).get("isLocked") is True:
            yield b["urn"], (f"GCS bucket {b['name']} has a locked retention policy: no object (so not the bucket) "
                             "can be deleted before it expires, force_destroy or not")
        elif inputs.get("forceDestroy") is not True:
            versioned = (inputs.get("versioning") or {}).get("enabled") is True
            yield b["urn"], (f"GCS bucket {b['name']} has no force_destroy"
                             f"{' (versioned: noncurrent versions stay)' if versioned else ''}; Cloud Storage "
                             "refuses to delete a bucket that is not empty (409), so `destroy` stops there; "
                             f"set force_destroy where {TEARDOWN_KEY} is destroyable")


# ---------------------------------------------------------------------------------------------
# The deployer's own access: what is deleted through it must go first.

# Each cloud's apply module (components/clouds/<cloud>/apply.py) says what its deployer's own cluster access
# is: `DEPLOYER_GRANTS` (grant type -> the input naming the principal), `deployer_principals(deployer)` (the
# principals the `platform:deployer` config names), `grant_clusters(g, grant, clusters)` (the clusters a grant
# reaches, [] when it is no cluster access) and optionally `deleted_through(g, cluster)` (what else than the
# Kubernetes objects the deployer deletes through that access).
def _access_modules() -> list:
    from .. import clouds

    return [m for m in clouds.load("apply_module") if hasattr(m, "DEPLOYER_GRANTS")]


def _deployer_principals(g: Graph) -> set[str]:
    dep = g.cfg("platform:deployer") or {}
    if not isinstance(dep, dict):
        return set()
    return {p for m in _access_modules() for p in m.deployer_principals(dep) if p}


def _grant_cluster(g: Graph, grant: dict) -> list[dict]:
    """The clusters a deployer grant gives access to (empty: not a cluster grant)."""
    clusters = [c for c in g.resources if c["type"] in CLUSTER_TYPES]
    return [c for m in _access_modules() if grant["type"] in m.DEPLOYER_GRANTS
            for c in m.grant_clusters(g, grant, clusters)]


def _through(g: Graph, cluster: dict) -> list[dict]:
    """What the deployer deletes through its access to `cluster`: the Kubernetes objects behind a provider
    that reads the cluster, and what its cloud adds (GKE, whose IAM is the project's: the node pools)."""
    providers = {p["urn"] for p in g.of_type("pulumi:providers:kubernetes") if cluster["urn"] in g.deps(p["urn"])}
    out = [r for r in g.resources if r["type"].startswith("kubernetes:")
           and (r.get("provider") or "").rsplit("::", 1)[0] in providers]
    for m in _access_modules():
        out += getattr(m, "deleted_through", lambda g, c: [])(g, cluster)
    return out


def _delete_deps(g: Graph, r: dict) -> set[str]:
    """What `r` waits for, its provider included (the engine deletes a resource before its provider)."""
    prov = (r.get("provider") or "").rsplit("::", 1)[0]
    return g.deps_of_urns([r["urn"], *([prov] if prov else [])])


@rule("destroy-deployer-grant-order",
      "The deployer's own cluster access (EKS access entry, GKE IAM binding, AKS role assignment) is deleted "
      "after everything deleted through it",
      "https://www.pulumi.com/docs/iac/concepts/resources/dependencies/")
def deployer_grant_order(g: Graph):
    principals = _deployer_principals(g)
    if not principals or not destroyable(g):
        return
    for grant in g.resources:
        key = next((m.DEPLOYER_GRANTS[grant["type"]] for m in _access_modules()
                    if grant["type"] in m.DEPLOYER_GRANTS), None)
        if key is None or grant.get("retainOnDelete"):  # retained (the deployer's own binding): it outlives everything
            continue
        value = (grant.get("inputs") or {}).get(key)
        values = value if isinstance(value, list) else [value]
        if not principals & {v for v in values if isinstance(v, str)}:
            continue
        for cluster in _grant_cluster(g, grant):
            early = [r for r in _through(g, cluster) if grant["urn"] not in _delete_deps(g, r)]
            if early:
                yield grant["urn"], (
                    f"the deployer's own access to cluster {cluster['name']} ({grant['name']}) does not outlive "
                    f"{len(early)} resource(s) deleted through it ({', '.join(r['name'] for r in early[:4])}"
                    f"{', ...' if len(early) > 4 else ''}): `destroy` may delete the grant first, or in the same "
                    "wave, and their deletes then fail with 401/403; make them depend on the grant (their "
                    "Kubernetes provider `depends_on` it), or leave the grant outside the stack")


# ---------------------------------------------------------------------------------------------
# Names the cloud keeps after a delete.

# type -> (name input, window in days (None: for ever) or the input that sets it, what keeps it, documentation)
RESERVED_AFTER_DELETE: dict[str, tuple[str, Any, str, str]] = {
    "azure-native:keyvault:Vault": (
        "vaultName", ("properties.softDeleteRetentionInDays", 90),
        "soft-deleted vault (global name; purge protection forbids purging it sooner)",
        "https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview"),
    "azure-native:keyvault:ManagedHsm": (
        "name", ("properties.softDeleteRetentionInDays", 90), "soft-deleted managed HSM",
        "https://learn.microsoft.com/azure/key-vault/managed-hsm/soft-delete-overview"),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": (
        "bucketId", 7, "log bucket pending deletion (DELETE_REQUESTED)",
        "https://cloud.google.com/logging/docs/buckets#delete-bucket"),
    "gcp:kms/keyRing:KeyRing": (
        "name", None, "key ring (Cloud KMS never deletes one)",
        "https://cloud.google.com/kms/docs/resource-hierarchy#retrieve_resource_id"),
    "gcp:kms/cryptoKey:CryptoKey": (
        "name", None, "crypto key (Cloud KMS never deletes one, only its versions)",
        "https://cloud.google.com/kms/docs/resource-hierarchy#retrieve_resource_id"),
    "gcp:projects/iAMCustomRole:IAMCustomRole": (
        "roleId", 37, "deleted custom role (7 days recoverable, then 30 more before the id is free)",
        "https://cloud.google.com/iam/docs/creating-custom-roles#deleting-custom-role"),
    "aws:secretsmanager/secret:Secret": (
        "name", ("recoveryWindowInDays", 30), "secret scheduled for deletion (recovery window)",
        "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html"),
}
RANDOM_TYPES = ("random:index/randomId:RandomId", "random:index/randomString:RandomString",
                "random:index/randomPet:RandomPet", "random:index/randomUuid:RandomUuid")


def _get(d: Any, path: str) -> Any:
    for part in path.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d


def window_days(r: dict) -> Optional[int]:
    """How long the cloud keeps `r`'s name after a delete (None: for ever)."""
    _key, window, _what, _doc = RESERVED_AFTER_DELETE[r["type"]]
    if isinstance(window, tuple):
        path, default = window
        value = _get(r.get("inputs") or {}, path)
        return int(value) if isinstance(value, (int, float)) else default
    return window


def varies_per_creation(g: Graph, r: dict, key: str) -> bool:
    """The name is drawn anew when the stack creates the resource again: omitted (the provider's autonaming,
    a random suffix), or built from a random value kept in the stack's state (pulumi-random)."""
    if (r.get("inputs") or {}).get(key) is None:
        return True
    sources = (r.get("propertyDependencies") or {}).get(key, [])
    return any(g.by_urn.get(u, {}).get("type") in RANDOM_TYPES for u in g.deps_of_urns(sources))


@rule("recreate-name-reserved",
      "In a destroyable stack, a name the cloud keeps reserved after delete varies per creation",
      "https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview")
def reserved_names(g: Graph):
    if not destroyable(g):
        return
    for r in g.resources:
        entry = RESERVED_AFTER_DELETE.get(r["type"])
        if entry is None or r.get("retainOnDelete"):
            continue
        key, _window, what, doc = entry
        if varies_per_creation(g, r, key):
            continue
        days = window_days(r)
        span = "for ever" if days is None else f"for {days} days"
        yield r["urn"], (f"{r['type']} {r['name']}: {key} {(r.get('inputs') or {}).get(key)!r} is kept {span} after "
                         f"`destroy` ({what}, {doc}); the next `up` of the stack asks for the same name and fails; "
                         "draw a suffix per creation (components/lifecycle.py creation_suffix) or let the provider "
                         "name it")


# Retained resources whose name is unique in the account: the next create of the stack finds them.
RETAINED_UNIQUE = {"aws:iam/serviceLinkedRole:ServiceLinkedRole": "one role per AWS service and account"}


@rule("recreate-retained-collides",
      "A resource kept by retainOnDelete whose name is unique per account is not created again by the next `up`",
      "https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html", level="warning")
def retained_collides(g: Graph):
    if not destroyable(g):
        return
    for r in g.resources:
        why = RETAINED_UNIQUE.get(r["type"])
        if why and r.get("retainOnDelete"):
            yield r["urn"], (f"{r['type']} {r['name']} outlives `destroy` (retainOnDelete; {why}): the next `up` "
                             "that creates the stack again asks for it and fails (already taken) unless the program "
                             "then uses the existing one (issue #29's lookup/flag for a second stack applies)")


TEARDOWN_RULES = ("destroy-protected", "destroy-cloud-protection", "destroy-container-not-empty",
                  "destroy-deployer-grant-order", "recreate-name-reserved", "recreate-retained-collides")
DELETE_TIME.update(TEARDOWN_RULES)  # a preview does not run them; `offline destroy` does


def findings(g: Graph) -> list:
    """The delete-time rules over `g` (platform:apply_exemptions applied as by `check`)."""
    from . import check

    return check(g, rules=TEARDOWN_RULES)



