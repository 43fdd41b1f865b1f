"""The Azure regional cell under the offline engine: dev and prod stacks, a second cell, bad config."""
from __future__ import annotations

import copy
import ipaddress

import pytest

import schema_check
from offline_helpers import preview_config, preview_stack, stack_config

CELL = "platform:azure:Cell"
NAME = "azure-centralindia"
ROLE = {
    "crypto-service-encryption-user": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    "crypto-user": "12338af0-0e69-4776-bea7-57ae8d297424",
    "reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "secrets-user": "4633458b-17de-408a-b874-0445c86b69e6",
    "blob-data-reader": "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1",
}


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    run = preview_stack("dev", tmp_path_factory.mktemp("azure-dev"))
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    # Unmasked outputs: the cell contract as prod-global's StackReference reads it.
    run = preview_stack("prod-azure-centralindia", tmp_path_factory.mktemp("azure-prod"), extra=("--unmasked-outputs",))
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def two_cells(tmp_path_factory):
    """dev + a geo-redundant Azure cell in brazilsouth, whose pair (southcentralus) leaves zone `br`."""
    config = copy.deepcopy(stack_config("dev"))
    extra = {"name": "azure-brazilsouth", "cloud": "azure", "region": "brazilsouth", "residency": "br",
             "network_cidr": "10.40.0.0/16", "bucket": {"geo_redundant": True},
             "cluster": {"min_nodes": 2, "max_nodes": 3, "api_allowed_cidrs": ["203.0.113.0/24"]}}
    config["platform:cells"] = [c for c in config["platform:cells"] if c["cloud"] == "azure"] + [extra]
    # No shipped release allows zone `br` (releases/*.yaml allowed_zones): this fixture is about the cell's
    # infrastructure (providers, names, storage geo-redundancy), so it serves no release.
    config.pop("platform:release", None)
    run = preview_config(config, tmp_path_factory.mktemp("azure-two"))
    assert run.returncode == 0, run.stderr
    return run


def cell_resources(run, name=NAME):
    cell = run.one(CELL, name)
    return cell, [r for r in run.resources if cell in run.ancestors(r)]


def mine(run, type_, name=NAME):
    _, res = cell_resources(run, name)
    return [r for r in res if r["type"] == type_]


def one(run, type_, name=NAME, suffix=None):
    found = [r for r in mine(run, type_, name) if suffix is None or r["name"].endswith(suffix)]
    assert len(found) == 1, [r["name"] for r in found]
    return found[0]["inputs"]


def grants(run, name=NAME):
    return mine(run, "azure-native:authorization:RoleAssignment", name)


def resource(run, type_, name=NAME, suffix=None):
    """The whole captured resource (urn, outputs, dependencies), not only its inputs."""
    (found,) = [r for r in mine(run, type_, name) if suffix is None or r["name"].endswith(suffix)]
    return found


def test_every_cell_resource_descends_from_the_cell_and_uses_its_provider(dev):
    cell, res = cell_resources(dev)
    azure = [r for r in res if r["type"].startswith("azure-native:")]
    assert len(azure) >= 30
    providers = [r for r in res if r["type"] == "pulumi:providers:azure-native"]
    assert len(providers) == 1 and providers[0]["inputs"]["location"] == "centralindia"
    assert all(r["provider"].startswith(providers[0]["urn"]) for r in azure)
    # Nothing Azure in the stack lives outside the cell.
    assert {r["urn"] for r in dev.resources if r["type"].startswith("azure-native:")} == {r["urn"] for r in azure}


