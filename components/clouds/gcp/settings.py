"""What a GCP cell accepts in config (pure: see clouds/aws/settings.py for why this module exists)."""
from __future__ import annotations

import ipaddress
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ...core.placement import PROJECT
from .zones import REGIONS, zones_of

# Pods per node: GKE gives each node a pod CIDR twice as large as this, a /24 for 110
# (https://cloud.google.com/kubernetes-engine/docs/how-to/flexible-pod-cidr).
MAX_PODS_PER_NODE = 110
NODE_POD_PREFIX = 24


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LogSampling(_Model):
    """How much of the network the cell logs (Cloud Logging bills each ingested GB: README "Cost").

    Defaults a cost-aware team picks: VPC flow logs on, aggregated per minute, one flow in ten, without
    the metadata annotations (Google's console default is 5 s, half the flows, all metadata: about 60x the
    records); firewall rule logging off (the two rules only admit the LB's proxies and Google's health
    checkers, and every such connection would be a record: the LB's own request log already has them);
    the LB request log at one request in ten. Raise them for an investigation, in the stack's config.
    (https://cloud.google.com/vpc/docs/flow-logs#key_properties,
    https://cloud.google.com/firewall/docs/firewall-rules-logging,
    https://cloud.google.com/load-balancing/docs/https/https-logging-monitoring#logging)"""
    flow_logs: bool = Field(True, description="VPC flow logs on the cell's subnetwork.")
    flow_interval: Literal["INTERVAL_5_SEC", "INTERVAL_30_SEC", "INTERVAL_1_MIN", "INTERVAL_5_MIN",
                           "INTERVAL_10_MIN", "INTERVAL_15_MIN"] = Field(
        "INTERVAL_1_MIN", description="How long flows are aggregated into one record.")
    flow_sampling: float = Field(0.1, gt=0, le=1, description="Share of flows logged.")
    flow_metadata: Literal["INCLUDE_ALL_METADATA", "EXCLUDE_ALL_METADATA"] = Field(
        "EXCLUDE_ALL_METADATA", description="Whether flow records carry metadata annotations.")
    firewall_logging: bool = Field(False, description="Firewall rule logging (every admitted connection a record).")
    lb_sample_rate: float = Field(0.1, ge=0, le=1, description="Share of requests in the load balancer's "
                                  "request log.")


class GcpCellSettings(_Model):
    """`platform:cells[i].gcp`: the GCP plugin's settings of one cell (all optional)."""
    logging: LogSampling = Field(LogSampling(), description="How much of the network the cell logs (Cloud "
                                 "Logging bills each ingested GB).")


# What the config schema mounts from this plugin (components/core/config/schema.py).
CellSettings = GcpCellSettings
# Keys directly on a gcp cell (they predate `cells[i].gcp` and stay where stacks have them).
CELL_FIELDS = {
    "project": (Optional[str], Field(None, description="GCP only: the project the cell lives in (default: "
                                     "gcp:project); one GCP cell per project (Workload Identity is per project).")),
    "binary_authorization": (Literal["DISABLED", "PROJECT_SINGLETON_POLICY_ENFORCE"], Field(
        "DISABLED", description="GCP only: Binary Authorization evaluation of the cluster (the project's "
        "singleton policy).")),
}
DEPLOYER_FIELDS = {"gcp_service_account": (Optional[str], Field(
    None, pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z][a-z0-9-]{4,28}[a-z0-9]\.iam\.gserviceaccount\.com$",
    description="The service account `pulumi up` runs as on GCP; granted cluster-admin on every GKE cluster."))}
# Pulumi's own provider key the config reads: the default project of gcp cells.
PROVIDER_FIELDS = {"gcp_project": ("gcp:project", Optional[str], Field(
    None, description="`gcp:project` (Pulumi's GCP provider key): the default project of gcp cells."))}


def parse(raw: Any) -> GcpCellSettings:
    return GcpCellSettings.model_validate(raw or {})
# Surge nodes per zone during an upgrade (upgradeSettings.maxSurge is per zone of the pool).
MAX_SURGE = 1
# The node pool's machine and boot disk (cluster.py builds it; preflight.py sizes the quota from it).
MACHINE_TYPE = "e2-standard-4"
DISK_SIZE_GB = 100


def pod_range_prefix(network_cidr: str) -> int:
    """The pods secondary range is the upper half of the cell's CIDR (network.SubnetPlan)."""
    return ipaddress.ip_network(network_cidr, strict=False).prefixlen + 1


def pod_range_nodes(network_cidr: str) -> int:
    """How many nodes the pods range can give a /24 each."""
    return 2 ** max(0, NODE_POD_PREFIX - pod_range_prefix(network_cidr))


# Sizes of `network_cidr` the cell's address plan fits (the plan gives pods half the range and nodes/services/proxy-only subnets eighths of the other half: /19 is the smallest that fits a node pool).
NETWORK_PREFIXES = range(8, 20)


def check(index: int, cell: Any, cfg: Any) -> list[str]:
    out = []  # `cells[i].gcp` itself is validated by its model (GcpCellSettings)
    where = f"{PROJECT}:cells[{index}]"
    if cell.bucket.geo_redundant:
        # A regional bucket is already redundant across the region's zones; a dual-region would
        # put data in a second region, and its CMEK would have to live outside the cell's region.
        out.append(f"{where}.bucket.geo_redundant = true (cell {cell.name!r}): not supported on "
                   "gcp (a regional bucket is already replicated across the region's zones); allowed: false")
    project = cell.project or cfg.gcp_project
    if not project:
        out.append(f"{where}.project: missing for a gcp cell; set it or gcp:project")
    else:
        # Workload Identity: `<project>.svc.id.goog[inference/inference]` names every cluster of the
        # project (identity sameness), so a second cell in the same project could act as this one's
        # service account and read its bucket. One GCP cell per project keeps identities apart.
        earlier = [c.name for c in cfg.cells[:index] if c.cloud == "gcp" and (c.project or cfg.gcp_project) == project]
        if earlier:
            out.append(f"{where}.project = {project!r} (cell {cell.name!r}): already the project of cell "
                       f"{earlier[0]!r}; Workload Identity is shared by every cluster of a project, so each GCP cell "
                       "needs its own project; allowed: a project no other gcp cell of the stack uses")
    if cell.region in REGIONS:
        zones = len(zones_of(cell.region))
        need = cell.cluster.max_nodes + zones * MAX_SURGE
        try:
            capacity = pod_range_nodes(cell.network_cidr)
        except ValueError:
            capacity = None  # a malformed CIDR is reported by the network_cidr validation
        if capacity is not None and capacity < need:
            out.append(f"{where}.cluster.max_nodes = {cell.cluster.max_nodes} (cell {cell.name!r}): the pods range "
                       f"/{pod_range_prefix(cell.network_cidr)} of network_cidr {cell.network_cidr} holds "
                       f"{capacity} nodes at {MAX_PODS_PER_NODE} pods each, and the pool needs {need} "
                       f"(max_nodes + {MAX_SURGE} surge node in each of {zones} zones); allowed: max_nodes <= "
                       f"{capacity - zones * MAX_SURGE}, or a larger network_cidr")
    return out


def spec_fields(cell: Any, cfg: Any) -> dict:
    """The project the cell lives in (its own `project`, else the stack's `gcp:project`), the
    cluster's Binary Authorization mode and the cell's GCP settings (`platform:cells[i].gcp`)."""
    return {"gcp_project": cell.project or cfg.gcp_project, "gcp_binary_authorization": cell.binary_authorization,
            "gcp": parse(getattr(cell, "gcp", None))}
