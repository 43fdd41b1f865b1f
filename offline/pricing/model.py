"""Monthly cost of a stack from the resources the offline engine captured.

Every custom resource ends in exactly one of three states:
- priced: one or more lines (catalog SKU x quantity), fixed from its inputs (control planes,
  nodes x min size, NAT gateways, load balancers and their reserved capacity, keys, zones and
  health checks with their options, certificates) or usage-driven from `usage.yaml` (storage,
  egress, logs, NAT data, DNS queries);
- free: a type the providers do not bill (IAM, route tables, subnets...), listed as known-free
  with the reason;
- not priced: billable (or unknown) and no rule or no catalog price for its region: listed by
  name with the reason, never counted as zero.

A resource's cell is its `cell` tag/label, else the `platform:*:Cell` component above it, else
"global". Components and providers cost nothing by themselves and are skipped.

The model names no cloud: each cloud's rules live next to it (`components/clouds/<cloud>/pricing.py`,
the plugin's `pricing_module`, listed in offline/facts.json) and are loaded from this engine's
checkout by file (`rule_modules`), never through the program's `components` package (the base side
of a diff imports its own). A rule module declares:

    RULES            type -> rule(ctx, res): the lines (or free/not-priced verdict) of one resource
    FREE             type -> why the provider does not bill it
    FREE_ALLOWANCES  catalog key -> (free quantity a month, what it is): deducted once per stack
    STACK_RULES      rules run once over the whole stack after the resources (e.g. DNS queries)
"""
from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Callable, Optional

from ..cloud_facts import CLOUDS, DEFAULT_REGION_KEYS, cloud_of_package
from .catalog import HOURLY_UNITS, Catalog, load_catalog
from .usage import Usage

GLOBAL = "global"


@dataclass
class Line:
    urn: str
    type: str
    name: str
    cell: str
    item: str            # catalog key
    label: str           # what a reviewer reads ("NAT gateway", "m7i.large node")
    quantity: float      # in `unit` per month (hours for hourly units)
    unit: str
    unit_price: float
    monthly: float
    region: str
    usage: bool = False  # driven by the usage assumptions, not by the inputs alone
    verified: bool = True  # False: the price's region is listed unverified in the catalog (not API-checked)
    estimated_from: str = ""  # the region whose price stands in (catalog `estimates`): no published price here


@dataclass
class Unpriced:
    urn: str
    type: str
    name: str
    cell: str
    reason: str


@dataclass
class Ctx:
    catalog: Catalog
    usage: Usage
    resources: list[dict]
    by_urn: dict[str, dict]
    providers: dict[str, dict]            # provider reference -> provider inputs
    default_regions: dict[str, str]       # cloud -> region of the default provider (stack config)
    cells: dict[str, str]                 # urn -> cell
    cell_cloud: dict[str, str]            # cell -> cloud
    lines: list[Line] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    free: dict[str, str] = field(default_factory=dict)   # type -> why it costs nothing
    notes: list[str] = field(default_factory=list)       # what the estimate leaves out on purpose, and why

    def region(self, res: dict) -> Optional[str]:
        inputs = res.get("inputs") or {}
        for key in ("region", "location"):
            value = inputs.get(key)
            if isinstance(value, str) and value and value != "global" and not value.startswith("["):
                return value.lower()
        prov = self.providers.get(res.get("provider") or "")
        if prov is None:  # the default provider: its region comes from the stack config
            return self.default_regions.get(_cloud_of(res["type"]) or "")
        value = prov.get("region") or prov.get("location")
        return value.lower() if isinstance(value, str) else None

    def add(self, res: dict, cloud: str, key: str, quantity: float, label: str, usage: bool = False,
            region: Optional[str] = None, months: bool = False) -> bool:
        """A line for `quantity` (hours are computed for hourly prices unless `months`); False if unpriced."""
        region = region if region is not None else self.region(res)
        price = self.catalog.get(cloud, region, key)
        if price is None:
            self.unpriced.append(Unpriced(res["urn"], res["type"], res["name"], self.cells[res["urn"]],
                                          f"no catalog price {cloud}/{region or '?'}/{key}"))
            return False
        qty = quantity
        if price.unit in HOURLY_UNITS and not months:
            qty = quantity * self.catalog.hours_per_month
        monthly = qty * price.price
        if price.unit == "year":
            qty, monthly = quantity / 12.0, quantity * price.price / 12.0
        elif price.unit.startswith("million"):
            qty, monthly = quantity / 1e6, quantity / 1e6 * price.price
        unverified = self.catalog.unverified_regions()
        self.lines.append(Line(res["urn"], res["type"], res["name"], self.cells[res["urn"]], key, label, qty,
                               price.unit, price.price, monthly, price.region, usage,
                               verified=not price.estimated_from and (
                                   f"{cloud}/{price.region}" not in unverified or bool(price.verified_by)),
                               estimated_from=price.estimated_from))
        return True

    def not_priced(self, res: dict, reason: str) -> None:
        self.unpriced.append(Unpriced(res["urn"], res["type"], res["name"], self.cells[res["urn"]], reason))

    def of_type(self, type_: str, cell: Optional[str] = None) -> list[dict]:
        """The stack's resources of `type_` (in `cell`), by URN (`estimate` sorts them)."""
        return [r for r in self.resources if r["type"] == type_ and (cell is None or self.cells[r["urn"]] == cell)]


