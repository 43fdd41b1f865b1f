"""Mocks for pulumi-azure-native, and for the ACME certificate of an Azure cell's gateway
(pulumiverse-acme registration and certificate, pulumi-tls account key).

ARM answers a PUT with the resource as stored: its resource id (`/subscriptions/.../providers/
<namespace>/<type>/<name>`), `name`, `type`, the properties it was given and the ones it
computes (vault URI, key URIs, identity principal/client ids, the principal of a system-assigned
identity, blob endpoints, OIDC issuer URL, public IP address and FQDN). Ids and generated values
are stable per stack and name.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import re
from typing import Optional

from offline.mocks.core import provider
from offline.mocks.registry import (
    AZURE_OBJECT_ID,
    AZURE_SUBSCRIPTION_ID,
    AZURE_TENANT_ID,
    MockContext,
    invoke,
    resource,
    stable_hex,
    stable_uuid,
)


def azure_location(ctx: MockContext, inputs: Optional[dict] = None) -> str:
    return ctx.provider_setting(inputs, "location", "azure-native:location", "westeurope")


_SUB = f"/subscriptions/{AZURE_SUBSCRIPTION_ID}"
# Documentation range (RFC 5737) for mock public addresses.
_PUBLIC_POOL = ipaddress.ip_network("198.51.100.0/24")


def _rg_id(rg: str) -> str:
    return f"{_SUB}/resourceGroups/{rg}"


def _identity(identity: dict, rid: str) -> dict:
    """ARM takes user-assigned identities as a list of ids and returns them as a map id -> ids; a
    system-assigned identity comes back with the principal Entra ID created for the resource."""
    assigned = identity.get("userAssignedIdentities")
    if isinstance(assigned, list):
        identity = {**identity, "userAssignedIdentities": {
            i: {"principalId": stable_uuid(i, "principal"), "clientId": stable_uuid(i, "client")} for i in assigned}}
    if "SystemAssigned" in str(identity.get("type", "")):
        identity = {**identity, "principalId": stable_uuid(rid, "system-principal")}
    return {**identity, "tenantId": AZURE_TENANT_ID}


def _arm(inputs: dict, name: str, rid: str, type_: str, **computed) -> tuple[str, dict]:
    out = {**inputs, "name": name, "type": type_, "azureApiVersion": computed.pop("api", "2024-05-01")}
    if isinstance(inputs.get("identity"), dict):
        out["identity"] = _identity(inputs["identity"], rid)
    out.update(computed)
    return rid, out


def _provider_resource(namespace: str, kind: str, name_key: str):
    """A resource directly under a resource group: `.../providers/<namespace>/<kind>/<name>`."""
    def mock(ctx: MockContext, name: str, inputs: dict):
        res_name = inputs.get(name_key) or f"{name}{stable_hex(ctx.type_, name, n=6)}"
        rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/{namespace}/{kind}/{res_name}"
        extra = {"location": azure_location(ctx, inputs)} if kind != "certificateOrders" else {}
        return _arm(inputs, res_name, rid, f"{namespace}/{kind}", provisioningState="Succeeded", **extra)
    return mock


for _token, _ns, _kind, _key in (
    ("azure-native:network:VirtualNetwork", "Microsoft.Network", "virtualNetworks", "virtualNetworkName"),
    ("azure-native:network:NetworkSecurityGroup", "Microsoft.Network", "networkSecurityGroups", "networkSecurityGroupName"),
    ("azure-native:network:WebApplicationFirewallPolicy", "Microsoft.Network",
     "ApplicationGatewayWebApplicationFirewallPolicies", "policyName"),
    ("azure-native:network:ApplicationGateway", "Microsoft.Network", "applicationGateways", "applicationGatewayName"),
    ("azure-native:operationalinsights:Workspace", "Microsoft.OperationalInsights", "workspaces", "workspaceName"),
):
    resource(_token)(_provider_resource(_ns, _kind, _key))


@resource("azure-native:resources:ResourceGroup")
def resource_group(ctx: MockContext, name: str, inputs: dict):
    rg = inputs.get("resourceGroupName") or f"{name}{stable_hex(ctx.type_, name, n=8)}"
    return _arm(inputs, rg, _rg_id(rg), "Microsoft.Resources/resourceGroups",
                location=azure_location(ctx, inputs), properties={"provisioningState": "Succeeded"})


@resource("azure-native:network:Subnet")
def subnet(ctx: MockContext, name: str, inputs: dict):
    sub = inputs.get("subnetName") or name
    rid = (f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.Network/virtualNetworks/"
           f"{inputs['virtualNetworkName']}/subnets/{sub}")
    return _arm(inputs, sub, rid, "Microsoft.Network/virtualNetworks/subnets", provisioningState="Succeeded")


@resource("azure-native:network:PublicIPAddress")
def public_ip(ctx: MockContext, name: str, inputs: dict):
    ip_name = inputs.get("publicIpAddressName") or name
    rg = inputs["resourceGroupName"]
    location = azure_location(ctx, inputs)
    rid = f"{_rg_id(rg)}/providers/Microsoft.Network/publicIPAddresses/{ip_name}"
    address = str(_PUBLIC_POOL.network_address + 1 + int(stable_hex(ctx.stack, rid, n=4), 16) % 250)
    dns = dict(inputs.get("dnsSettings") or {})
    if dns.get("domainNameLabel"):
        dns["fqdn"] = f"{dns['domainNameLabel']}.{location}.cloudapp.azure.com"
    return _arm(inputs, ip_name, rid, "Microsoft.Network/publicIPAddresses", location=location,
                ipAddress=address, dnsSettings=dns or None, provisioningState="Succeeded")


@resource("azure-native:managedidentity:UserAssignedIdentity")
def user_assigned_identity(ctx: MockContext, name: str, inputs: dict):
    id_name = inputs.get("resourceName") or name
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{id_name}"
    return _arm(inputs, id_name, rid, "Microsoft.ManagedIdentity/userAssignedIdentities",
                location=azure_location(ctx, inputs), tenantId=AZURE_TENANT_ID,
                principalId=stable_uuid(ctx.stack, rid, "principal"), clientId=stable_uuid(ctx.stack, rid, "client"))


@resource("azure-native:managedidentity:FederatedIdentityCredential")
def federated_identity_credential(ctx: MockContext, name: str, inputs: dict):
    fic = inputs.get("federatedIdentityCredentialResourceName") or name
    rid = (f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
           f"{inputs['resourceName']}/federatedIdentityCredentials/{fic}")
    return _arm(inputs, fic, rid, "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials")


@resource("azure-native:authorization:RoleAssignment")
def role_assignment(ctx: MockContext, name: str, inputs: dict):
    guid = inputs.get("roleAssignmentName") or stable_uuid(ctx.stack, name, str(inputs.get("scope")))
    rid = f"{inputs.get('scope', _SUB)}/providers/Microsoft.Authorization/roleAssignments/{guid}"
    return _arm(inputs, guid, rid, "Microsoft.Authorization/roleAssignments", api="2022-04-01",
                createdBy=AZURE_OBJECT_ID)


@resource("azure-native:keyvault:Vault")
def vault(ctx: MockContext, name: str, inputs: dict):
    vault_name = inputs.get("vaultName") or f"{name}{stable_hex(ctx.type_, name, n=6)}"
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.KeyVault/vaults/{vault_name}"
    props = {**(inputs.get("properties") or {}), "vaultUri": f"https://{vault_name}.vault.azure.net/",
             "provisioningState": "Succeeded", "hsmPoolResourceId": None}
    return _arm(inputs, vault_name, rid, "Microsoft.KeyVault/vaults", location=azure_location(ctx, inputs),
                properties=props)


@resource("azure-native:keyvault:Key")
def vault_key(ctx: MockContext, name: str, inputs: dict):
    key_name = inputs.get("keyName") or name
    vault_name = inputs["vaultName"]
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.KeyVault/vaults/{vault_name}/keys/{key_name}"
    uri = f"https://{vault_name}.vault.azure.net/keys/{key_name}"
    version = stable_hex(ctx.stack, rid, n=32)
    return _arm(inputs, key_name, rid, "Microsoft.KeyVault/vaults/keys", location=azure_location(ctx, inputs),
                keyUri=uri, keyUriWithVersion=f"{uri}/{version}")


@resource("azure-native:compute:DiskEncryptionSet")
def disk_encryption_set(ctx: MockContext, name: str, inputs: dict):
    """Compute stores the key it was given and, when absent, its default encryption type."""
    des = inputs.get("diskEncryptionSetName") or name
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.Compute/diskEncryptionSets/{des}"
    return _arm(inputs, des, rid, "Microsoft.Compute/diskEncryptionSets", api="2024-03-02",
                location=azure_location(ctx, inputs),
                encryptionType=inputs.get("encryptionType") or "EncryptionAtRestWithCustomerKey",
                rotationToLatestKeyVersionEnabled=bool(inputs.get("rotationToLatestKeyVersionEnabled")),
                previousKeys=[], lastKeyRotationTimestamp=None, autoKeyRotationError=None,
                provisioningState="Succeeded")


@resource("azure-native:storage:StorageAccount")
def storage_account(ctx: MockContext, name: str, inputs: dict):
    account = inputs.get("accountName") or f"{name.replace('-', '')}{stable_hex(ctx.type_, name, n=6)}"[:24]
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.Storage/storageAccounts/{account}"
    location = azure_location(ctx, inputs)
    endpoints = {svc: f"https://{account}.{svc}.core.windows.net/" for svc in ("blob", "queue", "table", "file", "dfs", "web")}
    return _arm(inputs, account, rid, "Microsoft.Storage/storageAccounts", api="2024-01-01", location=location,
                primaryEndpoints=endpoints, primaryLocation=location, statusOfPrimary="available",
                provisioningState="Succeeded")


@resource("azure-native:storage:BlobServiceProperties")
def blob_service_properties(ctx: MockContext, name: str, inputs: dict):
    rid = (f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.Storage/storageAccounts/"
           f"{inputs['accountName']}/blobServices/default")
    return _arm(inputs, "default", rid, "Microsoft.Storage/storageAccounts/blobServices", api="2024-01-01")


@resource("azure-native:storage:ManagementPolicy")
def management_policy(ctx: MockContext, name: str, inputs: dict):
    rid = (f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.Storage/storageAccounts/"
           f"{inputs['accountName']}/managementPolicies/default")
    return _arm(inputs, "default", rid, "Microsoft.Storage/storageAccounts/managementPolicies", api="2024-01-01")


@resource("azure-native:storage:BlobContainer")
def blob_container(ctx: MockContext, name: str, inputs: dict):
    container = inputs.get("containerName") or name
    rid = (f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.Storage/storageAccounts/"
           f"{inputs['accountName']}/blobServices/default/containers/{container}")
    return _arm(inputs, container, rid, "Microsoft.Storage/storageAccounts/blobServices/containers",
                api="2024-01-01", hasImmutabilityPolicy=False, hasLegalHold=False)


@resource("azure-native:containerservice:ManagedCluster")
def managed_cluster(ctx: MockContext, name: str, inputs: dict):
    cluster = inputs.get("resourceName") or name
    rg = inputs["resourceGroupName"]
    location = azure_location(ctx, inputs)
    rid = f"{_rg_id(rg)}/providers/Microsoft.ContainerService/managedClusters/{cluster}"
    dns = f"{inputs.get('dnsPrefix', cluster)}-{stable_hex(ctx.stack, rid, n=8)}"
    private = bool((inputs.get("apiServerAccessProfile") or {}).get("enablePrivateCluster"))
    oidc = f"https://{location}.oic.prod-aks.azure.com/{AZURE_TENANT_ID}/{stable_uuid(ctx.stack, rid, 'oidc')}/"
    return _arm(
        inputs, cluster, rid, "Microsoft.ContainerService/managedClusters", api="2025-09-01", location=location,
        fqdn=None if private else f"{dns}.hcp.{location}.azmk8s.io",
        privateFQDN=f"{dns}.privatelink.{location}.azmk8s.io" if private else None,
        oidcIssuerProfile={**(inputs.get("oidcIssuerProfile") or {}), "issuerURL": oidc},
        nodeResourceGroup=inputs.get("nodeResourceGroup") or f"MC_{rg}_{cluster}_{location}",
        currentKubernetesVersion=inputs.get("kubernetesVersion"),
        identityProfile={"kubeletidentity": {
            "clientId": stable_uuid(ctx.stack, rid, "kubelet-client"),
            "objectId": stable_uuid(ctx.stack, rid, "kubelet-object"),
            "resourceId": f"{_rg_id(inputs.get('nodeResourceGroup') or rg)}/providers/Microsoft.ManagedIdentity/"
                          f"userAssignedIdentities/{cluster}-agentpool"}},
        powerState={"code": "Running"}, provisioningState="Succeeded",
    )


@resource("azure-native:keyvault:Secret")
def vault_secret(ctx: MockContext, name: str, inputs: dict):
    """A secret written through ARM: the response carries its URIs, never its value."""
    secret = inputs.get("secretName") or name
    if not re.fullmatch(r"[0-9A-Za-z-]{1,127}", secret):
        raise ValueError(f"secretName {secret!r}: Key Vault secret names are 1-127 letters, digits and hyphens")
    vault_name = inputs["vaultName"]
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.KeyVault/vaults/{vault_name}/secrets/{secret}"
    uri = f"https://{vault_name}.vault.azure.net/secrets/{secret}"
    props = {k: v for k, v in (inputs.get("properties") or {}).items() if k != "value"}
    props.update(secretUri=uri, secretUriWithVersion=f"{uri}/{stable_hex(ctx.stack, rid, n=32)}")
    return _arm(inputs, secret, rid, "Microsoft.KeyVault/vaults/secrets", api="2024-11-01",
                location=azure_location(ctx, inputs), properties=props)


@resource("azure-native:monitor:DiagnosticSetting")
def diagnostic_setting(ctx: MockContext, name: str, inputs: dict):
    """An extension resource: its id hangs below the resource it diagnoses."""
    setting = inputs.get("name") or name
    rid = f"{inputs['resourceUri']}/providers/Microsoft.Insights/diagnosticSettings/{setting}"
    return _arm(inputs, setting, rid, "Microsoft.Insights/diagnosticSettings", api="2021-05-01-preview",
                metrics=inputs.get("metrics") or [])


@resource("azure-native:containerservice:MaintenanceConfiguration")
def maintenance_configuration(ctx: MockContext, name: str, inputs: dict):
    config = inputs["configName"]
    if config not in ("default", "aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"):
        raise ValueError(f"configName {config!r}: AKS accepts default, aksManagedAutoUpgradeSchedule, "
                         "aksManagedNodeOSUpgradeSchedule")
    rid = (f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.ContainerService/managedClusters/"
           f"{inputs['resourceName']}/maintenanceConfigurations/{config}")
    return _arm(inputs, config, rid, "Microsoft.ContainerService/managedClusters/maintenanceConfigurations",
                api="2025-09-01", systemData=None)


# ---- ACME certificate of the gateway --------------------------------------------------------------

resource("pulumi:providers:acme")(provider)
_ISSUED = "2026-01-01T00:00:00Z"
_NOT_AFTER = "2026-04-01T00:00:00Z"  # Let's Encrypt: 90 days


def _pem(kind: str, *parts: str) -> str:
    body = base64.b64encode(hashlib.sha256("/".join(parts).encode()).digest() * 4).decode()
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


@resource("tls:index/privateKey:PrivateKey")
def tls_private_key(ctx: MockContext, name: str, inputs: dict):
    algorithm = inputs.get("algorithm")
    if algorithm not in ("RSA", "ECDSA", "ED25519"):
        raise ValueError(f"algorithm {algorithm!r}: tls.PrivateKey takes RSA, ECDSA or ED25519")
    kind = {"RSA": "RSA PRIVATE KEY", "ECDSA": "EC PRIVATE KEY", "ED25519": "PRIVATE KEY"}[algorithm]
    public = _pem("PUBLIC KEY", ctx.stack, name, "public")
    return stable_hex(ctx.stack, name, "key", n=40), {
        **inputs, "ecdsaCurve": inputs.get("ecdsaCurve") or "P224", "rsaBits": inputs.get("rsaBits") or 2048,
        "privateKeyPem": _pem(kind, ctx.stack, name), "privateKeyOpenssh": _pem("OPENSSH PRIVATE KEY", ctx.stack, name),
        "privateKeyPemPkcs8": _pem("PRIVATE KEY", ctx.stack, name), "publicKeyPem": public,
        "publicKeyOpenssh": f"ecdsa-sha2-nistp256 {stable_hex(ctx.stack, name, n=64)}\n",
        "publicKeyFingerprintMd5": stable_hex(ctx.stack, name, "md5", n=32),
        "publicKeyFingerprintSha256": stable_hex(ctx.stack, name, "sha256", n=43)}


def _acme_server(ctx: MockContext, name: str) -> str:
    return "https://acme-v02.api.letsencrypt.org"


@resource("acme:index/registration:Registration")
def acme_registration(ctx: MockContext, name: str, inputs: dict):
    """The CA answers a new account with its URL, which is the resource id."""
    if not inputs.get("accountKeyPem"):
        raise ValueError("acme.Registration: account_key_pem is required (the account key)")
    url = f"{_acme_server(ctx, name)}/acme/acct/{int(stable_hex(ctx.stack, name, n=9), 16)}"
    return url, {**inputs, "registrationUrl": url}


@resource("acme:index/certificate:Certificate")
def acme_certificate(ctx: MockContext, name: str, inputs: dict):
    """An issued certificate: PEMs, the PKCS#12 (base-64), the serving names, its validity window and
    the URL of the certificate at the CA (the id). DNS-01 needs a challenge provider."""
    if not inputs.get("dnsChallenges") and not inputs.get("httpChallenge") and not inputs.get("tlsChallenge"):
        raise ValueError("acme.Certificate: no challenge configured (dns_challenges, http_challenge or tls_challenge)")
    names = [inputs.get("commonName"), *(inputs.get("subjectAlternativeNames") or [])]
    url = f"{_acme_server(ctx, name)}/acme/cert/{stable_hex(ctx.stack, name, n=36)}"
    p12 = base64.b64encode(hashlib.sha256(f"{ctx.stack}/{name}/p12".encode()).digest() * 8).decode()
    return url, {
        **inputs, "certificateUrl": url, "certificateDomain": inputs.get("commonName"),
        "certificatePem": _pem("CERTIFICATE", ctx.stack, name, *map(str, names)),
        "issuerPem": _pem("CERTIFICATE", "issuer"), "privateKeyPem": _pem("RSA PRIVATE KEY", ctx.stack, name, "cert"),
        "certificateP12": p12, "certificateNotAfter": _NOT_AFTER,
        "certificateSerial": stable_hex(ctx.stack, name, "serial", n=36)}


@invoke("azure-native:authorization:getClientConfig")
def client_config(ctx: MockContext, args: dict):
    return {"clientId": stable_uuid("offline-deployer"), "objectId": AZURE_OBJECT_ID,
            "subscriptionId": AZURE_SUBSCRIPTION_ID, "tenantId": AZURE_TENANT_ID}


@invoke("azure-native:containerservice:listManagedClusterUserCredentials")
def cluster_user_credentials(ctx: MockContext, args: dict):
    """The user kubeconfig of an Entra ID cluster; `format: exec` is kubelogin's exec plugin form."""
    cluster, rg = args["resourceName"], args["resourceGroupName"]
    location = azure_location(ctx, args)
    server = f"https://{cluster}-{stable_hex(ctx.stack, rg, cluster, n=8)}.hcp.{location}.azmk8s.io:443"
    user = f"clusterUser_{rg}_{cluster}"
    if args.get("format") == "exec":
        auth = {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "kubelogin",
            "args": ["get-token", "--login", "devicecode", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630",
                     "--client-id", "80faf920-1908-4b52-b5ef-a8e7bedfc67a", "--tenant-id", AZURE_TENANT_ID,
                     "--environment", "AzurePublicCloud"],
            "env": None, "installHint": "kubelogin is not installed", "provideClusterInfo": False}}
    else:
        auth = {"auth-provider": {"name": "azure", "config": {"tenant-id": AZURE_TENANT_ID}}}
    kubeconfig = {
        "apiVersion": "v1", "kind": "Config", "current-context": cluster,
        "clusters": [{"name": cluster, "cluster": {
            "server": server,
            "certificate-authority-data": base64.b64encode(f"mock CA of {cluster}".encode()).decode()}}],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": user}}],
        "users": [{"name": user, "user": auth}],
    }
    value = base64.b64encode(json.dumps(kubeconfig).encode()).decode()
    return {"kubeconfigs": [{"name": "clusterUser", "value": value}]}


