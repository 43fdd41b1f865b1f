"""The Azure apply rules (components/clouds/azure/apply.py): each fails on a real SDK program that breaks it and
passes on the same program fixed, under the offline engine (one small program, two stacks)."""
from __future__ import annotations

import pytest

from offline_helpers import offline, program_project

PROGRAM = '''
import pulumi, pulumi_azure_native as az, pulumi_kubernetes as k8s
import pulumiverse_time as time
GOOD = pulumi.get_stack() == "good"
dep = lambda *rs: pulumi.ResourceOptions(depends_on=[r for r in rs if r is not None])

rg = az.resources.ResourceGroup("rg", resource_group_name="rg-a")
vault = az.keyvault.Vault("kv", vault_name="kv-a-1", resource_group_name=rg.name, properties={
    "tenant_id": "00000000-0000-4000-8000-000000000002", "sku": {"family": "A", "name": "standard"},
    "enable_rbac_authorization": True})
# The gateway's certificate: a secret the stack writes (good) or one an App Service order fills later (bad).
secret = az.keyvault.Secret("tls", secret_name="tls-endpoint", vault_name="kv-a-1", resource_group_name=rg.name,
    properties={"value": "MIIK", "content_type": "application/x-pkcs12"}, opts=dep(vault)) if GOOD else None
az.network.ApplicationGateway("agw", application_gateway_name="agw", resource_group_name=rg.name,
    sku={"name": "WAF_v2", "tier": "WAF_v2"},
    ssl_certificates=[{"name": "endpoint", "key_vault_secret_id": "https://kv-a-1.vault.azure.net/secrets/tls-endpoint"}],
    opts=dep(secret))

# AKS with Entra ID + Azure RBAC only; node OS disks through a disk encryption set.
aks = az.containerservice.ManagedCluster("aks", resource_name_="aks-a", resource_group_name=rg.name, dns_prefix="aks",
    disable_local_accounts=True, aad_profile={"managed": True, "enable_azure_rbac": True},
    disk_encryption_set_id="/subscriptions/s/resourceGroups/rg-a/providers/Microsoft.Compute/diskEncryptionSets/des",
    agent_pool_profiles=[{"name": "system", "mode": "System", "count": 1, "vm_size": "Standard_D4ds_v5",
                          **({"os_disk_type": "Managed"} if GOOD else {})}],
    identity={"type": "SystemAssigned"})
admin = az.authorization.RoleAssignment("aks-deployer-admin", principal_id="0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
    principal_type="ServicePrincipal", scope=aks.id,
    role_definition_id="/providers/Microsoft.Authorization/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b")
wait = time.Sleep("aks-deployer-propagated", create_duration="120s", opts=dep(admin)) if GOOD else None
kubeconfig = pulumi.Output.all(aks.name, wait.id if wait else "").apply(lambda a: a[0])
prov = k8s.Provider("aks-k8s", kubeconfig=kubeconfig, opts=dep(aks))
k8s.core.v1.Namespace("ns", metadata={"name": "inference"}, opts=pulumi.ResourceOptions(provider=prov))

# Key Vault events as Azure Monitor alerts: only CloudEvents v1.0 is accepted by that destination.
topic = az.eventgrid.SystemTopic("kv-events", system_topic_name="kv-events", resource_group_name=rg.name,
    source=vault.id, topic_type="Microsoft.KeyVault.vaults")
az.eventgrid.SystemTopicEventSubscription("kv-expiry", event_subscription_name="kv-expiry",
    system_topic_name=topic.name, resource_group_name=rg.name,
    event_delivery_schema="CloudEventSchemaV1_0" if GOOD else "EventGridSchema",
    filter={"included_event_types": ["Microsoft.KeyVault.KeyNearExpiry"]},
    destination={"endpoint_type": "MonitorAlert", "severity": "Sev1", "description": "key expires"})

# Issue #31. A Key Vault data-plane grant waits Key Vault's documented latency (600 s), not 120 s.
kv_user = az.authorization.RoleAssignment("kv-secrets-user", principal_id="1b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
    principal_type="ServicePrincipal", scope=vault.id,
    role_definition_id="/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6")
time.Sleep("kv-secrets-user-propagated", create_duration="600s" if GOOD else "120s", opts=dep(kv_user))
# Rotation actions as Key Vault returns them.
az.keyvault.Key("etcd", key_name="etcd-cmk", vault_name="kv-a-1", resource_group_name=rg.name, properties={
    "kty": "RSA-HSM", "key_size": 2048, "rotation_policy": {"lifetime_actions": [
        {"action": {"type": "Rotate" if GOOD else "rotate"}, "trigger": {"time_after_create": "P90D"}},
        {"action": {"type": "Notify" if GOOD else "notify"}, "trigger": {"time_before_expiry": "P30D"}}]}},
    opts=dep(vault))
# KMS with a private vault, through API Server VNet Integration (good) or without it (bad); the API server
# subnet's NSG admits what AKS needs before its deny (good) or denies it first (bad).
vnet = az.network.VirtualNetwork("vnet", virtual_network_name="vnet", resource_group_name=rg.name,
    address_space={"address_prefixes": ["10.0.0.0/16"]})
nsg = az.network.NetworkSecurityGroup("apiserver-nsg", network_security_group_name="apiserver-nsg",
    resource_group_name=rg.name, security_rules=([
        {"name": "allow-nodes", "priority": 100, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
         "source_address_prefix": "10.0.0.0/17", "source_port_range": "*", "destination_address_prefix": "*",
         "destination_port_ranges": ["443", "4443"]},
        {"name": "allow-lb", "priority": 110, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
         "source_address_prefix": "AzureLoadBalancer", "source_port_range": "*", "destination_address_prefix": "*",
         "destination_port_range": "9988"}] if GOOD else []) + [
        {"name": "deny-all", "priority": 4000, "direction": "Inbound", "access": "Deny", "protocol": "*",
         "source_address_prefix": "Internet" if GOOD else "*", "source_port_range": "*",
         "destination_address_prefix": "*", "destination_port_range": "*"}])
api_subnet = az.network.Subnet("apiserver", subnet_name="apiserver", virtual_network_name=vnet.name,
    resource_group_name=rg.name, address_prefix="10.0.255.0/28", network_security_group={"id": nsg.id},
    delegations=[{"name": "aks", "service_name": "Microsoft.ContainerService/managedClusters"}])
az.containerservice.ManagedCluster("aks-kms", resource_name_="aks-kms", resource_group_name=rg.name, dns_prefix="kms",
    identity={"type": "SystemAssigned"},
    agent_pool_profiles=[{"name": "system", "mode": "System", "count": 1, "vm_size": "Standard_D4ds_v5"}],
    api_server_access_profile={"enable_vnet_integration": GOOD, "subnet_id": api_subnet.id},
    security_profile={"azure_key_vault_kms": {"enabled": True, "key_id": "https://kv-a-1.vault.azure.net/keys/etcd-cmk/1",
                                              "key_vault_network_access": "Private", "key_vault_resource_id": vault.id}})
# An ACME DNS-01 certificate in a zone the stack creates and delegates waits for the NS record (good).
import pulumi_aws as aws, pulumiverse_acme as acme
zone = aws.route53.Zone("zone", name="dev.example.com")
ns = aws.route53.Record("delegation", zone_id="ZPARENT0000001", name="dev.example.com", type="NS", ttl=172800,
    records=zone.name_servers)
zone_id = pulumi.Output.all(zone.zone_id, ns.id).apply(lambda a: a[0]) if GOOD else zone.zone_id
acme_provider = acme.Provider("acme", server_url="https://acme-staging-v02.api.letsencrypt.org/directory")
acme.Certificate("cert", account_key_pem="k", common_name="in.dev.example.com",
    dns_challenges=[{"provider": "route53", "config": {"AWS_HOSTED_ZONE_ID": zone_id}}],
    opts=pulumi.ResourceOptions(provider=acme_provider))
'''

