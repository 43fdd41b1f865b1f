"""Assembles a stack: plan -> cells -> workload on each cell -> global traffic -> exports.

`__main__.py` calls `build()` with the validated config; nothing here reads
pulumi.Config, and nothing here names a cloud: each cell is built by its cloud's
driver (`clouds.drivers.DRIVERS`), and what differs per cloud reaches the workload and
the global layer as values of the contract (Endpoint, PodIdentity, WorkloadExposure).
Every decision made before a resource exists (strict zones, routing tree, edge guards, cell
specs) is the stack's one `PlatformPlan` (`core/plan.py`), computed once here and read by all.
"""
from __future__ import annotations

from typing import Optional

import pulumi

from . import tags
from .clouds.drivers import DRIVERS
from .contract import CellComponent, CellOutputs
from .core import routing
from .core.config import PlatformConfig
from .core.plan import PlatformPlan, builds_global_traffic, with_dns  # noqa: F401 (builds_global_traffic: API)
from .observability import dashboard
from .global_traffic.cert_validation import DnsValidator
from .global_traffic.hosted_zone import global_aws_provider, public_zone
from .global_traffic.records import GlobalTraffic, GlobalTrafficArgs
from .workload import InferenceService, InferenceServiceArgs

EDGE_GUARDS_EXPORT = "edge_guards"

def plan_of(cfg: PlatformConfig) -> PlatformPlan:
    """The stack's plan, with each cloud's endpoint kind from its driver."""
    return PlatformPlan.of(cfg, {cloud: d.endpoint_kind for cloud, d in DRIVERS.items()})


def build_cells(plan: PlatformPlan, zone_id: Optional[pulumi.Input[str]] = None,
                dns_validator: Optional[DnsValidator] = None) -> list[CellComponent]:
    return [DRIVERS[spec.cloud].cell(with_dns(spec, zone_id, dns_validator)) for spec in plan.cells]


def referenced_cells(cfg: PlatformConfig, plan: PlatformPlan) -> list[tuple[routing.Cell, CellOutputs]]:
    """prod-global: each cell stack's exported cell contract, by StackReference."""
    out = []
    for ref_cfg in cfg.cell_stacks:
        org = ref_cfg.organization or pulumi.get_organization()
        project = ref_cfg.project or pulumi.get_project()
        ref = pulumi.StackReference(f"{org}/{project}/{ref_cfg.stack}")
        outputs = CellOutputs.from_stack_reference(ref, ref_cfg.name, DRIVERS[ref_cfg.cloud].endpoint_kind)
        out.append((plan.placement(ref_cfg.name), outputs))
    return out


# Stack output holding the global view (Grafana dashboard JSON); not a valid cell name (underscore).
DASHBOARD_EXPORT = "observability_dashboard"


def export_dashboard(plan: PlatformPlan, health_check_ids: Optional[dict] = None) -> None:
    """One row per cell of the stack, and per referenced cell in prod-global (README "Observe"); the
    health-check panels name each cell's Route 53 check when this stack owns them."""
    placed = plan.placements
    if not placed:
        return
    sources = dashboard.sources(plan)
    ids = {c.name: health_check_ids[c.name] for c in placed if c.name in (health_check_ids or {})}
    pulumi.export(DASHBOARD_EXPORT, pulumi.Output.all(**ids).apply(
        lambda known: dashboard.dashboard_json(plan.stack, sources, known)) if ids
        else dashboard.dashboard_json(plan.stack, sources))


def build(cfg: PlatformConfig) -> None:
    tags.register_stack_labels(cfg.environment)
    plan = plan_of(cfg)
    zone_id = None
    global_provider = None
    validator = None
    if cfg.dns:
        global_provider = global_aws_provider()
        zone_id = public_zone(cfg.dns, global_provider, protect=cfg.protect_stateful)
        # One writer of certificate-validation records for every cell of the stack.
        validator = DnsValidator(zone_id=zone_id, provider=global_provider, zone_owned=not cfg.dns.zone_id)
    cells = build_cells(plan, zone_id=zone_id, dns_validator=validator)
    for cell in cells:
        # A child of its cell: inherits the cell's labels, and its objects sit under the cell in the tree.
        InferenceService(f"{cell.spec.name}-inference", InferenceServiceArgs.of_cell(cell),
                         opts=pulumi.ResourceOptions(parent=cell))
    for cell in cells:
        cell.outputs.export()
    health_check_ids = None
    if plan.edge:
        # What each cell's edge refuses (the report's "Edge guards"); an underscore is never a cell name.
        pulumi.export(EDGE_GUARDS_EXPORT, {spec.name: {"residency": spec.residency,
                                                       "refused_zones": list(plan.edge[spec.name].refused_zones),
                                                       "refused_countries": list(plan.edge[spec.name].refused_countries)}
                                           for spec in plan.cells})
    if plan.tree is not None:
        assert cfg.dns is not None and zone_id is not None and global_provider is not None
        placed = [(plan.placement(cell.spec.name), cell.outputs) for cell in cells] + referenced_cells(cfg, plan)
        traffic = GlobalTraffic("global", GlobalTrafficArgs(
            dns=cfg.dns, zone_id=zone_id, cells=[o for _, o in placed], tree=plan.tree, provider=global_provider,
            protect=cfg.protect_stateful))
        # Not a valid cell name (underscore), so it never collides with a cell's export.
        pulumi.export("global_traffic", traffic.summary())
        health_check_ids = traffic.health_check_ids
    export_dashboard(plan, health_check_ids)
