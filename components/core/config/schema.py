"""The stack config's schema: one pydantic model per `platform:*` key, each field with its type,
default, allowed values and description (the README's config reference is generated from them:
`python -m components.core.config_reference`).

Core names no cloud. What is a cloud's comes from its plugin (`components/clouds/plugins.py`) and the
plugin's pure settings module (`components/clouds/<cloud>/settings.py`), which declares:

- `CellSettings`: the model mounted at `platform:cells[i].<cloud>` (only on that cloud's cells);
- `CELL_FIELDS`: further keys directly on a cell that only this cloud reads;
- `DEPLOYER_FIELDS` / `ACCESS_FIELDS`: its identities in `platform:deployer` / `platform:access`;
- `PROVIDER_FIELDS`: Pulumi provider keys the config reads (field -> (key, type, Field)).

Each value is `(annotation, Field(...))`, as `pydantic.create_model` takes it. Checks that span keys
are in `checks.py`; how a refused value is told to the user is in `errors.py`.
"""
from __future__ import annotations

import datetime as _dt
import ipaddress
import re
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, create_model, field_validator

from ...clouds.plugins import PLUGINS
from .. import catalog, placement, release as releases

_NAME = r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$"  # valid as a GCP label, an Azure name part and a DNS label


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# What a plugin's settings module holds, in words (a new cloud is told what its settings.py lacks).
SETTINGS_PROTOCOL: dict[str, str] = {
    "CellSettings": "the pydantic model of its cells' settings, mounted at platform:cells[i].<cloud>",
    "NETWORK_PREFIXES": "the sizes of network_cidr its cell's address plan fits",
    "check": "check(index, cell, cfg): its rules that span keys, as `platform:<key> ...: <why>` lines",
    "spec_fields": "spec_fields(cell, cfg): what its cell derives from the config into its CellSpec",
}
OPTIONAL_SETTINGS = ("CELL_FIELDS", "DEPLOYER_FIELDS", "ACCESS_FIELDS", "PROVIDER_FIELDS")


def missing_settings(cloud: str, module: Any) -> list[str]:
    """What a plugin's settings module lacks, one sentence each ([] when complete)."""
    out = [f"{cloud}: settings.py has no {name}: {what}" for name, what in SETTINGS_PROTOCOL.items()
           if not hasattr(module, name)]
    if hasattr(module, "CellSettings") and not (isinstance(module.CellSettings, type)
                                               and issubclass(module.CellSettings, BaseModel)):
        out.append(f"{cloud}: settings.py's CellSettings is not a pydantic model")
    deployer = getattr(module, "DEPLOYER_FIELDS", {})
    identity = PLUGINS[cloud].deployer_identity if cloud in PLUGINS else None
    if identity and identity not in deployer:
        out.append(f"{cloud}: settings.py's DEPLOYER_FIELDS lacks {identity!r}, the plugin's deployer identity")
    return out


def plugin_settings() -> dict[str, Any]:
    """cloud -> the pure settings module of its plugin, in registry order."""
    return {cloud: plugin.settings() for cloud, plugin in PLUGINS.items()}


def _plugin_fields(attr: str) -> dict[str, tuple]:
    """The fields every plugin adds to one model (its settings module's `attr`), in registry order."""
    out: dict[str, tuple] = {}
    for module in plugin_settings().values():
        out.update(getattr(module, attr, {}))
    return out


# RFC 5737 documentation ranges: fine in an example stack, unreachable from any real runner.
DOCUMENTATION_RANGES = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")


