"""Before a GCP cell's first `up`: what its project must hold that the program cannot create.

    python -m components.clouds.gcp.preflight STACK            # what each GCP cell of STACK needs
    python -m components.clouds.gcp.preflight STACK --check    # ask gcloud and compare (exit 1 if short)

- Quota, in the cell's region, for the node pool at `max_nodes` plus the upgrade surge (one node per
  zone): vCPUs (`CPUS`: E2 machine types count against it) and SSD-backed persistent disk
  (`SSD_TOTAL_GB`: pd-balanced boot disks count against it), plus one static external address for the
  load balancer (https://cloud.google.com/compute/resource-usage). A fresh project's regional quotas are
  often below what prod's `max_nodes` needs; request an increase before the first `up`
  (https://cloud.google.com/docs/quotas/help/request_increase): the autoscaler otherwise stops short of
  max_nodes with QUOTA_EXCEEDED events, and a surge upgrade stalls.
- Where `_Required` lives. The project's `_Required` log bucket (audit logs: who changed what) is created
  with the project, in the organization's default storage location, and can never move; unless that
  location was set first it is `global`, outside the cell's zone
  (https://cloud.google.com/logging/docs/default-settings#config-logging).

Reads only the stack's config file (no Pulumi, no credentials) unless `--check` is given.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import yaml

from .settings import DISK_SIZE_GB, MACHINE_TYPE, MAX_SURGE
from .zones import zones_of

LB_ADDRESSES = 1   # the regional external address of the load balancer (loadbalancer.py)
REPO = Path(__file__).resolve().parents[3]


def machine_vcpus(machine_type: str) -> int:
    """vCPUs of a predefined `<series>-standard|highmem|highcpu-<n>` type: its last part
    (https://cloud.google.com/compute/docs/general-purpose-machines#e2_machine_types)."""
    n = machine_type.rsplit("-", 1)[-1]
    if not n.isdigit():
        raise ValueError(f"machine type {machine_type!r}: not a predefined <series>-<shape>-<vCPUs> type")
    return int(n)


@dataclass(frozen=True)
class CellNeeds:
    cell: str
    project: str
    region: str
    nodes: int          # max_nodes + the surge node of each zone
    quotas: dict        # regional quota metric -> units needed

    def lines(self) -> list[str]:
        q = ", ".join(f"{m} >= {v}" for m, v in self.quotas.items())
        return [f"cell {self.cell} (project {self.project}, {self.region}): {self.nodes} nodes at most "
                f"({MACHINE_TYPE}, {DISK_SIZE_GB} GB pd-balanced): {q}",
                f"  gcloud compute regions describe {self.region} --project {self.project} "
                "--flatten quotas --format 'table(quotas.metric,quotas.limit,quotas.usage)' "
                "--filter 'quotas.metric:(" + " ".join(self.quotas) + ")'",
                f"  gcloud logging buckets describe _Required --location {self.region} --project {self.project}"
                "  # NOT_FOUND: it is global (see below)"]


def needs(cell: str, project: str, region: str, max_nodes: int) -> CellNeeds:
    nodes = max_nodes + len(zones_of(region)) * MAX_SURGE
    return CellNeeds(cell, project, region, nodes, {
        "CPUS": nodes * machine_vcpus(MACHINE_TYPE),
        "SSD_TOTAL_GB": nodes * DISK_SIZE_GB,
        "STATIC_ADDRESSES": LB_ADDRESSES,
    })


def stack_needs(stack: str, root: Path = REPO) -> list[CellNeeds]:
    cfg = (yaml.safe_load((root / "stacks" / f"Pulumi.{stack}.yaml").read_text()) or {}).get("config") or {}
    out = []
    for c in cfg.get("platform:cells") or []:
        if c.get("cloud") != "gcp":
            continue
        project = c.get("project") or cfg.get("gcp:project")
        max_nodes = int((c.get("cluster") or {}).get("max_nodes", 5))
        out.append(needs(c["name"], project, c["region"], max_nodes))
    return out


REQUIRED_GLOBAL = ("_Required (the project's audit logs: who changed what, no client traffic) is in `global`, and a "
                   "log bucket never moves: it stays global for the project's life. To keep it in the cell's region, "
                   "set the organization's default storage location BEFORE creating the project "
                   "(gcloud logging settings update --organization=ORG_ID --storage-location={region}) and create the "
                   "project afterwards; otherwise accept global audit metadata (README 'GCP: what a fresh project "
                   "needs', Logs).")


def judge_quotas(n: CellNeeds, region_doc: dict) -> list[str]:
    """Shortfalls of `gcloud compute regions describe --format json` against what the cell needs."""
    have = {q["metric"]: q for q in region_doc.get("quotas") or []}
    out = []
    for metric, want in n.quotas.items():
        q = have.get(metric)
        if q is None:
            out.append(f"cell {n.cell}: quota {metric} not reported for {n.region}; check it in the console")
            continue
        free = float(q["limit"]) - float(q.get("usage", 0))
        if free < want:
            out.append(f"cell {n.cell}: {metric} in {n.region}: {free:g} free (limit {float(q['limit']):g}, used "
                       f"{float(q.get('usage', 0)):g}), needs {want} at max_nodes; request an increase before `up`")
    return out


def judge_required(n: CellNeeds, buckets: list[dict]) -> list[str]:
    """Where `_Required` is, from `gcloud logging buckets list --format json` (names carry the location)."""
    for b in buckets:
        name = b.get("name", "")
        if name.endswith("/buckets/_Required"):
            location = name.split("/locations/", 1)[1].split("/", 1)[0]
            if location == n.region:
                return []
            return [f"cell {n.cell}: " + (REQUIRED_GLOBAL.format(region=n.region) if location == "global" else
                                          f"_Required is in {location}, not the cell's region {n.region}; it cannot move")]
    return [f"cell {n.cell}: no _Required bucket listed for project {n.project}"]


def _gcloud(args: list[str]) -> object:
    proc = subprocess.run(["gcloud", *args, "--format", "json"], capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip() or f"gcloud {' '.join(args)} failed")
    return json.loads(proc.stdout or "null")


def main(argv: Optional[list[str]] = None, gcloud: Callable[[list[str]], object] = _gcloud) -> int:
    p = argparse.ArgumentParser(prog="python -m components.clouds.gcp.preflight", description=__doc__.split("\n")[0])
    p.add_argument("stack")
    p.add_argument("--check", action="store_true", help="ask gcloud for the quotas and _Required's location")
    args = p.parse_args(argv)
    try:
        cells = stack_needs(args.stack)
    except FileNotFoundError:
        print(f"error: no stacks/Pulumi.{args.stack}.yaml", file=sys.stderr)
        return 2
    if not cells:
        print(f"{args.stack}: no GCP cell")
        return 0
    problems: list[str] = []
    for n in cells:
        print("\n".join(n.lines()))
        if args.check:
            try:
                problems += judge_quotas(n, gcloud(["compute", "regions", "describe", n.region, "--project", n.project]))
                problems += judge_required(n, gcloud(["logging", "buckets", "list", "--project", n.project]))
            except (RuntimeError, FileNotFoundError) as e:
                problems.append(f"cell {n.cell}: gcloud: {e}")
    if not args.check:
        print(REQUIRED_GLOBAL.format(region=cells[0].region).replace("is in `global`", "is `global` unless set first"))
    for line in problems:
        print(f"preflight: {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
