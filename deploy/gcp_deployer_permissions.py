"""The GCP deployer's permissions, per resource type the stacks create: the table and its checks.

`deploy/gcp-deployer-permissions.json` holds, for every GCP resource type (and invoke) any stack
registers, the REST methods the provider calls to create, read, update and delete it (from the
provider's resource docs and the API reference, `doc`), the IAM permissions those methods check,
and the predefined roles that grant them. `tests/fixtures/gcp_iam/` holds the facts the table is
checked against: each method's permissions and each role's permissions, trimmed from the IAM
dataset (github.com/iann0036/iam-dataset, gcp/map.json and gcp/roles/*.json, built from Google's
API discovery documents and the IAM roles API; commit named in the fixture).

`python -m deploy.gcp_deployer_permissions /path/to/iam-dataset` rebuilds both from SPEC below (a
method the dataset does not know fails: fail closed). `covered()` says what a role list misses:
the README's deployer role list (`readme_roles()`) must cover every type of every stack
(tests/test_gcp_deployer_permissions.py), and the apply check `gcp-deployer-permission-table`
fails a preview that registers a GCP type the table lacks.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TABLE = HERE / "gcp-deployer-permissions.json"
FACTS = REPO / "tests" / "fixtures" / "gcp_iam" / "dataset.json"

TF = "https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/"
TFD = "https://registry.terraform.io/providers/hashicorp/google/latest/docs/data-sources/"
COMPUTE = "https://cloud.google.com/compute/docs/reference/rest/v1/"


def _crud(api: str, collection: str, create="insert", read="get", update="patch", delete="delete") -> dict:
    m = lambda verb: [f"{api}.{collection}.{verb}"] if verb else []
    return {"create": m(create), "read": m(read), "update": m(update), "delete": m(delete)}


def _compute(collection: str, doc: str, update="patch", also: dict | None = None) -> dict:
    ops = _crud("compute", collection, update=update)
    for op, methods in (also or {}).items():
        ops[op] = ops[op] + methods
    return {"doc": TF + doc, "api": COMPUTE + collection, "methods": ops}


# Per type: the methods the provider calls (create/read/update/delete); `extra`: permissions a call checks
# on another resource that the method map does not list, each with the page documenting it.
SPEC: dict[str, dict] = {
    "gcp:projects/service:Service": {
        "doc": TF + "google_project_service", "api": "https://cloud.google.com/service-usage/docs/reference/rest/v1/services",
        # disable_on_destroy=false: delete makes no call.
        "methods": {"create": ["serviceusage.services.enable"], "read": ["serviceusage.services.get"],
                    "update": [], "delete": []}},
    "gcp:projects/serviceIdentity:ServiceIdentity": {
        "doc": TF + "project_service_identity",
        "api": "https://cloud.google.com/service-usage/docs/reference/rest/v1beta1/services/generateServiceIdentity",
        # Read and delete are no-ops in the provider (the agent cannot be deleted).
        "methods": {"create": ["serviceusage.services.generateServiceIdentity"], "read": [], "update": [], "delete": []}},
    "gcp:projects/iAMMember:IAMMember": {
        "doc": TF + "google_project_iam#google_project_iam_member",
        "api": "https://cloud.google.com/resource-manager/reference/rest/v1/projects/setIamPolicy",
        "methods": {op: ["cloudresourcemanager.projects.getIamPolicy"] + ([] if op == "read" else
                                                                        ["cloudresourcemanager.projects.setIamPolicy"])
                    for op in ("create", "read", "update", "delete")}},
    "gcp:serviceaccount/account:Account": {
        "doc": TF + "google_service_account", "api": "https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts",
        "methods": _crud("iam", "projects.serviceAccounts", create="create")},
    "gcp:serviceaccount/iAMMember:IAMMember": {
        "doc": TF + "google_service_account_iam#google_service_account_iam_member",
        "api": "https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/setIamPolicy",
        "methods": {op: ["iam.projects.serviceAccounts.getIamPolicy"] + ([] if op == "read" else
                                                                        ["iam.projects.serviceAccounts.setIamPolicy"])
                    for op in ("create", "read", "update", "delete")}},
    "gcp:compute/network:Network": _compute("networks", "compute_network"),
    "gcp:compute/subnetwork:Subnetwork": _compute("subnetworks", "compute_subnetwork"),
    "gcp:compute/firewall:Firewall": _compute("firewalls", "compute_firewall"),
    "gcp:compute/router:Router": _compute("routers", "compute_router"),
    # A Cloud NAT is a part of its router: read and written through the router.
    "gcp:compute/routerNat:RouterNat": {
        "doc": TF + "compute_router_nat", "api": COMPUTE + "routers",
        "methods": {"create": ["compute.routers.get", "compute.routers.patch"], "read": ["compute.routers.get"],
                    "update": ["compute.routers.get", "compute.routers.patch"],
                    "delete": ["compute.routers.get", "compute.routers.patch"]}},
    "gcp:compute/address:Address": _compute("addresses", "compute_address", update="setLabels"),
    "gcp:compute/regionHealthCheck:RegionHealthCheck": _compute("regionHealthChecks", "compute_region_health_check"),
    "gcp:compute/regionBackendService:RegionBackendService": _compute(
        "regionBackendServices", "compute_region_backend_service",
        also={op: ["compute.regionBackendServices.setSecurityPolicy"] for op in ("create", "update")}),
    "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy": _compute("regionSecurityPolicies",
                                                                       "compute_region_security_policy"),
    "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule": {
        "doc": TF + "compute_region_security_policy_rule", "api": COMPUTE + "regionSecurityPolicies",
        "methods": {"create": ["compute.regionSecurityPolicies.addRule"], "read": ["compute.regionSecurityPolicies.getRule"],
                    "update": ["compute.regionSecurityPolicies.patchRule"],
                    "delete": ["compute.regionSecurityPolicies.removeRule"]}},
    "gcp:compute/regionSslPolicy:RegionSslPolicy": _compute("regionSslPolicies", "compute_region_ssl_policy"),
    "gcp:compute/regionUrlMap:RegionUrlMap": _compute("regionUrlMaps", "compute_region_url_map"),
    "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy": _compute(
        "regionTargetHttpProxies", "compute_region_target_http_proxy", update="setUrlMap"),
    "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy": _compute(
        "regionTargetHttpsProxies", "compute_region_target_https_proxy", update="patch"),
    "gcp:compute/forwardingRule:ForwardingRule": _compute("forwardingRules", "compute_forwarding_rule",
                                                           update="setLabels"),
    "gcp:compute/instanceGroupNamedPort:InstanceGroupNamedPort": {
        "doc": TF + "compute_instance_group_named_port", "api": COMPUTE + "instanceGroups/setNamedPorts",
        "methods": {"create": ["compute.instanceGroups.get", "compute.instanceGroups.setNamedPorts"],
                    "read": ["compute.instanceGroups.get"], "update": [],
                    "delete": ["compute.instanceGroups.get", "compute.instanceGroups.setNamedPorts"]}},
    "gcp:container/cluster:Cluster": {
        "doc": TF + "container_cluster", "api": "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters",
        "methods": {"create": ["container.projects.locations.clusters.create",
                               "container.projects.locations.clusters.nodePools.delete"],  # remove_default_node_pool
                    "read": ["container.projects.locations.clusters.get"],
                    "update": ["container.projects.locations.clusters.update"],
                    "delete": ["container.projects.locations.clusters.delete"]}},
    "gcp:container/nodePool:NodePool": {
        "doc": TF + "container_node_pool",
        "api": "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters.nodePools",
        "methods": {"create": ["container.projects.locations.clusters.nodePools.create"],
                    "read": ["container.projects.locations.clusters.nodePools.get"],
                    "update": ["container.projects.locations.clusters.nodePools.update"],
                    "delete": ["container.projects.locations.clusters.nodePools.delete"]}},
    "gcp:kms/keyRing:KeyRing": {
        "doc": TF + "kms_key_ring", "api": "https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings",
        # Key rings cannot be deleted: the provider only forgets them.
        "methods": {"create": ["cloudkms.projects.locations.keyRings.create"],
                    "read": ["cloudkms.projects.locations.keyRings.get"], "update": [], "delete": []}},
    "gcp:kms/cryptoKey:CryptoKey": {
        "doc": TF + "kms_crypto_key",
        "api": "https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys",
        # Delete destroys every version and clears the rotation schedule (the key itself stays).
        "methods": {"create": ["cloudkms.projects.locations.keyRings.cryptoKeys.create"],
                    "read": ["cloudkms.projects.locations.keyRings.cryptoKeys.get"],
                    "update": ["cloudkms.projects.locations.keyRings.cryptoKeys.patch"],
                    "delete": ["cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.list",
                               "cloudkms.projects.locations.keyRings.cryptoKeys.cryptoKeyVersions.destroy",
                               "cloudkms.projects.locations.keyRings.cryptoKeys.patch"]}},
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": {
        "doc": TF + "google_kms_crypto_key_iam#google_kms_crypto_key_iam_member",
        "api": "https://cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys/setIamPolicy",
        "methods": {op: ["cloudkms.projects.locations.keyRings.cryptoKeys.getIamPolicy"] + (
            [] if op == "read" else ["cloudkms.projects.locations.keyRings.cryptoKeys.setIamPolicy"])
            for op in ("create", "read", "update", "delete")}},
    "gcp:storage/bucket:Bucket": {
        "doc": TF + "storage_bucket", "api": "https://cloud.google.com/storage/docs/json_api/v1/buckets",
        "methods": _crud("storage", "buckets")},
    "gcp:storage/bucketIAMMember:BucketIAMMember": {
        "doc": TF + "storage_bucket_iam#google_storage_bucket_iam_member",
        "api": "https://cloud.google.com/storage/docs/json_api/v1/buckets/setIamPolicy",
        "methods": {op: ["storage.buckets.getIamPolicy"] + ([] if op == "read" else ["storage.buckets.setIamPolicy"])
                    for op in ("create", "read", "update", "delete")}},
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": {
        "doc": TF + "logging_project_bucket_config",
        "api": "https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.locations.buckets",
        "methods": _crud("logging", "projects.locations.buckets", create="create")},
    "gcp:logging/projectSink:ProjectSink": {
        "doc": TF + "logging_project_sink", "api": "https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.sinks",
        "methods": _crud("logging", "projects.sinks", create="create", update="update")},
    "gcp:logging/projectExclusion:ProjectExclusion": {
        "doc": TF + "logging_project_exclusion",
        "api": "https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects.exclusions",
        "methods": _crud("logging", "projects.exclusions", create="create")},
    "gcp:monitoring/alertPolicy:AlertPolicy": {
        "doc": TF + "monitoring_alert_policy",
        "api": "https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.alertPolicies",
        "methods": _crud("monitoring", "projects.alertPolicies", create="create")},
    "gcp:monitoring/notificationChannel:NotificationChannel": {
        "doc": TF + "monitoring_notification_channel",
        "api": "https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.notificationChannels",
        "methods": _crud("monitoring", "projects.notificationChannels", create="create")},
    "gcp:certificatemanager/certificate:Certificate": {
        "doc": TF + "certificate_manager_certificate",
        "api": "https://cloud.google.com/certificate-manager/docs/reference/certificate-manager/rest/v1/projects.locations.certificates",
        "methods": _crud("certificatemanager", "projects.locations.certificates", create="create")},
    "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": {
        "doc": TF + "certificate_manager_dns_authorization",
        "api": "https://cloud.google.com/certificate-manager/docs/reference/certificate-manager/rest/v1/projects.locations.dnsAuthorizations",
        "methods": _crud("certificatemanager", "projects.locations.dnsAuthorizations", create="create")},
    # Invokes (data sources): read only. getZones: no stack calls it (zones.py knows the zones before the
    # Compute API is on), but a program that does is covered.
    "gcp:compute/getZones:getZones": {
        "doc": TFD + "compute_zones", "api": COMPUTE + "zones/list", "methods": {"read": ["compute.zones.list"]}},
    "gcp:organizations/getProject:getProject": {
        "doc": TFD + "project", "api": "https://cloud.google.com/resource-manager/reference/rest/v1/projects/get",
        "methods": {"read": ["cloudresourcemanager.projects.get"]}},
    "gcp:storage/getProjectServiceAccount:getProjectServiceAccount": {
        "doc": TFD + "storage_project_service_account",
        "api": "https://cloud.google.com/storage/docs/json_api/v1/projects/serviceAccount/get",
        "methods": {"read": ["storage.projects.serviceAccount.get"]}},
    "gcp:logging/getProjectCmekSettings:getProjectCmekSettings": {
        "doc": TFD + "logging_project_cmek_settings",
        "api": "https://cloud.google.com/logging/docs/reference/v2/rest/v2/projects/getCmekSettings",
        "methods": {"read": ["logging.projects.getCmekSettings"]}},
}

# Permissions a call checks on another resource that the method map does not name, per type and
# operation, with the page that documents each.
EXTRA: dict[str, dict[str, list[tuple[str, str]]]] = {
    # Creating a cluster or pool whose nodes run as a service account is acting as it.
    "gcp:container/cluster:Cluster": {
        "create": [("iam.serviceAccounts.actAs",
                    "https://cloud.google.com/kubernetes-engine/docs/how-to/iam#service_account_user")]},
    "gcp:container/nodePool:NodePool": {
        "create": [("iam.serviceAccounts.actAs",
                    "https://cloud.google.com/kubernetes-engine/docs/how-to/iam#service_account_user")]},
    # A regional HTTPS proxy naming Certificate Manager certificates uses them.
    "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy": {
        op: [("certificatemanager.certs.use",
              "https://cloud.google.com/certificate-manager/docs/access-control#permissions")]
        for op in ("create", "update")},
}


# Methods the dataset maps to no permission, with what the caller needs and why we believe it.
UNMAPPED: dict[str, tuple[list[str], str]] = {
    "serviceusage.services.generateServiceIdentity": (
        ["serviceusage.services.enable"],
        "the API reference names no permission (v1beta1 generateServiceIdentity); Google's project factory "
        "creates agents with Service Usage Admin (terraform-google-project-factory, modules/project_services, "
        "'activate_api_identities'), whose enable permission is the one assumed here"),
    "storage.projects.serviceAccount.get": (
        ["resourcemanager.projects.get"],
        "https://cloud.google.com/storage/docs/getting-service-agent: finding a project's Cloud Storage service "
        "agent needs resourcemanager.projects.get on the project"),
    "logging.projects.getCmekSettings": (
        ["logging.settings.get"],
        "the dataset lists it (under logging.billingAccounts.getCmekSettings, low confidence) as "
        "logging.cmekSettings.get, which no predefined role includes any more, logging.admin neither; a "
        "project's settings, CMEK included, are read with logging.settings.get "
        "(https://cloud.google.com/logging/docs/access-control)"),
}


def _git_show(dataset: Path, path: str) -> str:
    return subprocess.run(["git", "-C", str(dataset), "show", f"HEAD:{path}"], check=True,
                          capture_output=True, text=True).stdout


def regenerate(dataset: Path) -> None:
    """Resolve SPEC's methods to permissions with the dataset, pick the roles (among README's list and
    the two Monitoring editors) that grant them, and write the table and the trimmed facts."""
    commit = subprocess.run(["git", "-C", str(dataset), "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    apis = json.loads(_git_show(dataset, "gcp/map.json"))["api"]
    method_perms: dict[str, list[str]] = {}
    for spec in SPEC.values():
        for methods in spec["methods"].values():
            for m in methods:
                api = m.split(".")[0]
                found = apis.get(api, {}).get("methods", {}).get(m)
                if m in UNMAPPED:
                    method_perms[m] = UNMAPPED[m][0]
                elif found is None or not found.get("permissions"):
                    raise SystemExit(f"method {m} has no permissions in the dataset: fix SPEC or UNMAPPED")
                else:
                    method_perms[m] = sorted({p["name"] for p in found["permissions"]})
    roles = readme_roles() | {"roles/monitoring.alertPolicyEditor", "roles/monitoring.notificationChannelEditor"}
    role_perms = {r: set(json.loads(_git_show(dataset, f"gcp/roles/{r.split('/', 1)[1]}.json"))["includedPermissions"])
                  for r in sorted(roles)}
    table: dict[str, dict] = {}
    used: set[str] = set()
    for type_, spec in SPEC.items():
        entry = {"doc": spec["doc"], "api": spec["api"], "methods": spec["methods"], "permissions": {}, "roles": []}
        for op, methods in spec["methods"].items():
            perms = {p for m in methods for p in method_perms[m]}
            perms |= {p for p, _ in EXTRA.get(type_, {}).get(op, [])}
            entry["permissions"][op] = sorted(perms)
            used |= perms
        extra_docs = sorted({d for ps in EXTRA.get(type_, {}).values() for _, d in ps})
        if extra_docs:
            entry["extra_docs"] = extra_docs
        need = {p for ps in entry["permissions"].values() for p in ps}
        # The fewest roles of the list that grant everything: the type's own admin role first.
        chosen: list[str] = []
        for p in sorted(need, key=lambda p: (p.startswith("iam.serviceAccounts.actAs"), p)):
            if any(p in role_perms[r] for r in chosen):
                continue
            granting = sorted(r for r in role_perms if p in role_perms[r])
            if not granting:
                raise SystemExit(f"{type_}: no deployer role grants {p}")
            chosen.append(min(granting, key=lambda r: len(role_perms[r])))
        entry["roles"] = sorted(chosen)
        table[type_] = entry
    TABLE.write_text(json.dumps({
        "about": "Per GCP resource type and invoke the stacks use: the methods the provider calls per operation "
                 "(doc: provider page; api: REST reference), the IAM permissions they check (IAM dataset, "
                 "tests/fixtures/gcp_iam/dataset.json) and the predefined roles that grant them. Rebuilt by "
                 "`python -m deploy.gcp_deployer_permissions DATASET_CHECKOUT`.",
        "types": table}, indent=1, sort_keys=True) + "\n")
    FACTS.parent.mkdir(parents=True, exist_ok=True)
    FACTS.write_text(json.dumps({
        "source": f"https://github.com/iann0036/iam-dataset/tree/{commit}/gcp (map.json, roles/*.json)",
        "methods": method_perms,
        "unmapped": {m: why for m, (_, why) in UNMAPPED.items()},
        "roles": {r: sorted(ps & used) for r, ps in role_perms.items()}}, indent=1, sort_keys=True) + "\n")


# --- checks -------------------------------------------------------------------------------------

_ROLE_LIST = re.compile(r"\*\*Deployer roles\*\*(.*?)\n- \*\*", re.S)


def readme_roles(readme: str | None = None) -> set[str]:
    """The roles of README's "Deployer roles" item (GCP: what a fresh project needs)."""
    text = readme if readme is not None else (REPO / "README.md").read_text()
    m = _ROLE_LIST.search(text)
    if not m:
        raise ValueError("README.md has no '**Deployer roles**' item under 'GCP: what a fresh project needs'")
    listed = re.sub(r"instead of `roles/[^`]+`", "", m.group(1))   # "(instead of `roles/owner`)"
    return set(re.findall(r"`(roles/[A-Za-z0-9_.]+)`", listed))


def load_table() -> dict[str, dict]:
    return json.loads(TABLE.read_text())["types"]


def load_facts() -> dict:
    return json.loads(FACTS.read_text())


def covered(types: set[str], roles: set[str], table: dict | None = None, facts: dict | None = None) -> list[str]:
    """What `roles` cannot do for `types` (empty: covered). A type the table lacks is a problem (fail closed);
    so is a permission of the table that none of `roles` grants (by the dataset's role permissions)."""
    table = table if table is not None else load_table()
    facts = facts if facts is not None else load_facts()
    problems = []
    for t in sorted(types):
        entry = table.get(t)
        if entry is None:
            problems.append(f"{t}: not in deploy/gcp-deployer-permissions.json (add its methods to SPEC and rebuild)")
            continue
        for op, perms in sorted(entry["permissions"].items()):
            for p in perms:
                if not any(p in facts["roles"].get(r, ()) for r in roles):
                    problems.append(f"{t} {op}: {p} is granted by none of the deployer roles "
                                    f"(the table names {', '.join(entry['roles'])})")
    return problems


if __name__ == "__main__":
    regenerate(Path(sys.argv[1]))