def _ipv4_cidrs(v: list[str], what: str) -> list[str]:
    for cidr in v:
        if not re.match(r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$", cidr):
            raise ValueError(f"{cidr!r} is not an IPv4 CIDR")
        if cidr.endswith("/0"):
            raise ValueError(f"{cidr!r} opens {what} to the world; allowed: specific CIDRs")
    return v


_RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


def is_documentation_range(cidr: str) -> bool:
    net = ipaddress.ip_network(cidr, strict=False)
    return any(net.subnet_of(ipaddress.ip_network(d)) for d in DOCUMENTATION_RANGES)


# Node sizes, one setting per cell (`cells[i].cluster.node_size`), equivalent on every cloud:
# (vCPUs, GiB of memory) per node. Each cloud's cluster piece maps a size to its own machine type.
NODE_SIZES: dict[str, tuple[int, int]] = {"small": (2, 8), "medium": (4, 16), "large": (8, 32)}


class ClusterOptions(_Model):
    """`platform:cells[i].cluster`: the cell's Kubernetes cluster and its workload node pool."""
    min_nodes: int = Field(2, ge=1, le=100, description="Fewest workload nodes (the autoscaler's floor).")
    node_size: Literal["small", "medium", "large"] = Field(
        "medium", description="Workload node size, the same on every cloud: small 2 vCPU/8 GiB, medium 4/16, "
        "large 8/32 (AWS m7i.large/xlarge/2xlarge, GCP e2-standard-2/4/8, Azure Standard_D2ds_v5/D4ds_v5/D8ds_v5). "
        "A new size replaces the node pool: the shipped stacks pin the sizes they run.")
    max_nodes: int = Field(5, ge=1, le=1000, description="Most workload nodes (the autoscaler's ceiling); "
                           ">= min_nodes.")
    kubernetes_version: str = Field("1.33", description="Kubernetes minor version of the cluster (a cloud may pin "
                                    "add-ons per version and refuse one it has no pins for).")
    api_allowed_cidrs: list[str] = Field(
        [], description="IPv4 CIDRs allowed to reach the Kubernetes API, never /0; empty = private endpoint only "
        "(platform:deployer.cidrs are added).")

    @field_validator("max_nodes")
    @classmethod
    def _min_le_max(cls, v: int, info: ValidationInfo) -> int:
        lo = info.data.get("min_nodes")
        if lo is not None and lo > v:
            raise ValueError(f"max_nodes ({v}) is below min_nodes ({lo}); allowed: max_nodes >= min_nodes")
        return v

    @field_validator("api_allowed_cidrs")
    @classmethod
    def _no_world(cls, v: list[str]) -> list[str]:
        return _ipv4_cidrs(v, "the Kubernetes API")


class BucketOptions(_Model):
    """`platform:cells[i].bucket`: the cell's model bucket."""
    noncurrent_version_days: int = Field(30, ge=1, le=3650, description="Days a replaced object version is kept.")
    geo_redundant: bool = Field(
        False, description="A second copy that never leaves the zone, where the cloud offers one inside it; never "
        "across zones. AWS replicates to a replica bucket with its own KMS key in the nearest other AWS region of "
        "the zone (within platform:zones.<zone>.regions; none left is a config error); Azure uses GZRS where the "
        "region's pair is in the zone, else ZRS; GCP refuses it (a regional bucket is already replicated across "
        "the region's zones).")


class CellPlacementConfig(_Model):
    """Where a cell is and how it takes traffic: all that the global routing layer needs."""
    name: str = Field(pattern=_NAME, description="The cell's name: a DNS label of 3-22 characters (it names the "
                      "cell's resources and its host name `<name>.<domain>`).")
    cloud: Literal[tuple(PLUGINS)] = Field(description="The cloud the cell runs on (a registered plugin).")
    region: str = Field(description="A region of that cloud in the region catalog (components/core/catalog.py).")
    residency: str = Field(description="The residency zone the region lies in (e.g. us, eu, in); traffic and data "
                           "of a strict zone stay in it.")
    role: Literal["primary", "secondary", "active"] = Field(
        "active", description="Role in failover routing (primary/secondary); active otherwise.")
    weight: int = Field(100, ge=0, le=255, description="Share of its zone's traffic in weighted routing.")

    # Field validators run in declaration order, so `cloud` and `region` are in `info.data`
    # here; a failure is reported on the exact key (cells[i].region / cells[i].residency).
    @field_validator("region")
    @classmethod
    def _region_of_cloud(cls, v: str, info: ValidationInfo) -> str:
        cloud = info.data.get("cloud")
        if cloud is None:
            return v
        try:
            catalog.region(cloud, v)
        except catalog.UnknownRegion:
            hint = catalog.suggest_region(cloud, v)
            did = f"did you mean {hint!r}? " if hint else ""
            raise ValueError(
                f"not a {cloud} region; {did}allowed: {', '.join(sorted(catalog.REGIONS[cloud]))}"
            ) from None
        return v

    @field_validator("residency")
    @classmethod
    def _region_in_zone(cls, v: str, info: ValidationInfo) -> str:
        cloud, region_name = info.data.get("cloud"), info.data.get("region")
        if cloud is None or region_name is None:
            return v
        region = catalog.region(cloud, region_name)
        if v not in region.zones:
            raise ValueError(
                f"region {region_name!r} lies in zone {region.zone!r} ({region.country}), not in {v!r}; "
                f"allowed {cloud} regions of {v!r}: {', '.join(catalog.zone_regions(v, cloud)) or 'none'}"
            )
        return v


class _CellSpecBase(CellPlacementConfig):
    """`platform:cells[i]`: one regional cell of this stack. Each cloud's plugin adds its own keys."""
    network_cidr: str = Field("10.0.0.0/16", description="The cell's private IPv4 address space (RFC 1918); how "
                              "large it must be is the cloud's rule (its settings' NETWORK_PREFIXES).")
    cluster: ClusterOptions = Field(ClusterOptions(), description="The cell's Kubernetes cluster.")
    bucket: BucketOptions = Field(BucketOptions(), description="The cell's model bucket.")
    release: Optional[str] = Field(None, pattern=releases.ID_PATTERN, description="The release this cell serves "
                                   "(releases/<id>.yaml), overriding platform:release (e.g. a canary cell).")

    @field_validator("network_cidr")
    @classmethod
    def _private_network(cls, v: str) -> str:
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError as e:
            raise ValueError(f"not an IPv4 network address ({e}); allowed: e.g. 10.10.0.0/16") from None
        if net.version != 4 or not any(net.subnet_of(ipaddress.ip_network(p)) for p in _RFC1918):
            raise ValueError("not a private IPv4 range; allowed: inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16")
        return v


def _cell_plugin_fields() -> dict[str, tuple]:
    """Per plugin: its `CELL_FIELDS`, then its settings model at the key of its cloud's name."""
    out: dict[str, tuple] = {}
    for cloud, module in plugin_settings().items():
        out.update(getattr(module, "CELL_FIELDS", {}))
        out[cloud] = (Optional[module.CellSettings], Field(
            None, description=f"The {cloud} plugin's settings of the cell (only on {cloud} cells; all optional)."))
    return out


def cell_keys_of(cloud: str) -> tuple[str, ...]:
    """The cell keys the plugin of `cloud` owns: its settings model's key and its `CELL_FIELDS`."""
    return (cloud, *getattr(PLUGINS[cloud].settings(), "CELL_FIELDS", {}))


CellSpecConfig = create_model("CellSpecConfig", __base__=_CellSpecBase, __module__=__name__,
                              __doc__=_CellSpecBase.__doc__, **_cell_plugin_fields())


class HealthCheckOptions(_Model):
    """`platform:dns.health_check`: the Route 53 health check of each cell's name."""
    request_interval: Literal[10, 30] = Field(10, description="Seconds between checks from each checker region.")
    failure_threshold: int = Field(3, ge=1, le=10, description="Consecutive failures before a cell is unhealthy.")
    regions: list[Literal["us-east-1", "us-west-1", "us-west-2", "eu-west-1",
                          "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"]] = Field(
        ["us-east-1", "eu-west-1", "ap-southeast-1"],
        description="Route 53 checker regions; at least 3 distinct ones (Route 53's minimum).")

    @field_validator("regions")
    @classmethod
    def _at_least_three(cls, v):
        if len(set(v)) < 3:
            raise ValueError("Route 53 needs at least 3 distinct checker regions")
        return v


class DnsOptions(_Model):
    """`platform:dns`: the public zone and the routing tree of the global name."""
    domain: str = Field(pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$", description="The public zone's domain.")
    # Never the zone apex: only below the apex can the routing tree answer with CNAMEs that carry
    # `ttl`; an apex alias to an ALB keeps the ELB's 60 s.
    public_label: str = Field("api", pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
                              description="The global name is `<public_label>.<domain>` (never the zone apex).")
    zone_id: Optional[str] = Field(None, pattern=r"^Z[A-Z0-9]{4,32}$", description="An existing, delegated public "
                                   "hosted zone; when empty the zone is created.")
    parent_zone_id: Optional[str] = Field(
        None, pattern=r"^Z[A-Z0-9]{4,32}$", description="The parent zone a created zone is delegated from (the "
        "stack writes the NS record there); a real preview refuses a created zone with neither key.")
    routing: Literal["latency", "geolocation", "weighted", "failover"] = Field(
        "geolocation", description="How the global name picks a zone's cells (residency first).")
    within_zone: Literal["latency", "weighted", "failover"] = Field(
        "failover", description="How the cells of one zone share that zone's traffic.")
    health_check: HealthCheckOptions = Field(HealthCheckOptions(), description="Health checks of each cell's name.")
    ttl: int = Field(30, ge=5, le=86400, description="TTL in seconds of the routing tree's records.")
    alarm_email: Optional[str] = Field(None, description="Where health-check and load-balancer alarms are mailed; "
                                       "required in prod.")

    @property
    def public_name(self) -> str:
        return f"{self.public_label}.{self.domain}"


class _DeployerBase(_Model):
    """`platform:deployer`: where `pulumi up` runs and who it is. The same `up` that creates a cluster
    creates the workload through the cluster's API, so the deployer must reach that API and hold
    cluster-admin on it. A real preview refuses a stack with cells and no deployer, documentation ranges
    (RFC 5737) in cidrs or cells[i].cluster.api_allowed_cidrs, or a missing identity for a cloud it uses; the
    offline engine accepts and reports them (--real-mode judges as a real preview would)."""
    cidrs: list[str] = Field([], description="Egress CIDRs of the runner, merged into every cluster's API "
                             "allow-list (never /0; a real preview refuses documentation ranges).")
    in_network: bool = Field(False, description="The runner sits inside each cell's network: every cluster API "
                             "is private only (not with cidrs).")

    @field_validator("cidrs")
    @classmethod
    def _no_world(cls, v: list[str]) -> list[str]:
        return _ipv4_cidrs(v, "every cluster API")

    @field_validator("in_network")
    @classmethod
    def _one_way(cls, v: bool, info: ValidationInfo) -> bool:
        if v and info.data.get("cidrs"):
            raise ValueError("a runner inside the network reaches private endpoints only; allowed: cidrs or "
                             "in_network: true, not both")
        return v


# The deploying identity of each cloud (each plugin's DEPLOYER_FIELDS) is granted cluster-admin.
DeployerOptions = create_model("DeployerOptions", __base__=_DeployerBase, __module__=__name__,
                               __doc__=_DeployerBase.__doc__, **_plugin_fields("DEPLOYER_FIELDS"))


class SloOptions(_Model):
    """`platform:slo`: the service level each cell is held to, and who hears when it burns.

    Alerts are multi-window, multi-burn-rate on the cell's own metrics (components/observability/slo.py)."""
    availability: float = Field(99.9, ge=90, lt=100, description="Percent of requests that must succeed (not 5xx) "
                                "over window_days.")
    latency_p99_ms: int = Field(500, ge=10, le=60000, description="p99 request latency must stay under this many "
                                "milliseconds.")
    error_rate: float = Field(5.0, gt=0, le=100, description="Page at once when this percent of requests fails over "
                              "5 minutes, whatever the budget; above the error budget.")
    window_days: int = Field(30, ge=7, le=90, description="The SLO window in days.")
    alert_emails: list[str] = Field([], description="Where the alerts go; default: platform:dns.alarm_email (one "
                                    "of the two is required with cells).")

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for e in v:
            if not re.match(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", e):
                raise ValueError(f"{e!r} is not an email address; allowed: e.g. oncall@example.com")
        return v

    @field_validator("error_rate")
    @classmethod
    def _above_budget(cls, v: float, info: ValidationInfo) -> float:
        a = info.data.get("availability")
        if a is not None and v <= 100 - a:
            raise ValueError(f"{v}% is within the error budget of availability {a}% ({100 - a:.3g}%); "
                             f"allowed: above {100 - a:.3g}")
        return v


class _AccessBase(_Model):
    """`platform:access`: who besides the deployer reaches every cluster of the stack, per cloud (each
    plugin's ACCESS_FIELDS); a cloud that reads none of these ignores them."""


AccessOptions = create_model("AccessOptions", __base__=_AccessBase, __module__=__name__,
                             __doc__=_AccessBase.__doc__, **_plugin_fields("ACCESS_FIELDS"))


class EdgeOptions(_Model):
    """`platform:edge`: the edge guard of every cell (web application firewall on its load balancer)."""
    rate_limit: int = Field(2000, ge=10, le=2_000_000_000, description="Requests one client IP may send in 5 "
                            "minutes before the guard throttles it (AWS WAF's minimum is 10).")
    managed_rules: Literal["block", "count"] = Field(
        "block", description="The cloud's managed core rule set: `block` enforces it, `count` only logs matches "
        "(tuning); a cloud whose WAF has one mode for all rules refuses `count`.")
    served_zones: Optional[list[str]] = Field(
        None, description="Zones served by the whole platform, other stacks' cells included (a prod cell stack "
        "sees only its own cell); default: the zones of this stack's cells and cell_stacks.")


class WorkloadOptions(_Model):
    """`platform:workload`: the inference workload every cell runs."""
    image: str = Field(description="The container image, pinned by digest: `<repository>@sha256:<64 hex>`.")
    replicas: int = Field(2, ge=1, le=100, description="Pods per cell.")
    port: int = Field(8080, ge=1024, le=65535, description="The container's HTTP port.")
    health_path: str = Field("/health", pattern=r"^/[A-Za-z0-9/_\-.]*$", description="The HTTP path the load "
                             "balancer and the health checks probe.")
    cpu: str = Field("500m", description="CPU request of each pod (Kubernetes quantity).")
    memory: str = Field("1Gi", description="Memory request of each pod (Kubernetes quantity).")

    @field_validator("image")
    @classmethod
    def _pinned(cls, v: str) -> str:
        if not releases.DIGEST_IMAGE.match(v):
            raise ValueError(
                f"image {v!r} is not pinned by digest; allowed: <repository>@sha256:<64 hex> "
                "(a tag such as :latest can change under a running cell)"
            )
        return v


class ZoneOptions(_Model):
    """`platform:zones.<zone>`: one residency zone."""
    strict: bool = Field(True, description="A strict zone's traffic and data never leave it (no failover out, no "
                         "replication out); default true except `us`.")
    regions: Optional[list[str]] = Field(None, description="Narrow the zone to these regions (default: every "
                                         "catalog region of the zone).")


class ResidencyException(_Model):
    """`platform:exceptions[i]`: an approved residency exception (an expired one is an error)."""
    zone: str = Field(description="The strict zone that may fall back out of itself.")
    fallback_cell: str = Field(description="The cell outside the zone that may serve it.")
    reason: str = Field(min_length=10, description="Why (at least 10 characters).")
    approver: str = Field(min_length=3, description="Who approved it.")
    expires: _dt.date = Field(description="Last day it holds (YYYY-MM-DD).")


class ApplyExemption(_Model):
    """`platform:apply_exemptions[i]`: silences one offline apply check (offline/apply) for matching
    resources, visibly."""
    rule: str = Field(description="The apply check's rule id.")
    resource: str = Field(min_length=1, description="A URN, a resource name or a glob over either.")
    reason: str = Field(min_length=10, description="Why (at least 10 characters).")
    expires: _dt.date = Field(description="Last day it holds (YYYY-MM-DD); a passed one is an error.")


class CellStackRef(CellPlacementConfig):
    """`platform:cell_stacks[i]` (prod-global): a cell stack to read the cell contract from (StackReference).

    The placement (name = the stack's export key, cloud, region, residency, role, weight) is
    repeated here because the routing tree must be known before the reference resolves; the
    global layer checks it against the referenced exports at deployment."""
    stack: str = Field(description="The cell stack's name.")
    organization: Optional[str] = Field(None, description="Default: the backend's (pulumi.get_organization()); set "
                                        "it only to read another organization's stack.")
    project: Optional[str] = Field(None, description="The cell stack's Pulumi project (default: this project).")


# `platform:teardown` when the stack does not set it (offline/apply/teardown.py reads the same table).
TEARDOWN_DEFAULTS = {"dev": "destroyable", "staging": "destroyable", "prod": "protected"}


class _PlatformBase(_Model):
    """The stack's `platform:*` keys (and the provider keys the config reads)."""
    stack: str = Field(description="The stack's name (from Pulumi, not a key).")
    environment: Literal["dev", "staging", "prod"] = Field(
        description="The stack's environment (prod protects keys, buckets, vaults, accounts, clusters, zones).")
    cells: list[CellSpecConfig] = Field([], description="The regional cells this stack deploys.")
    cell_stacks: list[CellStackRef] = Field([], description="prod-global: the cell stacks the global traffic "
                                            "layer reads (StackReference).")
    dns: Optional[DnsOptions] = Field(None, description="The public zone and global routing.")
    workload: Optional[WorkloadOptions] = Field(None, description="The inference workload (required with cells).")
    zones: dict[str, ZoneOptions] = Field({}, description="Per residency zone: strictness and regions.")
    exceptions: list[ResidencyException] = Field([], description="Approved residency exceptions.")
    deployer: Optional[DeployerOptions] = Field(None, description="Where `pulumi up` runs and who it is.")
    access: Optional[AccessOptions] = Field(None, description="Who besides the deployer reaches every cluster.")
    edge: EdgeOptions = Field(EdgeOptions(), description="Each cell's edge guard (WAF on its load balancer).")
    usage: Optional[dict[str, Any]] = Field(
        None, description="Usage assumptions of the cost estimate (requests, GB stored, GB egress per cell); "
        "validated by the offline engine's pricing model (offline/pricing), which owns their meaning.")
    apply_exemptions: list[ApplyExemption] = Field([], description="Visible exemptions from offline apply checks.")
    slo: Optional[SloOptions] = Field(None, description="SLO alerts per cell.")
    teardown: Optional[Literal["destroyable", "protected"]] = Field(
        None, description="What `pulumi destroy` may remove: `destroyable` lifts `protect` and the clouds' deletion "
        "protection and lets containers go with their contents; `protected` keeps all of them. Default per "
        "environment: dev/staging destroyable, prod protected (torn down in two steps: an `up` with destroyable, "
        "then destroy).")
    release: Optional[str] = Field(None, pattern=releases.ID_PATTERN, description="The release (releases/<id>.yaml: "
                                   "model + image, allowed zones) every cell serves unless it names its own.")

    @property
    def teardown_mode(self) -> str:
        """`platform:teardown`, else the environment's default."""
        return self.teardown or TEARDOWN_DEFAULTS[self.environment]

    @property
    def protect_stateful(self) -> bool:
        """Stateful resources carry `protect` and the cloud's own deletion protection (EKS, ALB, GKE)."""
        return self.teardown_mode == "protected"

    @property
    def alert_emails(self) -> list[str]:
        """Who hears SLO alerts: platform:slo.alert_emails, else the health-check alarms' address."""
        if self.slo and self.slo.alert_emails:
            return list(self.slo.alert_emails)
        return [self.dns.alarm_email] if self.dns and self.dns.alarm_email else []

    def release_of(self, cell: "CellSpecConfig") -> "Optional[releases.Release]":
        """The release `cell` serves (its own `release`, else platform:release), or None."""
        rid = cell.release or self.release
        return releases.load(rid) if rid else None

    def zone(self, zone_id: str) -> ZoneOptions:
        return self.zones.get(zone_id) or ZoneOptions(strict=placement.default_strict(zone_id))

    @property
    def served_zones(self) -> list[str]:
        """Zones the platform serves: `platform:edge.served_zones`, else the zones of this stack's cells."""
        placed = dict.fromkeys(c.residency for c in [*self.cells, *self.cell_stacks])
        return list(dict.fromkeys([*(self.edge.served_zones or []), *placed]))


def provider_keys() -> dict[str, str]:
    """PlatformConfig field -> the Pulumi provider key it is read from (each plugin's PROVIDER_FIELDS)."""
    return {name: spec[0] for name, spec in _plugin_fields("PROVIDER_FIELDS").items()}


PlatformConfig = create_model("PlatformConfig", __base__=_PlatformBase, __module__=__name__,
                              __doc__=_PlatformBase.__doc__, **{name: spec[1:] for name, spec in _plugin_fields("PROVIDER_FIELDS").items()})

# Keys of `platform:*`: every field but the stack's name and what Pulumi's provider keys feed.
KEYS = frozenset(PlatformConfig.model_fields) - {"stack"} - set(provider_keys())