# --- Azure Monitor: managed Prometheus and alerting ---

@resource("azure-native:monitor:AzureMonitorWorkspace")
def azure_monitor_workspace(ctx: MockContext, name: str, inputs: dict):
    res_name = inputs.get("azureMonitorWorkspaceName") or f"{name}{stable_hex(ctx.type_, name, n=6)}"
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.Monitor/accounts/{res_name}"
    location = azure_location(ctx, inputs)
    ingestion = f"{res_name}-{stable_hex(rid, n=4)}"
    # ARM creates a managed data collection endpoint and rule for the workspace's default ingestion.
    managed = f"{_SUB}/resourceGroups/MA_{res_name}_{location}_managed/providers/Microsoft.Insights"
    return _arm(inputs, res_name, rid, "Microsoft.Monitor/accounts", api="2023-04-03", location=location,
                provisioningState="Succeeded", accountId=stable_uuid(rid), publicNetworkAccess="Enabled",
                metrics={"internalId": f"mac_{stable_uuid(rid, 'mac')}",
                         "prometheusQueryEndpoint": f"https://{ingestion}.{location}.prometheus.monitor.azure.com"},
                defaultIngestionSettings={
                    "dataCollectionEndpointResourceId": f"{managed}/dataCollectionEndpoints/{res_name}",
                    "dataCollectionRuleResourceId": f"{managed}/dataCollectionRules/{res_name}"})