def test_every_resource_moved_into_a_piece_answers_to_its_urn_under_the_cell(dev, prod):
    # The cell's parts became pieces (`Piece(name, Args, opts)`); what they build was the cell's
    # own child before. Each such resource must answer, through the aliases the engine records, to the URN
    # it had under the cell (same name and type), or `up` would delete and re-create it: the vault, keys,
    # storage account and cluster among them. This covers resources newer than the URN baselines too.
    from test_structure import _alias_urns

    for run in (dev, prod):
        cell = run.one(CELL, NAME)
        pieces = [r for r in run.children_of(cell["urn"]) if r["type"].startswith("platform:azure:")]
        assert {p["type"] for p in pieces} >= {
            "platform:azure:Network", "platform:azure:Keys", "platform:azure:Bucket", "platform:azure:DiskEncryption",
            "platform:azure:Cluster", "platform:azure:Identities", "platform:azure:LoadBalancer"}
        old = _alias_urns(run.resources)
        moved = []
        for piece in pieces:
            assert not piece.get("aliases"), piece["urn"]  # new: nothing of theirs existed before
            for r in run.children_of(piece["urn"]):
                # One level only: a child of a moved resource would need its parent's aliases inherited.
                assert not run.children_of(r["urn"]), r["urn"]
                before = f"{cell['urn'].rsplit('::', 1)[0]}${r['type']}::{r['name']}"
                assert before in old[r["urn"]], f"{r['urn']}: no alias to {before}"
                moved.append(r)
        types = {r["type"] for r in moved}
        assert {"azure-native:keyvault:Vault", "azure-native:keyvault:Key", "azure-native:storage:StorageAccount",
                "azure-native:containerservice:ManagedCluster", "azure-native:compute:DiskEncryptionSet",
                "azure-native:storage:BlobContainer", "tls:index/privateKey:PrivateKey",
                "acme:index/certificate:Certificate"} <= types
        # The providers and the resource group stay the cell's own children, with their URNs: nothing to alias
        # (azure-native's own aliases to its API-versioned types aside).
        for type_ in ("pulumi:providers:azure-native", "pulumi:providers:acme", "azure-native:resources:ResourceGroup"):
            (kept,) = [r for r in run.children_of(cell["urn"]) if r["type"] == type_]
            assert all(u.split("::")[3] == kept["name"] and u.split("::")[2].split("$")[0] == CELL
                       and u.split("::")[2].count("$") == 1 for u in old[kept["urn"]]), kept["urn"]


def test_a_piece_child_without_its_alias_is_told_apart(dev):
    # The check above is worth something only if a missing alias shows: drop the vault's.
    from test_structure import _alias_urns

    vault = dev.one("azure-native:keyvault:Vault")
    stripped = [dict(r, aliases=[a for a in r.get("aliases") or [] if not a.get("parentUrn")]) if r is vault else r
                for r in dev.resources]
    before = f"{dev.one(CELL, NAME)['urn'].rsplit('::', 1)[0]}$azure-native:keyvault:Vault::{vault['name']}"
    assert before in _alias_urns(dev.resources)[vault["urn"]]
    assert before not in _alias_urns(stripped)[vault["urn"]]


def rg_name(run, name=NAME):
    return one(run, "azure-native:resources:ResourceGroup", name)["resourceGroupName"]


def test_resources_are_in_the_cell_location_and_resource_group(dev):
    rg = one(dev, "azure-native:resources:ResourceGroup")
    assert rg["location"] == "centralindia" and rg["resourceGroupName"].startswith(f"{NAME}-")
    for r in mine(dev, "azure-native:network:VirtualNetwork") + mine(dev, "azure-native:keyvault:Vault") + \
            mine(dev, "azure-native:storage:StorageAccount") + mine(dev, "azure-native:containerservice:ManagedCluster"):
        assert r["inputs"]["location"] == "centralindia"
        assert r["inputs"]["resourceGroupName"] == rg["resourceGroupName"]


def test_taggable_resources_carry_the_standard_tags(dev):
    schema = schema_check.schema("azure-native")["resources"]
    _, res = cell_resources(dev)
    taggable = [r for r in res if r["type"].startswith("azure-native:")
                and "tags" in schema[r["type"]].get("inputProperties", {})]
    assert len(taggable) >= 20
    for r in taggable:
        assert r["inputs"].get("tags") == {"cell": NAME, "residency": "in", "environment": "dev",
                                           "managed-by": "pulumi"}, r["name"]


def test_network_has_aks_gateway_and_apiserver_subnets_behind_nsgs(dev):
    subnets = {r["inputs"]["subnetName"]: r["inputs"] for r in mine(dev, "azure-native:network:Subnet")}
    assert set(subnets) == {"aks", "appgw", "apiserver"}
    vnet = ipaddress.ip_network(one(dev, "azure-native:network:VirtualNetwork")["addressSpace"]["addressPrefixes"][0])
    assert str(vnet) == "10.30.0.0/16"
    for s in subnets.values():
        assert s["networkSecurityGroup"]["id"].endswith("-nsg")
        assert s["defaultOutboundAccess"] is False
        assert ipaddress.ip_network(s["addressPrefix"]).subnet_of(vnet)
    assert subnets["apiserver"]["delegations"][0]["serviceName"] == "Microsoft.ContainerService/managedClusters"
    nsg = one(dev, "azure-native:network:NetworkSecurityGroup", suffix="appgw-nsg")
    gm = next(r for r in nsg["securityRules"] if r["sourceAddressPrefix"] == "GatewayManager")
    assert gm["destinationPortRanges"] == ["65200-65535"] and gm["access"] == "Allow"


