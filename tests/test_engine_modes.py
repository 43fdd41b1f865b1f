"""The offline preview is `pulumi preview` of a new stack: a dry run by default (computed outputs
unknown, apply callbacks on unknowns not run), `--assume-applied` for what needs values; default
providers from stack config, sent to the packs; mocks derived from the SDKs' declarations; exit 3
only for the program's own error, with its frames."""
from __future__ import annotations

import base64
import json
import textwrap

import pytest

from offline_helpers import REPO, offline, preview_config, preview_stack

PACKS = ("policy/encryption", "policy/residency")
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml"))

PROGRAM = """
import os
from pathlib import Path
import pulumi
import pulumi_aws as aws

marker = Path(os.environ["OFFLINE_TEST_APPLY_MARKER"])
bucket = aws.s3.Bucket("data")
bucket.arn.apply(lambda arn: marker.write_text(arn))  # must not run on an unknown ARN
vpc = aws.ec2.get_vpc(default=True)                      # a lookup no mock was written for
pulumi.export("dry_run", pulumi.runtime.is_dry_run())
pulumi.export("arn", bucket.arn)
pulumi.export("bucket", bucket.bucket)                   # the auto-name: chosen before a preview
pulumi.export("region", bucket.region)                   # the provider's region: planned
pulumi.export("vpc", vpc.id)
pulumi.export("label", bucket.arn.apply(lambda a: f"bucket {a}"))
"""
CONFIG = {"platform:environment": "dev", "aws:region": "eu-west-1"}


@pytest.fixture(scope="module")
def modes(tmp_path_factory):
    out = {}
    for mode in ("dry-run", "assume-applied"):
        tmp = tmp_path_factory.mktemp(mode)
        marker = tmp / "applied"
        import os
        os.environ["OFFLINE_TEST_APPLY_MARKER"] = str(marker)
        try:
            run = preview_config(CONFIG, tmp, program=PROGRAM, dry_run=mode == "dry-run")
        finally:
            del os.environ["OFFLINE_TEST_APPLY_MARKER"]
        out[mode] = (run, marker)
    return out


def test_dry_run_is_a_first_preview(modes):
    run, marker = modes["dry-run"]
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.report["outputs"]
    assert out["dry_run"] is True
    assert out["arn"] == "[unknown]" and out["label"] == "[unknown]"
    assert not marker.exists(), "an apply callback ran on an unknown value"
    assert out["bucket"].startswith("data-") and len(out["bucket"]) == len("data-") + 7
    assert out["region"] == "eu-west-1"
    assert out["vpc"].startswith("vpc-0")
    bucket = run.one("aws:s3/bucket:Bucket", "data")
    assert bucket["id"] is None and bucket["outputs"]["arn"] == "[unknown]"
    assert run.report["mode"] == "dry-run"
    assert run.report["cost"] is None and run.report["apply"] == []


def test_assume_applied_knows_every_value(modes):
    run, marker = modes["assume-applied"]
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.report["outputs"]
    assert out["dry_run"] is False
    assert out["arn"] == f"arn:aws:s3:::{out['bucket']}"
    assert marker.read_text() == out["arn"] and out["label"] == f"bucket {out['arn']}"
    assert run.report["mode"] == "assume-applied" and isinstance(run.report["cost"], dict)


def test_text_and_markdown_say_which_mode_ran(tmp_path):
    proj = tmp_path / "project"
    program = "import pulumi, pulumi_aws as aws\naws.s3.Bucket('b')\n"
    preview_config(CONFIG, tmp_path, program=program, dry_run=True)
    for flag, words in (([], "dry run"), (["--assume-applied"], "assume-applied")):
        md = tmp_path / f"r{len(flag)}.md"
        run = offline(["preview", "test", "--project-dir", str(proj), "--markdown", str(md), *flag], tmp_path)
        assert run.returncode == 0, run.stderr[-2000:]
        assert f"offline, {words}" in run.stdout
        assert f"Mode: {words}" in md.read_text()


PROVIDER_PACK = '''
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def where(args, report):
    p = args.provider
    if p is not None:
        report(f"{args.name} via {p.resource_type} {p.name} region={p.props.get('region')} "
               f"version={p.props.get('version')}")


PolicyPack(name="where", enforcement_level=EnforcementLevel.ADVISORY,
           policies=[ResourceValidationPolicy(name="where", description="Names the provider.", validate=where)])
'''


