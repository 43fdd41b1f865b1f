"""Azure apply rules."""
from __future__ import annotations

import re

from offline.apply import Graph, ignored, known, rule
from offline.apply.common import SLEEP, propagation_waits

_TAG_NAME_FORBIDDEN = set('<>%&\\?/')


@rule("azure-tag-limits",
      "Azure tag names <= 512 chars without < > % & \\ ? /, values <= 256 chars",
      "https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations")
def tags(g: Graph):
    for r in g.resources:
        if not r["type"].startswith("azure-native:"):
            continue
        for k, v in ((r["inputs"] or {}).get("tags") or {}).items():
            bad = sorted(set(k) & _TAG_NAME_FORBIDDEN)
            if bad or len(k) > 512:
                yield r["urn"], f"tag name {k!r}: Azure forbids < > % & \\ ? / in tag names (max 512); offending {bad}"
            if known(v) and len(str(v)) > 256:
                yield r["urn"], f"tag {k}: value of {len(str(v))} chars; Azure allows 256"


NAME_RULES = {
    # type: (input, regex, what the provider allows)
    "azure-native:storage:StorageAccount": ("accountName", r"^[a-z0-9]{3,24}$", "3-24 lowercase letters and digits"),
    "azure-native:keyvault:Vault": ("vaultName", r"^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$",
                                    "3-24 letters, digits and single hyphens, starting with a letter"),
    "azure-native:resources:ResourceGroup": ("resourceGroupName", r"^[-\w.()]{0,89}[-\w()]$",
                                             "1-90 letters, digits, _ - . ( ), not ending in ."),
    "azure-native:containerservice:ManagedCluster": ("resourceName", r"^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$",
                                                     "1-63 letters, digits, _ and -"),
    "azure-native:storage:BlobContainer": ("containerName", r"^(?!.*--)[a-z0-9][-a-z0-9]{1,61}[a-z0-9]$",
                                           "3-63 lowercase letters, digits and single hyphens"),
}


@rule("azure-name-rules",
      "Azure resource names per type (storage account 3-24 lowercase alphanumerics, key vault 3-24, ...)",
      "https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules")
def names(g: Graph):
    for type_, (key, pattern, allowed) in NAME_RULES.items():
        for r in g.of_type(type_):
            name = (r["inputs"] or {}).get(key)
            if known(name) and not re.match(pattern, str(name)):
                yield r["urn"], f"{key} {name!r}: {type_.split(':')[-1]} names are {allowed}"
    for r in g.of_type("azure-native:network:PublicIPAddress"):
        label = ((r["inputs"] or {}).get("dnsSettings") or {}).get("domainNameLabel")
        if known(label) and not re.match(r"^[a-z][a-z0-9-]{1,61}[a-z0-9]$", str(label)):
            yield r["urn"], f"dnsSettings.domainNameLabel {label!r}: 3-63 lowercase letters, digits and hyphens"


def _rules_of(r: dict):
    inputs = r["inputs"] or {}
    if r["type"] == "azure-native:network:SecurityRule":
        yield inputs.get("securityRuleName") or r["name"], inputs
    for sr in inputs.get("securityRules") or []:
        if isinstance(sr, dict):
            yield sr.get("name"), sr


@rule("azure-nsg-port-ranges-star",
      "NSG rules: '*' only in the single-value sourcePortRange/destinationPortRange, never in the *Ranges lists",
      "https://learn.microsoft.com/rest/api/virtualnetwork/security-rules/create-or-update")
def nsg_star(g: Graph):
    for r in g.of_type("azure-native:network:NetworkSecurityGroup", "azure-native:network:SecurityRule"):
        for name, sr in _rules_of(r):
            for key in ("destinationPortRanges", "sourcePortRanges", "destinationAddressPrefixes", "sourceAddressPrefixes"):
                if "*" in (sr.get(key) or []):
                    single = key[:-1] if key.endswith("Ranges") else key[:-2]
                    yield r["urn"], (f"security rule {name}: {key} contains '*', which ARM rejects "
                                     f"(SecurityRuleInvalidPortRange); use {single}: '*'")


ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"


@rule("azure-role-assignment-propagation",
      "A resource consuming a role assignment waits for it to propagate (a time:Sleep between them)",
      "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting#symptom---role-assignment-changes-are-not-being-detected")