@resource("azure-native:monitor:DataCollectionEndpoint")
def data_collection_endpoint(ctx: MockContext, name: str, inputs: dict):
    res_name = inputs.get("dataCollectionEndpointName") or f"{name}{stable_hex(ctx.type_, name, n=6)}"
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.Insights/dataCollectionEndpoints/{res_name}"
    location = azure_location(ctx, inputs)
    host = f"{res_name}-{stable_hex(rid, n=4)}.{location}"
    return _arm(inputs, res_name, rid, "Microsoft.Insights/dataCollectionEndpoints", api="2023-03-11",
                location=location, provisioningState="Succeeded", immutableId=f"dce-{stable_hex(rid, n=32)}",
                configurationAccess={"endpoint": f"https://{host}-1.handler.control.monitor.azure.com"},
                logsIngestion={"endpoint": f"https://{host}-1.ingest.monitor.azure.com"},
                metricsIngestion={"endpoint": f"https://{host}-1.metrics.ingest.monitor.azure.com"},
                networkAcls=inputs.get("networkAcls") or {"publicNetworkAccess": "Enabled"})


@resource("azure-native:monitor:DataCollectionRule")
def data_collection_rule(ctx: MockContext, name: str, inputs: dict):
    res_name = inputs.get("dataCollectionRuleName") or f"{name}{stable_hex(ctx.type_, name, n=6)}"
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.Insights/dataCollectionRules/{res_name}"
    return _arm(inputs, res_name, rid, "Microsoft.Insights/dataCollectionRules", api="2023-03-11",
                location=azure_location(ctx, inputs), provisioningState="Succeeded",
                immutableId=f"dcr-{stable_hex(rid, n=32)}")


