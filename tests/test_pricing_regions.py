"""Pricing per cloud and per region: each cloud's rules live in its folder and are read
through its plugin; every region of a plugin's region table prices every SKU the plugin prices,
from a published price (with its source) or as an explicit estimate from a named region, shown
apart in the bill; a cell in regions no shipped stack uses prices with nothing unpriced for want of
a price."""
from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

from components.clouds.plugins import PLUGINS
from components.core.catalog import REGIONS
from offline.pricing import cost_markdown, cost_text, estimate
from offline.pricing.catalog import CATALOG_FILE, Catalog, load_catalog
from offline.pricing.model import rule_modules
from test_pricing import ZERO, Stack

REPO = Path(__file__).resolve().parent.parent
SHIPPED_STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml"))


def _priced_keys(catalog: Catalog, cloud: str) -> set[str]:
    """The SKUs the plugin prices: its reference region's (the one estimates come from)."""
    ref = catalog.doc["estimates"][cloud]["from"]
    return set(catalog.doc["prices"][cloud][ref])


# --- the rules live with their cloud ---------------------------------------------------------------

@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_each_cloud_declares_its_pricing_rules(cloud):
    plugin = PLUGINS[cloud]
    assert plugin.pricing_module == f"components.clouds.{cloud}.pricing"
    module = importlib.import_module(plugin.pricing_module)
    assert module.RULES, cloud
    # Every type a cloud's module prices or calls free is a type of that cloud's packages: no rule
    # for one cloud lives in another's folder.
    for t in (*module.RULES, *module.FREE):
        assert t.split(":")[0] in plugin.packages, (cloud, t)
    # The engine loads the same module by file (never through the program's `components`).
    loaded = rule_modules()[cloud]
    assert set(loaded.RULES) == set(module.RULES) and set(loaded.FREE) == set(module.FREE)
    assert set(loaded.FREE_ALLOWANCES) <= _priced_keys(load_catalog(), cloud) | set(
        load_catalog().doc["prices"][cloud].get("global", {}))


def test_the_model_names_no_cloud():
    text = (REPO / "offline" / "pricing" / "model.py").read_text()
    code = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
    assert not re.search(r"\b(aws|gcp|azure|azure-native)\b", code.split('"""', 2)[2]), \
        "offline/pricing/model.py names a cloud outside its docstring"


# --- every region of every plugin ------------------------------------------------------------------

@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_every_catalog_region_prices_every_sku_of_its_plugin(cloud):
    catalog = load_catalog()
    est = catalog.doc["estimates"][cloud]
    keys = _priced_keys(catalog, cloud)
    assert len(keys) >= 10, keys
    sourced = estimated = 0
    for region in REGIONS[cloud]:
        for key in sorted(keys):
            price = catalog.get(cloud, region, key)
            assert price is not None, (cloud, region, key)
            if price.estimated_from:
                # explicit: the region is listed with its reason, and the stand-in is the named region's price
                assert price.estimated_from == est["from"] and est["regions"][region], (cloud, region, key)
                ref = catalog.get(cloud, est["from"], key)
                assert (price.price, price.unit, price.source, price.region) == (ref.price, ref.unit, ref.source, region)
                estimated += 1
            else:
                assert price.source.startswith("https://") and price.unit, (cloud, region, key)
                sourced += 1
    assert sourced + estimated == len(REGIONS[cloud]) * len(keys)
    print(f"{cloud}: {len(REGIONS[cloud])} regions x {len(keys)} SKUs: {sourced} sourced, {estimated} estimated")


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_estimates_list_exactly_the_regions_missing_a_price(cloud):
    """No stale estimate (a region fully priced, or not in the region table) and none missing."""
    catalog = load_catalog()
    doc = catalog.doc
    keys = _priced_keys(catalog, cloud)
    listed = set(doc["estimates"][cloud]["regions"])
    assert listed <= set(REGIONS[cloud]), listed - set(REGIONS[cloud])
    lacking = {r for r in REGIONS[cloud] if keys - set(doc["prices"][cloud].get(r, {}))}
    assert listed == lacking, (listed ^ lacking)
    # Priced regions are regions of the table (or `global`): a typo cannot hide a region.
    assert set(doc["prices"][cloud]) - {"global"} <= set(REGIONS[cloud])


