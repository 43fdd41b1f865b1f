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
import json
import re
from typing import Any, Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from . import catalog

PROJECT = "platform"  # the config namespace of this project's own keys (Pulumi.yaml `name`)

# Provider keys this program reads (Pulumi's own names); anything else in those
# namespaces is left to the provider to judge.
PROVIDER_NAMESPACES = ("aws", "gcp", "azure-native", "kubernetes", "pulumi")

_NAME = r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$"  # valid as a GCP label, an Azure name part and a DNS label
_DIGEST_IMAGE = re.compile(r"^[a-z0-9.\-/:_]+@sha256:[0-9a-f]{64}$")


class ConfigError(Exception):
    """Bad stack configuration. `str()` is the whole message for the user."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClusterOptions(_Model):
    min_nodes: int = Field(2, ge=1, le=100)
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
        for cidr in v:
            if not re.match(r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$", cidr):
                raise ValueError(f"{cidr!r} is not an IPv4 CIDR")
            if cidr.endswith("/0"):
                raise ValueError(f"{cidr!r} opens the Kubernetes API to the world; allowed: specific CIDRs")
        return v


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
    network_cidr: str = "10.0.0.0/16"
    cluster: ClusterOptions = ClusterOptions()
    bucket: BucketOptions = BucketOptions()
    # GCP only: project the cell lives in (default: gcp:project).
    project: Optional[str] = None


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
    # An existing public hosted zone; when empty the zone is created (dev).
    zone_id: Optional[str] = Field(None, pattern=r"^Z[A-Z0-9]{4,32}$")
    routing: Literal["latency", "geolocation", "weighted", "failover"] = "geolocation"
    # How cells of one zone share that zone's traffic (geolocation composes with this).
    within_zone: Literal["latency", "weighted", "failover"] = "failover"
    health_check: HealthCheckOptions = HealthCheckOptions()
    ttl: int = Field(30, ge=5, le=86400)
    alarm_email: Optional[str] = None

    @property
    def public_name(self) -> str:
        return f"{self.public_label}.{self.domain}"


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
        if not _DIGEST_IMAGE.match(v):
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
    apply_exemptions: list[ApplyExemption] = []
    # Provider settings read from Pulumi's own keys.
    gcp_project: Optional[str] = None

    @property
    def protect_stateful(self) -> bool:
        return self.environment == "prod"

    def zone(self, zone_id: str) -> ZoneOptions:
        return self.zones.get(zone_id) or ZoneOptions(strict=zone_id != "us")


# Keys of `platform:*` and what model field they feed.
_KEYS = {"environment", "cells", "cell_stacks", "dns", "workload", "zones", "exceptions", "apply_exemptions"}

_DEFAULT_ZONES = {"us": {"strict": False}, "eu": {"strict": True}, "in": {"strict": True},
                  "uk": {"strict": True}, "ch": {"strict": True}}


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


def load(stack: str, raw: Mapping[str, Any], today: Optional[_dt.date] = None) -> PlatformConfig:
    """Validate the raw Pulumi config of `stack`. Raises ConfigError with every problem found."""
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
    if problems:
        raise ConfigError("\n".join(problems))
    try:
        cfg = PlatformConfig.model_validate(data)
    except ValidationError as e:
        raise ConfigError("\n".join(_format_error(stack, err, data) for err in e.errors())) from None
    problems = _cross_checks(cfg, today)
    if problems:
        raise ConfigError("\n".join(f"stack {stack!r}: {p}" for p in problems))
    return cfg


def no_replica_region(region: str, zone: str, narrowed: bool) -> str:
    """Why an aws cell in `region` cannot be geo-redundant: its zone has no second AWS region."""
    where = f" as narrowed by {PROJECT}:zones.{zone}.regions" if narrowed else ""
    with_two = [z for z in catalog.known_zones() if len(catalog.zone_regions(z, "aws")) >= 2]
    return (f"an aws cell replicates its bucket to another AWS region of its zone, and zone {zone!r}{where} has "
            f"no AWS region besides {region}; allowed: false here (true only for aws cells in zone "
            f"{', '.join(with_two)})")


def _cross_checks(cfg: PlatformConfig, today: _dt.date) -> list[str]:
    """Rules that span keys (pydantic validates one value at a time)."""
    problems = [f"{PROJECT}:apply_exemptions[{i}].expires = {e.expires}: has passed; fix the finding or renew "
                f"the exemption with a reason" for i, e in enumerate(cfg.apply_exemptions) if e.expires < today]
    names = [c.name for c in cfg.cells]
    for i, c in enumerate(cfg.cells):
        if names.index(c.name) != i:
            problems.append(f"{PROJECT}:cells[{i}].name = {c.name!r}: duplicate cell name; cell names must be unique")
        if c.bucket.geo_redundant:
            key = f"{PROJECT}:cells[{i}].bucket.geo_redundant = true (cell {c.name!r})"
            narrowed = cfg.zone(c.residency).regions
            if c.cloud == "aws" and catalog.aws_replica_region(c.region, c.residency, narrowed) is None:
                problems.append(f"{key}: {no_replica_region(c.region, c.residency, narrowed is not None)}")
            elif c.cloud == "gcp":
                # A regional bucket is already redundant across the region's zones; a dual-region would
                # put data in a second region, and its CMEK would have to live outside the cell's region.
                problems.append(f"{key}: not supported on gcp (a regional bucket is already replicated across "
                                f"the region's zones); allowed: false")
        zone = cfg.zones.get(c.residency)
        if zone and zone.regions is not None and c.region not in zone.regions:
            problems.append(
                f"{PROJECT}:cells[{i}].region = {c.region!r}: zone {c.residency!r} is narrowed to "
                f"{', '.join(zone.regions)} by {PROJECT}:zones.{c.residency}.regions")
        if c.cloud == "gcp" and not (c.project or cfg.gcp_project):
            problems.append(f"{PROJECT}:cells[{i}].project: missing for a gcp cell; set it or gcp:project")
    for z, opts in cfg.zones.items():
        for j, r in enumerate(opts.regions or []):
            if z not in catalog.location_zones(r):
                problems.append(f"{PROJECT}:zones.{z}.regions[{j}] = {r!r}: not a region of zone {z!r}")
    if cfg.dns and cfg.dns.routing == "weighted":
        weights = [c.weight for c in [*cfg.cells, *cfg.cell_stacks]]
        if weights and not any(weights):
            problems.append(f"{PROJECT}:cells[*].weight: all weights are 0 in weighted routing; "
                            "allowed: 0..255 with at least one above 0")
    for i, ref in enumerate(cfg.cell_stacks):
        if ref.name in names:
            problems.append(f"{PROJECT}:cell_stacks[{i}].name = {ref.name!r}: duplicate cell name; "
                            "cell names must be unique across cells and cell_stacks")
        names.append(ref.name)
    if cfg.dns and cfg.dns.public_label in names:
        problems.append(f"{PROJECT}:dns.public_label = {cfg.dns.public_label!r}: it is also a cell name, and "
                        f"{cfg.dns.public_name} is that cell's own name; allowed: any DNS "
                        f"label that is not one of {', '.join(sorted(names))}")
    for i, ex in enumerate(cfg.exceptions):
        if ex.expires < today:
            problems.append(f"{PROJECT}:exceptions[{i}].expires = {ex.expires.isoformat()!r}: the exception "
                            f"expired (today is {today.isoformat()}); renew it with a new approval or remove it")
    if cfg.exceptions:
        from . import routing  # routing imports nothing of this module at run time

        placed = [routing.Cell.from_config(c) for c in [*cfg.cells, *cfg.cell_stacks]]
        for i, key, msg in routing.exception_problems(placed, routing.strict_map(cfg.zones, placed),
                                                      cfg.exceptions):
            value = getattr(cfg.exceptions[i], key)
            problems.append(f"{PROJECT}:exceptions[{i}].{key} = {value!r}: {msg}")
    if cfg.cells and cfg.workload is None:
        problems.append(f"{PROJECT}:workload: missing; cells need the inference workload (image, replicas)")
    return problems
