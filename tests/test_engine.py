"""The offline engine's contract: command line, JSON report, exit codes, analyzer protocol."""
import json

import pytest

from offline_helpers import REPO, offline, preview_config

PROGRAM = """
import pulumi, pulumi_aws as aws
provider = aws.Provider("eu", region="eu-west-1")
group = pulumi.ComponentResource("test:index:Group", "group")
public = aws.s3.Bucket("public", acl="public-read",
                       opts=pulumi.ResourceOptions(provider=provider, parent=group, protect=True))
private = aws.s3.Bucket("private", opts=pulumi.ResourceOptions(provider=provider, parent=group))
group.register_outputs({"private_bucket": private.bucket, "token": pulumi.Output.secret("c0mp0nent")})
pulumi.export("public_bucket", public.bucket)
pulumi.export("token", pulumi.Output.secret("s3cr3t"))
"""
CONFIG = {"platform:environment": "dev", "aws:region": "us-west-2"}


@pytest.fixture(scope="module")
def flagged(tmp_path_factory):
    return preview_config(CONFIG, tmp_path_factory.mktemp("flagged"), program=PROGRAM, packs=("tests/packs/sample",))


def test_mandatory_violation_exits_1_with_diagnostic_in_json(flagged):
    assert flagged.returncode == 1, flagged.stderr
    diags = [d for d in flagged.diagnostics if d["policy"] == "no-public-read-bucket"]
    assert len(diags) == 1
    assert diags[0]["level"] == "mandatory" and diags[0]["pack"] == "sample"
    assert diags[0]["urn"].endswith("test:index:Group$aws:s3/bucket:Bucket::public")
    assert "public-read" in diags[0]["message"]


def test_stack_policy_sees_providers_and_parents(flagged):
    (diag,) = [d for d in flagged.diagnostics if d["policy"] == "stack-has-provider"]
    assert diag["level"] == "advisory"
    assert "2 resources with an explicit provider, " in diag["message"]


def test_report_captures_resources_by_wire_name(flagged):
    report = flagged.report
    assert set(report) >= {"stack", "resources", "outputs", "policy"}
    assert report["stack"] == "test"
    for r in report["resources"]:
        assert set(r) >= {"urn", "id", "type", "name", "parent", "provider", "protect", "inputs", "outputs"}
    public = flagged.one("aws:s3/bucket:Bucket", "public")
    assert public["inputs"]["acl"] == "public-read"
    assert public["protect"] is True
    assert public["parent"].endswith("::test:index:Group::group")
    assert public["provider"].startswith("urn:pulumi:test::platform::pulumi:providers:aws::eu::")
    provider = flagged.one("pulumi:providers:aws", "eu")
    assert provider["inputs"]["region"] == "eu-west-1"
    assert public["provider"].endswith("::" + provider["id"])


def test_outputs_are_resolved_and_secrets_masked(flagged):
    assert flagged.report["outputs"]["token"] == "[secret]"
    assert "s3cr3t" not in json.dumps(flagged.report)


def test_component_outputs_are_captured_and_secrets_masked(flagged):
    group = flagged.one("test:index:Group", "group")
    private = flagged.one("aws:s3/bucket:Bucket", "private")
    assert group["outputs"] == {"private_bucket": private["outputs"]["bucket"], "token": "[secret]"}
    assert "c0mp0nent" not in json.dumps(flagged.report)


def test_clean_program_exits_0(tmp_path):
    run = preview_config(CONFIG, tmp_path, program=PROGRAM.replace('acl="public-read",', ""),
                         packs=("tests/packs/sample",))
    assert run.returncode == 0, run.stderr
    assert not [d for d in run.diagnostics if d["level"] == "mandatory"]


def test_config_error_exits_2_without_traceback(tmp_path):
    run = preview_config({**CONFIG, "platform:enviroment": "dev"}, tmp_path)
    assert run.returncode == 2
    assert "platform:enviroment" in run.stderr and "did you mean 'platform:environment'" in run.stderr
    assert "Traceback" not in run.stderr
    assert run.report is None


def test_unknown_stack_exits_2_and_lists_stacks(tmp_path):
    run = offline(["preview", "no-such-stack"], tmp_path)
    assert run.returncode == 2
    assert "no-such-stack" in run.stderr and "dev" in run.stderr


def test_markdown_report(tmp_path):
    md = tmp_path / "report.md"
    run = preview_config(CONFIG, tmp_path, program=PROGRAM, packs=("tests/packs/sample",))
    assert run.returncode == 1
    # the helper writes JSON only; write Markdown through the CLI directly
    proj = tmp_path / "project"
    run2 = offline(["preview", "test", "--project-dir", str(proj), "--policy-pack", str(REPO / "tests/packs/sample"),
                    "--markdown", str(md)], tmp_path)
    assert run2.returncode == 1
    text = md.read_text()
    assert "### Offline preview: `test`" in text and "no-public-read-bucket" in text and "| sample |" in text