def test_an_estimated_price_is_marked_in_the_line_and_shown_apart_in_the_bill():
    s = Stack()
    br = s.provider("azure-native", location="brazilsouth")
    s.add("azure-native:network:NatGateway", "nat", br, "br", location="brazilsouth")
    we = s.provider("azure-native", location="westeurope")
    s.add("azure-native:network:NatGateway", "nat-we", we, "we", location="westeurope")
    cost = estimate(s.resources, ZERO)
    assert not cost["unpriced"]
    br_line = next(l for l in cost["lines"] if l["cell"] == "br")
    we_line = next(l for l in cost["lines"] if l["cell"] == "we")
    assert (br_line["estimated_from"], br_line["region"], br_line["verified"]) == ("westeurope", "brazilsouth", False)
    assert br_line["unit_price"] == we_line["unit_price"] and we_line["estimated_from"] == ""
    assert cost["estimated"] == {"monthly": round(br_line["monthly"], 2),
                                 "regions": {"azure/brazilsouth": "azure/westeurope"}}
    assert br_line["monthly"] > 0 and "azure/brazilsouth" not in cost["unverified"]["regions"]
    text, md = cost_text(cost), cost_markdown(cost)
    assert "estimated (azure/brazilsouth at azure/westeurope's prices" in text
    assert "estimated (azure/brazilsouth at azure/westeurope's prices" in md


def test_a_region_outside_the_table_stays_unpriced_with_its_reason():
    s = Stack()
    s.add("aws:eks/cluster:Cluster", "eks", s.provider("aws", region="mars-north-1"), "c")
    cost = estimate(s.resources, ZERO)
    assert [u["reason"] for u in cost["unpriced"]] == ["no catalog price aws/mars-north-1/eks.cluster"]
    assert cost["estimated"] == {"monthly": 0, "regions": {}}


def test_the_catalog_file_is_written_as_the_refresh_writes_it():
    """catalog.json stays in the refresh's own format (json, indent 1): a refresh diff shows only prices."""
    text = CATALOG_FILE.read_text()
    assert text == json.dumps(json.loads(text), indent=1) + "\n"


# --- whole stacks ----------------------------------------------------------------------------------

NEW_REGIONS = {"aws": "sa-east-1", "gcp": "southamerica-east1", "azure": "brazilsouth"}


def test_new_regions_are_used_by_no_shipped_stack():
    import yaml

    used = {(c["cloud"], c["region"]) for s in SHIPPED_STACKS
            for c in (yaml.safe_load((REPO / "stacks" / f"Pulumi.{s}.yaml").read_text())["config"]
                      .get("platform:cells") or [])}
    assert not used & set(NEW_REGIONS.items()), used & set(NEW_REGIONS.items())
    assert set(NEW_REGIONS) == set(PLUGINS)


def test_cells_in_regions_no_shipped_stack_uses_price_fully(tmp_path):
    """dev's three cells moved to Brazil (one per cloud): nothing is unpriced for want of a price,
    what is unpriced is what dev's own cells leave unpriced by design (managed OS disks, a Service
    of type LoadBalancer), and the estimated part names each region and the region it is priced as."""
    from offline_helpers import preview_config, stack_config, preview_stack

    cfg = stack_config("dev")
    cfg.pop("platform:release", None)  # the release allows us, eu, in; the cells' workload image serves here
    cells = [dict(c, name=f"{c['cloud']}-{NEW_REGIONS[c['cloud']]}", region=NEW_REGIONS[c["cloud"]], residency="br")
             for c in cfg["platform:cells"]]
    run = preview_config({**cfg, "platform:cells": cells, "platform:zones": {"br": {"strict": True}}}, tmp_path,
                         stack="br")
    assert run.report is not None, run.stderr[-3000:]
    cost = run.report["cost"]
    assert not [u for u in cost["unpriced"] if u["reason"].startswith("no catalog price")], cost["unpriced"]
    dev = preview_stack("dev", tmp_path, packs=("policy/encryption", "policy/residency")).report["cost"]
    assert {u["reason"] for u in cost["unpriced"]} <= {u["reason"] for u in dev["unpriced"]}
    assert {c["name"] for c in cells} <= set(cost["by_cell"]) and all(cost["by_cell"][c["name"]] > 0 for c in cells)
    for cloud, region in NEW_REGIONS.items():
        ref = load_catalog().doc["estimates"][cloud]["from"]
        assert cost["estimated"]["regions"].get(f"{cloud}/{region}") == f"{cloud}/{ref}", cost["estimated"]
    assert 0 < cost["estimated"]["monthly"] <= cost["monthly"]
    assert "estimated (" in run.stdout or "estimated (" in cost_text(cost)


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_shipped_stacks_bill_nothing_at_estimated_prices(stack, tmp_path):
    """Every region a shipped stack uses has its own recorded prices: the estimates change no shipped bill."""
    from offline_helpers import preview_stack

    cost = preview_stack(stack, tmp_path, packs=("policy/encryption", "policy/residency")).report["cost"]
    assert cost["estimated"] == {"monthly": 0, "regions": {}}, cost["estimated"]


