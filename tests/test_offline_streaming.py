"""The offline preview streams each resource to the policy packs as it registers (offline/analyzer.py
`Session`, fed by offline/engine.py's capture hook), as the engine analyzes resources during the run;
its verdicts must be those of analyzing the captured stack afterwards, in one batch.

One child process runs a small program once (dry run, as `preview`), streams it to both packs (in
process, and through the relay process the CLI uses), then hands the same captured resources to two
fresh packs in one batch (`analyze_all`), and prints the results: they must be equal, diagnostic for
diagnostic and in the same order."""
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PACKS = ("policy/encryption", "policy/residency")

PROGRAM = """
import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp


class Store(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:store:Store", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(f"{name}-key", enable_key_rotation=False, opts=child)
        bucket = aws.s3.BucketV2(f"{name}-bucket", opts=child)
        aws.s3.BucketServerSideEncryptionConfigurationV2(
            f"{name}-sse", bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms",
                                                                "kms_master_key_id": key.arn}}], opts=child)
        aws.sns.Topic(f"{name}-topic", opts=child)
        self.register_outputs({"bucket": bucket.bucket})


Store("home")
Store("away", opts=pulumi.ResourceOptions(providers=[aws.Provider("away", region="ap-southeast-2")]))
gcp.storage.Bucket("plain", location="US")
gcp.storage.Bucket("eu", location="EUROPE-WEST1",
                   encryption={"default_kms_key_name": "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k"})
"""

CHILD = """
import json, sys
from pathlib import Path
from offline.analyzer import (PackProcess, Session, analyze_all, default_policy_config, finish_all,
                              from_captured, load_policy_config, policy_resource)
from offline.engine import run_stack
from offline.project import load_project

project = load_project(Path(sys.argv[1]))
packs = [str(Path(p).resolve()) for p in sys.argv[2:]]
configs = [load_policy_config(default_policy_config(p)) for p in packs]
# The CLI's way: the same sessions in a relay process beside the program (offline/relay.py), forked
# before this process has any thread or gRPC channel, as the CLI forks it.
from offline.relay import Relay
relay = Relay(list(zip(packs, configs)), stack="test", project=project.name, dry_run=True)
sessions = [Session(PackProcess.spawn(p), config=c, stack="test", project=project.name, dry_run=True)
            for p, c in zip(packs, configs)]

def stream(captured):
    for s in sessions:
        s.add(policy_resource(captured))

def stream_both(captured):
    stream(captured)
    relay.add(policy_resource(captured))

run = run_stack("test", project, dry_run=True, on_resource=stream_both)
resources = from_captured(run.resources)
streamed = finish_all(sessions, resources)
relayed = relay.finish(resources)
batch = analyze_all(list(zip(packs, configs)), resources, stack="test", project=project.name, dry_run=True)
show = lambda results: [[r.pack, r.analyzed, [d.report() for d in r.diagnostics]] for r in results]
print(json.dumps({"resources": len(run.resources), "streamed": show(streamed), "relayed": show(relayed),
                  "batch": show(batch)}))
"""


def test_streamed_analysis_equals_batch_analysis(tmp_path):
    proj = tmp_path / "project"
    (proj / "stacks").mkdir(parents=True)
    (proj / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    (proj / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "streaming", "runtime": "python", "stackConfigDir": "stacks"}))
    (proj / "stacks" / "Pulumi.test.yaml").write_text(yaml.safe_dump(
        {"config": {"aws:region": "eu-west-1", "gcp:project": "p", "gcp:region": "europe-west1"}}))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(proj), *(str(REPO / p) for p in PACKS)],
                          cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["streamed"] == out["batch"]
    assert out["relayed"] == out["batch"], "the CLI's relay process drives the packs the same way"
    # Every captured resource (default providers included) went through both packs, and the
    # comparison is not vacuous: per-resource diagnostics of both packs, mandatory ones among them.
    assert [(pack, n) for pack, n, _ in out["streamed"]] == [("encryption", out["resources"]),
                                                             ("residency", out["resources"])]
    for pack, _, diagnostics in out["streamed"]:
        assert any(d["urn"] for d in diagnostics), (pack, diagnostics)
    levels = {d["level"] for _, _, diagnostics in out["streamed"] for d in diagnostics}
    assert "mandatory" in levels, out["streamed"]


def test_a_relay_that_stops_is_a_pack_error_not_a_hang(tmp_path):
    """The relay process dies mid-run (killed here): the program's side goes on, and `finish` says
    the packs did not answer instead of raising a bare EOFError or waiting forever."""
    import signal

    import pytest

    from offline.analyzer import PackError, PolicyResource
    from offline.relay import Relay

    pack = tmp_path / "sample"
    shutil.copytree(REPO / "tests/packs/sample", pack)  # its own path, to find a pack it may have started
    relay = Relay([(str(pack), None)], stack="test", project="p", dry_run=True)
    os.kill(relay.pid, signal.SIGKILL)
    try:
        r = PolicyResource(urn="urn:pulumi:test::p::aws:s3/bucket:Bucket::b", type="aws:s3/bucket:Bucket",
                           name="b", inputs={"bucket": "b"})
        for _ in range(3):
            relay.add(r)  # the pipe's far end is gone: nothing raised here
        with pytest.raises(PackError, match="relay to the policy packs stopped"):
            relay.finish([r])
    finally:  # a relay killed outright cannot stop the pack it may have started: this test does
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and str(pack) in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    os.kill(int(proc.name), signal.SIGKILL)
            except OSError:
                pass
