"""GCP apply rules."""
from __future__ import annotations

import re

from offline.apply import Graph, cross_stack, ignored, known, rule
from offline.apply.common import propagation_waits

_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_RFC1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")


@rule("gcp-label-charset",
      "GCP labels: keys start with a lowercase letter; keys and values lowercase, digits, _ and -, 63 chars",
      "https://cloud.google.com/resource-manager/docs/labels-overview#requirements")
def labels(g: Graph):
    for r in g.resources:
        if not r["type"].startswith("gcp:"):
            continue
        # Cloud Monitoring's objects are labelled in `userLabels`; a notification channel's `labels` are its config.
        fields = ("userLabels",) if r["type"].startswith("gcp:monitoring/") else ("labels", "resourceLabels")
        for field in fields:
            for k, v in ((r["inputs"] or {}).get(field) or {}).items():
                if not _LABEL_KEY.match(k):
                    yield r["urn"], f"{field} key {k!r}: must start with a lowercase letter; a-z 0-9 _ -, max 63"
                if known(v) and not _LABEL_VALUE.match(str(v)):
                    yield r["urn"], f"{field} {k}={v!r}: values allow a-z 0-9 _ -, max 63"


@rule("gcp-name-rfc1035",
      "GCP Compute/GKE resource names: RFC 1035, lowercase, 1-63 chars, start with a letter",
      "https://cloud.google.com/compute/docs/naming-resources#resource-name-format")
def names(g: Graph):
    for r in g.resources:
        if not r["type"].startswith(("gcp:compute/", "gcp:container/")):
            continue
        name = (r["inputs"] or {}).get("name")
        if known(name) and isinstance(name, str) and not _RFC1035.match(name):
            yield r["urn"], f"name {name!r}: must match [a-z]([-a-z0-9]{{0,61}}[a-z0-9])? (RFC 1035, max 63)"


# The API a resource type (module of its token) or an invoke needs enabled.
API_OF_MODULE = {
    "compute": "compute.googleapis.com", "container": "container.googleapis.com",
    "kms": "cloudkms.googleapis.com", "storage": "storage.googleapis.com",
    "serviceaccount": "iam.googleapis.com", "certificatemanager": "certificatemanager.googleapis.com",
    "dns": "dns.googleapis.com", "secretmanager": "secretmanager.googleapis.com",
    "artifactregistry": "artifactregistry.googleapis.com", "logging": "logging.googleapis.com",
    "monitoring": "monitoring.googleapis.com", "networkservices": "networkservices.googleapis.com",
}
API_OF_TOKEN = {"gcp:organizations/getProject:getProject": "cloudresourcemanager.googleapis.com",
                "gcp:projects/serviceIdentity:ServiceIdentity": None}


# APIs a resource type calls besides its own module's: a GKE cluster writes its system logs and metrics
# (and managed Prometheus series) from its first minute
# (https://cloud.google.com/kubernetes-engine/docs/how-to/config-logging-monitoring#console).
ALSO_NEEDS = {"gcp:container/cluster:Cluster": ("monitoring.googleapis.com", "logging.googleapis.com")}


def api_of(token: str) -> str | None:
    if token in API_OF_TOKEN:
        return API_OF_TOKEN[token]
    module = token.split(":")[1].split("/")[0] if token.count(":") >= 2 else ""
    return API_OF_MODULE.get(module)


def apis_of(token: str) -> list[str]:
    own = api_of(token)
    return ([own] if own else []) + list(ALSO_NEEDS.get(token, ()))


def _services(g: Graph) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in g.of_type("gcp:projects/service:Service"):
        svc = (r["inputs"] or {}).get("service")
        if known(svc):
            out.setdefault(svc, []).append(r["urn"])
    return out


@rule("gcp-api-order",
      "GCP resources and invokes wait for the projects.Service enabling their API, when the stack enables it",
      "https://cloud.google.com/service-usage/docs/enable-disable")
def api_order(g: Graph):
    services = _services(g)
    for r in g.resources:
        if not r["type"].startswith("gcp:") or r["type"] == "gcp:projects/service:Service":
            continue
        for api in apis_of(r["type"]):
            if api in services and not set(services[api]) & g.deps(r["urn"]):
                yield r["urn"], (f"{r['type']} needs {api}, which this stack enables, but does not depend on that "
                                 f"projects.Service: a fresh project answers 403 SERVICE_DISABLED; add depends_on")
    for i, inv in enumerate(g.invokes):
        api = api_of(inv["token"]) if inv["token"].startswith("gcp:") else None
        if api in services and not set(services[api]) & g.deps_of_urns(inv.get("dependsOn", [])):
            yield (services[api][0], f"invoke #{i} {inv['token']} needs {api} but runs before the projects.Service "
                   f"enabling it (use the output form with depends_on=[service])")