# --- the refresh turns estimates into prices ---------------------------------------------------------

def test_refresh_prices_an_estimated_region_and_keeps_the_rest_estimated():
    from offline.pricing.refresh import refresh

    samples = Path(__file__).resolve().parent / "pricing_samples"
    offer = json.loads((samples / "aws_AmazonEKS_us-west-2.json").read_text())
    catalog = {"catalog_date": "2000-01-01", "prices": {"aws": {"us-east-1": {
        "eks.cluster": {"price": 0.1, "unit": "hour", "source": "https://x", "verified_by": "r.json"},
        "wafv2.rule": {"price": 1.0, "unit": "month", "source": "https://x"}}}},
        "estimates": {"aws": {"from": "us-east-1", "regions": {"sa-east-1": "none recorded", "eu-west-1": "none"}}}}
    asked = []

    def fetch(offer_code, where):
        asked.append((offer_code, where))
        return offer

    kept = refresh(catalog, ["aws"], {"aws": fetch})
    prices, est = catalog["prices"]["aws"], catalog["estimates"]["aws"]
    assert ("AmazonEKS", "sa-east-1/") in asked and ("AmazonEKS", "eu-west-1/") in asked
    sa = prices["sa-east-1"]
    assert set(sa) == {"eks.cluster"} and sa["eks.cluster"]["price"] == 0.10 and "verified_by" not in sa["eks.cluster"]
    assert "AmazonEKS/current/sa-east-1/index.json" in sa["eks.cluster"]["source"]
    assert "aws/sa-east-1/wafv2.rule: still estimated from us-east-1" in kept
    assert set(est["regions"]) == {"sa-east-1", "eu-west-1"}  # wafv2.rule has no query: still estimated
    # Once every SKU of the stand-in region is priced, the region leaves the estimates.
    del prices["us-east-1"]["wafv2.rule"]
    refresh(catalog, ["aws"], {"aws": fetch})
    assert est["regions"] == {} and Catalog(catalog | {"currency": "USD", "hours_per_month": 730}).get(
        "aws", "sa-east-1", "eks.cluster").estimated_from == ""


def test_refresh_drops_the_publication_date_of_what_the_api_reprices():
    from offline.pricing.refresh import refresh

    samples = Path(__file__).resolve().parent / "pricing_samples"
    page = json.loads((samples / "gcp_compute_skus.json").read_text())
    entry = {"price": 9, "unit": "hour", "source": "https://example.org/pricing.yml", "date": "2026-07-30",
             "published": "a mirror of the price API"}
    catalog = {"catalog_date": "x", "prices": {"gcp": {"europe-west1": {"compute.instance.e2-standard-4": entry}}}}
    assert refresh(catalog, ["gcp"], {"gcp": lambda service: [page]}) == []
    assert set(entry) == {"price", "unit", "source"} and entry["source"].startswith("https://cloudbilling")


def test_the_refresh_cli_asks_each_cloud_for_its_key(monkeypatch, capsys):
    from offline.pricing.refresh import main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--gcp-api-key" in capsys.readouterr().out
    for module in rule_modules().values():
        if module.API_KEY_ENV:
            monkeypatch.delenv(module.API_KEY_ENV, raising=False)
    assert main(["--cloud", "gcp", "--dry-run"]) == 2  # before any network access
    assert "needs an API key (--gcp-api-key or GCP_API_KEY)" in capsys.readouterr().err
