"""Mocks for Google Cloud: ids, self links, endpoints and service agents shaped like the real provider's.

Ids follow the provider's import formats (`projects/<p>/regions/<r>/...`), self links are
Compute/Storage/Container API URLs, names not given are auto-named `<name>-<7 hex>` as
Pulumi does, and each project has a stable 12-digit project number.
"""
from __future__ import annotations

import base64
import ipaddress
from typing import Optional

from offline.mocks.registry import MockContext, invoke, resource, stable_hex, stable_uuid


def gcp_project(ctx: MockContext, inputs: Optional[dict] = None) -> str:
    return ctx.provider_setting(inputs, "project", "gcp:project", "offline-project")


def gcp_region(ctx: MockContext, inputs: Optional[dict] = None) -> str:
    return ctx.provider_setting(inputs, "region", "gcp:region", "us-central1")

COMPUTE = "https://www.googleapis.com/compute/v1"
CREATED = "2026-01-01T00:00:00.000-08:00"

# Zones that deviate from <region>-a/b/c (europe-west1 has no `a`).
_ZONE_LETTERS = {"us-central1": "abcf", "us-east1": "bcd", "europe-west1": "bcd"}


def project_number(project: str) -> str:
    return str(int(stable_hex("project-number", project, n=12), 16))[-12:].rjust(12, "1")


def zones_of(region: str) -> list[str]:
    return [f"{region}-{z}" for z in _ZONE_LETTERS.get(region, "abc")]


def _name(ctx: MockContext, name: str, inputs: dict) -> str:
    return inputs.get("name") or f"{name}-{stable_hex(ctx.stack, ctx.type_, name, n=7)}"


def _numeric(*parts: str) -> str:
    return str(int(stable_hex(*parts, n=15), 16))[:19]


def _public_ip(*parts: str) -> str:
    h = int(stable_hex(*parts, n=8), 16)
    return f"34.{76 + h % 40}.{(h >> 8) % 256}.{1 + (h >> 16) % 254}"


def _etag(*parts: str) -> str:
    return "BwY" + base64.b64encode(bytes.fromhex(stable_hex(*parts, n=12))).decode()


def _regional(kind: str):
    """A regional Compute resource: `projects/<p>/regions/<r>/<kind>/<name>` with a self link."""

    def mock(ctx: MockContext, name: str, inputs: dict):
        project, region, n = gcp_project(ctx, inputs), gcp_region(ctx, inputs), _name(ctx, name, inputs)
        rid = f"projects/{project}/regions/{region}/{kind}/{n}"
        return rid, {**inputs, "name": n, "project": project, "region": region, "selfLink": f"{COMPUTE}/{rid}",
                     "creationTimestamp": CREATED, **_extras(kind, ctx, rid, inputs)}

    return mock


def _extras(kind: str, ctx: MockContext, rid: str, inputs: dict) -> dict:
    num = _numeric(rid)
    if kind == "addresses":
        return {"address": inputs.get("address") or _public_ip(rid), "users": [], "labelFingerprint": _etag(rid),
                "effectiveLabels": inputs.get("labels") or {}, "pulumiLabels": inputs.get("labels") or {}}
    if kind == "forwardingRules":
        return {"forwardingRuleId": int(num[:12]), "labelFingerprint": _etag(rid), "pscConnectionId": "",
                "effectiveLabels": inputs.get("labels") or {}, "pulumiLabels": inputs.get("labels") or {}}
    if kind == "healthChecks":
        return {"healthCheckId": int(num[:12]), "type": "HTTP"}
    if kind == "backendServices":
        return {"fingerprint": _etag(rid), "generatedId": int(num[:12])}
    if kind == "urlMaps":
        return {"fingerprint": _etag(rid), "mapId": int(num[:12])}
    if kind in ("targetHttpsProxies", "targetHttpProxies"):
        return {"proxyId": int(num[:12])}
    if kind == "sslPolicies":
        suites = ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"]
        return {"fingerprint": _etag(rid), "enabledFeatures": suites}
    if kind == "securityPolicies":
        return {"fingerprint": _etag(rid), "policyId": num[:19], "selfLinkWithPolicyId": f"{COMPUTE}/{rid}"}
    if kind == "subnetworks":
        cidr = inputs.get("ipCidrRange")
        gateway = str(next(ipaddress.ip_network(cidr).hosts())) if cidr else ""
        return {"gatewayAddress": gateway, "fingerprint": _etag(rid), "subnetworkId": int(num[:12]),
                "stackType": inputs.get("stackType") or "IPV4_ONLY"}
    return {}


