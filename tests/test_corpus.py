"""Programs written the way users write them (tests/corpus/) run through the offline engine in both
modes without an engine error (#34): lookups of existing objects (VPC, AMI, KMS alias, AKS admin
credentials, storage account keys), pulumi_random, outputs in strings, preview-only branches,
StackReferences, components, explicit and default providers on AWS, GCP, Azure and Kubernetes.

No mock was written for any of them: what they look up and create is answered by the hand-written
mocks where they exist and otherwise from the installed SDKs' declarations (offline/mocks/sdk.py).
Exit 1 (a policy or apply-check verdict) is a result, not an engine error; 2, 3 and 4 are failures.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from offline_helpers import REPO, offline

CORPUS = REPO / "tests" / "corpus"
PROGRAMS = sorted((p.name, s.name[len("Pulumi."):-len(".yaml")])
                  for p in CORPUS.iterdir() if (p / "Pulumi.yaml").exists()
                  for s in p.glob("Pulumi.*.yaml"))
MODES = ("dry-run", "assume-applied")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every corpus stack in both modes, two child processes at a time."""
    def one(key):
        (program, stack), mode = key
        tmp = tmp_path_factory.mktemp(f"{program}-{stack}-{mode}")
        args = ["preview", stack, "--quiet", "--project-dir", str(CORPUS / program)]
        return key, offline(args + (["--assume-applied"] if mode == "assume-applied" else []), tmp)

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(one, [(p, m) for p in PROGRAMS for m in MODES]))


def test_the_corpus_covers_what_users_write():
    sources = "\n".join((CORPUS / p / "__main__.py").read_text() for p, _ in set(PROGRAMS))
    for pattern in ("get_ami(", "get_vpc(", "kms.get_alias(", "list_managed_cluster_admin_credentials_output(",
                    "list_storage_account_keys_output(", "pulumi_random", "Output.concat(", "Output.format(",
                    "is_dry_run()", "StackReference(", "ComponentResource", "aws.Provider(", "gcp.Provider(",
                    "k8s.Provider(", "pulumi_azure_native", "pulumi_kubernetes"):
        assert pattern in sources, pattern
    assert len(PROGRAMS) >= 10


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("program,stack", PROGRAMS)
def test_corpus_program_runs_without_engine_error(runs, program, stack, mode):
    run = runs[((program, stack), mode)]
    assert run.returncode in (0, 1), f"{program}/{stack} ({mode}) exit {run.returncode}:\n{run.stderr[-3000:]}"
    assert run.report["mode"] == mode
    outputs = json.dumps(run.report["outputs"])
    # A provider-computed value is never None turned into a string.
    assert "None" not in outputs, outputs
    if mode == "assume-applied":
        assert "[unknown]" not in outputs, outputs
        assert isinstance(run.report["cost"], dict)
    else:
        assert run.report["cost"] is None and run.report["apply"] == []
    # Every custom resource has a provider: its own or the stack's default one.
    for r in run.resources:
        if r["type"].split(":")[0] not in ("pulumi",) and r["id"] is not None:
            assert r["provider"], r["urn"]


def test_dry_run_leaves_computed_outputs_unknown_and_lookups_known(runs):
    vm = runs[(("aws-vm-lookup", "test"), "dry-run")].report["outputs"]
    assert vm["ami"].startswith("ami-0")  # an invoke is answered in a preview too
    assert vm["url"] == "[unknown]" and vm["summary"] == "[unknown]"
    applied = runs[(("aws-vm-lookup", "test"), "assume-applied")].report["outputs"]
    assert applied["summary"].startswith("i-0") and ":instance/i-0" in applied["summary"]
    assert applied["url"].startswith("http://198.51.100.")


def test_preview_only_branch_follows_the_mode(runs):
    assert runs[(("aws-providers", "test"), "dry-run")].report["outputs"]["note"] == \
        "names are known after the first update"
    assert runs[(("aws-providers", "test"), "assume-applied")].report["outputs"]["note"].startswith("created primary-")


def test_random_values_are_unknown_in_a_dry_run_and_drawn_when_applied(runs):
    dry = runs[(("aws-providers", "test"), "dry-run")]
    assert dry.report["outputs"]["primary"] == "[unknown]"
    applied = runs[(("aws-providers", "test"), "assume-applied")]
    pet = applied.one("random:index/randomPet:RandomPet")
    assert applied.report["outputs"]["primary"] == f"primary-{pet['id']}"
    assert len(pet["id"].split("-")) == 2


def test_default_provider_carries_the_stack_config(runs):
    run = runs[(("aws-providers", "test"), "dry-run")]
    default = [r for r in run.of_type("pulumi:providers:aws") if r["name"].startswith("default")]
    assert len(default) == 1
    default = default[0]
    assert default["inputs"]["region"] == "eu-central-1"
    assert default["inputs"]["defaultTags"] == {"tags": {"team": "corpus"}}
    primary = run.one("aws:s3/bucket:Bucket", "primary")
    replica = run.one("aws:s3/bucket:Bucket", "replica")
    assert primary["provider"] == f"{default['urn']}::{default['id']}"
    assert replica["provider"].split("::")[-2] == "us-east-1"  # the explicit provider wins
    # The region a bucket is planned in is its provider's (known in a preview).
    assert primary["outputs"]["region"] == "eu-central-1" and replica["outputs"]["region"] == "us-east-1"


def test_cluster_credentials_lookup_yields_a_kubeconfig(runs):
    run = runs[(("azure-aks", "test"), "assume-applied")]
    assert run.report["outputs"]["kubeconfig"] == "[secret]"
    k8s = run.one("pulumi:providers:kubernetes", "aks")
    assert k8s["inputs"]["kubeconfig"] == "[secret]" or "apiVersion: v1" in json.dumps(k8s["inputs"])


def test_stack_reference_with_project_dir_needs_no_pythonpath(tmp_path):
    """`--project-dir` pointing outside this repository, no PYTHONPATH: the referenced stack runs too."""
    out = tmp_path / "app.json"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "offline", "preview", "app", "--quiet", "--assume-applied",
                           "--project-dir", str(CORPUS / "stack-reference"), "--json", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["outputs"]["vpc"].startswith("app in vpc-0")
    group = next(r for r in report["resources"] if r["type"] == "aws:ec2/securityGroup:SecurityGroup")
    assert group["inputs"]["vpcId"] == report["outputs"]["vpc"][len("app in "):]