@resource("azure-native:monitor:DataCollectionRuleAssociation")
def data_collection_rule_association(ctx: MockContext, name: str, inputs: dict):
    assoc = inputs.get("associationName") or name
    rid = f"{inputs['resourceUri']}/providers/Microsoft.Insights/dataCollectionRuleAssociations/{assoc}"
    return _arm(inputs, assoc, rid, "Microsoft.Insights/dataCollectionRuleAssociations", api="2023-03-11",
                provisioningState="Succeeded")


@resource("azure-native:monitor:ActionGroup")
def action_group(ctx: MockContext, name: str, inputs: dict):
    res_name = inputs.get("actionGroupName") or f"{name}{stable_hex(ctx.type_, name, n=6)}"
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.Insights/actionGroups/{res_name}"
    # Email receivers start subscribed; each reports its status.
    receivers = [{**r, "status": "Enabled"} for r in inputs.get("emailReceivers") or []]
    return _arm(inputs, res_name, rid, "Microsoft.Insights/ActionGroups", api="2024-10-01-preview",
                location=inputs.get("location") or "Global", emailReceivers=receivers)


@resource("azure-native:alertsmanagement:PrometheusRuleGroup")
def prometheus_rule_group(ctx: MockContext, name: str, inputs: dict):
    res_name = inputs.get("ruleGroupName") or f"{name}{stable_hex(ctx.type_, name, n=6)}"
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.AlertsManagement/prometheusRuleGroups/{res_name}"
    return _arm(inputs, res_name, rid, "Microsoft.AlertsManagement/prometheusRuleGroups", api="2023-03-01",
                location=azure_location(ctx, inputs))