_AGENT = re.compile(r"serviceAccount:(service-\d+@(container-engine-robot|compute-system|gcp-sa-[a-z-]+)"
                    r"\.iam\.gserviceaccount\.com)")

# Which services `projects.ServiceIdentity` (serviceusage v1beta1 generateServiceIdentity) can create an
# agent for. The call has three outcomes (provider issue hashicorp/terraform-provider-google#18649): the
# agent is created and its email returned, created without an email, or INVALID_ARGUMENT "has not been
# configured for service identities". Only services with a documented or observed success are listed;
# any other service fails closed (add it here with its source).
SERVICE_IDENTITY_CREATABLE = {
    # service-<n>@container-engine-robot: Cloud Foundation Fabric's project module creates the primary agent
    # of each enabled service with google_project_service_identity (modules/project/service-agents.tf) and
    # lists this one for container.googleapis.com (modules/project/service-agents.yaml).
    "container.googleapis.com": "https://github.com/GoogleCloudPlatform/cloud-foundation-fabric/blob/master/modules/project/service-agents.tf",
    "containerscanning.googleapis.com": "https://github.com/hashicorp/terraform-provider-google/issues/18649",
    "healthcare.googleapis.com": "https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/project_service_identity",
    # Created, but no email returned: use the documented address.
    "logging.googleapis.com": "https://github.com/hashicorp/terraform-provider-google/issues/18649",
    "storage.googleapis.com": "https://github.com/hashicorp/terraform-provider-google/issues/18649",
}
SERVICE_IDENTITY_REFUSED = {
    "compute.googleapis.com": "INVALID_ARGUMENT (terraform-google-project-factory PR #628: the Compute Engine agent "
                              "is created when compute.googleapis.com is enabled; build "
                              "service-<number>@compute-system.iam.gserviceaccount.com and depend on the Service)",
    "dns.googleapis.com": "not supported (GoogleCloudPlatform/cloud-foundation-fabric#4043)",
    "stackdriverprovisioning.googleapis.com": "INVALID_ARGUMENT (hashicorp/terraform-provider-google#18649)",
}

# How each agent the program names comes to exist: ("identity", service) a ServiceIdentity for that
# service creates it; ("service", api) enabling that API creates it
# (https://cloud.google.com/iam/docs/service-agents#service-agent-creation;
# https://cloud.google.com/compute/docs/access/service-accounts#compute_engine_service_agent).
AGENT_ORIGIN = {
    "container-engine-robot": ("identity", "container.googleapis.com"),
    "compute-system": ("service", "compute.googleapis.com"),
}


@rule("gcp-service-identity-creatable",
      "projects.ServiceIdentity only for services whose agents generateServiceIdentity creates (unknown: refused)",
      "https://github.com/hashicorp/terraform-provider-google/issues/18649")
def service_identity_creatable(g: Graph):
    for r in g.of_type("gcp:projects/serviceIdentity:ServiceIdentity"):
        svc = (r["inputs"] or {}).get("service")
        if not known(svc) or svc in SERVICE_IDENTITY_CREATABLE:
            continue
        if svc in SERVICE_IDENTITY_REFUSED:
            yield r["urn"], f"generateServiceIdentity for {svc} fails: {SERVICE_IDENTITY_REFUSED[svc]}"
        else:
            yield r["urn"], (f"generateServiceIdentity for {svc} is not known to create its agent (some services "
                             f"answer INVALID_ARGUMENT); known: {', '.join(sorted(SERVICE_IDENTITY_CREATABLE))}. "
                             "Add the service to components/clouds/gcp/apply.py with a source, or build the agent's address")


@rule("gcp-service-agent-identity",
      "IAM grants to Google service agents wait for what creates the agent: its ServiceIdentity, or the API "
      "whose enabling creates it (agents are created lazily)",
      "https://cloud.google.com/iam/docs/service-agents#service-agent-creation")
