"""What the held-out run over pulumi/examples found, pinned on small programs written here the way
users write them (none copied): each runs through `python -m offline preview` in both modes, through the
held-out runner (bench/program_corpus.py), as the held-out set does.

1. A resource passed as an input (`role=role`) hung the engine: the mocks got a resource reference,
   rehydrated on an RPC thread whose event loop never runs. The provider sees the resource's id.
2. Map outputs derived from the SDK were empty, so `api.uris["GRAPHQL"]` raised: a map gets the entries
   its SDK description indexes it by.
3. Exporting what the SDK cannot serialize (an invoke's result object, bytes) is the program's error
   (exit 3, naming the output), as `pulumi up` fails on it; the mocks' results have the declared shapes.
4. A run that does not answer in time is killed with everything it started (its process group).
5. A LoadBalancer Service had no ingress address after `up` (`status.load_balancer.ingress[0].ip`
   raised): pulumi-kubernetes waits at create until the cloud publishes one, so it is there.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from offline_helpers import REPO

sys.path.insert(0, str(REPO / "bench"))
import program_corpus  # noqa: E402

MODES = ("dry-run", "assume-applied")

PROGRAMS = {
    # A function's role handed over as the resource itself, and an AppSync API's endpoint read by key.
    "role-by-resource": ("aws:region: eu-west-1", '''\
import json

import pulumi
import pulumi_aws as aws

trust = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                   "Principal": {"Service": "lambda.amazonaws.com"}}],
})
role = aws.iam.Role("worker-role", assume_role_policy=trust)
aws.iam.RolePolicyAttachment("worker-logs", role=role,
                             policy_arn=aws.iam.ManagedPolicy.AWS_LAMBDA_BASIC_EXECUTION_ROLE)
api = aws.appsync.GraphQLApi("orders", authentication_type="API_KEY")
pulumi.export("graphql", api.uris["GRAPHQL"])
'''),
    # Storage keys looked up for a new account: the first key is usable, the result object is no output.
    "export-result-object": ("azure-native:location: westeurope", '''\
import pulumi
from pulumi_azure_native import resources, storage

group = resources.ResourceGroup("data")
account = storage.StorageAccount("blobs", resource_group_name=group.name, kind="StorageV2",
                                 sku=storage.SkuArgs(name="Standard_LRS"))
keys = pulumi.Output.all(group.name, account.name).apply(
    lambda names: storage.list_storage_account_keys(resource_group_name=names[0], account_name=names[1]))
pulumi.export("first_key_length", keys.apply(lambda found: len(found.keys[0].value)))
pulumi.export("all_keys", keys)
'''),
    # An existing cluster's admin kubeconfig, decoded to bytes and exported as such.
    "export-bytes": ("azure-native:location: westeurope", '''\
import base64

import pulumi
from pulumi_azure_native import containerservice

creds = containerservice.list_managed_cluster_admin_credentials_output(
    resource_group_name="platform-rg", resource_name="platform-aks")
pulumi.export("kubeconfig_has_api_version",
              creds.kubeconfigs[0].value.apply(lambda v: "apiVersion" in base64.b64decode(v).decode()))
pulumi.export("kubeconfig", creds.kubeconfigs[0].value.apply(base64.b64decode))
'''),
    # A LoadBalancer Service's address, read the way the public GKE examples read it.
    "service-address": ("kubernetes:namespace: default", '''\
import pulumi
import pulumi_kubernetes as k8s

web = k8s.core.v1.Service("web", spec=k8s.core.v1.ServiceSpecArgs(
    type="LoadBalancer", selector={"app": "web"}, ports=[k8s.core.v1.ServicePortArgs(port=80)]))
pulumi.export("address", web.status.apply(lambda status: status.load_balancer.ingress[0].ip))
'''),
}


def _write(root: Path, name: str, config: str, body: str) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "Pulumi.yaml").write_text(f"name: {name}\nruntime:\n  name: python\n")
    (d / "Pulumi.dev.yaml").write_text(f"config:\n  {config}\n")
    (d / "__main__.py").write_text(body)
    return d


@pytest.fixture(scope="module")
def outcomes():
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "programs"
        for name, (config, body) in PROGRAMS.items():
            _write(root, name, config, body)
        programs, skipped = program_corpus.discover([root])
        assert not skipped and len(programs) == len(PROGRAMS)
        keys = [(p, m) for p in programs for m in MODES]
        with ThreadPoolExecutor(2) as pool:
            done = list(pool.map(lambda k: program_corpus.run_one(k[0], k[1], Path(tmp), packs=(), timeout=180),
                                 keys))
        return {(o.program, o.mode): o for o in done}


def _resource(report: dict, type_: str, name: str) -> dict:
    found = [r for r in report["resources"] if r["type"] == type_ and r["name"] == name]
    assert len(found) == 1, [r["urn"] for r in report["resources"]]
    return found[0]


@pytest.mark.parametrize("mode", MODES)
def test_a_resource_given_as_an_input_reaches_the_provider_as_its_id(outcomes, mode):
    o = outcomes[("role-by-resource", mode)]
    assert o.outcome in ("pass", "policy-fail"), (o.outcome, o.stderr[-2000:])
    role = _resource(o.report, "aws:iam/role:Role", "worker-role")
    attachment = _resource(o.report, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "worker-logs")
    # The report names the resource the program gave; the dependency is recorded as for any input.
    assert attachment["inputs"]["role"] == role["urn"]
    assert role["urn"] in attachment["dependencies"]
    if mode == "assume-applied":
        # What the provider got and keeps: the role's id (its name), not a reference.
        assert attachment["outputs"]["role"] == role["id"] == role["outputs"]["name"]
        assert o.report["outputs"]["graphql"].startswith("https://")
    else:
        assert attachment["outputs"]["role"] == "[unknown]"  # the role's id is not known before it exists


@pytest.mark.parametrize("mode", MODES)
def test_an_export_the_sdk_cannot_serialize_is_the_programs_error(outcomes, mode):
    for program, kind, key in (("export-result-object", "ListStorageAccountKeysResult", "all_keys"),
                               ("export-bytes", "bytes", "kubeconfig")):
        o = outcomes[(program, mode)]
        assert o.outcome == "program-error" and o.exit == 3, (program, o.outcome, o.stderr[-2000:])
        assert f"stack output '{key}'" in o.detail and kind in o.detail, o.detail


def test_invoke_results_have_the_declared_shapes():
    """In-process: what the programs above read from the lookups is there, in the declared shapes (a list
    of key objects with string values; a base64 kubeconfig that decodes to one)."""
    import base64

    from offline.mocks import sdk
    from offline.mocks.registry import MockContext

    ctx = MockContext(project="p", stack="dev", config={"azure-native:location": "westeurope"})
    keys = sdk.invoke_result(ctx, "azure-native:storage:listStorageAccountKeys",
                             {"resourceGroupName": "rg", "accountName": "acct"})
    assert isinstance(keys["keys"], list) and isinstance(keys["keys"][0]["value"], str)
    creds = sdk.invoke_result(ctx, "azure-native:containerservice:listManagedClusterAdminCredentials",
                              {"resourceGroupName": "rg", "resourceName": "aks"})
    assert base64.b64decode(creds["kubeconfigs"][0]["value"]).decode().startswith("apiVersion: v1")


def test_map_outputs_carry_the_keys_their_description_indexes():
    from offline.mocks import sdk
    from offline.mocks.registry import MockContext

    assert sdk._documented_keys("uris", 'Map of URIs E.g., `uris["GRAPHQL"] = https://ID/graphql`') == ["GRAPHQL"]
    assert sdk._documented_keys("stageVariables", "Map that defines the stage variables for the stage.") == []
    ctx = MockContext(project="p", stack="dev", config={"aws:region": "eu-west-1"})
    ctx.type_ = "aws:appsync/graphQLApi:GraphQLApi"
    out = sdk.resource_outputs(ctx, ctx.type_, "orders", {"authenticationType": "API_KEY"})
    assert list(out["uris"]) == ["GRAPHQL"] and out["uris"]["GRAPHQL"].startswith("https://")
    ctx.type_ = "aws:apigatewayv2/stage:Stage"
    assert sdk.resource_outputs(ctx, ctx.type_, "s", {"apiId": "a"}).get("stageVariables") in ({}, None)


def test_a_timed_out_run_takes_its_whole_process_group_with_it(tmp_path):
    """The program starts a process of its own (as the engine starts pack servers) and never finishes:
    on the timeout the runner kills the group, so nothing the run started survives it."""
    pid_file = tmp_path / "child.pid"
    _write(tmp_path / "programs", "stuck-with-child", "aws:region: eu-west-1", f'''\
import asyncio
import subprocess
import sys

import pulumi

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
open({str(pid_file)!r}, "w").write(str(child.pid))
never = asyncio.get_event_loop().create_future()
pulumi.export("x", pulumi.Output.from_input(never))
''')
    (program,), _ = program_corpus.discover([tmp_path / "programs"])
    o = program_corpus.run_one(program, "dry-run", tmp_path, packs=(), timeout=8)
    assert o.outcome == "engine-error" and o.exit is None and "no answer within 8 s" in o.stderr
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            break
        if state in ("Z", "X"):  # killed, waiting for its new parent to reap it
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        pytest.fail(f"the program's child {pid} outlived the timed-out run")


@pytest.mark.parametrize("mode", MODES)
def test_a_load_balancer_service_has_its_address_after_up(outcomes, mode):
    o = outcomes[("service-address", mode)]
    assert o.outcome == "pass", (o.outcome, o.stderr[-2000:])
    address = o.report["outputs"]["address"]
    if mode == "assume-applied":
        assert address.startswith("203.0.113."), address  # the cloud's pick, from TEST-NET-3
    else:
        assert address == "[unknown]"  # not known before the cloud picks it
