"""Valid topologies beyond the shipped stacks: whole stacks through the offline engine,
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
    return [a for a in apply if not isinstance(a, dict)
            or (a.get("level", "error") == "error" and not a.get("exempted"))]


def _azure_in_two_zones() -> dict:
    """The dev cells plus an Azure cell in westeurope: two Azure cells in two strict zones, each
    validating its certificate with a multivalue TXT record at the zone apex."""
    cfg = copy.deepcopy(stack_config("dev"))
    cfg["platform:cells"].append({
        "name": "azure-westeurope", "cloud": "azure", "region": "westeurope", "residency": "eu",
        "role": "secondary", "weight": 10, "network_cidr": "10.40.0.0/16",
        "cluster": {"min_nodes": 1, "max_nodes": 3, "api_allowed_cidrs": ["203.0.113.0/24"]}})
    return cfg


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """This module's whole-stack previews, two at a time (the machine's two cores)."""
    from concurrent.futures import ThreadPoolExecutor

    approved = _pack_copy(tmp_path_factory.mktemp("approved-pack"), [dict(EXCEPTION, stacks=["dev-exception"])])
    unapproved = _pack_copy(tmp_path_factory.mktemp("unapproved-pack"), [])
    jobs = {
        "azure2": (_azure_in_two_zones(), "dev-azure2", PACKS),
        "approved": (_with_exception(), "dev-exception", (str(approved),)),
        "unapproved": (_with_exception(), "dev-exception", (str(unapproved),)),
    }
    with ThreadPoolExecutor(2) as pool:
        futures = {k: pool.submit(preview_config, cfg, tmp_path_factory.mktemp(k), stack=stack, packs=packs)
                   for k, (cfg, stack, packs) in jobs.items()}
        return {k: f.result() for k, f in futures.items()}


@pytest.fixture(scope="module")
def azure_in_two_zones(runs):
    return runs["azure2"]


def test_azure_cells_in_two_zones_pass_both_packs(azure_in_two_zones):
    run = azure_in_two_zones
    assert run.report is not None, run.stderr[-3000:]
    # Azure cells validate their certificates by ACME DNS-01: lego writes the TXT records during the
    # apply, so the stack registers none (they cannot be judged as routing records either way).
    assert not [r for r in run.of_type("aws:route53/record:Record") if r["inputs"].get("type") == "TXT"]
    assert mandatory(run) == [] and run.returncode == 0, mandatory(run) or run.stderr[-3000:]
    assert apply_errors(run) == []


# --- exceptions: declared once (the stack), approved once (the residency pack's config) ----------

EXPIRES = (__import__("datetime").date.today() + __import__("datetime").timedelta(days=60)).isoformat()
EXCEPTION = {"zone": "in", "fallback_cell": "aws-us-west-2", "reason": "capacity during the India migration",
             "approver": "dpo@acme.example", "expires": EXPIRES}


def _with_exception() -> dict:
    """dev's AWS (us) and Azure (in) cells, with India's fallback to the AWS cell declared."""
    cfg = copy.deepcopy(stack_config("dev"))
    cfg["platform:cells"] = [c for c in cfg["platform:cells"] if c["cloud"] != "gcp"]
    cfg["platform:zones"].pop("eu", None)
    cfg["platform:exceptions"] = [dict(EXCEPTION)]
    return cfg


def _pack_copy(tmp_path, approvals: list[dict]):
    """The residency pack as shipped, with its approvals file holding `approvals`."""
    import json
    import shutil

    from offline_helpers import REPO

    pack = tmp_path / "residency"
    shutil.copytree(REPO / "policy" / "residency", pack, ignore=shutil.ignore_patterns("__pycache__"))
    doc = json.loads((pack / "approvals.json").read_text())
    for policy in doc.values():
        policy["exceptions"] = approvals
    (pack / "approvals.json").write_text(json.dumps(doc))
    return pack


def test_shipped_approvals_file_is_the_packs_config_and_owned():
    import json

    from offline_helpers import REPO

    doc = json.loads((REPO / "policy" / "residency" / "approvals.json").read_text())
    # One entry per approval: the pack adds the file's approvals to every policy
    # (residency-dns-in-zone, and residency-edge-guard: an approved exception also lets its zone in
    # at the fallback cell's edge); `runs["approved"]` below proves both see it.
    assert list(doc) == ["residency-exception-approved"]
    owners = (REPO / ".github" / "CODEOWNERS").read_text().splitlines()
    assert any(line.split()[:1] == ["/policy/residency/approvals.json"] and len(line.split()) > 1 for line in owners)


def test_exception_approved_in_the_pack_config_is_reported_with_approver(runs):
    """No --policy-pack-config: the pack's approvals.json is used (as CI and the README pass it)."""
    run = runs["approved"]
    assert run.report is not None, run.stderr[-3000:]
    assert mandatory(run) == [] and run.returncode == 0, mandatory(run)
    approved = [d["message"] for d in run.diagnostics if d["policy"] == "residency-exception-approved"]
    assert approved and all(d["level"] == "advisory" for d in run.diagnostics
                            if d["policy"] == "residency-exception-approved")
    assert any("dpo@acme.example" in m and EXPIRES in m and "'aws-us-west-2'" in m for m in approved), approved
    # the banner every report form shows: the JSON carries it too
    assert any("dpo@acme.example" in a for a in run.report["approved_exceptions"])


def test_exception_only_declared_by_the_stack_is_a_mandatory_violation(runs):
    run = runs["unapproved"]
    assert run.returncode == 1, run.stderr[-3000:]
    dns = [m for m in mandatory(run) if m.startswith("residency-dns-in-zone")]
    assert any("strict zone 'in'" in m and "aws-us-west-2" in m and "unapproved" in m for m in dns), mandatory(run)
