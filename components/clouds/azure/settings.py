"""What an Azure cell accepts in config (pure: see clouds/aws/settings.py for why this module exists).

`platform:cells[i].azure` (only on azure cells) holds the Azure plugin's settings of that cell; all
keys are optional and the defaults are what a first `pulumi up` in a fresh subscription needs.
`bucket.geo_redundant` maps to GZRS/ZRS inside the zone (`bucket.replication_sku`).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ...core.placement import PROJECT

_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WafExclusion(_Model):
    """A managed-rule exclusion of the WAF policy (ARM `OwaspCrsExclusionEntry`)."""
    match_variable: Literal["RequestHeaderNames", "RequestCookieNames", "RequestArgNames", "RequestHeaderKeys",
                            "RequestHeaderValues", "RequestCookieKeys", "RequestCookieValues", "RequestArgKeys",
                            "RequestArgValues"] = Field(description="What part of the request the exclusion matches.")
    selector_match_operator: Literal["Equals", "Contains", "StartsWith", "EndsWith", "EqualsAny"] = Field(
        description="How the selector is compared.")
    selector: str = Field(min_length=1, max_length=256, description="The name (or part of it) excluded.")


class WafSettings(_Model):
    """Request limits of the WAF policy (Application Gateway WAF_v2 with DRS 2.1: body up to 2 MB, file
    uploads up to 4000 MB, inspection up to 2 MB). Inference requests carry large JSON bodies, so the
    defaults take the largest body WAF_v2 allows and inspect its first 128 KB."""
    max_request_body_kb: int = Field(2000, ge=8, le=2000, description="Largest request body in KB.")
    request_body_inspect_limit_kb: int = Field(128, ge=8, le=2000, description="KB of each body the WAF inspects.")
    request_body_enforcement: bool = Field(True, description="Refuse bodies above max_request_body_kb (false: they "
                                           "pass, only their first inspect-limit KB inspected).")
    file_upload_limit_mb: int = Field(100, ge=1, le=4000, description="Largest file upload in MB.")
    exclusions: list[WafExclusion] = Field([], description="Managed-rule exclusions (match_variable, "
                                           "selector_match_operator, selector).")


class MaintenanceWindow(_Model):
    """When AKS may upgrade the cluster and node images (planned maintenance, weekly, UTC)."""
    day: Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] = Field(
        "Sunday", description="Day of the week.")
    start_hour: int = Field(2, ge=0, le=23, description="Start hour (UTC).")
    duration_hours: int = Field(4, ge=4, le=24, description="Length in hours (AKS requires at least 4).")


class AcmeSettings(_Model):
    """The ACME CA that issues the gateway's certificate (DNS-01 in the platform's Route 53 zone)."""
    server_url: str = Field(LETSENCRYPT, pattern=r"^https://[^\s]+$", description="The ACME directory URL.")
    email: Optional[str] = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", description="The ACME "
                                 "account's contact address.")
    min_days_remaining: int = Field(30, ge=7, le=60, description="The scheduled `pulumi up` renews once fewer days "
                                    "than this remain (Let's Encrypt certificates last 90 days).")


class AzureCellSettings(_Model):
    """`platform:cells[i].azure`: the Azure plugin's settings of one cell (all optional)."""
    name_suffix: Optional[str] = Field(
        None, pattern=r"^[a-z0-9]{1,8}$", description="Suffix of the physical names in Azure's shared namespaces "
        "(resource group, vault, storage account); default: a digest of project and stack. Set it to keep an "
        "existing stack's names, or to take new ones after a destroy (a purge-protected vault's name stays "
        "reserved for 90 days).")
    legacy_names: bool = Field(False, description="Keep the physical names of stacks created before names carried "
                               "the stack (not with name_suffix).")
    admin_group_object_ids: list[Annotated[str, Field(pattern=_UUID)]] = Field(
        [], description="Entra ID groups that are cluster admins (AKS managed Entra integration), besides the "
        "deployer.")
    deployer_principal_type: Literal["ServicePrincipal", "User", "Group"] = Field(
        "ServicePrincipal", description="What platform:deployer.azure_object_id is: ARM refuses a role assignment "
        "whose principalType does not match the principal (a CI runner is a service principal).")
    kubelogin: Literal["azurecli", "workloadidentity"] = Field(
        "azurecli", description="kubelogin's login mode in the exported kubeconfig (non-interactive only).")
    encryption_at_host: bool = Field(True, description="Encryption at host of the node pools (needs the "
                                     "EncryptionAtHost feature of Microsoft.Compute).")
    defender: bool = Field(True, description="Microsoft Defender for Containers (paid per vCore).")
    maintenance_window: MaintenanceWindow = Field(MaintenanceWindow(), description="When AKS may upgrade the "
                                                  "cluster and node images (weekly, UTC).")
    waf: WafSettings = Field(WafSettings(), description="Request limits and exclusions of the WAF policy.")
    acme: AcmeSettings = Field(AcmeSettings(), description="The ACME CA of the gateway's certificate.")
    log_retention_days: int = Field(30, ge=30, le=730, description="Days the cell's Log Analytics workspace "
                                    "keeps logs.")
    key_event_alerts: bool = Field(
        True, description="Key Vault key events as Azure Monitor alerts through Event Grid's MonitorAlert "
        "destination (a preview); false where it is refused: the key-expiry check of every real preview stays "
        "as the fallback.")


def parse(raw: Any) -> AzureCellSettings:
    return AzureCellSettings.model_validate(raw or {})


# What the config schema mounts from this plugin (components/core/config/schema.py).
CellSettings = AzureCellSettings
DEPLOYER_FIELDS = {"azure_object_id": (Optional[str], Field(
    None, pattern=_UUID, description="The Entra object id `pulumi up` runs as on Azure; granted cluster-admin "
    "(AKS RBAC) on every AKS cluster."))}


# Sizes of `network_cidr` the cell's address plan fits (the plan gives AKS half the range and cuts /24s for the gateway and a /28 for the API server from the rest: /22 is the smallest).
NETWORK_PREFIXES = range(8, 23)


def check(index: int, cell: Any, cfg: Any) -> list[str]:
    """Problems of `platform:cells[index].azure` as `platform:<key> ...: <why>` lines."""
    s = parse(getattr(cell, "azure", None))  # validated by its model (AzureCellSettings) at load
    edge = getattr(cfg, "edge", None)
    if edge is not None and edge.managed_rules == "count":
        # An Application Gateway WAF policy has one mode for all its rules. Detection (the only way
        # to count the managed sets) would also make the edge guard's geo rule log instead of refuse.
        return [f"{PROJECT}:edge.managed_rules (cell {cell.name!r}): 'count' is not available on Azure cells: an "
                "Application Gateway WAF policy has one mode for all its rules, and Detection would stop the edge "
                f"guard refusing other zones' countries; tune false positives with {PROJECT}:cells[{index}].azure.waf "
                "(body limits, exclusions) instead. Allowed with Azure cells: block"]
    if s.legacy_names and s.name_suffix:
        return [f"{PROJECT}:cells[{index}].azure.legacy_names (cell {cell.name!r}): set together with name_suffix; "
                "allowed: one of the two"]
    return []


def spec_fields(cell: Any, cfg: Any) -> dict:
    return {"azure": parse(getattr(cell, "azure", None))}