def service_agents(g: Graph):
    identities: dict[str, set[str]] = {}
    for r in g.of_type("gcp:projects/serviceIdentity:ServiceIdentity"):
        identities.setdefault(str((r["inputs"] or {}).get("service")), set()).add(r["urn"])
    every_identity = {u for us in identities.values() for u in us}
    services = _services(g)
    for r in g.resources:
        last = r["type"].rsplit(":", 1)[-1]
        if not r["type"].startswith("gcp:") or not ("IAMMember" in last or "IAMBinding" in last):
            continue
        inputs = r["inputs"] or {}
        members = [inputs.get("member")] + list(inputs.get("members") or [])
        for m in members:
            match = _AGENT.match(str(m)) if known(m) else None
            if not match:
                continue
            deps = g.deps(r["urn"])
            how, what = AGENT_ORIGIN.get(match.group(2), ("identity", None))
            if how == "service":
                if set(services.get(what, ())) & deps:
                    continue
                yield r["urn"], (f"grant to service agent {match.group(1)}, which exists once {what} is enabled: "
                                 f"depend on the projects.Service enabling {what} (a ServiceIdentity cannot create "
                                 "this agent: INVALID_ARGUMENT)")
            elif not (identities.get(what, set()) if what else every_identity) & deps:
                yield r["urn"], (f"grant to service agent {match.group(1)}, which Google creates asynchronously "
                                 f"(on first API use): the grant fails with 'does not exist' on a fresh project; "
                                 f"create a gcp:projects/serviceIdentity:ServiceIdentity"
                                 f"{f' for {what}' if what else ''} and depend on it")


def _deployer_account(g: Graph):
    d = g.cfg("platform:deployer")
    acct = d.get("gcp_service_account") if isinstance(d, dict) else None
    return acct if isinstance(acct, str) and acct else None


@rule("gcp-deployer-binding-retained",
      "A project grant to the deployer itself is retained on delete: destroy would remove the deployer's own role "
      "while it still deletes what needs it",
      "https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/google_project_iam#google_project_iam_member")
def deployer_binding(g: Graph):
    acct = _deployer_account(g)
    if not acct:
        return
    me = f"serviceAccount:{acct}"
    for r in g.resources:
        last = r["type"].rsplit(":", 1)[-1]
        if not r["type"].startswith("gcp:") or not ("IAMMember" in last or "IAMBinding" in last):
            continue
        inputs = r["inputs"] or {}
        if me not in [inputs.get("member"), *(inputs.get("members") or [])]:
            continue
        if not (r.get("options") or {}).get("retainOnDelete"):
            yield r["urn"], (f"grants {inputs.get('role')} to the deployer {acct} (platform:deployer.gcp_service_account): "
                             "`destroy` removes the member in parallel with the resources that need it (403 mid-destroy) "
                             "and every later run lacks it; set retain_on_delete=True (or grant it outside the program)")


def _permission_table() -> dict:
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "deploy" / "gcp-deployer-permissions.json"
    return json.loads(path.read_text())["types"]


@rule("gcp-deployer-permission-table",
      "Every GCP resource type and invoke the program uses is in deploy/gcp-deployer-permissions.json (its IAM "
      "permissions and the deployer role granting them); unknown types fail closed",
      "https://cloud.google.com/iam/docs/permissions-reference")
def permission_table(g: Graph):
    table = _permission_table()
    seen: set[str] = set()
    for r in g.resources:
        t = r["type"]
        if t.startswith("gcp:") and t not in table and t not in seen:
            seen.add(t)
            yield r["urn"], (f"{t} is not in deploy/gcp-deployer-permissions.json: nobody knows which permissions "
                             "the deployer needs for it (403 at apply); add its methods to "
                             "deploy/gcp_deployer_permissions.py SPEC, rebuild, and extend README's deployer roles")
    for inv in g.invokes:
        t = inv["token"]
        if t.startswith("gcp:") and t not in table and t not in seen:
            seen.add(t)
            first = next((r["urn"] for r in g.resources if r["type"].startswith("gcp:")), g.stack)
            yield first, (f"invoke {t} is not in deploy/gcp-deployer-permissions.json: its permission is unknown; "
                          "add it to deploy/gcp_deployer_permissions.py SPEC and rebuild")


@rule("gcp-gke-node-config-ignored",
      "A GKE cluster with remove_default_node_pool must ignore nodeConfig (server-managed after removal)",
      "https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_cluster#remove_default_node_pool")
def gke_node_config(g: Graph):
    for r in g.of_type("gcp:container/cluster:Cluster"):
        inputs = r["inputs"] or {}
        if inputs.get("removeDefaultNodePool") and inputs.get("nodeConfig") and not ignored(r, "nodeConfig"):
            yield r["urn"], ("removeDefaultNodePool with nodeConfig: the server reports the removed pool's "
                             "config differently, so the second `up` plans a cluster replacement; "
                             "add ignore_changes=['nodeConfig']")


