"""Gates a rollout wave must pass: the SLO read from each cell's own Prometheus-compatible endpoint.

Each cell is queried at its own endpoint (its metrics never leave its zone): Amazon Managed Service
for Prometheus (`auth: sigv4`, the workspace's `.../api/v1/query`), Google Cloud Managed Service for
Prometheus (`auth: google`, `monitoring.googleapis.com/v1/projects/<p>/location/global/prometheus/api/v1/query`),
an Azure Monitor workspace (`auth: azure`, its Prometheus query endpoint), or a plain Prometheus
(`auth: none`). The queries are the SLO's own (components/observability/slo.py): the 5xx ratio of
`http_requests_total` and the p99 of `http_request_duration_seconds`, per `cell`, over the bake time.

A gate that cannot decide (endpoint unreachable or timing out, no traffic, an error answer) fails the
wave: a rollout never passes on missing evidence.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Optional

import requests
from pydantic import BaseModel, ConfigDict, Field, field_validator

from components.contract import LATENCY_HISTOGRAM, REQUESTS_TOTAL

CELL_LABEL = "cell"


class MetricsEndpoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    url: str = Field(pattern=r"^https?://[^\s]+/api/v1/query$")
    # "none", or a cloud plugin's metrics authentication (its release module's METRICS_AUTH: sigv4, google, azure)
    auth: str = "none"
    region: Optional[str] = None          # sigv4: the workspace's region

    @field_validator("auth")
    @classmethod
    def _auth_known(cls, value: str) -> str:
        return _known_auth(value)


def _known_auth(value: str) -> str:
    allowed = ["none", *_metrics_auths()]
    if value not in allowed:
        raise ValueError(f"auth {value!r}: allowed {', '.join(allowed)}")
    return value



class SloGate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    error_ratio: float = Field(gt=0, lt=1)   # e.g. 0.05: at most 5% of requests answered 5xx
    p99_ms: float = Field(gt=0)
    min_requests: float = Field(1, ge=0)   # less traffic than this over the bake time: cannot decide


@dataclass
class GateResult:
    cell: str
    passed: bool
    detail: str


def _metrics_auths() -> dict:
    """auth name -> the release module of the cloud plugin that authenticates that way."""
    from components.clouds.plugins import PLUGINS

    return {m.METRICS_AUTH: m for m in (p.release() for p in PLUGINS.values())}


def _auth(ep: MetricsEndpoint):
    if ep.auth == "none":
        return None
    module = _metrics_auths()[ep.auth]
    if hasattr(module, "metrics_auth"):   # a request signer (SigV4)
        return module.metrics_auth(ep)
    token = module.metrics_token(ep)      # else a bearer token

    def bearer(req: requests.PreparedRequest) -> requests.PreparedRequest:
        req.headers["Authorization"] = f"Bearer {token}"
        return req
    return bearer


def query(ep: MetricsEndpoint, promql: str, at: float, timeout: float) -> Optional[float]:
    """One instant query; the single sample's value, None when the result is empty. Raises on any error."""
    r = requests.get(ep.url, params={"query": promql, "time": f"{at:.3f}"}, auth=_auth(ep), timeout=timeout)
    r.raise_for_status()
    body = r.json()
    if body.get("status") != "success":
        raise RuntimeError(f"{body.get('errorType')}: {body.get('error')}")
    result = body["data"]["result"]
    if not result:
        return None
    value = float(result[0]["value"][1])
    return None if math.isnan(value) else value


def slo_queries(cell: str, window_s: int) -> dict[str, str]:
    w = f"{max(int(window_s), 60)}s"
    sel = f'{CELL_LABEL}="{cell}"'
    return {
        "requests": f"sum(increase({REQUESTS_TOTAL}{{{sel}}}[{w}]))",
        # No 5xx series at all means no errors, not "no data": `or vector(0)` keeps the ratio defined.
        "error_ratio": (f'(sum(rate({REQUESTS_TOTAL}{{{sel},code=~"5.."}}[{w}])) or vector(0)) / '
                        f"sum(rate({REQUESTS_TOTAL}{{{sel}}}[{w}]))"),
        "p99_ms": (f"histogram_quantile(0.99, sum by (le) (rate({LATENCY_HISTOGRAM}_bucket{{{sel}}}[{w}]))) * 1000"),
    }


def check_slo(cell: str, ep: MetricsEndpoint, slo: SloGate, window_s: int, at: float,
              timeout: float = 10.0) -> GateResult:
    q = slo_queries(cell, window_s)
    try:
        requests_n = query(ep, q["requests"], at, timeout)
        if requests_n is None or requests_n < slo.min_requests:
            return GateResult(cell, False, f"{ep.url}: {requests_n or 0:.0f} requests in the last {window_s} s "
                                           f"(< {slo.min_requests:g}): no evidence the release serves")
        ratio = query(ep, q["error_ratio"], at, timeout)
        p99 = query(ep, q["p99_ms"], at, timeout)
    except (requests.RequestException, RuntimeError, ValueError, KeyError) as exc:
        return GateResult(cell, False, f"{ep.url}: cannot read the SLO ({type(exc).__name__}: {exc}); "
                                       "a gate that cannot decide fails")
    if ratio is None or p99 is None:
        return GateResult(cell, False, f"{ep.url}: no error-ratio or latency series for cell {cell!r}")
    problems = []
    if ratio > slo.error_ratio:
        problems.append(f"error ratio {ratio:.2%} > {slo.error_ratio:.2%}")
    if p99 > slo.p99_ms:
        problems.append(f"p99 {p99:.0f} ms > {slo.p99_ms:g} ms")
    detail = (f"error ratio {ratio:.2%} (<= {slo.error_ratio:.2%}), p99 {p99:.0f} ms (<= {slo.p99_ms:g} ms) over "
              f"{window_s} s, {requests_n:.0f} requests") if not problems else "; ".join(problems)
    return GateResult(cell, not problems, detail)


Clock = Callable[[], float]
Sleep = Callable[[float], None]


def bake(seconds: float, sleep: Sleep = time.sleep) -> None:
    if seconds > 0:
        sleep(seconds)
