"""What a reviewer reads: every form of the report (text, JSON, Markdown) says, for each
finding, what is wrong (the value), where (the resource) and how to fix it; a verdict line ends it."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from offline_helpers import REPO, offline, preview_config

PROGRAM = """
import pulumi, pulumi_aws as aws
provider = aws.Provider("eu", region="eu-west-1")
aws.s3.Bucket("public-assets", acl="public-read", opts=pulumi.ResourceOptions(provider=provider))
aws.s3.Bucket("private", opts=pulumi.ResourceOptions(provider=provider))
"""
CONFIG = {"platform:environment": "dev", "aws:region": "us-west-2"}
FIX = "Set the bucket's acl to private"


@pytest.fixture(scope="module")
def forms(tmp_path_factory):
    """One run of the CLI writing all three forms."""
    tmp = tmp_path_factory.mktemp("forms")
    preview_config(CONFIG, tmp, program=PROGRAM)  # writes the project
    proj, md = tmp / "project", tmp / "report.md"
    run = offline(["preview", "test", "--project-dir", str(proj), "--policy-pack", str(REPO / "tests/packs/sample"),
                   "--markdown", str(md), "--quiet"], tmp)
    assert run.returncode == 1, run.stderr
    return run.stdout, run.report, md.read_text()


def test_text_names_the_value_the_resource_and_the_fix(forms):
    text, _, _ = forms
    block = text[text.index("- [mandatory] no-public-read-bucket"):].splitlines()[:4]
    assert "public-read" in block[1] and block[1].strip().startswith("what:")
    assert "aws:s3/bucket:Bucket public-assets" in block[2] and block[2].strip().startswith("where:")
    assert FIX in block[3] and block[3].strip().startswith("fix:")


def test_json_names_the_value_the_resource_and_the_fix(forms):
    _, report, _ = forms
    (d,) = [d for d in report["policy"] if d["policy"] == "no-public-read-bucket"]
    assert {"pack", "policy", "urn", "level", "message"} <= set(d)  # the contract's keys stay
    assert "public-read" in d["finding"] and d["finding"] != d["description"]
    assert d["resource"] == {"name": "public-assets", "type": "aws:s3/bucket:Bucket"}
    assert FIX in d["remediation"]
    assert report["verdict"].startswith("Verdict: FAIL: 1 mandatory policy violation(s)")


def test_markdown_names_the_value_the_resource_and_the_fix(forms):
    _, _, md = forms
    (row,) = [line for line in md.splitlines() if "no-public-read-bucket" in line and line.startswith("| mandatory")]
    assert "public-read" in row and "public-assets" in row and FIX in row
    assert "**Verdict: FAIL" in md


def test_the_last_line_is_the_verdict(forms):
    text, _, _ = forms
    assert text.rstrip().splitlines()[-1].startswith("Verdict: FAIL: 1 mandatory policy violation(s), 0 apply error(s)")


def test_quiet_prints_no_outputs_no_tree_and_no_advisories(forms):
    text, _, _ = forms
    assert "Outputs:" not in text and "stack-has-provider" not in text  # advisory: --quiet leaves it out
    assert "+ aws:s3/bucket:Bucket" not in text


def _run_and_findings(findings, unused=()):
    from offline.engine import StackRun
    from offline.report import to_json, to_markdown, to_text

    run = StackRun(stack="s", project="p", resources=[], outputs={"long": "x" * 500}, config={})
    return (to_text(run, [], findings=findings, unused=list(unused)),
            to_json(run, [], findings, unused=list(unused)),
            to_markdown(run, [], findings, unused=list(unused)))


def _aks_finding():
    from offline.apply import Graph, RULES

    cluster = {"urn": "urn:pulumi:s::p::azure-native:containerservice:ManagedCluster::aks",
               "type": "azure-native:containerservice:ManagedCluster", "name": "aks", "dependencies": [],
               "inputs": {"disableLocalAccounts": True, "aadProfile": {"enableAzureRBAC": True}}}
    provider = {"urn": "urn:pulumi:s::p::pulumi:providers:kubernetes::k8s", "type": "pulumi:providers:kubernetes",
                "name": "k8s", "inputs": {}, "dependencies": [cluster["urn"]]}
    g = Graph([cluster, provider], [], {"platform:deployer": '{"in_network": true}'}, "s")
    return list(RULES["azure-aks-deployer-access"].check(g))


def test_an_apply_finding_fix_names_the_stack_setting_in_every_form():
    (finding,) = _aks_finding()
    text, report, md = _run_and_findings([finding])
    assert "aadProfile" not in finding.message + finding.fix
    assert "platform:deployer.azure_object_id" in report["apply"][0]["fix"]
    fix_line = text[text.index("- [error] azure-aks-deployer-access"):].splitlines()[3]
    assert fix_line.strip().startswith("fix:") and "platform:deployer.azure_object_id" in fix_line
    assert "pulumi:providers:kubernetes k8s" in text
    (row,) = [line for line in md.splitlines() if "azure-aks-deployer-access" in line]
    assert "platform:deployer.azure_object_id" in row and "k8s" in row
    assert text.rstrip().splitlines()[-1].startswith("Verdict: FAIL: 0 mandatory policy violation(s), 1 apply error(s)")


def test_cut_off_values_carry_an_ellipsis():
    from offline.report.findings import ELLIPSIS, clip

    text, _, _ = _run_and_findings([])
    (line,) = [l for l in text.splitlines() if l.strip().startswith("long:")]
    assert line.endswith(ELLIPSIS) and len(line.strip()) < 220
    assert clip("a" * 10, 10) == "a" * 10 and clip("a" * 11, 10) == "a" * 9 + ELLIPSIS


def test_an_exemption_that_matches_nothing_warns():
    from offline.apply import Graph, check_all

    until = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    exemptions = [{"rule": "azure-aks-deployer-access", "resource": "no-such-resource", "reason": "was needed once",
                   "expires": until},
                  {"rule": "k8s-label-syntax", "resource": "*", "reason": "matches nothing either", "expires": until}]
    (finding,) = _aks_finding()
    g = Graph([], [], {"platform:apply_exemptions": json.dumps(exemptions)}, "s")
    findings, unused = check_all(g)
    assert not findings and [e.resource for e in unused] == ["no-such-resource", "*"]
    text, report, md = _run_and_findings([finding], unused)
    assert [e["resource"] for e in report["unused_exemptions"]] == ["no-such-resource", "*"]
    assert "matches no finding" in text and "no-such-resource" in text and "no-such-resource" in md
    assert "2 unused exemption(s)" in report["verdict"]


def test_an_exemption_that_matches_is_used():
    from offline.apply import Graph, check_all

    until = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    (finding,) = _aks_finding()
    from offline.apply import Exemption

    e = Exemption("azure-aks-deployer-access", "k8s", "the grant lands in issue 99", dt.date.fromisoformat(until))
    assert e.matches(finding, Graph([], [], {}, "s"))


# ---- An approved residency exception is a banner in every form of the report, not a finding -------

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