@resource("azure-native:eventgrid:SystemTopic")
def system_topic(ctx: MockContext, name: str, inputs: dict):
    # A system topic lives in its source's region; ARM also reports the id its metrics are kept under.
    res_name = inputs.get("systemTopicName") or f"{name}{stable_hex(ctx.type_, name, n=6)}"
    rid = f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.EventGrid/systemTopics/{res_name}"
    return _arm(inputs, res_name, rid, "Microsoft.EventGrid/systemTopics", api="2025-02-15",
                location=azure_location(ctx, inputs), provisioningState="Succeeded",
                metricResourceId=stable_uuid(rid, "metrics"))


@resource("azure-native:eventgrid:SystemTopicEventSubscription")
def system_topic_event_subscription(ctx: MockContext, name: str, inputs: dict):
    res_name = inputs.get("eventSubscriptionName") or f"{name}{stable_hex(ctx.type_, name, n=6)}"
    topic_id = (f"{_rg_id(inputs['resourceGroupName'])}/providers/Microsoft.EventGrid/systemTopics/"
                f"{inputs['systemTopicName']}")
    rid = f"{topic_id}/eventSubscriptions/{res_name}"
    return _arm(inputs, res_name, rid, "Microsoft.EventGrid/systemTopics/eventSubscriptions", api="2025-02-15",
                provisioningState="Succeeded", topic=topic_id)


