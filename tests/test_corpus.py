"""Programs written the way users write them (tests/corpus/) run through the offline engine in both
modes without an engine error: lookups of existing objects (VPC, AMI, KMS alias, AKS admin
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
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from offline_helpers import REPO, Run, offline

CORPUS = REPO / "tests" / "corpus"
PROGRAMS = sorted((p.name, s.name[len("Pulumi."):-len(".yaml")])
                  for p in CORPUS.iterdir() if (p / "Pulumi.yaml").exists()
                  for s in p.glob("Pulumi.*.yaml"))
MODES = ("dry-run", "assume-applied")


sys.path.insert(0, str(REPO / "bench"))
import program_corpus  # noqa: E402

PACK_CORPUS = REPO / "tests" / "pack_corpus"


@pytest.fixture(scope="module")
def outcomes():
    """The held-out runner (bench/program_corpus.py) over tests/corpus in both modes and tests/pack_corpus
    in a dry run (its assume-applied runs, with both packs, are tests/test_pack_corpus.py's), two child
    processes at a time, without packs (the packs on these programs: test_pack_corpus, test_stacks)."""
    corpus, skipped = program_corpus.discover([CORPUS])
    packs, skipped_packs = program_corpus.discover([PACK_CORPUS])
    assert not skipped and not skipped_packs, skipped + skipped_packs
    programs = [(p, m) for p in corpus for m in MODES] + [(p, "dry-run") for p in packs]
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda k: program_corpus.run_one(k[0], k[1], Path(tmp), packs=()), programs))


@pytest.fixture(scope="module")
def runs(outcomes):
    """Every corpus stack in both modes, as offline_helpers.Run by ((program, stack), mode)."""
    return {((o.program, o.stack), o.mode): Run(o.exit, "", o.stderr, o.report)
            for o in outcomes if Path(o.path).parent == CORPUS}


def test_the_corpus_covers_what_users_write():
    sources = "\n".join((CORPUS / p / "__main__.py").read_text() for p, _ in set(PROGRAMS))
    for pattern in ("get_ami(", "get_vpc(", "kms.get_alias(", "list_managed_cluster_admin_credentials_output(",
                    "list_storage_account_keys_output(", "pulumi_random", "Output.concat(", "Output.format(",
                    "is_dry_run()", "StackReference(", "ComponentResource", "aws.Provider(", "gcp.Provider(",
                    "k8s.Provider(", "pulumi_azure_native", "pulumi_kubernetes",
                    # widened: existing networks, images and keys on GCP and Azure, an explicit Azure
                    # provider handed to a component, RandomString-named global names.
                    "azure_native.Provider(", "get_virtual_network_output(", "compute.get_network(",
                    "compute.get_image(", "kms.get_kms_crypto_key(", "providers=[", "random.RandomString(",
                    "require_object("):
        assert pattern in sources, pattern
    assert len(PROGRAMS) >= 12


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


def test_the_held_out_runner_finds_no_engine_error_in_either_corpus(outcomes):
    """bench/program_corpus.py over tests/corpus and tests/pack_corpus: every run is a verdict (pass,
    policy-fail, config or program error), never an engine error; the table says which."""
    c = program_corpus.counts(outcomes)
    print(program_corpus.table(outcomes))
    assert [o for o in outcomes if o.outcome == "engine-error"] == []
    assert sum(c["dry-run"].values()) == len(PROGRAMS) + len(program_corpus.discover([PACK_CORPUS])[0])
    assert sum(c["assume-applied"].values()) == len(PROGRAMS)
    # These programs are valid: each finishes with a report, no config or program error.
    assert {o.outcome for o in outcomes} <= {"pass", "policy-fail"}, [
        (o.program, o.mode, o.outcome, o.detail) for o in outcomes if o.outcome not in ("pass", "policy-fail")]


def test_aws_providers_bucket_named_from_a_random_pet_is_not_a_fixed_global_name(runs):
    """The bucket named `primary-<pet>` differs per stack: no global-name-fixed finding, exit 0."""
    run = runs[(("aws-providers", "test"), "assume-applied")]
    assert [f for f in run.report["apply"] if f["rule"] == "global-name-fixed"] == []
    assert run.returncode == 0, run.stderr[-2000:]


def test_the_held_out_runner_classifies_by_exit_and_fails_on_an_engine_error(tmp_path):
    """Its verdicts on programs made to end each way; an engine error (here: a run that never answers)
    makes it exit 1, anything else 0."""
    def project(name: str, body: str, stack_file: bool = True) -> None:
        d = tmp_path / "held-out" / name
        d.mkdir(parents=True)
        (d / "Pulumi.yaml").write_text(f"name: {name}\nruntime:\n  name: python\n")
        (d / "__main__.py").write_text(body)
        if stack_file:
            (d / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")

    project("ok", "import pulumi\npulumi.export('x', 1)\n", stack_file=False)
    project("raises", "raise RuntimeError('the program is wrong')\n")
    project("needs-config", "import pulumi\npulumi.Config().require('size')\n")
    (tmp_path / "held-out" / "node").mkdir()
    (tmp_path / "held-out" / "node" / "Pulumi.yaml").write_text("name: node\nruntime: nodejs\n")
    programs, skipped = program_corpus.discover([tmp_path / "held-out"])
    assert [p.label for p in programs] == ["needs-config/dev", "ok/dev", "raises/dev"]
    assert [s for s in skipped if "node" in s and "nodejs" in s]
    assert not (tmp_path / "held-out" / "ok" / "Pulumi.dev.yaml").exists()  # it ran from a copy
    got = {(o.program, o.mode): o.outcome for o in program_corpus.run_all(programs, packs=())}
    assert got == {("ok", "dry-run"): "pass", ("ok", "assume-applied"): "pass",
                   ("raises", "dry-run"): "program-error", ("raises", "assume-applied"): "program-error",
                   ("needs-config", "dry-run"): "program-error", ("needs-config", "assume-applied"): "program-error"}
    assert program_corpus.classify(4, None) == "engine-error" and program_corpus.classify(0, None) == "engine-error"
    assert program_corpus.classify(None, None) == "engine-error" and program_corpus.classify(-9, None) == "engine-error"
    assert program_corpus.classify(1, {}) == "policy-fail" and program_corpus.classify(2, None) == "config-error"
    # The CLI: exit 0 with no engine error; exit 1 when a run does not answer in time.
    cli = [sys.executable, str(REPO / "bench" / "program_corpus.py"), "--no-packs", "--mode", "dry-run"]
    ok = subprocess.run(cli + [str(tmp_path / "held-out" / "ok")], capture_output=True, text=True, cwd=REPO)
    assert ok.returncode == 0 and "ok/dev" in ok.stdout and "dry-run: 1 runs: pass 1" in ok.stdout, ok.stderr
    # A run that never answers: its program waits on an output that never resolves, so the engine
    # never finishes (not a slow machine: a fast engine must not turn this into a pass).
    (tmp_path / "stuck").mkdir()
    (tmp_path / "stuck" / "Pulumi.yaml").write_text("name: stuck\nruntime:\n  name: python\n")
    (tmp_path / "stuck" / "__main__.py").write_text(
        "import asyncio\nimport pulumi\n"
        "never = asyncio.get_event_loop().create_future()\n"
        "pulumi.export('x', pulumi.Output.from_input(never))\n")
    hang = subprocess.run(cli + ["--timeout", "3", str(tmp_path / "stuck")], capture_output=True,
                          text=True, cwd=REPO)
    assert hang.returncode == 1 and "engine-error" in hang.stdout, hang.stdout + hang.stderr


def test_a_component_takes_the_explicit_azure_provider_to_its_children(runs):
    """azure-multi-region: the same component under the default provider (azure-native:location) and under
    an explicit one given as `providers=[...]`; children inherit it, as the engine does."""
    for mode in MODES:
        run = runs[(("azure-multi-region", "test"), mode)]
        for name, provider, location in (("primary", "default", "westeurope"), ("standby", "secondary", "northeurope")):
            account = run.one("azure-native:storage:StorageAccount", f"{name}-sa")
            assert account["provider"].split("::")[-2].startswith(provider), account["provider"]
            assert account["outputs"]["location"] == location
        # The hub VNet lookup answers in the cloud's forms: an ARM id and CIDRs.
        hub = run.report["outputs"]["hub"]
        assert hub.startswith("/subscriptions/") and "/virtualNetworks/hub (10." in hub
    applied = runs[(("azure-multi-region", "test"), "assume-applied")]
    names = [applied.one("azure-native:storage:StorageAccount", f"{n}-sa")["inputs"]["accountName"]
             for n in ("primary", "standby")]
    assert names[0].startswith("stpri") and names[1].startswith("stsby") and names[0][5:] != names[1][5:]
    assert [f for f in applied.report["apply"] if f["rule"] == "global-name-fixed"] == []
    assert applied.report["outputs"]["endpoints"] == " | ".join(f"https://{n}.blob.core.windows.net/" for n in names)


def test_gcp_lookups_of_existing_objects_feed_the_program(runs):
    for mode in MODES:
        run = runs[(("gcp-lookups", "test"), mode)]
        out = run.report["outputs"]
        assert out["network"].startswith("shared-vpc") or "shared-vpc" in out["network"], out
        assert out["image"].startswith("https://www.googleapis.com/compute/")
        vm = run.one("gcp:compute/instance:Instance", "web")
        assert vm["provider"].split("::")[-2] == "google"  # the component's provider reached its child
        assert vm["inputs"]["bootDisk"]["initializeParams"]["image"] == out["image"]
    assert runs[(("gcp-lookups", "test"), "assume-applied")].report["outputs"]["url"].startswith("http://")
