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


MARKER_PACK = '''
import os
from pathlib import Path
marker = Path(os.environ["OFFLINE_TEST_PACK_MARKER"])
marker.with_suffix(".tmp").write_text(str(os.getpid()))
marker.with_suffix(".tmp").replace(marker)  # whole or absent: the pack may be stopped at any moment
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy
PolicyPack(name="marker", enforcement_level=EnforcementLevel.ADVISORY, policies=[
    ResourceValidationPolicy(name="noop", description="Reports nothing.", validate=lambda args, report: None)])
'''
WAITING_PROGRAM = '''
import os, time
from pathlib import Path
import pulumi
marker = Path(os.environ["OFFLINE_TEST_PACK_MARKER"])
deadline = time.monotonic() + 60
while not marker.exists() and time.monotonic() < deadline:
    time.sleep(0.05)
pulumi.export("pack_started_during_program", marker.exists())
'''


def _marker_pack(tmp_path):
    pack = tmp_path / "marker-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\\n")
    (pack / "__main__.py").write_text(MARKER_PACK)
    return pack


def test_packs_start_while_the_program_runs(tmp_path):
    """The packs' start-up overlaps the program (bench/offline_preview.py measures the gain)."""
    marker = tmp_path / "pack-started"
    pack = _marker_pack(tmp_path)
    run = offline(["preview", "test", "--quiet", "--project-dir", str(_project(tmp_path, WAITING_PROGRAM)),
                   "--policy-pack", str(pack), "--policy-pack", str(REPO / "tests/packs/sample")], tmp_path,
                  env={"OFFLINE_TEST_PACK_MARKER": str(marker)})
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.report["outputs"]["pack_started_during_program"] is True
    assert [p["pack"] for p in run.report["packs"]] == ["marker", "sample"], "results keep the packs' order"


def test_packs_started_early_are_stopped_on_a_config_error(tmp_path):
    import os
    import time

    marker = tmp_path / "pack-started"
    pack = _marker_pack(tmp_path)
    proj = _project(tmp_path, None, {**CONFIG, "platform:enviroment": "dev"})  # the project's program
    run = offline(["preview", "test", "--project-dir", str(proj), "--policy-pack", str(pack)], tmp_path,
                  env={"OFFLINE_TEST_PACK_MARKER": str(marker)})
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    if marker.exists():  # the pack got as far as starting: its process must be gone
        pid = int(marker.read_text())
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"pack process {pid} outlived the preview")


def _project(tmp_path, program, config=CONFIG):
    import yaml

    proj = tmp_path / "project"
    (proj / "stacks").mkdir(parents=True)
    doc = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    if program is None:
        doc["main"] = str(REPO)
    else:
        (proj / "__main__.py").write_text(program)
    (proj / "Pulumi.yaml").write_text(yaml.safe_dump(doc))
    (proj / "stacks" / "Pulumi.test.yaml").write_text(yaml.safe_dump({"config": config}))
    return proj


# ---------------------------------------------------------------------------------------------
# The report's values: engine.report_value against the SDK's own deserializer

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from offline import engine  # noqa: E402

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                     st.text(max_size=8), st.just(engine.UNKNOWN))


def _secret(v):
    return {engine.SECRET_SIG: engine.SECRET_TAG, "value": v}


def _ref(urn, rid):
    out = {engine.SECRET_SIG: engine.RESOURCE_REF_SIG, "urn": urn}
    if rid is not None:
        out["id"] = rid
    return out


def _wire_values(refs: bool):
    """Wire values: scalars, unknowns, lists, objects, secrets and (with `refs`) resource references."""
    def composite(inner):
        kinds = [st.lists(inner, max_size=4),
                 st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda k: k != engine.SECRET_SIG), inner,
                                 max_size=4),
                 inner.map(_secret)]
        if refs:
            kinds.append(st.builds(_ref, st.just("urn:pulumi:s::p::aws:s3/bucket:Bucket::b"),
                                   st.one_of(st.none(), st.text(max_size=4))))
        return st.one_of(*kinds)

    return st.recursive(_SCALARS, composite, max_leaves=25)


_WIRE = _wire_values(refs=True)


def _struct(props: dict):
    from google.protobuf import struct_pb2

    s = struct_pb2.Struct()
    s.update(props)
    return s


def _through_the_sdk(struct):
    from pulumi.runtime import rpc

    return engine.to_json_value(rpc.deserialize_properties(engine._refs_to_urns(struct), keep_unknowns=True))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda k: k != engine.SECRET_SIG), _WIRE, max_size=5))
