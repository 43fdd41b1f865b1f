"""The offline review diff (`python -m offline diff`) and the all-stacks preview, on a temporary git repo.

The base program is committed; each test rewrites the working tree's program and diffs it against
HEAD, through the CLI (child processes), exactly as the pull-request job runs it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

import schema_check
from offline.diff import alias_urns, diff_markdown, diff_resources, diff_text, stack_waves
from offline.diff.model import StackDiff
from offline.project import load_project

REPO = Path(__file__).resolve().parent.parent

# A storage component with stateful children (KMS key, S3 bucket) named after it, and a
# non-stateful child (the public access block).
PROGRAM = '''
import pulumi
import pulumi_aws as aws


class Storage(pulumi.ComponentResource):
    def __init__(self, name, team, opts=None):
        super().__init__("acme:storage:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(f"{name}-key", enable_key_rotation=True, deletion_window_in_days=30, opts=child)
        bucket = aws.s3.Bucket(f"{name}-bucket", tags={"team": team}, opts=child)
        aws.s3.BucketPublicAccessBlock(f"{name}-public-access", bucket=bucket.id, block_public_acls=True,
                                       block_public_policy=True, ignore_public_acls=True,
                                       restrict_public_buckets=True, opts=child)
        self.register_outputs({"key": key.arn})


STORAGE
'''

BASE = 'Storage("assets", team="ml")'


def _program(storage_line: str) -> str:
    return PROGRAM.replace("STORAGE", storage_line)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("review-repo")
    proj = root / "infra"  # the project sits below the repository root, as --project-dir allows
    (proj / "stacks").mkdir(parents=True)
    (proj / "Pulumi.yaml").write_text(yaml.safe_dump(
        {"name": "review", "runtime": "python", "stackConfigDir": "stacks"}))
    (proj / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": {"aws:region": "us-west-2"}}))
    (proj / "__main__.py").write_text(_program(BASE))
    _git(root, "init", "--quiet")
    _git(root, "add", ".")
    _git(root, "commit", "--quiet", "-m", "base")
    return proj


def offline_cli(args: list[str], cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "offline", *args], cwd=cwd, capture_output=True, text=True, env=env)


def run_diff(repo: Path, storage_line: str, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    (repo / "__main__.py").write_text(_program(storage_line))
    out = tmp_path / "diff.json"
    proc = offline_cli(["diff", "dev", "--base", "HEAD", "--project-dir", str(repo), "--json", str(out), *extra])
    assert out.exists(), proc.stderr
    doc = json.loads(out.read_text())
    assert [s["stack"] for s in doc["stacks"]] == ["dev"]
    return proc, doc["stacks"][0]


def by_name(stack: dict) -> dict[str, dict]:
    return {c["name"]: c for c in stack["changes"]}


def test_rename_without_alias_replaces_stateful_children_and_fails(repo, tmp_path):
    md = tmp_path / "diff.md"
    proc, stack = run_diff(repo, 'Storage("media", team="ml")', tmp_path, "--markdown", str(md))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    changes = by_name(stack)
    for name, type_ in (("media-key", "aws:kms/key:Key"), ("media-bucket", "aws:s3/bucket:Bucket")):
        c = changes[name]
        assert (c["op"], c["type"], c["alert"]) == ("replace", type_, True)
        assert c["old_urn"].endswith(f"acme:storage:Storage${type_}::{name.replace('media', 'assets')}")
    # Not stateful: replaced, but no alarm.
    assert changes["media-public-access"]["op"] == "replace" and not changes["media-public-access"]["alert"]
    assert stack["summary"]["stateful_alerts"] == 2 and stack["summary"]["delete"] == 0
    assert "STATEFUL REPLACE" in proc.stdout and "aws:kms/key:Key media-key" in proc.stdout
    text = md.read_text()
    assert "[!CAUTION]" in text and "`media-bucket`" in text


def test_same_rename_with_alias_is_clean(repo, tmp_path):
    proc, stack = run_diff(
        repo, 'Storage("media", team="ml", opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="assets")]))',
        tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert stack["changes"] == []
    assert stack["summary"]["same"] == 5  # component, key, bucket, public access block, default aws provider
    renamed = {r["from"].split("::")[-1]: r["to"].split("::")[-1] for r in stack["renamed"]}
    assert renamed == {"assets": "media", "assets-key": "media-key", "assets-bucket": "media-bucket",
                       "assets-public-access": "media-public-access"}


def test_changed_bucket_input_is_an_update_of_that_key(repo, tmp_path):
    proc, stack = run_diff(repo, 'Storage("assets", team="research")', tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [(c["op"], c["name"], c["keys"]) for c in stack["changes"]] == [("update", "assets-bucket", ["tags"])]
    assert "~ aws:s3/bucket:Bucket" in proc.stdout and "[tags]" in proc.stdout


def test_force_new_input_on_a_stateful_resource_is_a_replace(repo, tmp_path):
    program = BASE + '\naws.s3.Bucket("logs", bucket="acme-logs-v2")'
    (repo / "__main__.py").write_text(_program(BASE + '\naws.s3.Bucket("logs", bucket="acme-logs")'))
    _git(repo, "commit", "--quiet", "-am", "logs bucket")
    try:
        proc, stack = run_diff(repo, program, tmp_path)
    finally:
        _git(repo, "reset", "--quiet", "--hard", "HEAD~1")
    assert proc.returncode == 1
    [c] = stack["changes"]
    assert (c["op"], c["name"], c["keys"], c["alert"]) == ("replace", "logs", ["bucket"], True)
    assert "force-new" in c["reason"]


def test_all_stacks_diff_and_preview_report_every_stack(repo, tmp_path):
    (repo / "__main__.py").write_text(_program('Storage("assets", team="research")'))
    new_stack = repo / "stacks" / "Pulumi.staging.yaml"  # added by the change, absent at the base
    new_stack.write_text(yaml.safe_dump({"config": {"aws:region": "us-east-1"}}))
    try:
        md, out = tmp_path / "all.md", tmp_path / "all.json"
        proc = offline_cli(["diff", "--all", "--base", "HEAD", "--project-dir", str(repo),
                            "--markdown", str(md), "--json", str(out)])
        pv_md = tmp_path / "preview.md"
        pv = offline_cli(["preview", "--all", "--project-dir", str(repo), "--markdown", str(pv_md)])
    finally:
        new_stack.unlink()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    stacks = {s["stack"]: s for s in json.loads(out.read_text())["stacks"]}
    assert set(stacks) == {"dev", "staging"}
    assert stacks["staging"]["base_missing"] and stacks["staging"]["summary"]["create"] == 5  # and its default aws provider, as the CLI creates it
    assert stacks["dev"]["summary"]["update"] == 1
    report = md.read_text()
    for stack in ("dev", "staging"):
        assert f"### `{stack}`" in report and f"| `{stack}` | 5 |" in report
    assert pv.returncode == 0, pv.stdout + pv.stderr
    preview = pv_md.read_text()
    for stack in ("dev", "staging"):
        assert f"| `{stack}` | 5 | 3 | 0 | 0 | 0 |" in preview  # the component, 3 aws resources, the default aws provider (not a cloud)


def test_diff_usage_errors(repo, tmp_path):
    proc = offline_cli(["diff", "dev", "--base", "no-such-ref", "--project-dir", str(repo)])
    assert proc.returncode == 2 and "no-such-ref" in proc.stderr
    proc = offline_cli(["diff", "--base", "HEAD", "--project-dir", str(repo)])
    assert proc.returncode == 2 and "STACK or --all" in proc.stderr
    assert not list(Path(repo.parent / ".git" / "worktrees").glob("*")), "the temporary worktree was left behind"


# --- the matching rules, on report resources directly (no subprocess) ---------------------------------

def _res(urn: str, parent: str = "", aliases: tuple = (), inputs: dict | None = None) -> dict:
    return {"urn": urn, "type": urn.split("::")[2].split("$")[-1], "name": urn.split("::")[3],
            "parent": parent, "aliases": list(aliases), "inputs": inputs or {}}


STACK = "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"


def test_parent_aliases_are_inherited_through_nested_components():
    old = [_res("urn:pulumi:dev::p::a:b:Cell::old", STACK),
           _res("urn:pulumi:dev::p::a:b:Cell$a:b:Net::old-net", "urn:pulumi:dev::p::a:b:Cell::old"),
           _res("urn:pulumi:dev::p::a:b:Cell$a:b:Net$aws:s3/bucket:Bucket::old-net-logs",
                "urn:pulumi:dev::p::a:b:Cell$a:b:Net::old-net")]
    new = [_res("urn:pulumi:dev::p::a:b:Cell::new", STACK, aliases=({"name": "old"},)),
           _res("urn:pulumi:dev::p::a:b:Cell$a:b:Net::new-net", "urn:pulumi:dev::p::a:b:Cell::new"),
           _res("urn:pulumi:dev::p::a:b:Cell$a:b:Net$aws:s3/bucket:Bucket::new-net-logs",
                "urn:pulumi:dev::p::a:b:Cell$a:b:Net::new-net")]
    assert alias_urns(new)[new[2]["urn"]] == [old[2]["urn"]]
    changes, same, renamed = diff_resources(old, new)
    assert changes == [] and same == 3 and len(renamed) == 3


def test_moving_out_of_a_component_with_a_no_parent_alias_keeps_the_urn():
    old = [_res("urn:pulumi:dev::p::aws:kms/key:Key::k", STACK, inputs={"enableKeyRotation": True})]
    new = [_res("urn:pulumi:dev::p::a:b:Cell::c", STACK),
           _res("urn:pulumi:dev::p::a:b:Cell$aws:kms/key:Key::k", "urn:pulumi:dev::p::a:b:Cell::c",
                aliases=({"noParent": True},), inputs={"enableKeyRotation": False})]
    changes, _, _ = diff_resources(old, new)
    assert [(c.op, c.name, c.keys, c.alert) for c in changes] == [
        ("create", "c", [], False), ("update", "k", ["enableKeyRotation"], False)]


def test_removing_a_stateful_resource_is_a_loud_delete():
    old = [_res("urn:pulumi:dev::p::gcp:kms/keyRing:KeyRing::ring", STACK)]
    [change] = diff_resources(old, [])[0]
    assert (change.op, change.alert) == ("delete", True)


def test_deploy_waves_put_cell_stacks_before_the_global_stack():
    waves = stack_waves(load_project(REPO))
    assert waves[-1] == ["prod-global"]
    assert {"prod-aws-us-west-2", "prod-gcp-europe-west1", "prod-azure-centralindia"} <= set(waves[0])


# --- create-only inputs of every type the project uses -------------------------------

def _one_change(type_: str, old_inputs: dict, new_inputs: dict):
    urn = f"urn:pulumi:dev::p::{type_}::r"
    changes, _, _ = diff_resources([_res(urn, STACK, inputs=old_inputs)], [_res(urn, STACK, inputs=new_inputs)])
    assert len(changes) == 1, changes
    return changes[0]


RECORD = {"zoneId": "Z0EXAMPLE01", "name": "api.example.com", "type": "CNAME", "ttl": 30,
          "records": ["aws-us-west-2.example.com"]}


@pytest.mark.parametrize("type_, old, new, op, forced", [
    # Route 53: name and zone_id are ForceNew; records/ttl/type are updated through one change batch.
    ("aws:route53/record:Record", RECORD, {**RECORD, "name": "www.example.com"}, "replace", "name"),
    ("aws:route53/record:Record", RECORD, {**RECORD, "zoneId": "Z0OTHER"}, "replace", "zoneId"),
    ("aws:route53/record:Record", RECORD, {**RECORD, "ttl": 60}, "update", None),
    # A load balancer's scheme and type are fixed; its idle timeout is not.
    ("aws:lb/loadBalancer:LoadBalancer", {"internal": False, "loadBalancerType": "application"},
     {"internal": True, "loadBalancerType": "application"}, "replace", "internal"),
    ("aws:lb/loadBalancer:LoadBalancer", {"idleTimeout": 60}, {"idleTimeout": 120}, "update", None),
    # Health check type and request interval are ForceNew; the failure threshold is not.
    ("aws:route53/healthCheck:HealthCheck", {"type": "HTTPS", "requestInterval": 30},
     {"type": "HTTPS", "requestInterval": 10}, "replace", "requestInterval"),
    ("aws:route53/healthCheck:HealthCheck", {"failureThreshold": 3}, {"failureThreshold": 2}, "update", None),
    # The per-resource region of the AWS provider v7 moves the resource.
    ("aws:ec2/subnet:Subnet", {"cidrBlock": "10.0.0.0/20"}, {"cidrBlock": "10.0.16.0/20"}, "replace", "cidrBlock"),
    ("aws:sns/topic:Topic", {"region": "us-east-1"}, {"region": "us-west-2"}, "replace", "region"),
    # GKE node pool: the machine type is create-only, its labels are not (nested paths).
    ("gcp:container/nodePool:NodePool", {"nodeConfig": {"machineType": "e2-standard-4", "labels": {"a": "1"}}},
     {"nodeConfig": {"machineType": "e2-standard-8", "labels": {"a": "1"}}}, "replace", "nodeConfig.machineType"),
    ("gcp:container/nodePool:NodePool", {"nodeConfig": {"machineType": "e2-standard-4", "labels": {"a": "1"}}},
     {"nodeConfig": {"machineType": "e2-standard-4", "labels": {"a": "2"}}}, "update", None),
    # Azure: the ARM id's parts and location; a public IP's zones.
    ("azure-native:network:PublicIPAddress", {"location": "westeurope", "zones": ["1", "2", "3"]},
     {"location": "westeurope", "zones": ["1"]}, "replace", "zones"),
    ("azure-native:network:VirtualNetwork", {"location": "westeurope"}, {"location": "northeurope"}, "replace",
     "location"),
    # Kubernetes: a Deployment's selector is immutable; its replicas are not.
    ("kubernetes:apps/v1:Deployment", {"spec": {"selector": {"matchLabels": {"app": "a"}}, "replicas": 2}},
     {"spec": {"selector": {"matchLabels": {"app": "b"}}, "replicas": 2}}, "replace", "spec.selector"),
    ("kubernetes:apps/v1:Deployment", {"spec": {"selector": {"matchLabels": {"app": "a"}}, "replicas": 2}},
     {"spec": {"selector": {"matchLabels": {"app": "a"}}, "replicas": 3}}, "update", None),
])
def test_create_only_inputs_follow_the_provider(type_, old, new, op, forced):
    change = _one_change(type_, old, new)
    assert change.op == op, change
    if forced:
        assert forced in change.reason, change.reason


def test_replaced_record_and_load_balancer_state_the_downtime():
    change = _one_change("aws:route53/record:Record", RECORD, {**RECORD, "name": "www.example.com"})
    assert "old name stops answering" in change.reason and not change.alert
    change = _one_change("aws:lb/loadBalancer:LoadBalancer", {"name": "a"}, {"name": "b"})
    assert "new DNS name" in change.reason


SDK_ONLY = {"time": "pulumiverse_time", "acme": "pulumiverse_acme", "tls": "pulumi_tls", "random": "pulumi_random"}


@pytest.mark.skipif(not schema_check.available(), reason="../shared/schemas/full is not beside this checkout")
def test_create_only_paths_are_inputs_of_the_provider_schemas():
    from offline.force_new import CREATE_ONLY

    for type_, (paths, _doc) in CREATE_ONLY.items():
        pkg = type_.split(":")[0]
        if pkg == "kubernetes":
            continue  # metadata/spec paths of the Kubernetes API objects
        if pkg in SDK_ONLY:  # no vendored schema (pulumiverse-time/-acme, pulumi-tls): the SDK's Args are the inputs
            import importlib
            import inspect
            import re

            args_class = getattr(importlib.import_module(SDK_ONLY[pkg]), type_.rsplit(":", 1)[-1] + "Args")
            params = inspect.signature(args_class.__init__).parameters
            for path in paths:
                snake = re.sub(r"(?<!^)(?=[A-Z])", "_", path.split(".")[0]).lower()
                assert snake in params, f"{type_}: {path} is not an argument of {args_class.__name__}"
            continue
        inputs = schema_check.schema(pkg)["resources"][type_]["inputProperties"]
        for path in paths:
            assert path.split(".")[0] in inputs, f"{type_}: {path} is not an input of the provider's schema"


# ---- What a reviewer reads: risk first, old -> new values, secrets masked, routing before/after -------------

def _change(logical, type_="aws:s3/bucket:Bucket", parent=None, **inputs):
    return {"urn": f"urn:pulumi:s::p::{type_}::{logical}", "type": type_, "name": logical, "parent": parent,
            "inputs": inputs, "outputs": {}, "aliases": [], "dependencies": []}


def _hundred_creates_and_an_update():
    cell = _change("cell-a", "platform:aws:Cell")
    cluster = _change("eks", "aws:eks/cluster:Cluster", vpcConfig={"publicAccessCidrs": ["198.51.100.0/24"]},
                   version="1.33")
    base = [cluster]
    head = [cell, dict(cluster, inputs={"vpcConfig": {"publicAccessCidrs": ["192.0.2.0/24"]}, "version": "1.33"})]
    head += [_change(f"obj-{i}", "aws:ec2/subnet:Subnet", parent=cell["urn"]) for i in range(100)]
    changes, unchanged, renamed = diff_resources(base, head)
    return StackDiff("s", "base", changes, unchanged, renamed, {"resources": head, "policy": [], "packs": []})


def test_an_update_is_never_cut_by_a_hundred_creates():
    d = _hundred_creates_and_an_update()
    assert d.count("create") == 101 and d.count("update") == 1
    md = diff_markdown([d])
    (row,) = [line for line in md.splitlines() if line.startswith("| update")]
    assert "`eks`" in row and "vpcConfig.publicAccessCidrs" in row
    assert '["198.51.100.0/24"] -> ["192.0.2.0/24"]' in row  # old -> new
    # the live change comes before the creates, which are grouped per component
    assert md.index("| update") < md.index("per component")
    assert "| `platform:aws:Cell cell-a` | 100 |" in md


def test_text_orders_by_risk_and_shows_values():
    base = [_change("a", version="1"), _change("gone", "aws:sns/topic:Topic"),
            _change("r", "aws:route53/zone:Zone", name="x.example.com")]
    head = [_change("a", version="2"), _change("r", "aws:route53/zone:Zone", name="y.example.com"),
            _change("new", "aws:ec2/subnet:Subnet")]
    changes, unchanged, renamed = diff_resources(base, head)
    text = diff_text(StackDiff("s", "base", changes, unchanged, renamed, {"resources": head, "policy": []}))
    ops = [line.split()[0] for line in text.splitlines()[1:] if line.split() and line.split()[0] in ("+-", "-", "~", "+")]
    assert ops == ["+-", "-", "~", "+", "+"], text  # the last two: the (stack) group, then its create
    assert "version: 1 -> 2" in text and "name: x.example.com -> y.example.com" in text
    assert text.rstrip().splitlines()[-1].startswith("Verdict: FAIL: 1 stateful resource(s) deleted or replaced")


def test_secret_inputs_are_masked():
    base = [_change("db", "aws:rds/instance:Instance", password="old-pass", masterUsername="admin", tags={"a": "1"})]
    head = [_change("db", "aws:rds/instance:Instance", password="new-pass", masterUsername="admin", tags={"a": "2"})]
    (c,), _, _ = diff_resources(base, head)
    assert {v["path"]: (v["old"], v["new"]) for v in c.values} == {
        "password": ("[secret]", "[secret]"), "tags.a": ("1", "2")}
    assert "new-pass" not in diff_text(StackDiff("s", "b", [c], 0, [], {"resources": head, "policy": []}))


def _routing_summary(stack: str, **dns) -> dict:
    from offline.report.routing import routing_summary

    cfg = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    cfg["platform:dns"] = {**cfg["platform:dns"], **dns}
    return routing_summary(stack, {k: v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()})


def test_routing_before_after_says_who_is_served_by_which_cell():
    from offline.report.routing import routing_change

    geo = _routing_summary("dev")
    assert geo["routing"] == "geolocation"
    assert "DE" in geo["served"]["gcp-europe-west1"] and "IN" in geo["served"]["azure-centralindia"]
    lat = _routing_summary("dev", routing="latency")
    lines = routing_change(geo, lat)
    assert lines[0] == "routing mode: geolocation/failover -> latency/failover"
    assert routing_change(geo, geo) == []
    d = StackDiff("dev", "base", [], 10, [], {"resources": [], "policy": [], "routing": lat}, base_routing=geo)
    md = diff_markdown([d])
    assert "**Routing** (who is served by which cell)" in md and "geolocation/failover -> latency/failover" in md