def test_key_vault_rbac_purge_protection_soft_delete_and_firewall(dev):
    vault = one(dev, "azure-native:keyvault:Vault")["properties"]
    assert vault["enableRbacAuthorization"] is True
    assert vault["enablePurgeProtection"] is True
    assert vault["enableSoftDelete"] is True and vault["softDeleteRetentionInDays"] == 90
    assert vault["tenantId"] == "00000000-0000-4000-8000-000000000002"
    acls = vault["networkAcls"]
    assert acls["defaultAction"] == "Deny" and acls["bypass"] == "AzureServices" and acls["ipRules"] == []
    assert sorted(r["id"].rsplit("/", 1)[-1] for r in acls["virtualNetworkRules"]) == ["aks", "appgw"]
    assert not vault.get("accessPolicies")


def test_keys_are_rsa_with_a_rotation_policy(dev):
    keys = [r["inputs"] for r in mine(dev, "azure-native:keyvault:Key")]
    assert {k["keyName"] for k in keys} == {"storage-cmk", "etcd-cmk", "disk-cmk"}
    for k in keys:
        props = k["properties"]
        assert props["kty"] in ("RSA", "RSA-HSM") and props["keySize"] >= 2048
        actions = {a["action"]["type"]: a["trigger"] for a in props["rotationPolicy"]["lifetimeActions"]}
        # The casing Key Vault returns, so a refreshed state matches the program.
        assert actions == {"Rotate": {"timeAfterCreate": "P90D"}, "Notify": {"timeBeforeExpiry": "P30D"}}
        assert props["rotationPolicy"]["attributes"]["expiryTime"] == "P1Y"


def test_storage_account_cmk_tls_and_no_public_or_shared_key_access(dev):
    acct = one(dev, "azure-native:storage:StorageAccount")
    enc = acct["encryption"]
    assert acct["kind"] == "StorageV2"
    assert enc["keySource"] == "Microsoft.Keyvault"
    assert enc["requireInfrastructureEncryption"] is True
    assert enc["keyVaultProperties"]["keyName"] == "storage-cmk"
    assert "keyVersion" not in enc["keyVaultProperties"]  # follows rotation
    vault = one(dev, "azure-native:keyvault:Vault")["vaultName"]
    assert enc["keyVaultProperties"]["keyVaultUri"] == f"https://{vault}.vault.azure.net/"
    storage_identity = enc["encryptionIdentity"]["encryptionUserAssignedIdentity"]
    assert acct["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [storage_identity]}
    assert acct["enableHttpsTrafficOnly"] is True
    assert acct["minimumTlsVersion"] == "TLS1_2"
    assert acct["allowBlobPublicAccess"] is False
    assert acct["allowSharedKeyAccess"] is False
    assert acct["networkRuleSet"]["defaultAction"] == "Deny"
    assert acct["sku"] == {"name": "Standard_ZRS"}  # not geo-redundant in dev
    container = one(dev, "azure-native:storage:BlobContainer")
    assert container["containerName"] == "models" and container["publicAccess"] == "None"
    policy = one(dev, "azure-native:storage:ManagementPolicy")["policy"]["rules"][0]["definition"]
    assert policy["actions"]["version"]["delete"]["daysAfterCreationGreaterThan"] == 30


def test_storage_identity_can_unwrap_the_storage_key(dev):
    grant = next(r for r in grants(dev) if r["inputs"]["roleDefinitionId"].endswith(ROLE["crypto-service-encryption-user"]))
    assert grant["inputs"]["scope"].endswith("/keys/storage-cmk")
    assert grant["inputs"]["principalType"] == "ServicePrincipal"


def test_aks_identity_kms_rbac_and_private_nodes(dev):
    aks = one(dev, "azure-native:containerservice:ManagedCluster")
    sec = aks["securityProfile"]
    assert sec["workloadIdentity"] == {"enabled": True}
    kms = sec["azureKeyVaultKms"]
    assert kms["enabled"] is True and kms["keyVaultNetworkAccess"] == "Private"
    assert "/keys/etcd-cmk/" in kms["keyId"]  # a versioned key id, as AKS requires
    assert kms["keyVaultResourceId"].endswith(one(dev, "azure-native:keyvault:Vault")["vaultName"])
    assert sec["defender"]["securityMonitoring"] == {"enabled": True}
    assert aks["oidcIssuerProfile"] == {"enabled": True}
    assert aks["disableLocalAccounts"] is True
    assert aks["aadProfile"]["enableAzureRBAC"] is True and aks["aadProfile"]["managed"] is True
    assert aks["networkProfile"]["networkPlugin"] == "azure"
    assert aks["autoUpgradeProfile"]["upgradeChannel"] == "stable"
    assert aks["addonProfiles"]["omsagent"]["enabled"] is True
    assert aks["apiServerAccessProfile"]["authorizedIPRanges"] == ["203.0.113.0/24"]
    assert aks["apiServerAccessProfile"]["enableVnetIntegration"] is True
    pools = {p["name"]: p for p in aks["agentPoolProfiles"]}
    assert {p["mode"] for p in pools.values()} == {"System", "User"}
    assert pools["user"]["minCount"] == 2 and pools["user"]["maxCount"] == 4
    for p in pools.values():
        assert p["vnetSubnetID"].endswith("/subnets/aks") and p["enableNodePublicIP"] is False
    roles = {r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1]: r["inputs"]["scope"] for r in grants(dev)}
    assert roles[ROLE["crypto-user"]].endswith("/keys/etcd-cmk")