def num(value, default: float = 0.0) -> float:
    """A numeric input, else `default` (booleans are not numbers here)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


# --- helpers the clouds' rules share -----------------------------------------------------------------

def edge_waf(cloud: str, service: str, policy: str, product: str, policy_label: str,
             rule_type: str = "") -> Callable[[Ctx, dict], None]:
    """An edge guard's web application firewall: AWS WAF and Cloud Armor Standard bill alike, per
    policy a month, per rule a month and per million requests evaluated (catalog keys
    `<service>.<policy>`, `<service>.rule`, `<service>.requests`). `rule_type`: the type of rules
    managed as their own resources (they count the same as inline ones)."""
    def rule(ctx: Ctx, res: dict) -> None:
        ctx.add(res, cloud, f"{service}.{policy}", 1, policy_label, months=True)
        rules = len(res["inputs"].get("rules") or [])
        if rule_type:
            rules += len([r for r in ctx.of_type(rule_type, ctx.cells[res["urn"]]) if r["parent"] == res["parent"]])
        if rules:
            ctx.add(res, cloud, f"{service}.rule", rules, f"{product} rule", months=True)
        ctx.add(res, cloud, f"{service}.requests", ctx.usage.cell(ctx.cells[res["urn"]])["requests_per_month"],
                f"{product} requests", usage=True)
    return rule


def samples(cloud: str, key: str, label: str) -> Callable[[Ctx, dict], None]:
    """Managed Prometheus ingestion: billed per sample ingested (usage: metric_samples_per_month)."""
    def rule(ctx: Ctx, res: dict) -> None:
        ctx.add(res, cloud, key, ctx.usage.cell(ctx.cells[res["urn"]])["metric_samples_per_month"], label, usage=True)
    return rule


def egress(ctx: Ctx, res: dict, cloud: str) -> None:
    """Internet egress of a cell's load balancer (usage: gb_egress)."""
    u = ctx.usage.cell(ctx.cells[res["urn"]])
    ctx.add(res, cloud, "data_transfer.internet_out", u["gb_egress"], "internet egress", usage=True, months=True)


def _k8s_service(ctx: Ctx, res: dict) -> None:
    if ((res["inputs"].get("spec") or {}).get("type")) == "LoadBalancer":
        ctx.not_priced(res, "a Service of type LoadBalancer makes the cloud create a load balancer")
    else:
        ctx.free[res["type"]] = "runs on the cluster's nodes"


# --- the clouds' rules -------------------------------------------------------------------------------

ENGINE_ROOT = Path(__file__).resolve().parent.parent.parent