# Where a resource names the Cloud KMS key it encrypts with.
CMEK_PATHS = {
    "gcp:storage/bucket:Bucket": ("encryption", "defaultKmsKeyName"),
    "gcp:container/cluster:Cluster": ("databaseEncryption", "keyName"),
    "gcp:container/nodePool:NodePool": ("nodeConfig", "bootDiskKmsKey"),
}


def _dig(value, *path):
    for p in path:
        value = value.get(p) if isinstance(value, dict) else None
    return value


@rule("gcp-cmek-grant-propagation",
      "A bucket, cluster or node pool that first uses a Cloud KMS key waits for a propagation wait after the "
      "key's grants to Google service agents",
      "https://cloud.google.com/iam/docs/access-change-propagation")
def cmek_propagation(g: Graph):
    grants: dict[str, list[str]] = {}
    for r in g.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"):
        inputs = r["inputs"] or {}
        if known(inputs.get("cryptoKeyId")) and "@" in str(inputs.get("member", "")) and \
                str(inputs.get("member")).startswith("serviceAccount:service-"):
            grants.setdefault(inputs["cryptoKeyId"], []).append(r["urn"])
    waited = propagation_waits(g)
    for type_, path in CMEK_PATHS.items():
        for r in g.of_type(type_):
            key = _dig(r["inputs"] or {}, *path)
            mine = set(grants.get(key, [])) & g.deps(r["urn"]) if known(key) else set()
            if mine and not waited(r["urn"], mine, every=True):
                yield r["urn"], (f"{type_.rsplit(':', 1)[-1]} encrypts with {key} right after its service-agent "
                                 "grant returns; IAM takes up to minutes to propagate, so the first CMEK call can be "
                                 "refused: depend on a time:index/sleep:Sleep that depends on the grants")


@rule("gcp-gke-workload-waits-for-pool",
      "A GKE cluster without its default pool: its node pools start with nodes and the workload waits for them",
      "https://cloud.google.com/kubernetes-engine/docs/how-to/node-pools#add")
def gke_pool_before_workload(g: Graph):
    clusters = {r["urn"]: r for r in g.of_type("gcp:container/cluster:Cluster")
                if (r["inputs"] or {}).get("removeDefaultNodePool")}
    pools: dict[str, list[dict]] = {}
    for p in g.of_type("gcp:container/nodePool:NodePool"):
        for c in clusters:
            if c in g.deps(p["urn"]):
                pools.setdefault(c, []).append(p)
        inputs = p["inputs"] or {}
        if not inputs.get("initialNodeCount") and not inputs.get("nodeCount"):
            yield p["urn"], ("the node pool sets neither initialNodeCount nor nodeCount: it starts with no node, "
                             "and the first `up` waits for pods that cannot be scheduled; set initialNodeCount "
                             "(and ignore_changes it: the autoscaler owns the count afterwards)")
    for d in g.of_type("kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"):
        provider = (d.get("provider") or "").rsplit("::", 1)[0]
        reach = g.deps_of_urns([provider]) if provider else set()
        for c, ps in pools.items():
            if c in reach and not {p["urn"] for p in ps} & g.deps(d["urn"]):
                yield d["urn"], ("the workload runs on a GKE cluster whose default pool is removed but does not "
                                 "wait for its node pool: the Deployment is created before any node exists; add "
                                 "the pool to depends_on (WorkloadExposure.wait_for)")


# ---------------------------------------------------------------------------------------------
# Across stacks (`preview --all`): one GCP cell per project.

def cell_projects(g: Graph) -> list[tuple[str, str]]:
    """(cluster urn, project) of every GKE cluster (one per GCP cell) whose project is known."""
    out = []
    for r in g.of_type("gcp:container/cluster:Cluster"):
        project = (r["inputs"] or {}).get("project")
        if known(project) and isinstance(project, str) and project:
            out.append((r["urn"], project))
    return out