def propagation(g: Graph):
    # A wait: a time:index/sleep:Sleep (pulumiverse-time) that itself depends on the assignment,
    # with createDuration set, on the consumer's dependency path.
    assignments = {r["urn"] for r in g.of_type(ROLE_ASSIGNMENT)}
    waited = propagation_waits(g)
    for r in g.resources:
        if r["type"] in (ROLE_ASSIGNMENT, SLEEP) or not r["urn"] or r["type"].startswith("pulumi:"):
            continue
        direct = set(r.get("dependencies") or []) & assignments
        # Only custom resources consume; components merely group.
        if not direct or r["type"].split(":")[0] not in ("azure-native", "kubernetes", "azuread", "aws", "gcp"):
            continue
        for a in sorted(direct):
            if not waited(r["urn"], [a]):
                yield r["urn"], (f"uses role assignment {a.split('::')[-1]} directly: RBAC takes minutes to "
                                 f"propagate, the first apply fails with AuthorizationFailed/403; put a "
                                 f"time.Sleep (createDuration) that depends on the assignment in between")


@rule("azure-aks-autoscaler-count",
      "AKS agent pools with autoscaling must ignore count (the autoscaler owns it)",
      "https://learn.microsoft.com/azure/aks/cluster-autoscaler", level="warning")
def aks_count(g: Graph):
    for r in g.of_type("azure-native:containerservice:ManagedCluster"):
        for i, p in enumerate((r["inputs"] or {}).get("agentPoolProfiles") or []):
            if isinstance(p, dict) and p.get("enableAutoScaling") and p.get("count") is not None \
                    and not ignored(r, f"agentPoolProfiles[{i}].count"):
                yield r["urn"], (f"agentPoolProfiles[{i}] autoscales but sets count: every `up` resets the "
                                 f"autoscaler's choice; ignore_changes=['agentPoolProfiles[*].count']")
    for r in g.of_type("azure-native:containerservice:AgentPool"):
        inputs = r["inputs"] or {}
        if inputs.get("enableAutoScaling") and inputs.get("count") is not None and not ignored(r, "count"):
            yield r["urn"], "agent pool autoscales but sets count; ignore_changes=['count']"


@rule("azure-aks-version-upgrade-channel",
      "AKS with an auto-upgrade channel must ignore kubernetesVersion (the channel moves it)",
      "https://learn.microsoft.com/azure/aks/auto-upgrade-cluster", level="warning")
def aks_version(g: Graph):
    for r in g.of_type("azure-native:containerservice:ManagedCluster"):
        inputs = r["inputs"] or {}
        channel = (inputs.get("autoUpgradeProfile") or {}).get("upgradeChannel")
        if inputs.get("kubernetesVersion") and channel and channel != "none" and not ignored(r, "kubernetesVersion"):
            yield r["urn"], (f"kubernetesVersion is set with upgradeChannel {channel!r}: the next `up` tries to "
                             f"downgrade what the channel upgraded (rejected); ignore_changes=['kubernetesVersion']")


# ---- what a first `up` of an Azure cell trips over, as rules ------------------------------------------

SECRET = "azure-native:keyvault:Secret"
GATEWAY = "azure-native:network:ApplicationGateway"
CLUSTER = "azure-native:containerservice:ManagedCluster"
_SECRET_URI = re.compile(r"^https://([a-z0-9-]+)\.vault\.azure\.net/secrets/([0-9A-Za-z-]+)(/[0-9a-f]*)?/?$", re.I)


@rule("azure-appgw-secret-exists",
      "An Application Gateway's Key Vault certificate is a secret the stack writes before the gateway (not an "
      "asynchronous certificate order)",
      "https://learn.microsoft.com/azure/application-gateway/key-vault-certs")
