"""Azure cell, third review (issue #31): the Kubernetes step authenticates in CI and as the operator, and
the risks the review named. Each test names the finding it pins."""
from __future__ import annotations

import json
import re
import time

import pytest
import yaml

from offline_helpers import REPO, offline, preview_stack
from test_azure_first_up import custom  # noqa: F401 (fixture: dev with every Azure setting away from its default)
from test_azure_cell import dev, mine  # noqa: F401 (dev: fixture)
from test_deployer import OID, deployable_dev

ACTION = REPO / ".github" / "actions" / "setup" / "action.yml"
KUBELOGIN_SHA256 = "ebaeff02aa899c5cae6a2b954b64fc02738185319df2570f7dc053451efa4b2f"  # v0.2.19 linux-amd64.zip


# ---- Would fail: the Kubernetes provider in CI (AADSTS700024) --------------------------------------

def _setup_steps():
    return {s["name"]: s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"]}


def test_ci_installs_kubelogin_pinned_and_checksum_verified():
    """The setup action (the pipeline helper's step) installs the kubelogin the kubeconfig execs: v0.2.19 (>= 0.2.0
    has the GitHub Actions credential), by its published sha256, verified before it is unpacked."""
    step = _setup_steps()["Kubernetes credential plugins (pinned, checksummed)"]
    assert "inputs.azure == 'true'" in step["if"]
    assert step["env"]["KUBELOGIN_URL"].endswith("/download/v0.2.19/kubelogin-linux-amd64.zip")
    assert step["env"]["KUBELOGIN_SHA256"] == KUBELOGIN_SHA256
    run = step["run"]
    assert "sha256sum --check" in run
    assert run.index('fetch "$KUBELOGIN_URL" "$KUBELOGIN_SHA256"') < run.index("bin/linux_amd64/kubelogin") \
        < run.index("GITHUB_PATH")


def test_ci_kubelogin_exchanges_a_fresh_github_token_per_call():
    """kubelogin lets AAD_LOGIN_METHOD override the kubeconfig's --login, and in workloadidentity mode inside a
    GitHub job (ACTIONS_ID_TOKEN_REQUEST_* set, id-token: write) requests a new OIDC assertion for every token
    (Azure/kubelogin pkg/internal/token/options.go UpdateFromEnv, provider.go GithubActionsCredential)."""
    step = _setup_steps()["Azure provider (exchanges the job's OIDC token itself, so long updates outlive the CLI token)"]
    lines = set(re.findall(r'echo "([A-Z_]+)=', step["run"]))
    assert {"AAD_LOGIN_METHOD", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"} <= lines
    assert 'echo "AAD_LOGIN_METHOD=workloadidentity"' in step["run"]
    # Every workflow that runs the setup action lets its jobs request OIDC tokens (what kubelogin asks GitHub for).
    users = [w for w in sorted((REPO / ".github" / "workflows").glob("*.yml"))
             if "./.github/actions/setup" in w.read_text()]
    assert users
    for workflow in users:
        assert "id-token: write" in workflow.read_text(), workflow.name


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


# ---- Would fail: the identity that runs `up` has no Kubernetes data access ---------------------------

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


# ---- Risks ------------------------------------------------------------------------------------------

def test_key_expiry_fallback_check():
    from components.clouds.azure.key_expiry import expiry_preflight

    now = time.time()
    assert expiry_preflight("in", "etcd-cmk", None, now) is None
    assert expiry_preflight("in", "etcd-cmk", now + 60 * 86400, now) is None
    near = expiry_preflight("in", "etcd-cmk", now + 10 * 86400, now)
    assert "expires in 10 days" in near and "refresh + up" in near and "still decrypts" in near
    assert "has expired" in expiry_preflight("in", "etcd-cmk", now - 86400, now)


def test_without_the_preview_destination_no_event_grid_alerts(custom, dev):  # noqa: F811
    assert mine(dev, "azure-native:eventgrid:SystemTopicEventSubscription")
    assert not mine(custom, "azure-native:eventgrid:SystemTopicEventSubscription")
    assert not mine(custom, "azure-native:eventgrid:SystemTopic")


def test_the_acme_certificate_waits_for_the_ns_delegation(custom):  # noqa: F811
    """dev with a parent zone: the certificate (and the zone id every validation uses) carries the NS record."""
    delegation = custom.one("aws:route53/record:Record", "public-zone-delegation")
    (cert,) = custom.of_type("acme:index/certificate:Certificate")
    assert delegation["urn"] in cert["dependencies"] or delegation["urn"] in json.dumps(cert["propertyDependencies"])


def test_apiserver_subnet_nsg_admits_the_documented_flows_and_denies_the_internet(dev):
    nsg = [n for n in mine(dev, "azure-native:network:NetworkSecurityGroup") if n["name"].endswith("apiserver-nsg")]
    (nsg,) = nsg
    rules = {r["name"]: r for r in nsg["inputs"]["securityRules"]}
    assert rules["allow-nodes-to-apiserver"]["destinationPortRanges"] == ["443", "4443"]
    assert rules["allow-lb-probe-to-apiserver"]["sourceAddressPrefix"] == "AzureLoadBalancer"
    assert rules["allow-lb-probe-to-apiserver"]["destinationPortRanges"] == ["9988"]
    assert rules["deny-internet"]["sourceAddressPrefix"] == "Internet" and rules["deny-internet"]["priority"] == 4000
    assert all(r["priority"] < 4000 for n, r in rules.items() if r["access"] == "Allow")
