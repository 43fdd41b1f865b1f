"""Azure cell: what a first `pulumi up` in a fresh subscription needs, pinned by wire name.

Each test names the failure of a real `up` it prevents; the runs are the cached dev/prod previews plus one
deployable variant of dev with every Azure setting away from its default."""
from __future__ import annotations

import copy
import json
import time
from types import SimpleNamespace

import pytest
import yaml

from components.core import config
from components.core.config import ConfigError
from offline_helpers import REPO, offline, preview_config, preview_stack, stack_config
from test_azure_cell import NAME, dev, grants, mine, one, prod, resource  # noqa: F401 (dev, prod: fixtures)
from test_deployer import OID, deployable_dev

SLEEP = "time:index/sleep:Sleep"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
AKS = "azure-native:containerservice:ManagedCluster"
AKS_RBAC_CLUSTER_ADMIN = "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"
ADMINS = "11111111-2222-4333-8444-555555555555"
SETTINGS = {
    "name_suffix": "blue2",
    "admin_group_object_ids": [ADMINS],
    "kubelogin": "workloadidentity",
    "deployer_principal_type": "User",
    "encryption_at_host": False,
    "defender": False,
    "maintenance_window": {"day": "Saturday", "start_hour": 22, "duration_hours": 6},
    "waf": {"max_request_body_kb": 1024, "request_body_inspect_limit_kb": 256, "request_body_enforcement": False,
            "exclusions": [{"match_variable": "RequestArgNames", "selector_match_operator": "Equals",
                            "selector": "prompt"}]},
    "acme": {"email": "platform@example.com", "min_days_remaining": 21,
             "server_url": "https://acme-staging-v02.api.letsencrypt.org/directory"},
    "key_event_alerts": False,
}


def _deployable_with_settings() -> dict:
    cfg = deployable_dev()
    cell = next(c for c in cfg["platform:cells"] if c["cloud"] == "azure")
    cell["azure"] = copy.deepcopy(SETTINGS)
    return cfg


@pytest.fixture(scope="module")
def custom(tmp_path_factory):
    run = preview_config(_deployable_with_settings(), tmp_path_factory.mktemp("azure-custom"))
    assert run.returncode == 0, run.stderr
    return run


# ---- Would fail: NSG rules ------------------------------------------------------------------------

def test_nsg_star_only_in_the_single_value_port_range(dev):
    rules = [r for nsg in mine(dev, "azure-native:network:NetworkSecurityGroup") for r in nsg["inputs"]["securityRules"]]
    assert len(rules) == 8  # + the API server subnet's documented allows
    for r in rules:
        assert "*" not in (r.get("destinationPortRanges") or []) and "*" not in (r.get("sourcePortRanges") or []), r
        assert r["sourcePortRange"] == "*"
        # Exactly one of the two destination forms.
        assert ("destinationPortRange" in r) != ("destinationPortRanges" in r), r
    by_name = {(r["name"], r["priority"]): r for r in rules}
    assert by_name[("allow-azure-load-balancer", 110)]["destinationPortRange"] == "*"
    assert by_name[("allow-web", 120)]["destinationPortRanges"] == ["80", "443"]
    assert all(r["destinationPortRange"] == "*" for (n, _), r in by_name.items() if n == "deny-internet")


# ---- Would fail: role assignments used before they propagate ---------------------------------------