for _token, _kind in {
    "gcp:compute/subnetwork:Subnetwork": "subnetworks",
    "gcp:compute/router:Router": "routers",
    "gcp:compute/address:Address": "addresses",
    "gcp:compute/forwardingRule:ForwardingRule": "forwardingRules",
    "gcp:compute/regionHealthCheck:RegionHealthCheck": "healthChecks",
    "gcp:compute/regionBackendService:RegionBackendService": "backendServices",
    "gcp:compute/regionUrlMap:RegionUrlMap": "urlMaps",
    "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy": "targetHttpsProxies",
    "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy": "targetHttpProxies",
    "gcp:compute/regionSslPolicy:RegionSslPolicy": "sslPolicies",
    "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy": "securityPolicies",
}.items():
    resource(_token)(_regional(_kind))


@resource("gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule")
def security_policy_rule(ctx: MockContext, name: str, inputs: dict):
    """A rule of a regional security policy: no name of its own, its id is the policy's path and its priority."""
    project, region = gcp_project(ctx, inputs), gcp_region(ctx, inputs)
    policy = str(inputs.get("securityPolicy", "")).rstrip("/").split("/")[-1]
    rid = f"projects/{project}/regions/{region}/securityPolicies/{policy}/priority/{inputs.get('priority')}"
    return rid, {**inputs, "project": project, "region": region, "preview": bool(inputs.get("preview", False))}


@resource("gcp:compute/network:Network")
def network(ctx: MockContext, name: str, inputs: dict):
    project, n = gcp_project(ctx, inputs), _name(ctx, name, inputs)
    rid = f"projects/{project}/global/networks/{n}"
    return rid, {**inputs, "name": n, "project": project, "selfLink": f"{COMPUTE}/{rid}",
                 "numericId": _numeric(rid), "gatewayIpv4": ""}


@resource("gcp:compute/firewall:Firewall")
def firewall(ctx: MockContext, name: str, inputs: dict):
    project, n = gcp_project(ctx, inputs), _name(ctx, name, inputs)
    rid = f"projects/{project}/global/firewalls/{n}"
    return rid, {**inputs, "name": n, "project": project, "selfLink": f"{COMPUTE}/{rid}",
                 "creationTimestamp": CREATED}


@resource("gcp:compute/routerNat:RouterNat")
def router_nat(ctx: MockContext, name: str, inputs: dict):
    project, region, n = gcp_project(ctx, inputs), gcp_region(ctx, inputs), _name(ctx, name, inputs)
    return f"{project}/{region}/{inputs.get('router')}/{n}", {**inputs, "name": n, "project": project, "region": region}


@resource("gcp:compute/instanceGroupNamedPort:InstanceGroupNamedPort")
def named_port(ctx: MockContext, name: str, inputs: dict):
    project = gcp_project(ctx, inputs)
    group = str(inputs.get("group", "")).rstrip("/").split("/")[-1]
    zone = inputs.get("zone") or str(inputs.get("group", "")).split("/zones/")[-1].split("/")[0]
    return (f"{project}/{zone}/{group}/{inputs.get('port')}/{inputs.get('name')}",
            {**inputs, "project": project, "zone": zone})


@resource("gcp:projects/service:Service")
def project_service(ctx: MockContext, name: str, inputs: dict):
    project = gcp_project(ctx, inputs)
    return f"{project}/{inputs['service']}", {**inputs, "project": project}


@resource("gcp:kms/keyRing:KeyRing")
def key_ring(ctx: MockContext, name: str, inputs: dict):
    project, n = gcp_project(ctx, inputs), _name(ctx, name, inputs)
    return f"projects/{project}/locations/{inputs['location']}/keyRings/{n}", {**inputs, "name": n, "project": project}


@resource("gcp:kms/cryptoKey:CryptoKey")
def crypto_key(ctx: MockContext, name: str, inputs: dict):
    n = _name(ctx, name, inputs)
    rid = f"{inputs['keyRing']}/cryptoKeys/{n}"
    labels = inputs.get("labels") or {}
    return rid, {**inputs, "name": n, "purpose": inputs.get("purpose") or "ENCRYPT_DECRYPT",
                 "primaries": [{"name": f"{rid}/cryptoKeyVersions/1", "state": "ENABLED"}],
                 "effectiveLabels": labels, "pulumiLabels": labels}


def _iam_member(parent_key: str, prefix: str = ""):
    def mock(ctx: MockContext, name: str, inputs: dict):
        parent = inputs.get(parent_key) or gcp_project(ctx, inputs)
        rid = f"{prefix}{parent}/{inputs['role']}/{inputs['member']}"
        return rid, {**inputs, parent_key: parent, "etag": _etag(rid)}

    return mock