def test_default_provider_is_created_from_config_and_sent_to_the_packs(tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text(PROVIDER_PACK)
    program = "import pulumi_aws as aws\naws.s3.Bucket('logs')\n"
    run = preview_config(CONFIG, tmp_path, program=program, packs=(str(pack),), dry_run=True)
    assert run.returncode == 0, run.stderr[-3000:]
    import pulumi_aws
    version = pulumi_aws._utilities.get_version()
    (default,) = run.of_type("pulumi:providers:aws")
    assert default["name"] == "default_" + version.replace(".", "_")
    assert default["urn"] == f"urn:pulumi:test::platform::pulumi:providers:aws::{default['name']}"
    assert default["inputs"] == {"region": "eu-west-1", "version": version}
    bucket = run.one("aws:s3/bucket:Bucket", "logs")
    assert bucket["provider"] == f"{default['urn']}::{default['id']}"
    messages = [d["message"] for d in run.diagnostics if d["policy"] == "where"]
    assert any(m.endswith(f"logs via pulumi:providers:aws {default['name']} region=eu-west-1 version={version}")
               for m in messages), messages


def test_a_program_error_exits_3_with_the_programs_frames_only(tmp_path):
    program = textwrap.dedent("""
        import pulumi_aws as aws

        def tags_for(env):
            return {"env": env["name"]}

        bucket = aws.s3.Bucket("b")
        bucket.arn.apply(lambda arn: tags_for(None))
    """)
    run = preview_config(CONFIG, tmp_path, program=program)  # assume-applied: the callback runs
    assert run.returncode == 3, run.stderr[-3000:]
    assert "the program's own frames" in run.stderr
    assert 'return {"env": env["name"]}' in run.stderr and "in tags_for" in run.stderr
    assert "site-packages" not in run.stderr and "offline/engine.py" not in run.stderr
    assert "TypeError: 'NoneType' object is not subscriptable" in run.stderr
    # The same program previews: a first `pulumi preview` never runs that callback.
    assert preview_config(CONFIG, tmp_path / "dry", program=program, dry_run=True).returncode == 0


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stack_passes_both_packs_in_a_dry_run(stack, tmp_path):
    """The verdict of a real first `pulumi preview --policy-pack ...`: no mandatory violation."""
    run = preview_stack(stack, tmp_path, packs=PACKS, dry_run=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.report["mode"] == "dry-run"
    assert [d for d in run.diagnostics if d["level"] == "mandatory"] == []
    assert {p["pack"] for p in run.report["packs"]} == {"encryption", "residency"}
    # It is a dry run: something the providers compute is unknown.
    assert "[unknown]" in json.dumps([r["outputs"] for r in run.resources])


# --- the mocks derived from the SDKs (in-process: no program, no set_mocks) ---------------------

def _ctx(**config):
    from offline.mocks import MockContext

    return MockContext(project="p", stack="s", config=config)


def test_sdk_invoke_results_follow_the_declared_fields():
    from offline.mocks import sdk

    ctx = _ctx(**{"aws:region": "ap-south-1"})
    ctx.type_ = "aws:ec2/getAmi:getAmi"
    ami = sdk.invoke_result(ctx, ctx.type_, {"owners": ["amazon"], "mostRecent": True})
    import pulumi._types as t
    import pulumi_aws.ec2 as ec2
    assert set(ami) == set(t.output_type_types(ec2.GetAmiResult))
    assert ami["id"].startswith("ami-0") and ami["owners"] == ["amazon"] and ami["mostRecent"] is True
    assert ami["arn"].startswith("arn:aws:ec2:ap-south-1:123456789012:")
    subnets = sdk.invoke_result(ctx, "aws:ec2/getSubnets:getSubnets", {})
    assert len(subnets["ids"]) == 3 and len(set(subnets["ids"])) == 3
    assert all(i.startswith("subnet-0") for i in subnets["ids"])


def test_sdk_cluster_credentials_are_a_base64_kubeconfig():
    from offline.mocks import sdk

    ctx = _ctx()
    token = "azure-native:containerservice:listManagedClusterAdminCredentials"
    creds = sdk.invoke_result(ctx, token, {"resourceName": "aks", "resourceGroupName": "rg"})
    config = base64.b64decode(creds["kubeconfigs"][0]["value"]).decode()
    import yaml
    doc = yaml.safe_load(config)
    assert doc["kind"] == "Config" and doc["clusters"][0]["cluster"]["server"].startswith("https://")


def test_sdk_resource_outputs_have_the_clouds_forms():
    from offline.mocks import sdk

    ctx = _ctx(**{"gcp:project": "proj", "gcp:region": "asia-south1"})
    ctx.type_ = "gcp:compute/router:Router"
    out = sdk.resource_outputs(ctx, ctx.type_, "r", {"network": "n"})
    assert out["network"] == "n"
    assert out["selfLink"] == "https://www.googleapis.com/compute/v1/projects/proj/regions/asia-south1/routers/r"
    ctx.type_ = "azure-native:network:NatGateway"
    rid = sdk.resource_id(ctx, ctx.type_, "nat", {"resourceGroupName": "rg"})
    assert rid.startswith("/subscriptions/") and "/resourceGroups/rg/providers/Microsoft.Network/natGateways/" in rid


def test_random_mocks_honour_the_inputs():
    from offline.mocks import RESOURCES

    ctx = _ctx()
    ctx.type_ = "random:index/randomPassword:RandomPassword"
    _, out = RESOURCES[ctx.type_](ctx, "db", {"length": 20, "special": False, "minUpper": 3, "minNumeric": 2})
    result = out["result"]
    assert len(result) == 20 and result.isalnum()
    assert sum(c.isupper() for c in result) >= 3 and sum(c.isdigit() for c in result) >= 2
    ctx.type_ = "random:index/randomInteger:RandomInteger"
    rid, out = RESOURCES[ctx.type_](ctx, "n", {"min": 5, "max": 7})
    assert 5 <= out["result"] <= 7 and rid == str(out["result"])
    ctx.type_ = "random:index/randomId:RandomId"
    rid, out = RESOURCES[ctx.type_](ctx, "i", {"byteLength": 4})
    assert len(out["hex"]) == 8 and rid == out["b64Url"] and int(out["dec"]) == int(out["hex"], 16)