def test_no_consumer_uses_a_role_assignment_before_it_propagates(dev):
    assignments = {r["urn"] for r in grants(dev)}
    sleeps = {r["urn"]: r for r in mine(dev, SLEEP)}
    # storage CMK, cluster (KMS, subnets, disk encryption set), gateway secret reader, workload blob reader
    assert len(sleeps) == 4
    # Key Vault data-plane roles: Key Vault's documented 600 s; ARM roles 120 s.
    expected = {"storage-key-user-propagated": "600s", "aks-grants-propagated": "600s",
                "gateway-cert-reader-propagated": "600s", "workload-propagated": "120s"}
    assert {s["name"].removeprefix(NAME + "-"): s["inputs"]["createDuration"] for s in sleeps.values()} == expected
    for s in sleeps.values():
        assert set(s["dependencies"]) & assignments, s["name"]
    _, res = (None, [r for r in dev.resources if r["type"].startswith(("azure-native:", "kubernetes:"))])
    for r in res:
        if r["type"] != ROLE_ASSIGNMENT:
            assert not set(r["dependencies"]) & assignments, (r["name"], set(r["dependencies"]) & assignments)
    waits = {
        "storage": "-storage-key-user-propagated",
        "aks": "-aks-grants-propagated",
        "appgw": "-gateway-cert-reader-propagated",
    }
    for consumer, wait in waits.items():
        (w,) = [s for s in sleeps.values() if s["name"].endswith(wait)]
        assert w["urn"] in resource(dev, _type_of(consumer), suffix=f"-{consumer}")["dependencies"], consumer
    storage_wait = next(s for s in sleeps.values() if s["name"].endswith(waits["storage"]))
    key_user = resource(dev, ROLE_ASSIGNMENT, suffix="-storage-key-user")
    assert storage_wait["dependencies"] == [key_user["urn"]] or key_user["urn"] in storage_wait["dependencies"]


def _type_of(consumer: str) -> str:
    return {"storage": "azure-native:storage:StorageAccount", "aks": AKS,
            "appgw": "azure-native:network:ApplicationGateway"}[consumer]


# ---- Would fail: names -----------------------------------------------------------------------------

def _names(run):
    return {
        "rg": one(run, "azure-native:resources:ResourceGroup")["resourceGroupName"],
        "vault": one(run, "azure-native:keyvault:Vault")["vaultName"],
        "account": one(run, "azure-native:storage:StorageAccount")["accountName"],
        "nodes": one(run, AKS)["nodeResourceGroup"],
    }


def test_physical_names_are_unique_per_stack_and_urns_stay(dev, prod, custom):
    d, p, c = _names(dev), _names(prod), _names(custom)
    for key in d:
        assert len({d[key], p[key], c[key]}) == 3, key  # dev, prod and a re-created dev never collide
    assert c["rg"] == f"{NAME}-blue2-rg" and c["nodes"] == f"{NAME}-blue2-aks-nodes"
    assert 3 <= len(c["vault"]) <= 24 and 3 <= len(c["account"]) <= 24 and c["account"].isalnum()
    # The Pulumi names (URNs) are those of before: only physical names moved.
    for run in (dev, prod, custom):
        assert resource(run, "azure-native:resources:ResourceGroup")["name"] == f"{NAME}-rg"
        assert resource(run, "azure-native:keyvault:Vault")["name"] == f"{NAME}-vault"
        assert resource(run, "azure-native:storage:StorageAccount")["name"] == f"{NAME}-storage"


def test_public_ip_has_no_dns_label(dev):
    assert "dnsSettings" not in one(dev, "azure-native:network:PublicIPAddress")


def test_legacy_names_keep_the_names_of_existing_stacks():
    from components.clouds.azure import common, settings

    spec = SimpleNamespace(name=NAME, environment="prod", azure=settings.parse({"legacy_names": True}))
    assert common.subscription_name(spec, "rg") == f"{NAME}-rg"
    assert common.global_name(spec, "kv", 24, hyphens=True) == "azure-centrali-kv9698ef"  # the name main gave prod
    explicit = SimpleNamespace(name=NAME, environment="prod", azure=settings.parse({"name_suffix": "x1"}))
    assert common.subscription_name(explicit, "rg") == f"{NAME}-x1-rg"
    assert common.global_name(explicit, "kv", 24, hyphens=True) != common.global_name(spec, "kv", 24, hyphens=True)


# ---- Would fail: Kubernetes access -----------------------------------------------------------------