resource("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")(_iam_member("cryptoKeyId"))
resource("gcp:storage/bucketIAMMember:BucketIAMMember")(_iam_member("bucket", prefix="b/"))
resource("gcp:serviceaccount/iAMMember:IAMMember")(_iam_member("serviceAccountId"))
resource("gcp:projects/iAMMember:IAMMember")(_iam_member("project"))


@resource("gcp:storage/bucket:Bucket")
def bucket(ctx: MockContext, name: str, inputs: dict):
    project, n = gcp_project(ctx, inputs), _name(ctx, name, inputs)
    labels = inputs.get("labels") or {}
    return n, {**inputs, "name": n, "project": project, "projectNumber": int(project_number(project)),
               "location": str(inputs.get("location", "US")).upper(), "url": f"gs://{n}",
               "selfLink": f"https://www.googleapis.com/storage/v1/b/{n}", "timeCreated": CREATED,
               "effectiveLabels": labels, "pulumiLabels": labels}


@resource("gcp:serviceaccount/account:Account")
def service_account(ctx: MockContext, name: str, inputs: dict):
    project = gcp_project(ctx, inputs)
    email = f"{inputs['accountId']}@{project}.iam.gserviceaccount.com"
    rid = f"projects/{project}/serviceAccounts/{email}"
    return rid, {**inputs, "project": project, "email": email, "name": rid, "member": f"serviceAccount:{email}",
                 "uniqueId": "1" + _numeric(rid)[:20].rjust(20, "0")}


@resource("gcp:container/cluster:Cluster")
def gke_cluster(ctx: MockContext, name: str, inputs: dict):
    project, n = gcp_project(ctx, inputs), _name(ctx, name, inputs)
    location = inputs.get("location") or gcp_region(ctx, inputs)
    rid = f"projects/{project}/locations/{location}/clusters/{n}"
    private = (inputs.get("privateClusterConfig") or {}).get("enablePrivateEndpoint")
    h = int(stable_hex(rid, n=4), 16)
    private_ip = f"172.16.{h % 256}.2"
    endpoint = private_ip if private else _public_ip(rid, "endpoint")
    pem = f"-----BEGIN CERTIFICATE-----\nMIIC{stable_hex(rid, 'ca', n=60)}\n-----END CERTIFICATE-----\n"
    master_auth = {**(inputs.get("masterAuth") or {}), "clusterCaCertificate": base64.b64encode(pem.encode()).decode()}
    version = f"{inputs.get('minMasterVersion') or '1.33'}.5-gke.1000000"
    labels = inputs.get("resourceLabels") or {}
    return rid, {**inputs, "name": n, "project": project, "location": location, "endpoint": endpoint,
                 "masterAuth": master_auth, "masterVersion": version,
                 "selfLink": f"https://container.googleapis.com/v1/projects/{project}/locations/{location}/clusters/{n}",
                 "nodeLocations": inputs.get("nodeLocations") or zones_of(location),
                 "servicesIpv4Cidr": "", "labelFingerprint": stable_hex(rid, n=8), "operation": "",
                 "privateClusterConfig": {**(inputs.get("privateClusterConfig") or {}),
                                          "privateEndpoint": private_ip,
                                          "publicEndpoint": "" if private else endpoint},
                 "effectiveLabels": labels, "pulumiLabels": labels}


@resource("gcp:container/nodePool:NodePool")
def node_pool(ctx: MockContext, name: str, inputs: dict):
    project, n = gcp_project(ctx, inputs), _name(ctx, name, inputs)
    cluster = str(inputs.get("cluster", "")).split("/")[-1]
    location = inputs.get("location") or gcp_region(ctx, inputs)
    zones = inputs.get("nodeLocations") or zones_of(location)
    # GKE names a pool's groups gke-<cluster>-<pool>-<8 hex>-grp (one per zone), both names shortened.
    managers, groups = [], []
    for zone in zones:
        group = f"gke-{cluster[:14].rstrip('-')}-{n[:14].rstrip('-')}-{stable_hex(cluster, n, zone, n=8)}-grp"
        managers.append(f"{COMPUTE}/projects/{project}/zones/{zone}/instanceGroupManagers/{group}")
        groups.append(f"{COMPUTE}/projects/{project}/zones/{zone}/instanceGroups/{group}")
    return (f"projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{n}",
            {**inputs, "name": n, "project": project, "location": location, "nodeLocations": zones,
             "instanceGroupUrls": managers, "managedInstanceGroupUrls": groups,
             "version": "1.33.5-gke.1000000", "operation": ""})