def appgw_secret(g: Graph):
    secrets = {}
    for s in g.of_type(SECRET):
        i = s["inputs"] or {}
        if known(i.get("vaultName")) and known(i.get("secretName")):
            secrets[(str(i["vaultName"]).lower(), str(i["secretName"]).lower())] = s["urn"]
    for gw in g.of_type(GATEWAY):
        for cert in (gw["inputs"] or {}).get("sslCertificates") or []:
            sid = cert.get("keyVaultSecretId") if isinstance(cert, dict) else None
            if not known(sid):
                continue
            m = _SECRET_URI.match(str(sid))
            if not m:
                continue
            src = secrets.get((m.group(1).lower(), m.group(2).lower()))
            if src is None:
                yield gw["urn"], (f"sslCertificates {cert.get('name')}: {sid} is not written by this stack; the gateway "
                                  f"fails to provision until the secret exists (an App Service certificate order fills "
                                  f"it asynchronously, if ever): write it with keyvault.Secret (e.g. an ACME PKCS#12)")
            elif src not in g.deps(gw["urn"]):
                yield gw["urn"], (f"sslCertificates {cert.get('name')}: the gateway does not wait for the secret "
                                  f"{src.split('::')[-1]}; add it to depends_on")


# Built-in roles that let a principal create namespaced and cluster objects through AKS Azure RBAC.
AKS_RBAC_WRITERS = {"b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",  # Azure Kubernetes Service RBAC Cluster Admin
                    "3498e952-d568-435e-9b2c-8d77e338d7f7",  # Azure Kubernetes Service RBAC Admin
                    "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb"}  # Azure Kubernetes Service RBAC Writer


def _aad_rbac_only(cluster: dict) -> bool:
    i = cluster["inputs"] or {}
    return bool(i.get("disableLocalAccounts")) and bool((i.get("aadProfile") or {}).get("enableAzureRBAC"))


@rule("azure-aks-deployer-access",
      "Kubernetes objects on an AKS cluster with Azure RBAC and no local accounts need the deployer's AKS RBAC role "
      "assignment on the cluster, propagated (a time.Sleep) before the Kubernetes provider uses it",
      "https://learn.microsoft.com/azure/aks/manage-azure-rbac",
      fix="set platform:deployer.azure_object_id to the deploying identity's object id (the stack grants it "
          "'Azure Kubernetes Service RBAC Cluster Admin' on each cluster and waits for the grant to propagate)")
def aks_deployer(g: Graph):
    # A stack that names no deployer is refused by a real preview before any resource (config's
    # deployment_problems): only a named deployer can be checked for its grant here.
    clusters = {c["urn"]: c for c in g.of_type(CLUSTER) if _aad_rbac_only(c)}
    if not clusters or g.cfg("platform:deployer") is None:
        return
    admins = {}
    for ra in g.of_type(ROLE_ASSIGNMENT):
        role = str((ra["inputs"] or {}).get("roleDefinitionId") or "").rsplit("/", 1)[-1]
        if role in AKS_RBAC_WRITERS:
            admins[ra["urn"]] = g.deps(ra["urn"])
    waited = propagation_waits(g)
    for prov in g.of_type("pulumi:providers:kubernetes"):
        deps = g.deps(prov["urn"])
        for c_urn, cluster in clusters.items():
            if c_urn not in deps:
                continue
            groups = ((cluster["inputs"] or {}).get("aadProfile") or {}).get("adminGroupObjectIDs")
            on_cluster = [a for a, adeps in admins.items() if c_urn in adeps]
            if not on_cluster and not groups:
                yield prov["urn"], (f"targets {cluster['name']} (Azure RBAC, local accounts disabled) and nothing grants "
                                    f"the deployer a Kubernetes role on it: grant 'Azure Kubernetes Service RBAC Cluster "
                                    f"Admin' on the cluster")
                continue
            if on_cluster and not waited(prov["urn"], on_cluster):
                yield prov["urn"], (f"uses {cluster['name']} right after the deployer's role assignment: Azure RBAC "
                                    f"takes minutes to reach the API server; make the kubeconfig wait on a time.Sleep "
                                    f"that depends on the assignment")


@rule("azure-aks-ephemeral-os-disk-cmk",
      "AKS node pools whose OS disks are encrypted with a disk encryption set use managed OS disks (ephemeral ones "
      "take a rotated key only when the node is reimaged)",
      "https://learn.microsoft.com/azure/aks/azure-disk-customer-managed-keys", level="warning")