def test_deployer_is_cluster_admin_and_the_kubeconfig_waits_for_it(custom):
    aks = resource(custom, AKS)
    (admin,) = [r for r in grants(custom) if r["inputs"]["roleDefinitionId"].endswith("/" + AKS_RBAC_CLUSTER_ADMIN)]
    assert admin["inputs"]["principalId"] == OID and admin["inputs"]["scope"] == aks["id"]
    assert admin["inputs"]["principalType"] == "User"  # from azure.deployer_principal_type
    (wait,) = [s for s in mine(custom, SLEEP) if admin["urn"] in s["dependencies"]]
    # The workload in this cell waits for the grant to propagate (WorkloadExposure.wait_for).
    (deployment,) = mine(custom, "kubernetes:apps/v1:Deployment")
    assert wait["urn"] in deployment["dependencies"] and aks["urn"] in deployment["dependencies"]
    assert aks["inputs"]["aadProfile"]["adminGroupObjectIDs"] == [ADMINS]


def test_no_deployer_no_grant(dev):
    assert not [r for r in grants(dev) if r["inputs"]["roleDefinitionId"].endswith("/" + AKS_RBAC_CLUSTER_ADMIN)]
    assert "adminGroupObjectIDs" not in one(dev, AKS)["aadProfile"]