DES = "azure-native:compute:DiskEncryptionSet"
SLEEP = "time:index/sleep:Sleep"
SUB = "/subscriptions/00000000-0000-4000-8000-000000000001"


def test_disk_encryption_set_wraps_with_the_cell_disk_key_and_follows_rotation(dev):
    des = resource(dev, DES)
    inputs, outputs = des["inputs"], des["outputs"]
    assert inputs["location"] == "centralindia" and inputs["resourceGroupName"] == rg_name(dev)
    assert inputs["diskEncryptionSetName"] == f"{NAME}-des"
    assert inputs["encryptionType"] == "EncryptionAtRestWithCustomerKey"
    assert inputs["identity"] == {"type": "SystemAssigned"}
    assert inputs["rotationToLatestKeyVersionEnabled"] is True
    # The cell's own `disk` key, at its current version (Compute requires a versioned URL).
    key = resource(dev, "azure-native:keyvault:Key", suffix="-disk-key")
    assert key["inputs"]["keyName"] == "disk-cmk"
    assert key["inputs"]["properties"]["keyOps"] == ["wrapKey", "unwrapKey"]
    assert inputs["activeKey"]["keyUrl"] == key["outputs"]["keyUriWithVersion"]
    assert inputs["activeKey"]["keyUrl"].startswith(key["outputs"]["keyUri"] + "/")
    assert inputs["activeKey"]["sourceVault"]["id"] == resource(dev, "azure-native:keyvault:Vault")["id"]
    # What ARM answers: the set's id, the principal of its system-assigned identity.
    assert des["id"] == f"{SUB}/resourceGroups/{rg_name(dev)}/providers/Microsoft.Compute/diskEncryptionSets/{NAME}-des"
    assert len(outputs["identity"]["principalId"]) == 36 and outputs["provisioningState"] == "Succeeded"
    assert outputs["tags"] == {"cell": NAME, "residency": "in", "environment": "dev", "managed-by": "pulumi"}


def test_disk_encryption_set_identity_may_use_the_disk_key_only(dev):
    des = resource(dev, DES)
    key = resource(dev, "azure-native:keyvault:Key", suffix="-disk-key")
    (grant,) = [r for r in grants(dev) if r["inputs"]["principalId"] == des["outputs"]["identity"]["principalId"]]
    assert grant["inputs"]["roleDefinitionId"].endswith("/" + ROLE["crypto-service-encryption-user"])
    assert grant["inputs"]["scope"] == key["id"] and grant["inputs"]["principalType"] == "ServicePrincipal"
    # The vault it sits in can never lose the key to a purge.
    vault = one(dev, "azure-native:keyvault:Vault")["properties"]
    assert vault["enablePurgeProtection"] is True and vault["enableSoftDelete"] is True