@resource("gcp:certificatemanager/dnsAuthorization:DnsAuthorization")
def dns_authorization(ctx: MockContext, name: str, inputs: dict):
    project, n = gcp_project(ctx, inputs), _name(ctx, name, inputs)
    location = inputs.get("location") or "global"
    rid = f"projects/{project}/locations/{location}/dnsAuthorizations/{n}"
    domain = inputs["domain"]
    kind = inputs.get("type") or ("FIXED_RECORD" if location == "global" else "PER_PROJECT_RECORD")
    label = "_acme-challenge" if kind == "FIXED_RECORD" else f"_acme-challenge_{stable_hex(project, domain, n=16)}"
    # The challenge is the project's for that domain: every authorization of the domain in the
    # project (whatever its location or name) returns the same CNAME, as Certificate Manager does.
    token = (project, domain)
    labels = inputs.get("labels") or {}
    return rid, {**inputs, "name": n, "project": project, "location": location, "type": kind,
                 "dnsResourceRecords": [{
                     "name": f"{label}.{domain}.", "type": "CNAME",
                     "data": f"{stable_uuid(*token)}.{1 + int(stable_hex(*token, n=1), 16) % 9}"
                             ".authorize.certificatemanager.goog."}],
                 "effectiveLabels": labels, "pulumiLabels": labels}


@resource("gcp:certificatemanager/certificate:Certificate")
def certificate(ctx: MockContext, name: str, inputs: dict):
    project, n = gcp_project(ctx, inputs), _name(ctx, name, inputs)
    location = inputs.get("location") or "global"
    managed = inputs.get("managed") or {}
    labels = inputs.get("labels") or {}
    out = {**inputs, "name": n, "project": project, "location": location,
           "sanDnsnames": list(managed.get("domains") or []), "effectiveLabels": labels, "pulumiLabels": labels}
    if managed:
        out["managed"] = {**managed, "state": "PROVISIONING", "authorizationAttemptInfos": [], "provisioningIssues": []}
    return f"projects/{project}/locations/{location}/certificates/{n}", out


@invoke("gcp:storage/getProjectServiceAccount:getProjectServiceAccount")
def storage_service_agent(ctx: MockContext, args: dict) -> dict:
    project = args.get("project") or gcp_project(ctx)
    email = f"service-{project_number(project)}@gs-project-accounts.iam.gserviceaccount.com"
    return {"id": project, "project": project, "emailAddress": email, "member": f"serviceAccount:{email}"}


@invoke("gcp:logging/getProjectCmekSettings:getProjectCmekSettings")
def logging_cmek_settings(ctx: MockContext, args: dict) -> dict:
    # The account Cloud Logging encrypts with; the API creates it with the project's CMEK settings.
    project = args.get("project") or gcp_project(ctx)
    account = f"cmek-p{project_number(project)}@gcp-sa-logging.iam.gserviceaccount.com"
    return {"id": f"projects/{project}/cmekSettings", "project": project, "name": f"projects/{project}/cmekSettings",
            "serviceAccountId": account, "kmsKeyName": args.get("kmsKeyName") or "", "kmsKeyVersionName": ""}


@invoke("gcp:organizations/getProject:getProject")
def get_project(ctx: MockContext, args: dict) -> dict:
    project = args.get("projectId") or gcp_project(ctx)
    return {"id": f"projects/{project}", "projectId": project, "name": project, "number": project_number(project),
            "autoCreateNetwork": True, "labels": {}, "effectiveLabels": {}, "pulumiLabels": {},
            "orgId": "", "folderId": "", "billingAccount": "", "deletionPolicy": "PREVENT", "tags": {}}


@invoke("gcp:compute/getZones:getZones")
def get_zones(ctx: MockContext, args: dict) -> dict:
    project, region = args.get("project") or gcp_project(ctx), args.get("region") or gcp_region(ctx)
    return {"id": f"projects/{project}/regions/{region}", "project": project, "region": region,
            "status": args.get("status"), "names": zones_of(region)}


# Service agents generateServiceIdentity creates, by API (the address GCP returns for each).
_AGENT_DOMAINS = {"container.googleapis.com": "container-engine-robot.iam.gserviceaccount.com",
                  "compute.googleapis.com": "compute-system.iam.gserviceaccount.com",
                  "storage.googleapis.com": "gs-project-accounts.iam.gserviceaccount.com"}