def test_kubeconfig_logs_in_without_a_human():
    from components.clouds.azure.cluster import non_interactive

    # What AKS returns for `format=exec` (kubelogin convert-kubeconfig input): devicecode.
    raw = yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "users": [{"name": "u", "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "kubelogin",
        "args": ["get-token", "--login", "devicecode", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630",
                 "--client-id", "80faf920-1908-4b52-b5ef-a8e7bedfc67a", "--tenant-id", "t",
                 "--environment", "AzurePublicCloud"]}}}]})
    for mode in ("azurecli", "workloadidentity"):
        user = json.loads(non_interactive(raw, mode))["users"][0]["user"]["exec"]
        assert user["args"] == ["get-token", "--login", mode, "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]
        assert user["interactiveMode"] == "Never"


def test_kubeconfig_mode_from_config(custom):
    kubeconfig = custom.report["outputs"].get(NAME + "_kubeconfig")
    if kubeconfig == "[secret]":  # masked in this run: the mode is pinned by the unit test above
        return
    assert "workloadidentity" in kubeconfig and "devicecode" not in kubeconfig


# ---- Would deploy but drift ------------------------------------------------------------------------

def test_pools_use_managed_os_disks_and_encryption_at_host_from_config(dev, custom):
    for run, at_host in ((dev, True), (custom, False)):
        for pool in one(run, AKS)["agentPoolProfiles"]:
            assert pool["osDiskType"] == "Managed"
            assert pool["enableEncryptionAtHost"] is at_host
            assert pool["enableAutoScaling"] is True


def test_maintenance_window_and_defender_from_config(dev, custom):
    windows = {r["inputs"]["configName"]: r["inputs"] for r in mine(dev, "azure-native:containerservice:MaintenanceConfiguration")}
    assert set(windows) == {"aksManagedAutoUpgradeSchedule", "aksManagedNodeOSUpgradeSchedule"}
    for w in windows.values():
        mw = w["maintenanceWindow"]
        assert mw["schedule"]["weekly"] == {"dayOfWeek": "Sunday", "intervalWeeks": 1}
        assert (mw["startTime"], mw["utcOffset"], mw["durationHours"]) == ("02:00", "+00:00", 4)
        assert w["resourceName"] == one(dev, AKS)["resourceName"]
    for w in mine(custom, "azure-native:containerservice:MaintenanceConfiguration"):
        mw = w["inputs"]["maintenanceWindow"]
        assert mw["schedule"]["weekly"]["dayOfWeek"] == "Saturday" and mw["startTime"] == "22:00"
        assert mw["durationHours"] == 6
    assert one(dev, AKS)["securityProfile"]["defender"]["securityMonitoring"] == {"enabled": True}
    assert "defender" not in one(custom, AKS)["securityProfile"]


def test_waf_body_limits_and_exclusions_from_config(dev, custom):
    waf = one(dev, "azure-native:network:WebApplicationFirewallPolicy")
    ps = waf["policySettings"]
    assert (ps["mode"], ps["requestBodyCheck"], ps["maxRequestBodySizeInKb"], ps["requestBodyInspectLimitInKB"],
            ps["requestBodyEnforcement"], ps["fileUploadLimitInMb"]) == ("Prevention", True, 2000, 128, True, 100)
    assert "exclusions" not in waf["managedRules"]
    ps = one(custom, "azure-native:network:WebApplicationFirewallPolicy")["policySettings"]
    assert (ps["maxRequestBodySizeInKb"], ps["requestBodyInspectLimitInKB"], ps["requestBodyEnforcement"]) == \
        (1024, 256, False)
    (exclusion,) = one(custom, "azure-native:network:WebApplicationFirewallPolicy")["managedRules"]["exclusions"]
    assert exclusion == {"matchVariable": "RequestArgNames", "selectorMatchOperator": "Equals", "selector": "prompt"}


def test_acme_settings_from_config(custom):
    cert = one(custom, "acme:index/certificate:Certificate")
    assert cert["minDaysRemaining"] == 21
    assert one(custom, "acme:index/registration:Registration")["emailAddress"] == "platform@example.com"
    (provider,) = custom.of_type("pulumi:providers:acme")
    assert provider["inputs"]["serverUrl"].startswith("https://acme-staging-v02.")


def test_diagnostic_settings_send_audit_logs_to_the_cell_workspace(dev):
    workspace = resource(dev, "azure-native:operationalinsights:Workspace")
    assert workspace["inputs"]["location"] == "centralindia" and workspace["inputs"]["retentionInDays"] == 30
    settings = {r["name"]: r["inputs"] for r in mine(dev, "azure-native:monitor:DiagnosticSetting")}
    categories = {n.removeprefix(f"{NAME}-").removesuffix("-diagnostics"): {l["category"] for l in s["logs"]}
                  for n, s in settings.items()}
    assert categories == {"aks": {"kube-audit", "guard"}, "vault": {"AuditEvent"},
                          "appgw": {"ApplicationGatewayFirewallLog", "ApplicationGatewayAccessLog"},
                          "blob": {"StorageRead", "StorageWrite", "StorageDelete"}}
    for s in settings.values():
        assert s["workspaceId"] == workspace["id"] and all(l["enabled"] for l in s["logs"])
    uris = {n.removeprefix(f"{NAME}-").removesuffix("-diagnostics"): s["resourceUri"] for n, s in settings.items()}
    assert uris["aks"] == resource(dev, AKS)["id"]
    assert uris["vault"] == resource(dev, "azure-native:keyvault:Vault")["id"]
    assert uris["appgw"] == resource(dev, "azure-native:network:ApplicationGateway")["id"]
    assert uris["blob"] == resource(dev, "azure-native:storage:StorageAccount")["id"] + "/blobServices/default"
    assert settings[f"{NAME}-aks-diagnostics"]["logAnalyticsDestinationType"] == "Dedicated"


def test_drain_seconds_follow_the_gateway_probe_and_connection_draining(dev):
    gw = one(dev, "azure-native:network:ApplicationGateway")
    (probe,) = gw["probes"]
    (settings,) = gw["backendHttpSettingsCollection"]
    assert settings["connectionDraining"] == {"enabled": True, "drainTimeoutInSec": 30}
    drain = probe["interval"] * probe["unhealthyThreshold"] + settings["connectionDraining"]["drainTimeoutInSec"]
    (deployment,) = mine(dev, "kubernetes:apps/v1:Deployment")
    pod = deployment["inputs"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["lifecycle"]["preStop"]["sleep"]["seconds"] == drain == 60
    assert pod["terminationGracePeriodSeconds"] == drain + 30
    # The pods wait for the cluster (its pools) and for their identity's federation and grant.
    deps = set(resource(dev, "kubernetes:apps/v1:Deployment")["dependencies"])
    assert resource(dev, AKS)["urn"] in deps
    (wait,) = [s for s in mine(dev, SLEEP) if s["urn"] in deps]
    assert resource(dev, "azure-native:managedidentity:FederatedIdentityCredential")["urn"] in wait["dependencies"]
    assert resource(dev, ROLE_ASSIGNMENT, suffix="-workload-blob-reader")["urn"] in wait["dependencies"]


# ---- Config errors ---------------------------------------------------------------------------------

def _load(cfg):
    return config.load("dev", cfg)


@pytest.mark.parametrize("key,value,expect", [
    ("kubelogin", "devicecode", "azure.kubelogin"),
    ("waf", {"max_request_body_kb": 4096}, "azure.waf.max_request_body_kb"),
    ("maintenance_window", {"duration_hours": 2}, "azure.maintenance_window.duration_hours"),
    ("admin_group_object_ids", ["admins"], "azure.admin_group_object_ids[0]"),
    ("colour", "blue", "azure.colour"),
])
def test_bad_azure_settings_name_the_stack_key_and_what_is_allowed(key, value, expect):
    cfg = copy.deepcopy(stack_config("dev"))
    i = next(i for i, c in enumerate(cfg["platform:cells"]) if c["cloud"] == "azure")
    cfg["platform:cells"][i]["azure"] = {key: value}
    with pytest.raises(ConfigError) as err:
        _load(cfg)
    assert f"stack 'dev': platform:cells[{i}].{expect}" in str(err.value), str(err.value)


def test_azure_settings_on_another_cloud_are_refused():
    cfg = copy.deepcopy(stack_config("dev"))
    i = next(i for i, c in enumerate(cfg["platform:cells"]) if c["cloud"] == "aws")
    cfg["platform:cells"][i]["azure"] = {"defender": False}
    with pytest.raises(ConfigError, match=rf"platform:cells\[{i}\]\.azure.*only on azure cells"):
        _load(cfg)


def test_managed_rules_in_count_mode_are_refused_with_azure_cells():
    """App Gateway's WAF policy mode covers custom rules too; counting the managed sets would let
    refused countries through, so `count` is a config error naming the stack, the key and what is allowed."""
    cfg = copy.deepcopy(stack_config("dev"))
    cfg["platform:edge"] = {"managed_rules": "count"}
    with pytest.raises(ConfigError) as err:
        _load(cfg)
    assert "stack 'dev': platform:edge.managed_rules" in str(err.value)
    assert "Allowed with Azure cells: block" in str(err.value)
    cfg["platform:cells"] = [c for c in cfg["platform:cells"] if c["cloud"] != "azure"]
    assert _load(cfg).edge.managed_rules == "count"  # the other clouds count their managed sets


def test_legacy_names_and_a_suffix_together_are_refused():
    cfg = copy.deepcopy(stack_config("dev"))
    i = next(i for i, c in enumerate(cfg["platform:cells"]) if c["cloud"] == "azure")
    cfg["platform:cells"][i]["azure"] = {"legacy_names": True, "name_suffix": "a1"}
    with pytest.raises(ConfigError, match=rf"cells\[{i}\]\.azure\.legacy_names.*one of the two"):
        _load(cfg)


# ---- Apply checks ------------------------------------------------------------------------------------

def test_no_azure_apply_finding_on_the_azure_stacks_and_the_deployable_variant(dev, prod, custom):
    for run in (dev, prod, custom):
        azure = [f for f in run.report["apply"] if f["rule"].startswith("azure-") or NAME in f["urn"]
                 and f["level"] == "error" and not f.get("exempted")]
        assert azure == [], azure


def test_server_managed_aks_fields_are_ignored(dev):
    """The `stable` channel moves kubernetesVersion and the pools' orchestratorVersion; the autoscaler moves count."""
    aks = resource(dev, AKS)
    assert aks["inputs"]["autoUpgradeProfile"]["upgradeChannel"] == "stable"
    assert set(aks["options"]["ignoreChanges"]) == {
        "kubernetesVersion", "agentPoolProfiles[*].orchestratorVersion", "agentPoolProfiles[*].count"}
    assert not [f for f in dev.report["apply"] if f["rule"] in (
        "azure-aks-autoscaler-count", "azure-aks-version-upgrade-channel") and NAME in f["urn"]]


# ---- Would drift or break: the etcd KMS key's versions expire ------------------------------------

def test_etcd_key_rotation_and_expiry_are_alarmed_to_the_cell_action_group(dev):
    """AKS KMS holds a versioned key id; a rotated key's old version expires a year after creation.
    Rotation raises a notice (refresh + up moves the cluster), near-expiry/expired raise Sev1 alerts,
    both through Event Grid's Azure Monitor alert destination to the cell's action group."""
    topic = resource(dev, "azure-native:eventgrid:SystemTopic")
    vault = resource(dev, "azure-native:keyvault:Vault")
    assert topic["inputs"]["topicType"] == "Microsoft.KeyVault.vaults"
    assert topic["inputs"]["source"] == vault["id"]
    assert topic["inputs"]["location"] == "centralindia"  # the vault's region: no event leaves the cell's zone
    etcd = [k["inputs"] for k in mine(dev, "azure-native:keyvault:Key") if k["name"].endswith("etcd-key")]
    (etcd,) = etcd
    group = resource(dev, "azure-native:monitor:ActionGroup")
    subs = {s["name"].rsplit("-", 1)[-1]: s["inputs"]
            for s in mine(dev, "azure-native:eventgrid:SystemTopicEventSubscription")}
    assert set(subs) == {"rotated", "expiry"}
    for s in subs.values():
        assert s["systemTopicName"] == topic["outputs"]["name"]
        assert s["eventDeliverySchema"] == "CloudEventSchemaV1_0"
        assert s["destination"]["endpointType"] == "MonitorAlert"
        assert s["destination"]["actionGroups"] == [group["id"]]
    rotated, expiry = subs["rotated"], subs["expiry"]
    assert rotated["filter"]["includedEventTypes"] == ["Microsoft.KeyVault.KeyNewVersionCreated"]
    assert rotated["filter"]["subjectBeginsWith"] == rotated["filter"]["subjectEndsWith"] == etcd["keyName"]
    assert "refresh + up" in rotated["destination"]["description"]
    assert set(expiry["filter"]["includedEventTypes"]) == {"Microsoft.KeyVault.KeyNearExpiry",
                                                           "Microsoft.KeyVault.KeyExpired"}
    assert expiry["destination"]["severity"] == "Sev1"
    # The near-expiry event exists only if the key's rotation policy notifies before expiry.
    actions = {a["action"]["type"]: a["trigger"] for a in etcd["properties"]["rotationPolicy"]["lifetimeActions"]}
    assert actions["Notify"]["timeBeforeExpiry"] == "P30D" and actions["Rotate"]["timeAfterCreate"]
    # The first version expires too (a year after creation), so KeyNearExpiry can fire for it;
    # the alert names what an expired etcd key breaks (encrypt, not decrypt).
    first = [r for r in mine(dev, "time:index/offset:Offset") if r["name"].endswith("etcd-key-first-expiry")]
    (first,) = first
    assert first["inputs"]["offsetYears"] == 1
    assert etcd["properties"]["attributes"]["expires"] == first["outputs"]["unix"]
    assert "still decrypts" in expiry["destination"]["description"]
    assert "cannot decrypt" not in expiry["destination"]["description"]


# ---- Kubernetes access: the runner picks the login; only the deployer runs `up` -----------------------

def test_the_kubeconfig_leaves_the_login_method_to_the_runner():
    from components.clouds.azure.cluster import non_interactive

    raw = yaml.safe_dump({"apiVersion": "v1", "kind": "Config", "users": [{"name": "u", "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "kubelogin",
        "env": [{"name": "AAD_LOGIN_METHOD", "value": "devicecode"}],
        "args": ["get-token", "--login", "devicecode", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]}}}]})
    exec_ = json.loads(non_interactive(raw, "azurecli"))["users"][0]["user"]["exec"]
    # An `env` entry in the kubeconfig would override the runner's AAD_LOGIN_METHOD: none is left.
    assert "env" not in exec_
    assert exec_["args"][:3] == ["get-token", "--login", "azurecli"] and exec_["interactiveMode"] == "Never"
    assert "token" not in json.dumps(exec_).replace("get-token", "")  # no static credential


