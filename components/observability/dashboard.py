"""The one global view: a Grafana dashboard (JSON model, schemaVersion 39) with one row per cell.

Each row reads the cell's own metrics store (its data source uid), so the panels query in the
cell's region; what crosses zones is only the aggregated, label-only answer a panel shows (README
"Observe"). The health-check status and failover events come from Route 53's CloudWatch metrics
(`AWS/Route53` HealthCheckStatus, us-east-1), the data source every stack with global traffic has.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from ..core.cell_contract import CELL_LABEL, LATENCY_HISTOGRAM, REQUESTS_TOTAL

if TYPE_CHECKING:
    from ..core.plan import PlatformPlan

ROUTE53_SOURCE_UID = "route53-cloudwatch"
SCHEMA_VERSION = 39


@dataclass(frozen=True)
class CellPanelSource:
    """A cell as the dashboard sees it: its name, where it is, and the uid of its metrics data source."""
    cell: str
    cloud: str
    region: str
    residency: str
    datasource_uid: str


def datasource_uid(cell: str) -> str:
    return f"prom-{cell}"


def sources(plan: "PlatformPlan") -> list[CellPanelSource]:
    """One row per placed cell of the stack's plan: its own cells, then the ones prod-global references."""
    return [CellPanelSource(cell=c.name, cloud=c.cloud, region=c.region, residency=c.residency,
                            datasource_uid=datasource_uid(c.name)) for c in plan.placements]


def _target(expr: str, legend: str, uid: str) -> dict:
    return {"refId": "A", "expr": expr, "legendFormat": legend, "datasource": {"type": "prometheus", "uid": uid}}


def _panel(pid: int, title: str, y: int, x: int, uid: str, targets: list, unit: str, kind: str = "timeseries") -> dict:
    return {"id": pid, "type": kind, "title": title, "gridPos": {"h": 7, "w": 4, "x": x, "y": y},
            "datasource": {"type": "prometheus", "uid": uid}, "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "targets": targets}


def cell_row(src: CellPanelSource, y: int, first_id: int, health_check_id: Optional[str] = None) -> list[dict]:
    """The row header and the six panels of one cell, from `y` down."""
    sel = f'{CELL_LABEL}="{src.cell}"'
    uid = src.datasource_uid
    rate = f"sum(rate({REQUESTS_TOTAL}{{{sel}}}[5m]))"
    errors = f'sum(rate({REQUESTS_TOTAL}{{{sel},code=~"5.."}}[5m])) / {rate}'
    q = lambda p: f"histogram_quantile({p}, sum by (le) (rate({LATENCY_HISTOGRAM}_bucket{{{sel}}}[5m])))"  # noqa: E731
    row = {"id": first_id, "type": "row", "collapsed": False, "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
           "title": f"{src.cell} ({src.cloud} {src.region}, zone {src.residency})", "panels": []}
    y += 1
    hc_dims = {"HealthCheckId": health_check_id} if health_check_id else {}
    cw = {"type": "cloudwatch", "uid": ROUTE53_SOURCE_UID}

    def r53(pid: int, title: str, x: int, stat: str, unit: str, kind: str) -> dict:
        return {"id": pid, "type": kind, "title": title, "gridPos": {"h": 7, "w": 4, "x": x, "y": y},
                "datasource": cw, "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "targets": [{"refId": "A", "datasource": cw, "namespace": "AWS/Route53",
                             "metricName": "HealthCheckStatus", "region": "us-east-1", "statistic": stat,
                             "dimensions": hc_dims, "matchExact": True, "period": "60"}]}

    return [
        row,
        _panel(first_id + 1, "Request rate", y, 0, uid, [_target(rate, "req/s", uid)], "reqps"),
        _panel(first_id + 2, "Error rate (5xx)", y, 4, uid, [_target(errors, "5xx share", uid)], "percentunit"),
        _panel(first_id + 3, "Latency p50 / p99", y, 8, uid,
               [_target(q(0.5), "p50", uid), {**_target(q(0.99), "p99", uid), "refId": "B"}], "s"),
        _panel(first_id + 4, "Saturation (CPU of requests)", y, 12, uid,
               [_target(f"sum(rate(process_cpu_seconds_total{{{sel}}}[5m]))", "cpu cores", uid)], "short"),
        r53(first_id + 5, "Health check (1 = healthy)", 16, "Minimum", "bool_on_off", "stat"),
        # A failover is the check going unhealthy: each minute with a minimum of 0 is one.
        r53(first_id + 6, "Failover events (unhealthy minutes)", 20, "Minimum", "short", "state-timeline"),
    ]


def grafana_dashboard(stack: str, cells: list[CellPanelSource],
                      health_checks: Optional[dict[str, str]] = None) -> dict:
    """The stack's dashboard: one row per cell, in the order given (the stack's cells, then the
    referenced ones for prod-global)."""
    panels: list[dict] = []
    for i, src in enumerate(cells):
        panels += cell_row(src, y=i * 8, first_id=i * 10 + 1,
                           health_check_id=(health_checks or {}).get(src.cell))
    return {
        "uid": f"platform-{stack}"[:40], "title": f"Inference platform: {stack}", "schemaVersion": SCHEMA_VERSION,
        "tags": ["platform", "slo"], "timezone": "utc", "refresh": "1m", "editable": False,
        "time": {"from": "now-6h", "to": "now"}, "panels": panels,
        "templating": {"list": []}, "annotations": {"list": []},
    }


def dashboard_json(stack: str, cells: list[CellPanelSource], health_checks: Optional[dict[str, str]] = None) -> str:
    return json.dumps(grafana_dashboard(stack, cells, health_checks), sort_keys=True)
