"""Azure apply rules."""
from __future__ import annotations

import re

from . import Graph, ignored, known, rule

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
SLEEP = "time:index/sleep:Sleep"


@rule("azure-role-assignment-propagation",
      "A resource consuming a role assignment waits for it to propagate (a time:Sleep between them)",
      "https://learn.microsoft.com/azure/role-based-access-control/troubleshooting#symptom---role-assignment-changes-are-not-being-detected")
def propagation(g: Graph):
    # A wait: a time:index/sleep:Sleep (pulumiverse-time) that itself depends on the assignment,
    # with createDuration set, on the consumer's dependency path.
    assignments = {r["urn"] for r in g.of_type(ROLE_ASSIGNMENT)}
    sleeps = {r["urn"]: g.deps(r["urn"]) for r in g.of_type(SLEEP) if (r["inputs"] or {}).get("createDuration")}
    for r in g.resources:
        if r["type"] in (ROLE_ASSIGNMENT, SLEEP) or not r["urn"] or r["type"].startswith("pulumi:"):
            continue
        direct = set(r.get("dependencies") or []) & assignments
        # Only custom resources consume; components merely group.
        if not direct or r["type"].split(":")[0] not in ("azure-native", "kubernetes", "azuread", "aws", "gcp"):
            continue
        deps = g.deps(r["urn"])
        for a in sorted(direct):
            waited = any(s in deps and a in sdeps for s, sdeps in sleeps.items())
            if not waited:
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