def test_preflight_says_nothing_when_the_caller_is_the_deployer():
    from components.clouds.azure.cluster import caller_preflight

    assert caller_preflight("in", OID, OID, [], dry_run=False) is None
    assert caller_preflight("in", OID.upper(), OID, [], dry_run=False) is None
    assert caller_preflight("in", "", OID, [], dry_run=True) is None      # caller unknown
    assert caller_preflight("in", OID, None, [], dry_run=True) is None    # no deployer: config refuses it


def test_preflight_stops_an_up_by_someone_else_and_says_what_to_do():
    from components.clouds.azure.cluster import caller_preflight

    me = "11111111-1111-4111-8111-111111111111"
    level, message = caller_preflight("azure-centralindia", me, OID, [], dry_run=False)
    assert level == "error"
    for part in (me, OID, "403", "platform:deployer.azure_object_id", "deployer_principal_type: User",
                 "admin_group_object_ids", "az ad signed-in-user show"):
        assert part in message, part
    # A preview (e.g. a PR preview by the read-only identity) only warns.
    assert caller_preflight("azure-centralindia", me, OID, [], dry_run=True)[0] == "warning"
    # With admin groups, membership cannot be checked (no Graph): a warning naming the groups.
    level, message = caller_preflight("azure-centralindia", me, OID, ["22222222-2222-4222-8222-222222222222"], False)
    assert level == "warning" and "22222222-2222-4222-8222-222222222222" in message