def aks_ephemeral(g: Graph):
    for c in g.of_type(CLUSTER):
        i = c["inputs"] or {}
        if not i.get("diskEncryptionSetID"):
            continue
        for n, p in enumerate(i.get("agentPoolProfiles") or []):
            if isinstance(p, dict) and p.get("osDiskType") != "Managed":
                yield c["urn"], (f"agentPoolProfiles[{n}] ({p.get('name')}): osDiskType {p.get('osDiskType')!r} (the "
                                 f"default is Ephemeral where the VM size allows it) with a disk encryption set; set "
                                 f"osDiskType: Managed so key rotations reach the disks in place")


SYSTEM_TOPIC = "azure-native:eventgrid:SystemTopic"
TOPIC_SUBSCRIPTION = "azure-native:eventgrid:SystemTopicEventSubscription"


@rule("azure-monitor-alert-destination",
      "An Event Grid subscription delivering to Azure Monitor alerts uses the CloudEvents v1.0 schema on a Key Vault "
      "system topic (the only schema and source that destination accepts)",
      "https://learn.microsoft.com/azure/event-grid/handler-azure-monitor-alerts")
def monitor_alert_destination(g: Graph):
    topics = {}
    for t in g.of_type(SYSTEM_TOPIC):
        name = (t["inputs"] or {}).get("systemTopicName")
        if known(name):
            topics[str(name)] = t["inputs"] or {}
    for s in g.of_type(TOPIC_SUBSCRIPTION):
        inputs = s["inputs"] or {}
        if (inputs.get("destination") or {}).get("endpointType") != "MonitorAlert":
            continue
        schema = inputs.get("eventDeliverySchema")
        if schema is None or (known(schema) and schema != "CloudEventSchemaV1_0"):
            yield s["urn"], (f"delivers to Azure Monitor alerts with eventDeliverySchema {schema or 'EventGridSchema (default)'}: "
                             f"that destination takes only CloudEventSchemaV1_0 (the create is rejected)")
        topic = topics.get(str(inputs.get("systemTopicName")))
        topic_type = (topic or {}).get("topicType")
        if known(topic_type) and topic_type is not None and str(topic_type).lower() != "microsoft.keyvault.vaults":
            yield s["urn"], (f"delivers to Azure Monitor alerts from a {topic_type} system topic: that destination "
                             f"accepts Key Vault system topics (Microsoft.KeyVault.vaults) only")


# ---- what only shows at apply time (role latency, casing, network paths) -------------------------------------------

# Key Vault data-plane roles (what a consumer uses on keys and secrets at create time).
KEY_VAULT_DATA_ROLES = {
    "e147488a-f6f5-4113-8e2d-b22465e65bf6": "Key Vault Crypto Service Encryption User",
    "12338af0-0e69-4776-bea7-57ae8d297424": "Key Vault Crypto User",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "14b46e9e-c2b7-41b4-b07b-48a6ebf60603": "Key Vault Crypto Officer",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
}
KEY_VAULT_ROLE_LATENCY_S = 600
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def _seconds(duration) -> int | None:
    m = _DURATION.match(str(duration or ""))
    if not m or not any(m.groups()):
        return None
    h, mi, s = (int(x or 0) for x in m.groups())
    return h * 3600 + mi * 60 + s


@rule("azure-key-vault-role-latency",
      "A wait after a Key Vault data-plane role assignment lasts Key Vault's documented latency (up to 600 s)",
      "https://learn.microsoft.com/azure/key-vault/general/rbac-guide")
def key_vault_role_latency(g: Graph):
    data_grants = {}
    for ra in g.of_type(ROLE_ASSIGNMENT):
        guid = str((ra["inputs"] or {}).get("roleDefinitionId") or "").rsplit("/", 1)[-1]
        if guid in KEY_VAULT_DATA_ROLES:
            data_grants[ra["urn"]] = KEY_VAULT_DATA_ROLES[guid]
    for s in g.of_type(SLEEP):
        duration = (s["inputs"] or {}).get("createDuration")
        # The grants this wait is for: its direct dependencies (a later wait may sit downstream of an earlier one).
        guarded = sorted(a for a in data_grants if a in set(s.get("dependencies") or []))
        seconds = _seconds(duration) if known(duration) else None
        if guarded and seconds is not None and seconds < KEY_VAULT_ROLE_LATENCY_S:
            roles = sorted({data_grants[a] for a in guarded})
            yield s["urn"], (f"waits {duration} after {', '.join(roles)}: Key Vault documents up to "
                             f"{KEY_VAULT_ROLE_LATENCY_S} s before a role assignment applies, so the consumer's first "
                             f"create can fail with 403 (Forbidden by RBAC); createDuration: {KEY_VAULT_ROLE_LATENCY_S}s")


