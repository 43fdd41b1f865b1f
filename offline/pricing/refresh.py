"""Refresh `catalog.json` from the providers' public price-list APIs (needs network; tests do not).

    python -m offline.pricing.refresh [--cloud CLOUD]... [--dry-run] [--<cloud>-api-key KEY]

Each cloud's price list lives with its pricing rules (components/clouds/<cloud>/pricing.py): its
queries, the parsers of the API's answers, `network_fetch(api_key)` and `refresh_prices(prices,
fetch, kept)`. A cloud whose API takes a key names its environment variable (`API_KEY_ENV`); the
flag `--<cloud>-api-key` overrides it.

Each catalog entry that has a query gets its price and source replaced; an entry without a query,
or whose query finds nothing, is kept and listed at the end (never silently dropped). A region
priced by estimate (`estimates.<cloud>.regions`) is asked for every SKU its stand-in region has:
what the API answers becomes the region's own price, what it does not stays estimated, and a
region with every price found leaves the estimates. The catalog date becomes the day the refresh ran.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import urllib.request
from typing import Callable, Optional

from .catalog import CATALOG_FILE
from .model import rule_modules


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=120) as resp:  # noqa: S310 - public price lists only
        return json.load(resp)


def _candidates(catalog: dict, cloud: str) -> dict[str, set[str]]:
    """Estimated region -> the SKUs it lacks, added to the catalog as entries to ask the API for."""
    est = (catalog.get("estimates") or {}).get(cloud) or {}
    prices = catalog["prices"].setdefault(cloud, {})
    ref = prices.get(est.get("from") or "") or {}
    asked: dict[str, set[str]] = {}
    for region in est.get("regions") or {}:
        entries = prices.setdefault(region, {})
        for key, entry in ref.items():
            if key not in entries:
                entries[key] = {k: v for k, v in entry.items() if k not in ("verified_by", "date")} | {"price": None}
                asked.setdefault(region, set()).add(key)
    return asked


def _settle(catalog: dict, cloud: str, asked: dict[str, set[str]], kept: list[str]) -> None:
    """Drop what the API did not price (it stays estimated) and the regions no longer estimated."""
    est = (catalog.get("estimates") or {}).get(cloud) or {}
    prices = catalog["prices"][cloud]
    for region, keys in asked.items():
        for key in keys:
            if prices[region][key]["price"] is None:
                del prices[region][key]
                kept[:] = [k for k in kept if not k.startswith(f"{cloud}/{region}/{key}:")]
                kept.append(f"{cloud}/{region}/{key}: still estimated from {est['from']}")
        if not prices[region]:
            del prices[region]
    ref = set(prices.get(est.get("from") or "") or {})
    for region in list(est.get("regions") or {}):
        if ref <= set(prices.get(region, {})):
            del est["regions"][region]


def refresh(catalog: dict, clouds: list[str], fetchers: dict[str, Callable]) -> list[str]:
    """Update `catalog` in place through each cloud's fetcher; return what was kept unchanged and why.

    fetchers: cloud -> the fetch its `refresh_prices` takes (see its module)."""
    kept: list[str] = []
    modules = rule_modules()
    for cloud in clouds:
        if cloud not in catalog["prices"] and not (catalog.get("estimates") or {}).get(cloud):
            continue
        asked = _candidates(catalog, cloud)
        before = {(r, k): e.get("source") for r, entries in catalog["prices"][cloud].items() for k, e in entries.items()}
        modules[cloud].refresh_prices(catalog["prices"][cloud], fetchers[cloud], kept)
        for region, entries in catalog["prices"][cloud].items():
            for key, entry in entries.items():
                if entry.get("source") != before[(region, key)]:  # re-priced from the API: the catalog date is its date
                    entry.pop("date", None)
                    entry.pop("published", None)
        _settle(catalog, cloud, asked, kept)
    catalog["catalog_date"] = dt.date.today().isoformat()
    catalog["date_note"] = "fetched from the providers' price-list APIs by offline/pricing/refresh.py"
    return kept


def main(argv: Optional[list[str]] = None) -> int:
    modules = rule_modules()
    ap = argparse.ArgumentParser(prog="python -m offline.pricing.refresh", description=__doc__.splitlines()[0])
    ap.add_argument("--cloud", action="append", choices=sorted(modules))
    for cloud, module in sorted(modules.items()):
        if getattr(module, "API_KEY_ENV", ""):
            ap.add_argument(f"--{cloud}-api-key", default=None, help=f"the price-list API key (env {module.API_KEY_ENV})")
    ap.add_argument("--dry-run", action="store_true", help="print the new catalog instead of writing it")
    args = ap.parse_args(argv)

    clouds = args.cloud or sorted(modules)
    fetchers = {}
    for cloud in clouds:
        env = getattr(modules[cloud], "API_KEY_ENV", "")
        key = (getattr(args, f"{cloud}_api_key", None) or os.environ.get(env, "")) if env else ""
        if env and not key:
            print(f"error: the {cloud} price-list API needs an API key (--{cloud}-api-key or {env})", file=sys.stderr)
            return 2
        fetchers[cloud] = modules[cloud].network_fetch(key)
    catalog = json.loads(CATALOG_FILE.read_text())
    kept = refresh(catalog, clouds, fetchers)
    text = json.dumps(catalog, indent=1) + "\n"
    if args.dry_run:
        sys.stdout.write(text)
    else:
        CATALOG_FILE.write_text(text)
    for line in kept:
        print(f"kept: {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
