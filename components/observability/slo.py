"""SLO alert rules from `platform:slo`: multi-window, multi-burn-rate (Google SRE workbook, ch. 5).

A burn rate is how fast the error budget goes: 1 spends exactly the budget over the SLO window.
A rule fires when both a long window (does it matter?) and a short window (is it still happening?)
burn faster than `factor`; the factor is the budget share a window may spend, scaled to the SLO
window: spending 2% of a 30-day budget in 1 h is a burn rate of 0.02 * 720 / 1 = 14.4.

The metrics are the workload's contract (components/contract.py METRICS_*): a counter of requests
by status `code` and a latency histogram, both labelled with the `cell` the scrape adds.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..contract import CELL_LABEL, LATENCY_HISTOGRAM, REQUESTS_TOTAL


@dataclass(frozen=True)
class BurnWindow:
    long: str            # PromQL duration of the long window
    short: str           # and of the short one (1/12 of the long, per the workbook)
    budget_share: float  # share of the whole window's error budget this long window may spend
    severity: str        # "page" or "ticket"

    @property
    def long_hours(self) -> float:
        return _hours(self.long)


# The workbook's recommended pairs: page on 2% in 1h and 5% in 6h, ticket on 10% in 3d.
WINDOWS = (
    BurnWindow("1h", "5m", 0.02, "page"),
    BurnWindow("6h", "30m", 0.05, "page"),
    BurnWindow("3d", "6h", 0.10, "ticket"),
)


def _hours(d: str) -> float:
    unit = {"m": 1 / 60, "h": 1, "d": 24}[d[-1]]
    return float(d[:-1]) * unit


def burn_factor(window: BurnWindow, window_days: int) -> float:
    """The burn rate at which `window` spends its budget share of a `window_days` SLO."""
    return round(window.budget_share * window_days * 24 / window.long_hours, 4)


@dataclass(frozen=True)
class AlertRule:
    """One Prometheus alerting rule, cloud-neutral (each cloud renders it into its own object)."""
    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    labels: dict = field(default_factory=dict)

    def as_prometheus(self) -> dict:
        """The rule as a Prometheus rule file entry (AMP rule groups take this YAML)."""
        return {"alert": self.name, "expr": self.expr, "for": self.for_,
                "labels": {"severity": self.severity, **self.labels},
                "annotations": {"summary": self.summary}}


def _ratio(cell: str, window: str) -> str:
    sel = f'{CELL_LABEL}="{cell}"'
    return (f'(sum(rate({REQUESTS_TOTAL}{{{sel},code=~"5.."}}[{window}])) / '
            f'sum(rate({REQUESTS_TOTAL}{{{sel}}}[{window}])))')


def alert_rules(cell: str, availability: float, latency_p99_ms: int, error_rate: float,
                window_days: int) -> list[AlertRule]:
    """The cell's SLO alerts: one burn-rate rule per window pair, a p99 latency rule and a hard
    error-rate ceiling. Only the cell's own series are read (`cell` label)."""
    budget = round(1 - availability / 100, 6)
    labels = {CELL_LABEL: cell}
    rules = []
    for w in WINDOWS:
        factor = burn_factor(w, window_days)
        threshold = f"({factor} * {budget})"
        rules.append(AlertRule(
            name=f"SloBurn{w.long}{w.short}",
            expr=f"{_ratio(cell, w.long)} > {threshold} and {_ratio(cell, w.short)} > {threshold}",
            for_="2m" if w.severity == "page" else "15m", severity=w.severity, labels=labels,
            summary=(f"cell {cell}: error budget burning at over {factor}x ({w.long} and {w.short} windows; "
                     f"SLO {availability}% over {window_days}d)")))
    seconds = latency_p99_ms / 1000
    rules.append(AlertRule(
        name="SloLatencyP99",
        expr=(f'histogram_quantile(0.99, sum by (le) (rate({LATENCY_HISTOGRAM}_bucket{{{CELL_LABEL}="{cell}"}}[5m])))'
              f" > {seconds}"),
        for_="10m", severity="page", labels=labels,
        summary=f"cell {cell}: p99 latency above {latency_p99_ms} ms for 10 minutes"))
    rules.append(AlertRule(
        name="ErrorRateCeiling", expr=f"{_ratio(cell, '5m')} > {error_rate / 100}", for_="5m", severity="page",
        labels=labels, summary=f"cell {cell}: over {error_rate}% of requests failing for 5 minutes"))
    return rules


def rule_group(cell: str, rules: list[AlertRule]) -> dict:
    """A Prometheus rule file with one group for the cell (AMP's RuleGroupNamespace `data`)."""
    return {"groups": [{"name": f"slo-{cell}", "interval": "1m", "rules": [r.as_prometheus() for r in rules]}]}