def test_aks_node_os_disks_use_the_disk_encryption_set_once_it_may_use_the_key(dev):
    des = resource(dev, DES)
    aks = resource(dev, "azure-native:containerservice:ManagedCluster")
    assert aks["inputs"]["diskEncryptionSetID"] == des["id"]
    key_grant = resource(dev, "azure-native:authorization:RoleAssignment", suffix="-disk-key-user")
    # The cluster identity reads the set its node disks link to (AKS checks it when it builds node pools).
    cluster_identity = resource(dev, "azure-native:managedidentity:UserAssignedIdentity", suffix="-cluster-id")
    assert aks["inputs"]["identity"]["userAssignedIdentities"] == [cluster_identity["id"]]
    reader = resource(dev, "azure-native:authorization:RoleAssignment", suffix="-aks-disk-encryption-set-reader")
    assert reader["inputs"]["roleDefinitionId"].endswith("/" + ROLE["reader"])
    assert reader["inputs"]["scope"] == des["id"]
    assert reader["inputs"]["principalId"] == cluster_identity["outputs"]["principalId"]
    # Nothing creates a node disk before the set may unwrap the key and AKS may read the set, and
    # both grants have propagated: the cluster waits on a Sleep that waits on them.
    assert des["urn"] in aks["dependencies"]
    (wait,) = [r for r in dev.of_type(SLEEP) if r["urn"] in aks["dependencies"]]
    assert {key_grant["urn"], reader["urn"]} <= set(wait["dependencies"])
    assert des["urn"] in key_grant["dependencies"]


