"""Rules that span keys (pydantic validates one value at a time): across a stack's keys, across its
cells and stacks, and what each cell's cloud adds (its plugin settings' `check`). Each problem is one
`platform:<key> ...: <why>; allowed: ...` line; `load` prefixes the stack.

`deployment_problems` are what only a real deployment cannot live with (documentation ranges, an
undelegated zone, an unknown deployer): a real preview or up refuses them, the offline engine reports them."""
from __future__ import annotations

import datetime as _dt
import ipaddress
from types import ModuleType

from ...clouds.plugins import PLUGINS
from .. import catalog, placement, release as releases
from ..placement import PROJECT
from .schema import CellSpecConfig, PlatformConfig, cell_keys_of, is_documentation_range


def cloud_settings(cloud: str) -> ModuleType:
    """The pure settings module of a cloud's plugin (`components/clouds/<cloud>/settings.py`), from the
    plugin registry: core names no cloud. A test keeps every `settings.py` free of pulumi like the core."""
    return PLUGINS[cloud].settings()


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def foreign_keys(index: int, cell: CellSpecConfig) -> list[str]:
    """Cell keys another cloud's plugin owns (its settings model's key, its `CELL_FIELDS`), set on this cell."""
    own = set(cell_keys_of(cell.cloud))
    out = []
    for other in PLUGINS:
        for key in cell_keys_of(other):
            if key in own or key not in cell.model_fields_set:
                continue
            value = getattr(cell, key)
            shown = value.model_dump(exclude_unset=True) if hasattr(value, "model_dump") else value
            out.append(f"{PROJECT}:cells[{index}].{key} = {shown!r} (cell {cell.name!r}): {_article(other)} {other} "
                       f"setting, and this cell is on {cell.cloud}; allowed: only on {other} cells (omit it here)")
    return out


def deployment_problems(cfg: PlatformConfig) -> list[str]:
    """What stops a real `pulumi up` from reaching its clusters or validating its certificates.

    A real preview or up refuses these; the offline engine accepts them (example stacks keep
    documentation ranges) and reports them."""
    problems = []
    dep = cfg.deployer
    if cfg.cells and dep is None:
        problems.append(f"{PROJECT}:deployer: missing; the same `up` that creates a cluster creates the workload "
                        "through its API; allowed: {cidrs: [<runner egress CIDR>...]} or {in_network: true}, "
                        "with the deploying identity of each cloud ("
                        + ", ".join(p.deployer_identity for p in PLUGINS.values()) + ")")
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


def cross_checks(cfg: PlatformConfig, today: _dt.date) -> list[str]:
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
        problems += foreign_keys(i, c)
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
    problems += release_problems(cfg)
    return problems


def release_problems(cfg: PlatformConfig) -> list[str]:
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