@lru_cache(maxsize=1)
def rule_modules() -> dict[str, ModuleType]:
    """cloud -> its pricing rules (the plugin's `pricing_module`), loaded by file from this engine's
    checkout under a private name: the program's `components` package (another checkout's, on the
    base side of a diff) is never consulted. A cloud without one fails loudly, not silently unpriced."""
    out = {}
    for cloud, facts in sorted(CLOUDS.items()):
        name = facts.get("pricing_module") or ""
        path = ENGINE_ROOT / (name.replace(".", "/") + ".py")
        if not name or not path.exists():
            raise RuntimeError(f"cloud {cloud!r}: no pricing module ({name or 'pricing_module unset'}); "
                               "its plugin must name components/clouds/<cloud>/pricing.py")
        spec = importlib.util.spec_from_file_location(f"offline.pricing._rules_{cloud}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        out[cloud] = module
    return out


# Types no cloud bills: the program's own state and what runs on a cluster's nodes.
NEUTRAL_RULES: dict[str, Callable[[Ctx, dict], None]] = {"kubernetes:core/v1:Service": _k8s_service}
NEUTRAL_FREE: dict[str, str] = {
    "acme:index/registration:Registration": "ACME accounts are free (Let's Encrypt)",
    "acme:index/certificate:Certificate": "ACME certificates are free (Let's Encrypt)",
    "tls:index/privateKey:PrivateKey": "a key generated in the program's state",
    "time:index/sleep:Sleep": "a wait in the program, not a cloud resource",
}
FREE_PREFIXES = {"kubernetes:": "runs on the cluster's nodes",
                 # pulumi-random and pulumiverse-time resources live in the stack's state only.
                 "random:": "a value drawn into the program's state, not a cloud resource",
                 "time:": "a time or wait in the program's state, not a cloud resource"}


def rules() -> dict[str, Callable[[Ctx, dict], None]]:
    return {**NEUTRAL_RULES, **{t: r for m in rule_modules().values() for t, r in m.RULES.items()}}


def free_types() -> dict[str, str]:
    return {**{t: why for m in rule_modules().values() for t, why in m.FREE.items()}, **NEUTRAL_FREE}


def free_allowances() -> dict[tuple[str, str], tuple[float, str]]:
    """Free monthly allowances, deducted once per stack (the scope each applies to is at least the
    stack's: a project, an account, a billing account): (cloud, catalog key) -> (quantity, what)."""
    return {(cloud, key): v for cloud, m in rule_modules().items() for key, v in m.FREE_ALLOWANCES.items()}


def __getattr__(name: str):  # the tables as module attributes, read on first use (the rules import this module)
    tables = {"RULES": rules, "FREE": free_types, "FREE_ALLOWANCES": free_allowances}
    if name in tables:
        return tables[name]()
    raise AttributeError(name)


def _allowances(ctx: Ctx) -> None:
    """One negative line per allowance the stack's usage reaches, on the first line it applies to."""
    for (cloud, key), (free, what) in free_allowances().items():
        lines = [l for l in ctx.lines if l.item == key and _cloud_of(l.type) == cloud]
        used = sum(l.quantity for l in lines)
        if not lines or used <= 0:
            continue
        first = lines[0]
        qty = min(used, free)
        ctx.lines.append(Line(first.urn, first.type, first.name, first.cell, key, f"free allowance: {what}", -qty,
                              first.unit, first.unit_price, -qty * first.unit_price, first.region, usage=True,
                              verified=first.verified, estimated_from=first.estimated_from))


def _cell_of(res: dict, by_urn: dict[str, dict]) -> str:
    seen = 0
    node: Optional[dict] = res
    while node is not None and seen < 64:
        inputs = node.get("inputs") or {}
        for key in ("tags", "labels", "resourceLabels"):
            bag = inputs.get(key)
            if isinstance(bag, dict) and isinstance(bag.get("cell"), str):
                return bag["cell"]
        labels = (inputs.get("metadata") or {}).get("labels") if isinstance(inputs.get("metadata"), dict) else None
        if isinstance(labels, dict) and isinstance(labels.get("cell"), str):
            return labels["cell"]
        if node["type"].endswith(":Cell") and not node.get("id"):
            return node["name"]
        node = by_urn.get(node.get("parent") or "")
        seen += 1
    return GLOBAL


def _cloud_of(type_: str) -> Optional[str]:
    return cloud_of_package(type_.split(":", 1)[0])


# The stack config key of each cloud's default region (a plugin's fact): DEFAULT_REGION_KEYS.


def estimate(resources: list[dict], usage: Optional[Usage] = None, catalog: Optional[Catalog] = None,
             config: Optional[dict[str, str]] = None) -> dict:
    """The "cost" section of a report, from its resources (report dicts).

    They are priced by URN, not in registration order, which varies run to run (the SDK registers
    from several threads): whatever picks one resource among several (which one carries a shared
    charge or an allowance, which are a region's first five forwarding rules) picks the same one every
    run, and the lines come in the same order. `config` (the stack's flat config) gives the default
    providers' regions."""
    catalog = catalog or load_catalog()
    usage = usage or Usage()
    resources = sorted(resources, key=lambda r: r["urn"])
    by_urn = {r["urn"]: r for r in resources}
    providers = {}
    for r in resources:
        if r["type"].startswith("pulumi:providers:"):
            providers[f"{r['urn']}::{r.get('id')}"] = r.get("inputs") or {}
    cells = {r["urn"]: _cell_of(r, by_urn) for r in resources}
    cell_cloud: dict[str, str] = {}
    for r in resources:
        cloud = _cloud_of(r["type"])
        if cloud and cells[r["urn"]] != GLOBAL:
            cell_cloud.setdefault(cells[r["urn"]], cloud)
    defaults = {cloud: str((config or {}).get(key)).lower() for cloud, key in DEFAULT_REGION_KEYS.items()
                if (config or {}).get(key)}
    ctx = Ctx(catalog, usage, resources, by_urn, providers, defaults, cells, cell_cloud)
    table, free = rules(), free_types()
    for r in resources:
        if not r.get("id") or r["type"].startswith("pulumi:"):
            continue  # components, providers and stack references cost nothing themselves
        rule = table.get(r["type"])
        if rule is not None:
            rule(ctx, r)
        elif r["type"] in free:
            ctx.free[r["type"]] = free[r["type"]]
        elif any(r["type"].startswith(p) for p in FREE_PREFIXES):
            ctx.free[r["type"]] = next(v for p, v in FREE_PREFIXES.items() if r["type"].startswith(p))
        else:
            ctx.not_priced(r, "no cost rule for this type")
    for module in rule_modules().values():
        for stack_rule in getattr(module, "STACK_RULES", ()):
            stack_rule(ctx)
    _allowances(ctx)
    return summarize(ctx)


def summarize(ctx: Ctx) -> dict:
    by_cell: dict[str, float] = defaultdict(float)
    by_type: dict[str, float] = defaultdict(float)
    for line in ctx.lines:
        by_cell[line.cell] += line.monthly
        by_type[line.type] += line.monthly
    return {
        "currency": ctx.catalog.currency,
        "monthly": round(sum(l.monthly for l in ctx.lines), 2),
        "by_cell": {k: round(v, 2) for k, v in sorted(by_cell.items())},
        "by_type": {k: round(v, 2) for k, v in sorted(by_type.items(), key=lambda kv: -kv[1])},
        "unpriced": [asdict(u) for u in ctx.unpriced],
        "unpriced_types": sorted({u.type for u in ctx.unpriced}),
        "free_types": dict(sorted(ctx.free.items())),
        "catalog_date": ctx.catalog.date,
        "usage": ctx.usage.report(),
        "lines": [asdict(l) | {"monthly": round(l.monthly, 4)} for l in ctx.lines],
        # Prices not checked against the providers' price APIs (catalog `verification`), and what the
        # estimate leaves out on purpose (e.g. a credit that does not apply), with the reason.
        "unverified": {"monthly": round(sum(l.monthly for l in ctx.lines if not l.verified and not l.estimated_from), 2),
                       "regions": sorted({f"{_cloud_of(l.type)}/{l.region}" for l in ctx.lines
                                          if not l.verified and not l.estimated_from})},
        # Prices of regions with no published price recorded, estimated from a named region's
        # (catalog `estimates`): `regions` maps each such cloud/region to the one it stands in for.
        "estimated": {"monthly": round(sum(l.monthly for l in ctx.lines if l.estimated_from), 2),
                      "regions": dict(sorted({f"{_cloud_of(l.type)}/{l.region}": f"{_cloud_of(l.type)}/{l.estimated_from}"
                                              for l in ctx.lines if l.estimated_from}.items()))},
        "notes": list(dict.fromkeys(ctx.notes)),
    }