def test_a_real_preview_by_another_identity_warns_before_any_kubernetes_object(tmp_path):
    """--real-mode runs the program as a real preview: the mocked caller is not the configured deployer."""
    from offline.mocks.registry import AZURE_OBJECT_ID

    cfg = deployable_dev()
    assert cfg["platform:deployer"]["azure_object_id"] != AZURE_OBJECT_ID
    proj = tmp_path / "project"
    (proj / "stacks").mkdir(parents=True)
    doc = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    doc["main"] = str(REPO)
    (proj / "Pulumi.yaml").write_text(yaml.safe_dump(doc))
    (proj / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": cfg}))
    run = offline(["preview", "dev", "--quiet", "--real-mode", "--project-dir", str(proj)], tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    said = run.stdout + run.stderr
    assert f"running as {AZURE_OBJECT_ID}, but only platform:deployer.azure_object_id {OID}" in said
    assert "Do one of:" in said


def test_the_offline_engine_has_no_caller_to_compare(tmp_path):
    run = preview_stack("dev", tmp_path)
    assert "running as" not in run.stdout + run.stderr


def test_readme_has_the_operator_run_up_as_the_deployer():
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "az ad signed-in-user show --query id -o tsv" in readme
    assert "azure.deployer_principal_type' User" in readme
    assert "subscription Owner grants none" in readme or "Owner carries no Kubernetes data action" in readme


# ---- The etcd key's expiry without Event Grid alerts: the preflight warns -----------------------------

def test_key_expiry_fallback_check():
    from components.clouds.azure.key_expiry import expiry_preflight

    now = time.time()
    assert expiry_preflight("in", "etcd-cmk", None, now) is None
    assert expiry_preflight("in", "etcd-cmk", now + 60 * 86400, now) is None
    near = expiry_preflight("in", "etcd-cmk", now + 10 * 86400, now)
    assert "expires in 10 days" in near and "refresh + up" in near and "still decrypts" in near
    assert "has expired" in expiry_preflight("in", "etcd-cmk", now - 86400, now)


# ---- Settings away from their defaults: no Event Grid alerts, ACME after the NS delegation ------------

def test_without_the_preview_destination_no_event_grid_alerts(custom, dev):  # noqa: F811
    assert mine(dev, "azure-native:eventgrid:SystemTopicEventSubscription")
    assert not mine(custom, "azure-native:eventgrid:SystemTopicEventSubscription")
    assert not mine(custom, "azure-native:eventgrid:SystemTopic")


def test_the_acme_certificate_waits_for_the_ns_delegation(custom):  # noqa: F811
    """dev with a parent zone: the certificate (and the zone id every validation uses) carries the NS record."""
    delegation = custom.one("aws:route53/record:Record", "public-zone-delegation")
    (cert,) = custom.of_type("acme:index/certificate:Certificate")
    assert delegation["urn"] in cert["dependencies"] or delegation["urn"] in json.dumps(cert["propertyDependencies"])
