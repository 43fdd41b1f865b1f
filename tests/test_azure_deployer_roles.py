"""No missing permission at `up` by construction: the Azure deployer's roles cover what every stack deploys.

`deploy/azure-deployer-roles.json` holds, per Azure resource type the stacks create (Kubernetes objects on
an AKS cluster included: Azure RBAC data actions), the actions its deployment needs, and the built-in roles
with their documented actions. The deployer's roles are the README's `az role assignment create` lines
for the deploy application plus what the program itself grants `platform:deployer.azure_object_id` on each
cluster. Every Azure type of every stack must be in the table (fail closed) and every action it needs
granted; removing any one role uncovers a type.
"""
from __future__ import annotations

import copy
import fnmatch
import json
import re

import pytest
import yaml

from offline_helpers import REPO, preview_config, preview_stack
from test_deployer import OID, deployable_dev

TABLE = json.loads((REPO / "deploy" / "azure-deployer-roles.json").read_text())
README = (REPO / "README.md").read_text()
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
CLUSTER = "azure-native:containerservice:ManagedCluster"


def _matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def granted(role: dict, action: str, data: bool) -> bool:
    """Azure RBAC: an action is granted by `actions` minus `notActions` (data actions likewise)."""
    allow, deny = (role["data_actions"], role["not_data_actions"]) if data else (role["actions"], role["not_actions"])
    return any(_matches(p, action) for p in allow) and not any(_matches(p, action) for p in deny)


def uncovered(types: set[str], roles: set[str], table: dict = TABLE) -> list[str]:
    """What `roles` (built-in role names) leave undeployable among `types`; unknown types and roles fail."""
    out = []
    unknown_roles = sorted(r for r in roles if r not in table["roles"])
    out += [f"role {r!r}: not in deploy/azure-deployer-roles.json (its actions are unknown)" for r in unknown_roles]
    defs = [table["roles"][r] for r in roles if r in table["roles"]]
    for t in sorted(types):
        entry = table["types"].get(t)
        if entry is None:
            out.append(f"{t}: not in deploy/azure-deployer-roles.json; add the actions its deployment needs")
            continue
        for data, key in ((False, "actions"), (True, "data_actions")):
            for action in entry.get(key, []):
                if not any(granted(d, action, data) for d in defs):
                    out.append(f"{t}: {'data action' if data else 'action'} {action} is granted by none of {sorted(roles)}")
    return out


def azure_types(resources: list[dict]) -> set[str]:
    """Types of the resources an Azure credential deploys: every azure-native resource, and every Kubernetes
    object whose provider targets an AKS cluster (its kubeconfig depends on a ManagedCluster)."""
    by_urn = {r["urn"]: r for r in resources}
    aks = {r["urn"] for r in resources if r["type"] == CLUSTER}
    aks_providers = {r["urn"] for r in resources
                     if r["type"] == "pulumi:providers:kubernetes" and set(r.get("dependencies") or []) & aks}
    out = set()
    for r in resources:
        if r["type"].startswith("azure-native:"):
            out.add(r["type"])
        elif r["type"].startswith("kubernetes:"):
            provider = (r.get("provider") or "").rsplit("::", 1)[0]
            if provider in aks_providers and provider in by_urn:
                out.add(r["type"])
    return out


def readme_roles() -> set[str]:
    """The roles section 2 of the README assigns to the Azure deploy application."""
    roles = set(re.findall(r'^az role assignment create --assignee "\$AZ_APP_ID" --role "([^"]+)"', README, re.M))
    # ... or one loop over the roles (the runbook's per-stack form)
    for names in re.findall(r'^for role in ((?:"[^"]+" ?)+); do az role assignment create --assignee "\$AZ_APP_ID"',
                            README, re.M):
        roles |= set(re.findall(r'"([^"]+)"', names))
    return roles


def azure_stacks() -> list[str]:
    out = []
    for path in sorted((REPO / "stacks").glob("Pulumi.*.yaml")):
        cfg = yaml.safe_load(path.read_text())["config"]
        if any(c.get("cloud") == "azure" for c in cfg.get("platform:cells") or []):
            out.append(path.name.removeprefix("Pulumi.").removesuffix(".yaml"))
    return out


@pytest.fixture(scope="module")
def with_deployer(tmp_path_factory):
    """dev with its deployer (the program's own grants to it appear only then)."""
    run = preview_config(deployable_dev(), tmp_path_factory.mktemp("azure-deployer-roles"))
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def program_roles(run) -> set[str]:
    """Built-in roles the stack assigns to platform:deployer.azure_object_id (by role GUID, via the table)."""
    by_id = {d["id"]: name for name, d in TABLE["roles"].items()}
    out = set()
    for r in run.of_type(ROLE_ASSIGNMENT):
        if r["inputs"].get("principalId") == OID:
            guid = r["inputs"]["roleDefinitionId"].rsplit("/", 1)[-1]
            out.add(by_id.get(guid, f"unknown role {guid}"))
    return out