@resource("gcp:projects/serviceIdentity:ServiceIdentity")
def service_identity(ctx: MockContext, name: str, inputs: dict):
    project, service = gcp_project(ctx, inputs), inputs["service"]
    domain = _AGENT_DOMAINS.get(service, f"gcp-sa-{service.split('.')[0]}.iam.gserviceaccount.com")
    email = f"service-{project_number(project)}@{domain}"
    return f"projects/{project}/services/{service}", {**inputs, "project": project, "email": email,
                                                      "member": f"serviceAccount:{email}"}


@resource("gcp:logging/projectBucketConfig:ProjectBucketConfig")
def log_bucket(ctx: MockContext, name: str, inputs: dict):
    project = gcp_project(ctx, inputs)
    rid = f"projects/{project}/locations/{inputs['location']}/buckets/{inputs['bucketId']}"
    return rid, {**inputs, "project": project, "name": rid, "lifecycleState": "ACTIVE",
                 "retentionDays": inputs.get("retentionDays", 30), "locked": inputs.get("locked", False)}


@resource("gcp:logging/projectSink:ProjectSink")
def log_sink(ctx: MockContext, name: str, inputs: dict):
    project, n = gcp_project(ctx, inputs), _name(ctx, name, inputs)
    # A sink to a bucket of its own project writes as the project's Logging service agent.
    writer = f"serviceAccount:service-{project_number(project)}@gcp-sa-logging.iam.gserviceaccount.com"
    return f"projects/{project}/sinks/{n}", {**inputs, "name": n, "project": project, "writerIdentity": writer}


@resource("gcp:logging/projectExclusion:ProjectExclusion")
def log_exclusion(ctx: MockContext, name: str, inputs: dict):
    project, n = gcp_project(ctx, inputs), _name(ctx, name, inputs)
    return f"projects/{project}/exclusions/{n}", {**inputs, "name": n, "project": project}


# --- Cloud Monitoring: project-level, ids are `projects/<p>/<collection>/<numeric id>` ---

@resource("gcp:monitoring/notificationChannel:NotificationChannel")
def notification_channel(ctx: MockContext, name: str, inputs: dict):
    project = gcp_project(ctx, inputs)
    channel = f"projects/{project}/notificationChannels/{_numeric(ctx.stack, project, name)}"
    # Email channels need no verification; `verificationStatus` stays unset for them.
    return channel, {**inputs, "project": project, "name": channel, "enabled": inputs.get("enabled", True)}


@resource("gcp:monitoring/alertPolicy:AlertPolicy")
def alert_policy(ctx: MockContext, name: str, inputs: dict):
    project = gcp_project(ctx, inputs)
    policy = f"projects/{project}/alertPolicies/{_numeric(ctx.stack, project, name)}"
    conditions = [{**c, "name": f"{policy}/conditions/{_numeric(policy, str(i))}"}
                  for i, c in enumerate(inputs.get("conditions") or [])]
    return policy, {**inputs, "project": project, "name": policy, "conditions": conditions,
                    "enabled": inputs.get("enabled", True),
                    "creationRecords": [{"mutateTime": "2026-01-01T00:00:00Z", "mutatedBy": "offline"}]}


# ---------------------------------------------------------------------------------------------
# Google Cloud's forms of the values a type without a mock of its own gets (offline/mocks/sdk.py asks).

def sdk_string(ctx: MockContext, type_: str, name: str, prop: str, inputs: dict) -> Optional[str]:
    """The GCP form of a string property by its name (a self link, the region, zone or project), or None."""
    from offline.mocks import sdk

    low = prop.lower()
    if low == "selflink" or low.endswith("selflink"):
        return (f"https://www.googleapis.com/{sdk._service(type_)}/v1/projects/{gcp_project(ctx, inputs)}/"
                f"regions/{gcp_region(ctx, inputs)}/{sdk._resource_kind(type_)}s/{name}")
    if low in ("region", "location"):
        return gcp_region(ctx, inputs)
    if low in ("project", "projectid"):
        return gcp_project(ctx, inputs)
    if low == "zone":
        return gcp_region(ctx, inputs) + "-b"
    return None


def sdk_id(ctx: MockContext, type_: str, name: str, inputs: dict) -> Optional[str]:
    """A resource name: projects/<project>/locations/<region>/<kind>s/<name>."""
    from offline.mocks import sdk

    return (f"projects/{gcp_project(ctx, inputs)}/locations/{gcp_region(ctx, inputs)}/"
            f"{sdk._resource_kind(type_)}s/{inputs.get('name') or name}")
