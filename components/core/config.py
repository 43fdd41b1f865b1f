"""Typed, validated stack configuration.

One validation path for `pulumi up` and the offline engine: both hand the raw
Pulumi config (flat `namespace:key` -> string, as the engine passes it to the
program) to `load()`, which either returns a `PlatformConfig` or raises a
`ConfigError` naming the stack, the key path, the bad value and what is allowed,
before any resource is registered.

Pure: pydantic and the region catalog, no cloud SDK.
"""
from __future__ import annotations

import datetime as _dt
import difflib
import importlib
import json
import ipaddress
import re
from types import ModuleType
from typing import Any, Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from ..clouds.plugins import PLUGINS
from . import catalog, placement, release as releases
from .placement import PROJECT

_NAME = r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$"  # valid as a GCP label, an Azure name part and a DNS label


class ConfigError(Exception):
    """Bad stack configuration. `str()` is the whole message for the user."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    min_nodes: int = Field(2, ge=1, le=100)
    # The workload's node size (NODE_SIZES); the same default on every cloud.
    node_size: Literal["small", "medium", "large"] = "medium"
    max_nodes: int = Field(5, ge=1, le=1000)
    kubernetes_version: str = "1.33"
    # CIDRs allowed to reach the Kubernetes API; empty = private endpoint only.
    api_allowed_cidrs: list[str] = []

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
    noncurrent_version_days: int = Field(30, ge=1, le=3650)
    # Geo-redundant storage where the cloud offers it *inside the zone*; never across zones.
    geo_redundant: bool = False


class CellPlacementConfig(_Model):
    """Where a cell is and how it takes traffic: all that the global routing layer needs."""
    name: str = Field(pattern=_NAME)
    cloud: Literal["aws", "gcp", "azure"]
    region: str
    residency: str
    role: Literal["primary", "secondary", "active"] = "active"
    weight: int = Field(100, ge=0, le=255)

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


class CellSpecConfig(CellPlacementConfig):
    # The cell's private address space; how large it must be is the cloud's rule (settings.NETWORK_PREFIXES).
    network_cidr: str = "10.0.0.0/16"
    cluster: ClusterOptions = ClusterOptions()
    bucket: BucketOptions = BucketOptions()
    # GCP only: project the cell lives in (default: gcp:project).
    project: Optional[str] = None
    # GCP only: Binary Authorization evaluation of the cluster (the project's singleton policy).
    binary_authorization: Literal["DISABLED", "PROJECT_SINGLETON_POLICY_ENFORCE"] = "DISABLED"
    # Azure only: the Azure plugin's settings of the cell (components/clouds/azure/settings.py checks them).
    azure: Optional[dict[str, Any]] = None
    # The release this cell serves (releases/<id>.yaml), overriding platform:release (e.g. a canary cell).
    release: Optional[str] = Field(None, pattern=releases.ID_PATTERN)
    # GCP only: the GCP plugin's settings of the cell (components/clouds/gcp/settings.py checks them).
    gcp: Optional[dict[str, Any]] = None
    # AWS only: the AWS plugin's settings of the cell (components/clouds/aws/settings.py checks them).
    aws: Optional[dict[str, Any]] = None

    @field_validator("aws")
    @classmethod
    def _aws_only(cls, v, info: ValidationInfo):
        if v is not None and info.data.get("cloud") not in (None, "aws"):
            raise ValueError(f"AWS settings on a {info.data.get('cloud')} cell; allowed: only on aws cells")
        return v

    @field_validator("azure")
    @classmethod
    def _azure_only(cls, v, info: ValidationInfo):
        if v is not None and info.data.get("cloud") not in (None, "azure"):
            raise ValueError(f"Azure settings on a {info.data.get('cloud')} cell; allowed: only on azure cells")
        return v

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


class HealthCheckOptions(_Model):
    request_interval: Literal[10, 30] = 10
    failure_threshold: int = Field(3, ge=1, le=10)
    # Route 53 checker regions; at least 3 are required by Route 53.
    regions: list[Literal["us-east-1", "us-west-1", "us-west-2", "eu-west-1",
                          "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1"]] = [
        "us-east-1", "eu-west-1", "ap-southeast-1"]

    @field_validator("regions")
    @classmethod
    def _at_least_three(cls, v):
        if len(set(v)) < 3:
            raise ValueError("Route 53 needs at least 3 distinct checker regions")
        return v


class DnsOptions(_Model):
    domain: str = Field(pattern=r"^([a-z0-9-]+\.)+[a-z]{2,}$")
    # The public name is `<public_label>.<domain>`, never the zone apex: only below the apex can the
    # routing tree answer with CNAMEs that carry `ttl`; an apex alias to an ALB keeps the ELB's 60 s.
    public_label: str = Field("api", pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
    # An existing public hosted zone, already delegated; when empty the zone is created (dev).
    zone_id: Optional[str] = Field(None, pattern=r"^Z[A-Z0-9]{4,32}$")
    # A created zone is delegated from this parent zone (the stack writes the NS record there):
    # without a delegation no certificate validates and no health check resolves.
    parent_zone_id: Optional[str] = Field(None, pattern=r"^Z[A-Z0-9]{4,32}$")
    routing: Literal["latency", "geolocation", "weighted", "failover"] = "geolocation"
    # How cells of one zone share that zone's traffic (geolocation composes with this).
    within_zone: Literal["latency", "weighted", "failover"] = "failover"
    health_check: HealthCheckOptions = HealthCheckOptions()
    ttl: int = Field(30, ge=5, le=86400)
    alarm_email: Optional[str] = None

    @property
    def public_name(self) -> str:
        return f"{self.public_label}.{self.domain}"


class DeployerOptions(_Model):
    """Where `pulumi up` runs and who it is: the same `up` that creates a cluster creates the workload
    through the cluster's API, so the deployer must reach that API and hold cluster-admin on it."""
    # Egress CIDRs of the runner; merged into every cluster's API allow-list.
    cidrs: list[str] = []
    # The runner sits inside each cell's network: every cluster API is private only.
    in_network: bool = False
    # The deploying identity per cloud, granted cluster-admin (EKS access entry, GKE IAM, AKS RBAC).
    aws_role_arn: Optional[str] = Field(None, pattern=r"^arn:aws:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
    gcp_service_account: Optional[str] = Field(
        None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$")
    azure_object_id: Optional[str] = Field(
        None, pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

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


class SloOptions(_Model):
    """`platform:slo`: the service level each cell is held to, and who hears when it burns.

    Alerts are multi-window, multi-burn-rate on the cell's own metrics (components/observability/slo.py)."""
    # Share of requests that must succeed (not 5xx) over `window_days`, in percent.
    availability: float = Field(99.9, ge=90, lt=100)
    # p99 of request latency must stay under this many milliseconds.
    latency_p99_ms: int = Field(500, ge=10, le=60000)
    # Page at once when this share of requests (percent) fails over 5 minutes, whatever the budget.
    error_rate: float = Field(5.0, gt=0, le=100)
    window_days: int = Field(30, ge=7, le=90)
    # Where the alerts go; default: platform:dns.alarm_email (the health-check alarms' address).
    alert_emails: list[str] = []

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


class AccessOptions(_Model):
    """Who besides the deployer reaches every cluster of the stack (platform:access), per cloud. Today:
    AWS (EKS access entries); a cloud that reads none of these ignores them."""
    # Cluster-admin for the operators' role (incident response, upgrades).
    aws_operators_role_arn: Optional[str] = Field(None, pattern=r"^arn:aws:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")
    # Read-only (no Secrets) for the role the credentialed PR preview uses.
    aws_readonly_role_arn: Optional[str] = Field(None, pattern=r"^arn:aws:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")


class EdgeOptions(_Model):
    """The edge guard of every cell (web application firewall on its load balancer, issue #21)."""
    # Requests a single client IP may send in 5 minutes before the guard throttles it (AWS WAF
    # rate-based rule, Cloud Armor throttle, App Gateway rate-limit rule; AWS's minimum is 10).
    rate_limit: int = Field(2000, ge=10, le=2_000_000_000)
    # The cloud's managed core rule set: `block` enforces it, `count` only logs matches (tuning).
    managed_rules: Literal["block", "count"] = "block"
    # Zones served by the whole platform, other stacks' cells included (a prod cell stack sees only
    # its own cell); default: the zones of this stack's cells and cell_stacks.
    served_zones: Optional[list[str]] = None


class WorkloadOptions(_Model):
    image: str
    replicas: int = Field(2, ge=1, le=100)
    port: int = Field(8080, ge=1024, le=65535)
    health_path: str = Field("/health", pattern=r"^/[A-Za-z0-9/_\-.]*$")
    cpu: str = "500m"
    memory: str = "1Gi"

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
    # A strict zone's traffic and data never leave it (no failover out, no replication out).
    strict: bool = True
    # Narrow the zone to these regions (default: every catalog region of the zone).
    regions: Optional[list[str]] = None


class ResidencyException(_Model):
    zone: str
    fallback_cell: str
    reason: str = Field(min_length=10)
    approver: str = Field(min_length=3)
    expires: _dt.date


class ApplyExemption(_Model):
    """Silences one offline apply check (offline/apply) for matching resources, visibly."""
    rule: str
    resource: str = Field(min_length=1)  # a URN, a resource name or a glob over either
    reason: str = Field(min_length=10)
    expires: _dt.date


class CellStackRef(CellPlacementConfig):
    """prod-global: a cell stack to read the cell contract from (StackReference).

    The placement (name = the stack's export key, cloud, region, residency, role, weight) is
    repeated here because the routing tree must be known before the reference resolves; the
    global layer checks it against the referenced exports at deployment."""
    stack: str
    organization: Optional[str] = None
    project: Optional[str] = None


class PlatformConfig(_Model):
    stack: str
    environment: Literal["dev", "staging", "prod"]
    cells: list[CellSpecConfig] = []
    cell_stacks: list[CellStackRef] = []
    dns: Optional[DnsOptions] = None
    workload: Optional[WorkloadOptions] = None
    zones: dict[str, ZoneOptions] = {}
    exceptions: list[ResidencyException] = []
    deployer: Optional[DeployerOptions] = None
    access: Optional[AccessOptions] = None
    edge: EdgeOptions = EdgeOptions()
    # Usage assumptions of the cost estimate (requests, GB stored, GB egress per cell); validated by the
    # offline engine's pricing model (offline/pricing), which owns their meaning.
    usage: Optional[dict[str, Any]] = None
    apply_exemptions: list[ApplyExemption] = []
    slo: Optional[SloOptions] = None
    # What `pulumi destroy` may remove (README "Teardown"): `destroyable` lifts `protect` and the clouds'
    # own deletion protection and lets containers go with their contents (force destroy); `protected`
    # keeps all of them. Default per environment (`TEARDOWN_DEFAULTS`): dev/staging destroyable, prod
    # protected. Prod is torn down in two steps: an `up` with `destroyable`, then `destroy`.
    teardown: Optional[Literal["destroyable", "protected"]] = None
    # The release (releases/<id>.yaml: model + image, allowed zones) every cell serves unless it names its own.
    release: Optional[str] = Field(None, pattern=releases.ID_PATTERN)
    # Provider settings read from Pulumi's own keys.
    gcp_project: Optional[str] = None

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


# `platform:teardown` when the stack does not set it (offline/apply/teardown.py reads the same table).
TEARDOWN_DEFAULTS = {"dev": "destroyable", "staging": "destroyable", "prod": "protected"}

# Keys of `platform:*` and what model field they feed.
_KEYS = {"environment", "cells", "cell_stacks", "dns", "workload", "zones", "exceptions", "deployer", "usage",
         "apply_exemptions", "slo", "access", "edge", "teardown", "release"}

_DEFAULT_ZONES = {z: {"strict": strict} for z, strict in placement.DEFAULT_ZONES.items()}


def _parse_value(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, ValueError):
        return raw


def _loc_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _value_at(data: Any, loc: tuple) -> Any:
    cur = data
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that owns the mapping at `loc` (to suggest field names)."""
    model: Any = PlatformConfig
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ()) or ()
        candidates = [ann, *args]
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            for a in args:
                inner = getattr(a, "__args__", ()) or ()
                model = next((c for c in inner if isinstance(c, type) and issubclass(c, BaseModel)), None)
                if model:
                    break
    return model


def _format_error(stack: str, err: dict, data: dict) -> str:
    loc = tuple(err["loc"])
    key = f"{PROJECT}:{_loc_path(loc)}" if loc else PROJECT
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        fields = sorted(parent.model_fields) if parent else []
        if loc[:-1] == ():
            fields = sorted(_KEYS)
        hint = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        did = f"did you mean {hint[0]!r}? " if hint else ""
        return f"stack {stack!r}: {key}: unknown key; {did}allowed: {', '.join(fields)}"
    value = _value_at(data, loc)
    shown = f" = {json.dumps(value, default=str)}" if value is not None and not isinstance(value, (dict, list)) else ""
    return f"stack {stack!r}: {key}{shown}: {msg}"


def load(stack: str, raw: Mapping[str, Any], today: Optional[_dt.date] = None,
         deployment: bool = False) -> PlatformConfig:
    """Validate the raw Pulumi config of `stack`. Raises ConfigError with every problem found.

    `deployment` (a real preview or up) also refuses what only a real deployment cannot live with
    (`deployment_problems`: documentation ranges, an undelegated zone, an unknown deployer); the
    offline engine accepts those, so that example stacks run, and lists them in its report."""
    today = today or _dt.date.today()
    problems: list[str] = []
    data: dict[str, Any] = {"stack": stack}
    for full_key, value in raw.items():
        ns, _, key = full_key.partition(":")
        if ns != PROJECT:
            continue
        if key not in _KEYS:
            hint = difflib.get_close_matches(key, sorted(_KEYS), n=1)
            did = f"did you mean '{PROJECT}:{hint[0]}'? " if hint else ""
            problems.append(f"stack {stack!r}: {full_key}: unknown key; {did}allowed: "
                            + ", ".join(f"{PROJECT}:{k}" for k in sorted(_KEYS)))
            continue
        data[key] = _parse_value(value)
    data.setdefault("zones", {})
    if isinstance(data["zones"], dict):
        data["zones"] = {**_DEFAULT_ZONES, **data["zones"]}
    data["gcp_project"] = raw.get("gcp:project")
    if "environment" not in data:
        problems.append(f"stack {stack!r}: {PROJECT}:environment: missing; allowed: dev, staging, prod")
    # Every problem at once (issue #38): unknown keys, then each value pydantic refuses, then the
    # rules that span keys, judged on what is valid (a key that failed is left out of those, so a
    # cross-key rule never reports a consequence of an error already listed).
    try:
        cfg = PlatformConfig.model_validate(data)
    except ValidationError as e:
        errors = [err for err in e.errors() if tuple(err["loc"]) != ("environment",) or "environment" in data]
        problems += [_format_error(stack, err, data) for err in errors]
        failed = {err["loc"][0] for err in errors if err["loc"]}
        cfg = _valid_part(data, failed)
        if cfg is not None:
            dropped = [f"{PROJECT}:{k}" for k in failed]
            problems += [f"stack {stack!r}: {p}" for p in _cross_checks(cfg, today)
                         if not any(d in p for d in dropped)]
        raise ConfigError("\n".join(problems)) from None
    later = _cross_checks(cfg, today)
    if deployment:
        later += deployment_problems(cfg)
    problems += [f"stack {stack!r}: {p}" for p in later]
    if problems:
        raise ConfigError("\n".join(problems))
    return cfg


def _valid_part(data: dict, failed: set) -> Optional[PlatformConfig]:
    """The config without its failing top-level keys (their defaults instead), or None when a key
    without a default failed (nothing sound is left to cross-check)."""
    rest = {k: v for k, v in data.items() if k not in failed}
    try:
        return PlatformConfig.model_validate(rest)
    except ValidationError:
        return None


def _foreign_keys(index: int, cell: CellSpecConfig) -> list[str]:
    """Cell keys another cloud's plugin owns (its settings' `CELL_KEYS`), set on this cell."""
    own = set(getattr(cloud_settings(cell.cloud), "CELL_KEYS", ()))
    out = []
    for other in catalog.REGIONS:
        for key in getattr(cloud_settings(other), "CELL_KEYS", ()):
            if key not in own and key in cell.model_fields_set:
                out.append(f"{PROJECT}:cells[{index}].{key} = {getattr(cell, key)!r} (cell {cell.name!r}): a {other} "
                           f"setting, and this cell is on {cell.cloud}; allowed: omit it")
    return out


def cloud_settings(cloud: str) -> ModuleType:
    """The pure settings module of a cloud's plugin (`components/clouds/<cloud>/settings.py`).

    Looked up by name, not imported at the top: core must not import the cloud packages (their
    cells import the cloud SDKs), and a new cloud only adds its folder. A test keeps every
    `settings.py` free of pulumi like the core, and checks every catalog cloud has one."""
    return importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.clouds.{cloud}.settings")


def deployment_problems(cfg: PlatformConfig) -> list[str]:
    """What stops a real `pulumi up` from reaching its clusters or validating its certificates.

    A real preview or up refuses these; the offline engine accepts them (example stacks keep
    documentation ranges) and reports them."""
    problems = []
    dep = cfg.deployer
    if cfg.cells and dep is None:
        problems.append(f"{PROJECT}:deployer: missing; the same `up` that creates a cluster creates the workload "
                        "through its API; allowed: {cidrs: [<runner egress CIDR>...]} or {in_network: true}, "
                        "with the deploying identity of each cloud (aws_role_arn, gcp_service_account, "
                        "azure_object_id)")
    if dep is not None:
        for j, cidr in enumerate(dep.cidrs):
            if is_documentation_range(cidr):
                problems.append(f"{PROJECT}:deployer.cidrs[{j}] = {cidr!r}: a documentation range (RFC 5737) no "
                                "runner egresses from; allowed: the runner's real egress CIDRs")
        if not dep.cidrs and not dep.in_network and cfg.cells:
            problems.append(f"{PROJECT}:deployer: neither cidrs nor in_network; allowed: the runner's egress CIDRs "
                            "or in_network: true")
        for cloud in sorted({c.cloud for c in cfg.cells}):
            key = PLUGINS[cloud].deployer_identity if cloud in PLUGINS else None
            if key and getattr(dep, key) is None:
                problems.append(f"{PROJECT}:deployer.{key}: missing for the {cloud} cells; the deploying identity "
                                "is granted cluster-admin on each cluster it creates")
    for i, c in enumerate(cfg.cells):
        for j, cidr in enumerate(c.cluster.api_allowed_cidrs):
            if is_documentation_range(cidr):
                problems.append(f"{PROJECT}:cells[{i}].cluster.api_allowed_cidrs[{j}] = {cidr!r}: a documentation "
                                "range (RFC 5737); allowed: operators' real CIDRs (the deployer's come from "
                                f"{PROJECT}:deployer.cidrs)")
    if cfg.dns and not cfg.dns.zone_id and not cfg.dns.parent_zone_id:
        problems.append(f"{PROJECT}:dns.parent_zone_id: missing for the created zone {cfg.dns.domain!r}: nothing "
                        "delegates it, so no certificate validates and no health check resolves; allowed: the "
                        f"parent zone's id (Z...), or {PROJECT}:dns.zone_id of an existing delegated zone")
    return problems


def _cross_checks(cfg: PlatformConfig, today: _dt.date) -> list[str]:
    """Rules that span keys (pydantic validates one value at a time)."""
    problems = [f"{PROJECT}:apply_exemptions[{i}].expires = {e.expires}: has passed; fix the finding or renew "
                f"the exemption with a reason" for i, e in enumerate(cfg.apply_exemptions) if e.expires < today]
    if cfg.environment == "prod" and cfg.dns and not cfg.dns.alarm_email:
        problems.append(f"{PROJECT}:dns.alarm_email: missing in a prod stack; its health and load-balancer alarms "
                        "would notify nobody; allowed: the on-call address (e.g. oncall@example.com)")
    if cfg.dns and cfg.dns.zone_id and cfg.dns.parent_zone_id:
        problems.append(f"{PROJECT}:dns.parent_zone_id = {cfg.dns.parent_zone_id!r}: only a created zone is "
                        f"delegated by the stack, and {PROJECT}:dns.zone_id names an existing one; allowed: one of "
                        "the two")
    if cfg.deployer and cfg.deployer.in_network:
        for i, c in enumerate(cfg.cells):
            if c.cluster.api_allowed_cidrs:
                problems.append(f"{PROJECT}:cells[{i}].cluster.api_allowed_cidrs: set while "
                                f"{PROJECT}:deployer.in_network is true (private endpoints only); allowed: []")
    for i, c in enumerate(cfg.cells):
        settings = cloud_settings(c.cloud)
        problems += settings.check(i, c, cfg)  # what only this cell's cloud knows
        problems += _foreign_keys(i, c)
        sizes = settings.NETWORK_PREFIXES  # the address plan of the cloud's network piece needs these sizes
        prefix = ipaddress.ip_network(c.network_cidr).prefixlen
        if prefix not in sizes:
            problems.append(f"{PROJECT}:cells[{i}].network_cidr = {c.network_cidr!r}: a /{prefix} does not hold a "
                            f"{c.cloud} cell's address plan; allowed: /{sizes[0]} to /{sizes[-1]}")
        zone = cfg.zones.get(c.residency)
        if zone and zone.regions is not None and c.region not in zone.regions:
            problems.append(
                f"{PROJECT}:cells[{i}].region = {c.region!r}: zone {c.residency!r} is narrowed to "
                f"{', '.join(zone.regions)} by {PROJECT}:zones.{c.residency}.regions")
    for z, opts in cfg.zones.items():
        for j, r in enumerate(opts.regions or []):
            if z not in catalog.location_zones(r):
                problems.append(f"{PROJECT}:zones.{z}.regions[{j}] = {r!r}: not a region of zone {z!r}")
    if cfg.dns and cfg.dns.routing == "weighted":
        weights = [c.weight for c in [*cfg.cells, *cfg.cell_stacks]]
        if weights and not any(weights):
            problems.append(f"{PROJECT}:cells[*].weight: all weights are 0 in weighted routing; "
                            "allowed: 0..255 with at least one above 0")
    # Names, the public label and residency exceptions: the one check routing.plan shares.
    placed = [*cfg.cells, *cfg.cell_stacks]
    problems += placement.problems(
        placed, cfg.dns.public_label if cfg.dns else None, placement.strict_map(cfg.zones, placed), cfg.exceptions,
        keys=[f"cells[{i}]" for i in range(len(cfg.cells))] + [f"cell_stacks[{i}]" for i in range(len(cfg.cell_stacks))],
        domain=cfg.dns.domain if cfg.dns else "<domain>")
    for i, ex in enumerate(cfg.exceptions):
        if ex.expires < today:
            problems.append(f"{PROJECT}:exceptions[{i}].expires = {ex.expires.isoformat()!r}: the exception "
                            f"expired (today is {today.isoformat()}); renew it with a new approval or remove it")
    if cfg.slo and cfg.cells and not cfg.alert_emails:
        problems.append(f"{PROJECT}:slo.alert_emails: empty and {PROJECT}:dns.alarm_email unset; SLO alerts would "
                        "reach nobody; allowed: one or more email addresses in either key")
    known = catalog.known_zones()
    for j, z in enumerate(cfg.edge.served_zones or []):
        if z not in known:
            problems.append(f"{PROJECT}:edge.served_zones[{j}] = {z!r}: not a residency zone of the catalog; "
                            f"allowed: {', '.join(known)}")
    if cfg.edge.served_zones is not None:
        missing = sorted({c.residency for c in [*cfg.cells, *cfg.cell_stacks]} - set(cfg.edge.served_zones))
        if missing:
            problems.append(f"{PROJECT}:edge.served_zones: misses {', '.join(missing)}, served by this stack's own "
                            "cells; allowed: every zone the platform serves")
    if cfg.cells and cfg.workload is None:
        problems.append(f"{PROJECT}:workload: missing; cells need the inference workload (image, replicas)")
    problems += _release_problems(cfg)
    return problems


def _release_problems(cfg: PlatformConfig) -> list[str]:
    """Each cell's release exists, is valid and allows the cell's zone (a model never lands out of zone)."""
    problems = []
    for i, c in enumerate(cfg.cells):
        key = f"{PROJECT}:cells[{i}].release" if c.release else f"{PROJECT}:release"
        try:
            rel = cfg.release_of(c)
        except releases.ReleaseError as exc:
            problems.append(f"{key}: {exc}")
            continue
        if rel is not None and not rel.allows(c.residency):
            problems.append(f"{key} = {rel.id!r}: cell {c.name!r} is in zone {c.residency!r}, which the release "
                            f"does not allow; allowed zones of {rel.id}: {', '.join(rel.allowed_zones)} (or give "
                            f"the cell another release with {PROJECT}:cells[{i}].release)")
    return problems