def deployer_roles(run) -> set[str]:
    return readme_roles() | program_roles(run)


def test_readme_assigns_the_least_roles_and_names_the_programs_grant(with_deployer):
    assert readme_roles() == {"Contributor", "Role Based Access Control Administrator"}
    assert program_roles(with_deployer) == {"Azure Kubernetes Service RBAC Cluster Admin"}
    # The README's deployer section names the Kubernetes data-plane role the program adds.
    section = " ".join(README[README.index("### Azure: deployer roles"):README.index("## From zero to serving")].split())
    assert "Azure Kubernetes Service RBAC Cluster Admin" in section and "deploy/azure-deployer-roles.json" in section


@pytest.mark.parametrize("stack", azure_stacks())
def test_deployer_roles_cover_every_azure_type_of_every_stack(stack, with_deployer, tmp_path_factory):
    run = preview_stack(stack, tmp_path_factory.mktemp(stack))
    assert run.returncode == 0, run.stderr[-2000:]
    types = azure_types(run.resources)
    assert any(t.startswith("kubernetes:") for t in types), "the Kubernetes data plane is part of the check"
    assert uncovered(types, deployer_roles(with_deployer)) == []


def test_every_stack_with_azure_cells_is_checked():
    assert set(azure_stacks()) >= {"dev", "eu-ha", "prod-azure-centralindia"}


def test_removing_any_deployer_role_uncovers_a_type(with_deployer):
    """Each role is needed: without it some type of dev cannot be deployed (the test fails on a removed role)."""
    types = azure_types(with_deployer.resources)
    roles = deployer_roles(with_deployer)
    assert uncovered(types, roles) == []
    for role in sorted(roles):
        missing = uncovered(types, roles - {role})
        assert missing, f"removing {role} uncovers nothing: the table or the test is wrong"
    # What each removal uncovers, by the wire name of the action.
    assert any("Microsoft.Authorization/roleAssignments/write" in m
               for m in uncovered(types, roles - {"Role Based Access Control Administrator"}))
    assert any("Microsoft.ContainerService/managedClusters/namespaces/write" in m
               for m in uncovered(types, roles - {"Azure Kubernetes Service RBAC Cluster Admin"}))
    assert any("Microsoft.KeyVault/vaults/write" in m for m in uncovered(types, roles - {"Contributor"}))
    # Owner alone (the README's alternative) covers the control plane but no Kubernetes data action.
    owner = uncovered(types, {"Owner"})
    assert owner and all("data action Microsoft.ContainerService/managedClusters/" in m for m in owner)


def test_a_type_missing_from_the_table_fails_closed(with_deployer):
    types = azure_types(with_deployer.resources)
    table = copy.deepcopy(TABLE)
    del table["types"]["azure-native:keyvault:Vault"]
    assert uncovered(types, deployer_roles(with_deployer), table) == [
        "azure-native:keyvault:Vault: not in deploy/azure-deployer-roles.json; add the actions its deployment needs"]
    assert uncovered({"azure-native:network:PrivateEndpoint"}, {"Owner"}) == [
        "azure-native:network:PrivateEndpoint: not in deploy/azure-deployer-roles.json; add the actions its "
        "deployment needs"]
    assert uncovered(set(), {"Storage Blob Data Owner"})[0].startswith("role 'Storage Blob Data Owner': not in")


def test_wildcards_follow_azure_rbac():
    contributor = TABLE["roles"]["Contributor"]
    assert granted(contributor, "Microsoft.KeyVault/vaults/secrets/write", data=False)
    assert not granted(contributor, "Microsoft.Authorization/roleAssignments/write", data=False)
    assert not granted(contributor, "microsoft.authorization/roleassignments/WRITE", data=False)
    assert not granted(contributor, "Microsoft.ContainerService/managedClusters/namespaces/write", data=True)
    admin = TABLE["roles"]["Azure Kubernetes Service RBAC Cluster Admin"]
    assert granted(admin, "Microsoft.ContainerService/managedClusters/azmonitoring.coreos.com/podmonitors/write", True)


def test_table_entries_are_documented_and_roles_match_the_programs_guids():
    from components.clouds.azure import common

    for name, role in TABLE["roles"].items():
        assert role["doc"].startswith("https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/"), name
    for t, entry in TABLE["types"].items():
        assert entry["doc"].startswith("https://learn.microsoft.com/azure/role-based-access-control/permissions/"), t
        assert entry.get("actions") or entry.get("data_actions"), t
        assert all(a.startswith("Microsoft.") for a in entry.get("actions", []) + entry.get("data_actions", [])), t
    assert TABLE["roles"]["Azure Kubernetes Service RBAC Cluster Admin"]["id"] == common.ROLE_AKS_RBAC_CLUSTER_ADMIN