def test_report_values_are_what_the_sdk_deserializer_gives(props):
    """Nulls left out of objects and kept in lists, unknowns, secrets masked up to the top-level
    property, resource references as their URNs, numbers as the wire's doubles."""
    struct = _struct(props)
    assert engine.report_value(struct) == _through_the_sdk(struct)


def test_report_values_hand_other_signatures_to_the_sdk():
    asset = {engine.SECRET_SIG: "c44067f5952c0a294b673a41bacd8c17", "text": "hello"}  # a StringAsset
    struct = _struct({"code": asset, "plain": "x"})
    got, sdk = engine.report_value(struct), _through_the_sdk(struct)
    # The SDK's object, as the report has always shown it (its repr; the address differs run to run).
    assert got["code"].startswith("<pulumi.asset.StringAsset object") and sdk["code"].startswith(
        "<pulumi.asset.StringAsset object")
    assert got["plain"] == sdk["plain"] == "x"


def test_a_secret_masks_the_whole_top_level_property():
    struct = _struct({"spec": {"env": [{"name": "A", "value": _secret("s3cr3t")}], "replicas": 2},
                      "name": "web", "gone": None, "later": engine.UNKNOWN})
    assert engine.report_value(struct) == {"spec": engine.SECRET_MASK, "name": "web", "later": "[unknown]"}


# The mocks' side of a registration: engine.deserialized / mock_struct against the SDK's MockMonitor path

def _comparable(value):
    """The SDK's Unknown has no equality: compared by kind."""
    from pulumi.output import Unknown

    if isinstance(value, Unknown):
        return "<Unknown>"
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


_NO_REFS = _wire_values(refs=False)  # the mocks never see a reference: the monitor downgrades them first


@pytest.mark.parametrize("dry_run", [True, False])
@settings(max_examples=200, deadline=None)
@given(props=st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda k: k != engine.SECRET_SIG), _NO_REFS,
                             max_size=5))
def test_deserialized_inputs_are_what_the_sdk_deserializer_gives(dry_run, props):
    """Unknowns (the SDK's Unknown in a dry run, absent otherwise), secrets wrapped and pushed up,
    nulls left out of objects and kept in lists."""
    from pulumi.runtime import rpc, settings as runtime_settings

    struct = _struct(props)
    before = runtime_settings.SETTINGS.dry_run
    runtime_settings.SETTINGS.dry_run = dry_run
    try:
        assert _comparable(engine.deserialized(struct)) == _comparable(rpc.deserialize_properties(struct))
        kept = engine.deserialized(struct, keep_unknowns=True)
        assert _comparable(kept) == _comparable(rpc.deserialize_properties(struct, keep_unknowns=True))
    finally:
        runtime_settings.SETTINGS.dry_run = before


_PLAIN = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=6), _PLAIN, max_size=6))
def test_mock_outputs_are_what_the_sdk_serializer_gives(state):
    """Top-level nulls left out, nested ones kept, numbers as doubles: byte for byte the SDK's Struct."""
    from pulumi.runtime import rpc
    from pulumi.runtime.sync_await import _sync_await

    ours = engine.mock_struct(state)
    assert ours is not None
    assert ours.SerializeToString(deterministic=True) == _sync_await(
        rpc.serialize_properties(state, {})).SerializeToString(deterministic=True)


def test_mock_outputs_leave_what_is_not_plain_data_to_the_sdk():
    from pulumi.output import Unknown

    assert engine.mock_struct({"a": Unknown()}) is None
    assert engine.mock_struct({"a": {1: "x"}}) is None
    assert engine.mock_struct({"a": [b"bytes"]}) is None


def test_a_pack_that_does_not_start_is_exit_2_in_its_own_words(tmp_path):
    pack = tmp_path / "broken"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text('import sys\nsys.exit("this pack needs pulumi_policy 9.9")\n')
    run = offline(["preview", "test", "--quiet", "--project-dir", str(_project(tmp_path, "import pulumi\n")),
                   "--policy-pack", str(pack)], tmp_path)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "policy pack" in run.stderr and "this pack needs pulumi_policy 9.9" in run.stderr


def test_a_directory_that_is_no_pack_is_exit_2_before_the_program_runs(tmp_path):
    run = offline(["preview", "test", "--quiet", "--project-dir", str(_project(tmp_path, "raise SystemExit(9)\n")),
                   "--policy-pack", str(tmp_path / "nowhere")], tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert "not a policy pack (needs PulumiPolicy.yaml and __main__.py)" in run.stderr