KEY = "azure-native:keyvault:Key"
RETURNED_ACTIONS = {"rotate": "Rotate", "notify": "Notify"}


@rule("azure-key-rotation-action-casing",
      "Key rotation policy actions are sent as Key Vault returns them (Rotate/Notify), so a refreshed state matches",
      "https://learn.microsoft.com/rest/api/keyvault/keys/get-key-rotation-policy", level="warning")
def key_rotation_casing(g: Graph):
    for k in g.of_type(KEY):
        policy = (((k["inputs"] or {}).get("properties") or {}).get("rotationPolicy") or {})
        for i, action in enumerate(policy.get("lifetimeActions") or []):
            kind = ((action or {}).get("action") or {}).get("type") if isinstance(action, dict) else None
            if known(kind) and kind is not None and str(kind) != RETURNED_ACTIONS.get(str(kind).lower(), str(kind)):
                yield k["urn"], (f"rotationPolicy.lifetimeActions[{i}].action.type {kind!r}: Key Vault returns "
                                 f"{RETURNED_ACTIONS[str(kind).lower()]!r}, so every refresh shows a change that `up` "
                                 f"never settles; send {RETURNED_ACTIONS[str(kind).lower()]!r}")


@rule("azure-kms-private-vault-needs-vnet-integration",
      "AKS KMS with a private key vault (keyVaultNetworkAccess: Private) needs API Server VNet Integration",
      "https://learn.microsoft.com/azure/aks/use-kms-etcd-encryption")
def kms_private(g: Graph):
    for c in g.of_type(CLUSTER):
        i = c["inputs"] or {}
        kms = ((i.get("securityProfile") or {}).get("azureKeyVaultKms") or {})
        if not kms.get("enabled") or kms.get("keyVaultNetworkAccess") != "Private":
            continue
        if not (i.get("apiServerAccessProfile") or {}).get("enableVnetIntegration"):
            yield c["urn"], ("KMS with keyVaultNetworkAccess Private and no apiServerAccessProfile.enableVnetIntegration: "
                             "a private vault is reached only through API Server VNet Integration (Konnectivity is not "
                             "supported for it); enable it with a delegated API server subnet")


_APISERVER_DELEGATION = "microsoft.containerservice/managedclusters"
# The flows AKS documents for an NSG on the API server subnet: (what the source must admit, port).
APISERVER_FLOWS = (("AzureLoadBalancer", 9988), ("VirtualNetwork", 443), ("VirtualNetwork", 4443))


def _covers_port(sr: dict, port: int) -> bool:
    ranges = [sr.get("destinationPortRange")] + list(sr.get("destinationPortRanges") or [])
    for r in ranges:
        if r is None:
            continue
        r = str(r)
        if r == "*":
            return True
        lo, _, hi = r.partition("-")
        if lo.isdigit() and int(lo) <= port <= int(hi or lo):
            return True
    return False


def _source_matches(sr: dict, tag: str) -> bool:
    sources = [sr.get("sourceAddressPrefix")] + list(sr.get("sourceAddressPrefixes") or [])
    sources = [str(s) for s in sources if s]
    # "Internet" never matches VNet or load balancer traffic; any other prefix (a CIDR, *, the tag) may.
    return any(s == "*" or s == tag or (tag == "VirtualNetwork" and s[0].isdigit()) for s in sources)


@rule("azure-apiserver-subnet-nsg",
      "The NSG of the AKS API server subnet admits the documented flows (nodes to the API server ILB on 443/4443, "
      "Azure Load Balancer on 9988) before any deny that would match them",
      "https://learn.microsoft.com/azure/aks/api-server-vnet-integration")