@cross_stack("gcp-one-cell-per-project")
def project_collisions(graphs: list[Graph]) -> list[tuple[str, str, str]]:
    """(stack, urn, message) for every GCP cell whose project a cell of another stack already uses.

    Workload Identity's pool `<project>.svc.id.goog` is shared by every cluster of a project ("identity
    sameness": https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity#identity_sameness),
    so a second cell's pods could act as the first cell's service account and read its bucket. The config
    check refuses it within a stack (components/clouds/gcp/settings.py); this checks across stacks."""
    seen: dict[str, tuple[str, str]] = {}
    out = []
    for g in graphs:
        for urn, project in cell_projects(g):
            first = seen.get(project)
            if first and first[0] != g.stack:
                out.append((g.stack, urn, f"GCP project {project!r} already holds cell {first[1].split('::')[-1]} "
                                          f"of stack {first[0]!r}: Workload Identity is shared by every cluster of "
                                          "a project, so each GCP cell needs its own project (platform:cells[].project "
                                          "or gcp:project)"))
            seen.setdefault(project, (g.stack, urn))
    return out


# ---------------------------------------------------------------------------------------------
# Cloud Armor: rules as their own resources.

_ARMOR = {"gcp:compute/regionSecurityPolicy:RegionSecurityPolicy": "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule",
          "gcp:compute/securityPolicy:SecurityPolicy": "gcp:compute/securityPolicyRule:SecurityPolicyRule"}


@rule("gcp-armor-rule-resources",
      "Cloud Armor rules are separate rule resources: inline rule updates are unreliable, and inline rules plus "
      "rule resources on one policy collide at apply",
      "https://github.com/hashicorp/terraform-provider-google/issues/26062")
def armor_rules(g: Graph):
    for policy_type, rule_type in _ARMOR.items():
        rule_res = g.of_type(rule_type)
        for p in g.of_type(policy_type):
            inline = (p["inputs"] or {}).get("rules") or []
            mine = [r for r in rule_res if p["urn"] in g.deps(r["urn"])]
            if inline and mine:
                yield p["urn"], (f"{len(inline)} inline rule(s) and {len(mine)} {rule_type.rsplit(':', 1)[-1]} "
                                 "resource(s) on one policy: both write the policy's rule list, and a rule resource "
                                 "at a priority the inline list holds fails (priority in use); keep one form")
            elif inline:
                yield p["urn"], (f"{len(inline)} inline rule(s): the provider updates a policy's inline rules by "
                                 "rewriting the list, and an edit can leave stale or missing rules (#26062); manage "
                                 f"each rule as a {rule_type.rsplit(':', 1)[-1]} (on a new policy: the old one's "
                                 "inline rules stay on the server)"), "warning"


# ---------------------------------------------------------------------------------------------
# The deployer's own cluster access (offline/apply/teardown.py, destroy-deployer-grant-order).

DEPLOYER_GRANTS = {"gcp:projects/iAMMember:IAMMember": "member", "gcp:projects/iAMBinding:IAMBinding": "members"}
# GCP roles that carry the container.* permissions the deployer deletes clusters and objects with.
GKE_ROLES = ("roles/container.admin", "roles/container.clusterAdmin", "roles/container.developer", "roles/owner",
             "roles/editor")


def deployer_principals(deployer: dict) -> set[str]:
    account = deployer.get("gcp_service_account")
    return {f"serviceAccount:{account}"} if account else set()


def grant_clusters(g: Graph, grant: dict, clusters: list[dict]) -> list[dict]:
    """A project role with container.* permissions reaches every GKE cluster of the project."""
    inputs = grant.get("inputs") or {}
    if inputs.get("role") not in GKE_ROLES:
        return []
    return [c for c in clusters if c["type"] == "gcp:container/cluster:Cluster"
            and (c.get("inputs") or {}).get("project", inputs.get("project")) == inputs.get("project")]


def deleted_through(g: Graph, cluster: dict) -> list[dict]:
    """GKE's IAM is the project's: the cluster's node pools are deleted through the same grant."""
    if cluster["type"] != "gcp:container/cluster:Cluster":
        return []
    return [r for r in g.of_type("gcp:container/nodePool:NodePool") if cluster["urn"] in g.deps(r["urn"])]


# ---------------------------------------------------------------------------------------------
# Fixed global names (offline/apply/common.py, global-name-fixed).

# The stack's project differs between stacks: a global name carrying it is the stack's own.
STACK_CONFIG_TOKENS = ("gcp:project",)


def own_scope(r: dict):
    """A GCP resource in its own project (a per-cell `project`, not the stack's gcp:project): project ids are
    globally unique (https://cloud.google.com/resource-manager/docs/creating-managing-projects "project ID ...
    must be unique"), so a name carrying the id of the project it lives in is too."""
    return (r["inputs"] or {}).get("project") if r["type"].startswith("gcp:") else None