# ---------------------------------------------------------------------------------------------
# Azure's forms of the values a type without a mock of its own gets (offline/mocks/sdk.py asks).

def azure_id(ctx: MockContext, type_: str, name: str, inputs: dict) -> str:
    """An ARM resource id: /subscriptions/<sub>/resourceGroups/<rg>/providers/<Namespace>/<kind>s/<name>."""
    from offline.mocks import sdk

    _, mod, kind = type_.split(":")
    rg = inputs.get("resourceGroupName") or "offline-rg"
    if kind == "ResourceGroup":
        return f"/subscriptions/{AZURE_SUBSCRIPTION_ID}/resourceGroups/{inputs.get('resourceGroupName') or name}"
    namespace = "Microsoft." + mod.split("/")[0][:1].upper() + mod.split("/")[0][1:]
    leaf = inputs.get(sdk._resource_kind(type_) + "Name") or inputs.get("name") or name
    return (f"/subscriptions/{AZURE_SUBSCRIPTION_ID}/resourceGroups/{rg}/providers/{namespace}/"
            f"{sdk._resource_kind(type_)}s/{leaf}")


def sdk_string(ctx: MockContext, type_: str, name: str, prop: str, inputs: dict) -> Optional[str]:
    """The Azure form of a string property by its name (an ARM id, the location, a provisioning state), or None."""
    low = prop.lower()
    if low == "id":
        return azure_id(ctx, type_, name, inputs)
    if low == "location":
        return azure_location(ctx, inputs)
    if low in ("state", "status", "provisioningstate"):
        return "Succeeded"
    return None


def sdk_id(ctx: MockContext, type_: str, name: str, inputs: dict) -> str:
    return azure_id(ctx, type_, name, inputs)