def apiserver_nsg(g: Graph):
    nsgs = {}
    for n in g.of_type("azure-native:network:NetworkSecurityGroup"):
        rid = (n.get("outputs") or {}).get("id") or n.get("id")
        if known(rid) and rid:
            nsgs[str(rid).lower()] = n
    for s in g.of_type("azure-native:network:Subnet"):
        i = s["inputs"] or {}
        delegated = any(str((d or {}).get("serviceName") or "").lower() == _APISERVER_DELEGATION
                        for d in i.get("delegations") or [] if isinstance(d, dict))
        nsg_id = (i.get("networkSecurityGroup") or {}).get("id")
        if not delegated or not known(nsg_id) or not nsg_id:
            continue
        nsg = nsgs.get(str(nsg_id).lower())
        if nsg is None:
            continue
        rules = sorted((sr for _, sr in _rules_of(nsg) if isinstance(sr, dict)
                        and str(sr.get("direction", "Inbound")).lower() == "inbound"),
                       key=lambda sr: int(sr.get("priority") or 0))
        for tag, port in APISERVER_FLOWS:
            first = next((sr for sr in rules if _source_matches(sr, tag) and _covers_port(sr, port)), None)
            if first is not None and str(first.get("access")).lower() == "deny":
                yield nsg["urn"], (f"rule {first.get('name')} (priority {first.get('priority')}) denies {tag} to port "
                                   f"{port} on the API server subnet: AKS needs it (nodes to the API server's internal "
                                   f"load balancer on 443/4443, Azure Load Balancer probes on 9988); allow it first")


ACME_CERTIFICATE = "acme:index/certificate:Certificate"
ZONE = "aws:route53/zone:Zone"
RECORD = "aws:route53/record:Record"


@rule("azure-acme-waits-for-delegation",
      "An ACME DNS-01 certificate validated in a zone this stack creates waits for the zone's NS delegation record",
      "https://letsencrypt.org/docs/challenge-types/#dns-01-challenge")
def acme_delegation(g: Graph):
    zones = {}
    for z in g.of_type(ZONE):
        out = z.get("outputs") or {}
        zid, name = out.get("zoneId") or z.get("id"), (z["inputs"] or {}).get("name")
        if known(zid) and zid and known(name) and name:
            zones[str(zid)] = str(name).rstrip(".").lower()
    delegations = {}
    for r in g.of_type(RECORD):
        i = r["inputs"] or {}
        if str(i.get("type")).upper() == "NS" and known(i.get("name")) and i.get("name"):
            delegations[str(i["name"]).rstrip(".").lower()] = r["urn"]
    for c in g.of_type(ACME_CERTIFICATE):
        for ch in (c["inputs"] or {}).get("dnsChallenges") or []:
            zid = ((ch or {}).get("config") or {}).get("AWS_HOSTED_ZONE_ID") if isinstance(ch, dict) else None
            name = zones.get(str(zid)) if known(zid) else None
            record = delegations.get(name) if name else None
            if record is not None and record not in g.deps(c["urn"]):
                yield c["urn"], (f"validates in {name}, which this stack creates and delegates with "
                                 f"{record.split('::')[-1]}, but does not wait for that NS record: the CA's DNS-01 lookup "
                                 f"can start before the parent delegates and time out; make the zone id it uses carry "
                                 f"the record (Output.all(zone_id, record.id))")


# ---------------------------------------------------------------------------------------------
# The deployer's own cluster access (offline/apply/teardown.py, destroy-deployer-grant-order).

DEPLOYER_GRANTS = {"azure-native:authorization:RoleAssignment": "principalId"}
# Azure built-in roles that let their holder act on a cluster's Kubernetes objects.
AKS_DATA_ROLES = {"b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b", "3498e952-d568-435e-9b2c-8d77e338d7f7",
                  "a7ffa36f-6b4b-4a0b-b9f7-89c25b2c5a2b", "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8"}


def deployer_principals(deployer: dict) -> set[str]:
    return {deployer.get("azure_object_id")} - {None}


def grant_clusters(g: Graph, grant: dict, clusters: list[dict]) -> list[dict]:
    """A role assignment of an AKS data role reaches the cluster it is scoped to."""
    from offline.apply.teardown import _refs

    inputs = grant.get("inputs") or {}
    role = str(inputs.get("roleDefinitionId") or "").rsplit("/", 1)[-1]
    if role not in AKS_DATA_ROLES:
        return []
    return [c for c in clusters if c["type"] == "azure-native:containerservice:ManagedCluster"
            and (c["urn"] in (grant.get("propertyDependencies") or {}).get("scope", [])
                 or (known(inputs.get("scope")) and inputs.get("scope") in _refs(c)))]