def test_gateway_tls_policy_https_listener_redirect_and_probe(dev):
    gw = one(dev, "azure-native:network:ApplicationGateway")
    assert gw["sku"]["name"] in ("Standard_v2", "WAF_v2")
    assert gw["sslPolicy"] == {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"}
    vault = one(dev, "azure-native:keyvault:Vault")["vaultName"]
    certs = {c["name"]: c["keyVaultSecretId"] for c in gw["sslCertificates"]}
    # One certificate (both names), versionless: the gateway follows every renewal.
    assert certs == {"endpoint": f"https://{vault}.vault.azure.net/secrets/tls-endpoint"}
    listeners = {l["name"]: l for l in gw["httpListeners"]}
    assert listeners["https"]["protocol"] == "Https"
    assert listeners["https"]["sslCertificate"]["id"].endswith("/sslCertificates/endpoint")
    assert "hostName" not in listeners["https"] and "hostNames" not in listeners["https"]  # basic: catch-all
    rules = {r["httpListener"]["id"].rsplit("/", 1)[-1]: r for r in gw["requestRoutingRules"]}
    assert "backendAddressPool" not in rules["http"] and rules["http"]["redirectConfiguration"]
    (redirect,) = gw["redirectConfigurations"]
    assert redirect["targetListener"]["id"].endswith("/httpListeners/https")
    assert rules["https"]["backendAddressPool"]["id"].endswith("/backendAddressPools/workload")
    (probe,) = gw["probes"]
    assert probe["path"] == "/health"
    # Every sub-resource reference points into this very gateway (no dangling ids).
    base = f"/applicationGateways/{gw['applicationGatewayName']}/"
    refs = [l[k]["id"] for l in gw["httpListeners"] for k in ("frontendIPConfiguration", "frontendPort")]
    assert all(base in r for r in refs)
    # The public IP is static Standard.
    ip = one(dev, "azure-native:network:PublicIPAddress")
    assert ip["publicIPAllocationMethod"] == "Static" and ip["sku"]["name"] == "Standard"


def test_gateway_backend_is_the_workload_internal_lb_in_the_aks_subnet(dev):
    gw = one(dev, "azure-native:network:ApplicationGateway")
    (pool,) = gw["backendAddressPools"]
    (addr,) = pool["backendAddresses"]
    aks = next(r["inputs"] for r in mine(dev, "azure-native:network:Subnet") if r["inputs"]["subnetName"] == "aks")
    assert ipaddress.ip_address(addr["ipAddress"]) in ipaddress.ip_network(aks["addressPrefix"])
    # The workload's Service asks for exactly that address, internally.
    svc = next(r["inputs"] for r in mine(dev, "kubernetes:core/v1:Service"))
    ann = svc["metadata"]["annotations"]
    assert ann["service.beta.kubernetes.io/azure-load-balancer-internal"] == "true"
    assert ann["service.beta.kubernetes.io/azure-load-balancer-ipv4"] == addr["ipAddress"]
    assert svc["spec"]["type"] == "LoadBalancer"


def test_gateway_serves_the_public_name_with_its_own_certificate_on_443(dev):
    """Route 53 answers the public name with this gateway: SNI for it must pick a matching certificate."""
    gw = one(dev, "azure-native:network:ApplicationGateway")
    listeners = {l["name"]: l for l in gw["httpListeners"]}
    public = listeners["https-public"]
    assert public["protocol"] == "Https" and public["hostName"] == "api.dev.inference.example.com"
    assert public["sslCertificate"]["id"].endswith("/sslCertificates/endpoint")
    assert public["frontendPort"]["id"] == listeners["https"]["frontendPort"]["id"]
    assert public["frontendPort"]["id"].endswith("/frontendPorts/https")
    rules = {r["httpListener"]["id"].rsplit("/", 1)[-1]: r for r in gw["requestRoutingRules"]}
    # The multi-site rule must be evaluated before the catch-all one.
    assert rules["https-public"]["priority"] < rules["https"]["priority"]
    for key in ("backendAddressPool", "backendHttpSettings"):
        assert rules["https-public"][key]["id"] == rules["https"][key]["id"]
    assert len({r["priority"] for r in gw["requestRoutingRules"]}) == len(gw["requestRoutingRules"])


def test_certificate_is_acme_dns01_in_route53_stored_as_the_vault_secret_the_gateway_reads(dev):
    own, public = f"{NAME}.dev.inference.example.com", "api.dev.inference.example.com"
    # No App Service certificate order (root-domain token, asynchronous issuance) and no Graph lookup.
    assert not [r for r in dev.resources if r["type"].startswith(("azure-native:certificateregistration:", "azuread:"))]
    cert = resource(dev, "acme:index/certificate:Certificate")
    inputs = cert["inputs"]
    assert inputs["commonName"] == own and inputs["subjectAlternativeNames"] == [public]
    (challenge,) = inputs["dnsChallenges"]
    assert challenge["provider"] == "route53"
    assert challenge["config"]["AWS_HOSTED_ZONE_ID"] == dev.one("aws:route53/zone:Zone")["id"]
    assert inputs["minDaysRemaining"] == 30  # renewed by the scheduled `up` once fewer days remain
    assert inputs["keyType"] == "2048" and inputs["revokeCertificateOnDestroy"] is False
    # The ACME account: a registration with a tls key, through a provider pinned to the CA's directory.
    account = resource(dev, "acme:index/registration:Registration")
    key = resource(dev, "tls:index/privateKey:PrivateKey")
    assert key["inputs"]["algorithm"] == "ECDSA" and key["urn"] in account["dependencies"]
    assert account["urn"] in cert["dependencies"]
    (acme_provider,) = dev.of_type("pulumi:providers:acme")
    assert acme_provider["inputs"]["serverUrl"] == "https://acme-v02.api.letsencrypt.org/directory"
    assert cert["provider"].startswith(acme_provider["urn"])
    # The PKCS#12 lands in the cell's vault as the secret the listeners name.
    secret = resource(dev, "azure-native:keyvault:Secret")
    assert secret["inputs"]["secretName"] == "tls-endpoint"
    assert secret["inputs"]["vaultName"] == one(dev, "azure-native:keyvault:Vault")["vaultName"]
    assert secret["inputs"]["properties"]["contentType"] == "application/x-pkcs12"
    assert secret["inputs"]["properties"]["value"] == cert["outputs"]["certificateP12"]
    assert cert["urn"] in secret["dependencies"]
    # The gateway waits for the secret and for its reader grant to propagate.
    gw = resource(dev, "azure-native:network:ApplicationGateway")
    assert secret["urn"] in gw["dependencies"]
    (wait,) = [r for r in dev.of_type(SLEEP) if r["urn"] in gw["dependencies"]]
    reader = resource(dev, "azure-native:authorization:RoleAssignment", suffix="-gateway-cert-reader")
    assert reader["urn"] in wait["dependencies"] and reader["urn"] not in gw["dependencies"]
    assert reader["inputs"]["roleDefinitionId"].endswith("/" + ROLE["secrets-user"])
    gw_identity = gw["inputs"]["identity"]["userAssignedIdentities"][0]
    assert gw_identity.endswith("-gateway")
    # No TXT record is written by the program: lego writes _acme-challenge.<name> during issuance.
    assert not [r for r in mine(dev, "aws:route53/record:Record") if r["inputs"]["type"] == "TXT"]


def test_workload_identity_federated_and_reads_the_model_container_only(dev):
    fic = one(dev, "azure-native:managedidentity:FederatedIdentityCredential")
    assert fic["subject"] == "system:serviceaccount:inference:inference"
    assert fic["audiences"] == ["api://AzureADTokenExchange"]
    assert fic["issuer"].startswith("https://centralindia.oic.prod-aks.azure.com/")
    assert fic["resourceName"] == f"{NAME}-workload"
    (reader,) = [r["inputs"] for r in grants(dev) if r["inputs"]["roleDefinitionId"].endswith(ROLE["blob-data-reader"])]
    assert reader["scope"].endswith("/blobServices/default/containers/models")


def test_outputs_are_the_cell_contract(prod):
    cell = prod.report["outputs"][NAME]
    assert cell["cloud"] == "azure" and cell["region"] == "centralindia" and cell["residency"] == "in"
    assert cell["health_path"] == "/health"
    # No DNS label on the public IP (a namespace shared by every customer): the cell's own name in the zone.
    assert cell["endpoint_hostname"] == f"{NAME}.inference.example.com"
    assert ipaddress.ip_address(cell["endpoint_ip"])
    assert cell["bucket_uri"].startswith("https://st") and cell["bucket_uri"].endswith(".blob.core.windows.net/models")
    assert cell["cluster_name"] == f"{NAME}-aks"
    kubeconfig = prod.report["outputs"][NAME + "_kubeconfig"]
    assert "kubelogin" in kubeconfig and "clusterUser_" in kubeconfig
    assert "devicecode" not in kubeconfig and '"azurecli"' in kubeconfig
    assert len(cell["workload_identity"]) == 36  # the workload identity's client id


def test_kubeconfig_is_a_secret(dev):
    assert dev.report["outputs"][NAME + "_kubeconfig"] == "[secret]"
    assert "kubeconfig" not in dev.report["outputs"][NAME]


def test_prod_protects_stateful_resources(prod):
    stateful = (mine(prod, "azure-native:keyvault:Vault") + mine(prod, "azure-native:keyvault:Key")
                + mine(prod, "azure-native:storage:StorageAccount") + mine(prod, "azure-native:containerservice:ManagedCluster")
                + mine(prod, "azure-native:resources:ResourceGroup") + mine(prod, DES))
    assert len({r["type"] for r in stateful}) == 6 and len(stateful) == 8  # 3 keys
    assert all(r["protect"] for r in stateful), [r["name"] for r in stateful if not r["protect"]]
    assert not any(r["protect"] for r in mine(prod, "azure-native:network:ApplicationGateway"))
    assert one(prod, "azure-native:containerservice:ManagedCluster")["agentPoolProfiles"][1]["minCount"] == 3


def test_dev_protects_nothing(dev):
    _, res = cell_resources(dev)
    assert not any(r["protect"] for r in res)


def test_schema_conformance_of_every_azure_resource(dev, prod, two_cells):
    for run in (dev, prod, two_cells):
        for r in run.resources:
            if r["type"].startswith("azure-native:"):
                assert schema_check.violations(r) == [], (r["type"], r["name"])


def test_second_cell_gets_its_own_provider_vault_account_and_cluster(two_cells):
    for t in ("pulumi:providers:azure-native", "azure-native:keyvault:Vault", "azure-native:storage:StorageAccount",
              "azure-native:containerservice:ManagedCluster", "azure-native:resources:ResourceGroup", DES):
        assert len(two_cells.of_type(t)) == 2, t
        assert len(mine(two_cells, t, "azure-brazilsouth")) == 1, t
    locations = {r["inputs"]["location"] for r in two_cells.of_type("pulumi:providers:azure-native")}
    assert locations == {"centralindia", "brazilsouth"}
    names = [r["inputs"]["vaultName"] for r in two_cells.of_type("azure-native:keyvault:Vault")]
    assert len(set(names)) == 2 and all(3 <= len(n) <= 24 for n in names)
    for cell in (NAME, "azure-brazilsouth"):
        assert one(two_cells, "azure-native:containerservice:ManagedCluster", cell)["diskEncryptionSetID"] == \
            resource(two_cells, DES, cell)["id"]
        assert resource(two_cells, DES, cell)["inputs"]["activeKey"]["sourceVault"]["id"] == \
            resource(two_cells, "azure-native:keyvault:Vault", cell)["id"]
    accounts = [r["inputs"]["accountName"] for r in two_cells.of_type("azure-native:storage:StorageAccount")]
    assert len(set(accounts)) == 2 and all(a.isalnum() and a.islower() and len(a) <= 24 for a in accounts)


def test_brazilsouth_geo_redundancy_stays_in_zone(two_cells):
    # brazilsouth's pair is southcentralus (zone `us`): GRS/GZRS would copy Brazilian data out.
    acct = one(two_cells, "azure-native:storage:StorageAccount", "azure-brazilsouth")
    assert acct["sku"] == {"name": "Standard_ZRS"}
    tags = acct["tags"]
    assert tags["residency"] == "br" and tags["cell"] == "azure-brazilsouth"


@pytest.mark.parametrize("region,geo,sku", [
    ("centralindia", True, "Standard_GZRS"),    # pair southindia: same zone, region has AZs
    ("southindia", True, "Standard_GRS"),       # pair centralindia: same zone, no AZs
    ("centralindia", False, "Standard_ZRS"),
    ("brazilsouth", True, "Standard_ZRS"),      # pair leaves the zone
    ("italynorth", True, "Standard_ZRS"),       # no pair at all
    ("westus", True, "Standard_GRS"),           # pair eastus is in `us`
    ("ukwest", False, "Standard_LRS"),          # no AZs
])
def test_replication_sku(region, geo, sku):
    from components.clouds.azure.bucket import replication_sku

    assert replication_sku(region, geo) == sku


def test_aws_region_name_for_an_azure_cell_is_a_config_error(tmp_path):
    config = copy.deepcopy(stack_config("dev"))
    azure = next(i for i, c in enumerate(config["platform:cells"]) if c["cloud"] == "azure")
    config["platform:cells"][azure]["region"] = "ap-south-1"
    run = preview_config(config, tmp_path)
    assert run.returncode == 2, run.stderr
    assert f"platform:cells[{azure}].region" in run.stderr
    assert "ap-south-1" in run.stderr and "centralindia" in run.stderr
    assert run.report is None or not run.resources


def test_network_cidr_overlapping_cluster_ranges_is_rejected():
    from components.clouds.azure.network import AddressPlan
    from components.core.config import ConfigError

    with pytest.raises(ConfigError, match="network_cidr.*overlaps"):
        AddressPlan.of("c", "172.16.0.0/16")
    with pytest.raises(ConfigError, match="/22 or larger"):
        AddressPlan.of("c", "10.0.0.0/24")
    plan = AddressPlan.of("c", "10.30.0.0/16")
    assert (plan.aks, plan.gateway, plan.apiserver, plan.ilb_ip) == (
        "10.30.0.0/17", "10.30.128.0/24", "10.30.129.0/28", "10.30.127.250")


# ---- The API server subnet's NSG ----------------------------------------------------------------------

def test_apiserver_subnet_nsg_admits_the_documented_flows_and_denies_the_internet(dev):
    nsg = [n for n in mine(dev, "azure-native:network:NetworkSecurityGroup") if n["name"].endswith("apiserver-nsg")]
    (nsg,) = nsg
    rules = {r["name"]: r for r in nsg["inputs"]["securityRules"]}
    assert rules["allow-nodes-to-apiserver"]["destinationPortRanges"] == ["443", "4443"]
    assert rules["allow-lb-probe-to-apiserver"]["sourceAddressPrefix"] == "AzureLoadBalancer"
    assert rules["allow-lb-probe-to-apiserver"]["destinationPortRanges"] == ["9988"]
    assert rules["deny-internet"]["sourceAddressPrefix"] == "Internet" and rules["deny-internet"]["priority"] == 4000
    assert all(r["priority"] < 4000 for n, r in rules.items() if r["access"] == "Allow")
