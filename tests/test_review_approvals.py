"""Approvals (issue #38): one entry in policy/residency/approvals.json reaches every residency policy
(the old three-key form is still read), and an approved exception is a banner in every report form."""
from __future__ import annotations

import importlib.util
import json

from offline_helpers import REPO

ENTRY = {"zone": "in", "fallback_cell": "aws-us-west-2", "reason": "capacity during the migration",
         "approver": "dpo@acme.example", "expires": "2099-01-31", "stacks": ["dev"]}


def _reader():
    spec = importlib.util.spec_from_file_location("residency_approvals", REPO / "policy/residency/approvals.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_one_entry_reaches_every_policy(tmp_path):
    f = tmp_path / "approvals.json"
    f.write_text(json.dumps({"residency-exception-approved": {"exceptions": [ENTRY]}}))
    merged, problems = _reader().with_approvals({"zones": {"in": {"strict": True}}}, f)
    assert merged["exceptions"] == [ENTRY] and merged["zones"] == {"in": {"strict": True}} and problems == []


def test_the_old_three_key_form_is_read_once(tmp_path):
    f = tmp_path / "approvals.json"
    f.write_text(json.dumps({k: {"exceptions": [ENTRY]} for k in (
        "residency-dns-in-zone", "residency-exception-approved", "residency-edge-guard")}))
    reader = _reader()
    assert reader.approved_exceptions(f) == ([ENTRY], [])
    # the CLI passing the same file as the policy's own config: still one entry
    merged, _ = reader.with_approvals({"exceptions": [ENTRY]}, f)
    assert merged["exceptions"] == [ENTRY]


def test_an_unreadable_file_is_a_reported_problem(tmp_path):
    f = tmp_path / "approvals.json"
    f.write_text("{not json")
    merged, problems = _reader().with_approvals({}, f)
    assert merged["exceptions"] == [] and problems and "approvals.json" in problems[0]


def test_an_approved_exception_is_a_banner_in_every_form():
    from offline.analyzer import Diagnostic, PackResult
    from offline.engine import StackRun
    from offline.report import to_json, to_markdown, to_text

    policy = "residency-exception-approved"
    d = Diagnostic("residency", policy, "urn:pulumi:s::p::aws:route53/record:Record::in-fallback", "advisory",
                   "Approved exceptions the stack relies on.\napproved: zone 'in' may fall back to 'aws-us-west-2' "
                   "until 2099-01-31 (approved by dpo@acme.example; reason: capacity during the migration)",
                   description="Approved exceptions the stack relies on.")
    pack = PackResult("residency", "0.0.1", [{"name": policy, "description": d.description, "remediation": "x"}],
                      [d], 1)
    run = StackRun(stack="s", project="p", resources=[], outputs={}, config={})
    report, text, md = to_json(run, [pack], []), to_text(run, [pack], quiet=True), to_markdown(run, [pack], [])
    assert report["approved_exceptions"] and "dpo@acme.example" in report["approved_exceptions"][0]
    assert "!! 1 approved residency exception(s) in force" in text and "dpo@acme.example" in text
    assert "> [!WARNING]" in md and "dpo@acme.example" in md
    # a banner, not a finding to fix, and the verdict counts it
    assert "- [advisory] residency-exception-approved" not in text
    assert "1 approved residency exception(s)" in report["verdict"] and report["verdict"].startswith("Verdict: PASS")