RULES = ("azure-appgw-secret-exists", "azure-aks-deployer-access", "azure-aks-ephemeral-os-disk-cmk",
         "azure-monitor-alert-destination",
         "azure-key-vault-role-latency", "azure-key-rotation-action-casing",
         "azure-kms-private-vault-needs-vnet-integration", "azure-apiserver-subnet-nsg",
         "azure-acme-waits-for-delegation")
CONFIG = {"azure-native:location": "westeurope", "platform:environment": "dev", "aws:region": "us-east-1",
          "platform:deployer": {"in_network": True, "azure_object_id": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"}}


def _run(tmp_path, stack):
    proj = program_project(tmp_path, stack, PROGRAM, CONFIG, name="applytest")
    run = offline(["preview", stack, "--quiet", "--project-dir", str(proj), "--assume-applied"], tmp_path)
    assert run.report is not None, run.stderr
    return run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return {s: _run(tmp_path_factory.mktemp(s), s) for s in ("bad", "good")}


def test_the_rules_are_registered_with_their_documentation():
    from offline import apply

    rules = apply.load_all()
    for rid in RULES:
        assert rules[rid].doc.startswith(("https://learn.microsoft.com/", "https://letsencrypt.org/")), rid
    assert rules["azure-aks-ephemeral-os-disk-cmk"].level == "warning"


@pytest.mark.parametrize("rule_id", RULES)
def test_rule_fails_on_the_broken_program(runs, rule_id):
    found = [f for f in runs["bad"].report["apply"] if f["rule"] == rule_id]
    assert found, [f["rule"] for f in runs["bad"].report["apply"]]


@pytest.mark.parametrize("rule_id", RULES)
def test_rule_passes_on_the_fixed_program(runs, rule_id):
    assert not [f for f in runs["good"].report["apply"] if f["rule"] == rule_id]


def test_messages_name_the_fix(runs):
    by_rule = {f["rule"]: f["message"] for f in runs["bad"].report["apply"]}
    assert "tls-endpoint" in by_rule["azure-appgw-secret-exists"] and "keyvault.Secret" in by_rule["azure-appgw-secret-exists"]
    assert "time.Sleep" in by_rule["azure-aks-deployer-access"]
    assert "osDiskType: Managed" in by_rule["azure-aks-ephemeral-os-disk-cmk"]
    assert "CloudEventSchemaV1_0" in by_rule["azure-monitor-alert-destination"]


def test_monitor_alerts_only_from_a_key_vault_topic():
    from offline.apply import Graph, RULES as ALL

    topic = {"urn": "urn:t", "type": "azure-native:eventgrid:SystemTopic", "name": "t", "dependencies": [],
             "inputs": {"systemTopicName": "t", "topicType": "Microsoft.Storage.StorageAccounts"}}
    sub = {"urn": "urn:s", "type": "azure-native:eventgrid:SystemTopicEventSubscription", "name": "s",
           "dependencies": [], "inputs": {"systemTopicName": "t", "eventDeliverySchema": "CloudEventSchemaV1_0",
                                          "destination": {"endpointType": "MonitorAlert"}}}
    (finding,) = list(ALL["azure-monitor-alert-destination"].check(Graph([topic, sub], [], {}, "s")))
    assert "Key Vault system topics" in finding.message
    vault_topic = dict(topic, inputs={**topic["inputs"], "topicType": "Microsoft.KeyVault.vaults"})
    assert not list(ALL["azure-monitor-alert-destination"].check(Graph([vault_topic, sub], [], {}, "s")))


def test_no_grant_at_all_is_named(tmp_path):
    """Without the deployer's assignment and without admin groups, the rule says what to grant."""
    from offline.apply import Graph, RULES as ALL

    cluster = {"urn": "urn:c", "type": "azure-native:containerservice:ManagedCluster", "name": "aks",
               "inputs": {"disableLocalAccounts": True, "aadProfile": {"enableAzureRBAC": True}}, "dependencies": []}
    provider = {"urn": "urn:p", "type": "pulumi:providers:kubernetes", "name": "k", "inputs": {},
                "dependencies": ["urn:c"]}
    g = Graph([cluster, provider], [], {"platform:deployer": '{"in_network": true}'}, "s")
    (finding,) = list(ALL["azure-aks-deployer-access"].check(g))
    assert "Azure Kubernetes Service RBAC Cluster Admin" in finding.message
    groups = dict(cluster, inputs={**cluster["inputs"], "aadProfile": {"enableAzureRBAC": True,
                                                                       "adminGroupObjectIDs": ["g"]}})
    assert not list(ALL["azure-aks-deployer-access"].check(Graph([groups, provider], [], g.config, "s")))


def test_issue_31_messages_name_the_fix(runs):
    by_rule = {}
    for f in runs["bad"].report["apply"]:
        by_rule.setdefault(f["rule"], []).append(f["message"])
    assert any("createDuration: 600s" in m for m in by_rule["azure-key-vault-role-latency"])
    assert any("send 'Rotate'" in m for m in by_rule["azure-key-rotation-action-casing"])
    assert any("send 'Notify'" in m for m in by_rule["azure-key-rotation-action-casing"])
    assert any("enableVnetIntegration" in m for m in by_rule["azure-kms-private-vault-needs-vnet-integration"])
    nsg = by_rule["azure-apiserver-subnet-nsg"]
    assert {p for p in ("9988", "443", "4443") if any(f"port {p} " in m for m in nsg)} == {"9988", "443", "4443"}
    assert any("Output.all(zone_id, record.id)" in m for m in by_rule["azure-acme-waits-for-delegation"])


def test_the_stacks_pass_the_issue_31_rules(tmp_path):
    """dev (the stack with a created, delegated zone and an Azure cell) is clean of the new rules."""
    from offline_helpers import preview_stack

    run = preview_stack("dev", tmp_path)
    new = {"azure-key-vault-role-latency", "azure-key-rotation-action-casing",
           "azure-kms-private-vault-needs-vnet-integration", "azure-apiserver-subnet-nsg", "azure-acme-waits-for-delegation"}
    assert [f for f in run.report["apply"] if f["rule"] in new] == []
