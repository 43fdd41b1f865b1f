"""Valid topologies beyond the shipped stacks (issue #24): whole stacks through the offline engine,
with both packs speaking the analyzer protocol."""
from __future__ import annotations

import copy

import pytest

from offline_helpers import preview_config, stack_config

PACKS = ("policy/encryption", "policy/residency")


def mandatory(run) -> list[str]:
    return [f"{d['policy']}: {d['message']}" for d in run.diagnostics if d["level"] == "mandatory"]


def apply_errors(run) -> list:
    """Apply errors, once the engine reports them (`report["apply"]`); none before that."""
    apply = (run.report or {}).get("apply")
    if not apply:
        return []
    if isinstance(apply, dict):
        return list(apply.get("errors") or [])
    return [a for a in apply if not isinstance(a, dict) or a.get("level", "error") == "error"]


@pytest.fixture(scope="module")
def azure_in_two_zones(tmp_path_factory):
    """The dev cells plus an Azure cell in westeurope: two Azure cells in two strict zones, each
    validating its certificate with a multivalue TXT record at the zone apex."""
    cfg = copy.deepcopy(stack_config("dev"))
    cfg["platform:cells"].append({
        "name": "azure-westeurope", "cloud": "azure", "region": "westeurope", "residency": "eu",
        "role": "secondary", "weight": 10, "network_cidr": "10.40.0.0/16",
        "cluster": {"min_nodes": 1, "max_nodes": 3, "api_allowed_cidrs": ["203.0.113.0/24"]}})
    return preview_config(cfg, tmp_path_factory.mktemp("azure2"), stack="dev-azure2", packs=PACKS)


def test_azure_cells_in_two_zones_pass_both_packs(azure_in_two_zones):
    run = azure_in_two_zones
    assert run.report is not None, run.stderr[-3000:]
    txt = [r for r in run.of_type("aws:route53/record:Record") if r["inputs"].get("type") == "TXT"
           and r["inputs"].get("setIdentifier")]
    assert len(txt) >= 2, "the stack under test has per-cell multivalue TXT records"
    assert mandatory(run) == [] and run.returncode == 0, mandatory(run) or run.stderr[-3000:]
    assert apply_errors(run) == []
