"""Model releases (README "Releases"): release files, stack selection, publish/verify against real
object-storage servers on loopback, and the rollout's gates against a real Prometheus."""
from __future__ import annotations

import hashlib
import io
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import yaml

from components.core import config as core_config
from components.core import release as releases
from offline import project as offline_project
from ops.release import gates, publish as pub, rollout as ro, stores
from release_servers import object_stores, prometheus

DEV_IMAGE = "ghcr.io/acme/inference@sha256:" + "3f1c9a5e0b7d2c4e6f8a0b1c3d5e7f9a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e"


def write_release(directory: Path, data: bytes, zones=("us", "eu", "in"), version="2.0.0") -> releases.Release:
    doc = {"name": "sentiment", "version": version,
           "model": {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)},
           "image": DEV_IMAGE, "allowed_zones": list(zones)}
    path = directory / f"sentiment-{version}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return releases.load_file(path)


# ---- release files -------------------------------------------------------------------------------

def test_shipped_releases_load_and_name_their_file():
    ids = releases.available()
    assert "sentiment-1.0.0" in ids
    for rid in ids:
        rel = releases.load(rid)
        assert rel.id == rid
        assert rel.artifact_key == f"models/{rel.name}/{rel.version}/model"


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["model"].update(sha256="abc"), "model.sha256 = 'abc'"),
    (lambda d: d.update(allowed_zones=["mars"]), "'mars' is not a residency zone"),
    (lambda d: d.update(image="ghcr.io/acme/inference:latest"), "not pinned by digest"),
    (lambda d: d.update(colour="red"), "colour = 'red': unknown key; allowed: allowed_zones, image, model, name, version"),
    (lambda d: d.update(version="2.0.1"), "allowed: the file named sentiment-2.0.1.yaml"),
    (lambda d: d["model"].update(size=0), "model.size = 0"),
])
def test_bad_release_file_names_file_key_and_value(tmp_path, change, expected):
    doc = {"name": "sentiment", "version": "2.0.0", "model": {"sha256": "a" * 64, "size": 10},
           "image": DEV_IMAGE, "allowed_zones": ["eu"]}
    change(doc)
    path = tmp_path / "sentiment-2.0.0.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(releases.ReleaseError) as exc:
        releases.load_file(path)
    assert str(path) in str(exc.value) and expected in str(exc.value)


def _dev_raw(**cell_release):
    project = offline_project.load_project()
    raw, _ = offline_project.stack_config(project, "dev")
    cells = json.loads(raw["platform:cells"])
    for c in cells:
        if c["name"] in cell_release:
            c["release"] = cell_release[c["name"]]
    return {**raw, "platform:cells": json.dumps(cells)}


def test_cell_release_overrides_the_stack_release():
    cfg = core_config.load("dev", _dev_raw(**{"aws-us-west-2": "sentiment-1.1.0"}))
    by = {c.name: cfg.release_of(c).id for c in cfg.cells}
    assert by == {"aws-us-west-2": "sentiment-1.1.0", "gcp-europe-west1": "sentiment-1.0.0",
                  "azure-centralindia": "sentiment-1.0.0"}


def test_release_out_of_the_cells_zone_is_a_config_error(tmp_path, monkeypatch):
    write_release(tmp_path, b"model", zones=("eu",))
    monkeypatch.setattr(releases, "RELEASES_DIR", tmp_path)
    with pytest.raises(core_config.ConfigError) as exc:
        core_config.load("dev", _dev_raw(**{"aws-us-west-2": "sentiment-2.0.0", "gcp-europe-west1": "sentiment-2.0.0",
                                            "azure-centralindia": "sentiment-2.0.0"}))
    msg = str(exc.value)
    assert "platform:cells[0].release = 'sentiment-2.0.0': cell 'aws-us-west-2' is in zone 'us'" in msg
    assert "platform:cells[2].release" in msg and "platform:cells[1].release" not in msg  # all at once


def test_unknown_release_lists_the_known_ones():
    with pytest.raises(core_config.ConfigError) as exc:
        core_config.load("dev", {**_dev_raw(), "platform:release": "sentiment-9.9.9"})
    assert "platform:release: release 'sentiment-9.9.9': no file sentiment-9.9.9.yaml" in str(exc.value)
    assert "sentiment-1.0.0" in str(exc.value)


# ---- publish / verify against moto, gcp-storage-emulator and Azurite -------------------------------------

@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with object_stores(tmp_path_factory.mktemp("stores")) as s:
        yield s


@pytest.fixture
def cells(servers, monkeypatch, tmp_path):
    """dev's three cells (us, eu, in), each with a bucket on its cloud's emulator."""
    servers.apply_env(monkeypatch)
    import boto3
    from azure.storage.blob import BlobServiceClient
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    suffix = os.urandom(3).hex()
    s3, gcs, container = f"dev-models-{suffix}", f"dev-eu-models-{suffix}", f"models{suffix}"
    boto3.client("s3").create_bucket(Bucket=s3, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    storage.Client(project="emulator", credentials=AnonymousCredentials()).create_bucket(gcs)
    BlobServiceClient.from_connection_string(servers.env["AZURE_STORAGE_CONNECTION_STRING"]).create_container(container)
    exports = {"aws-us-west-2": {"bucket_uri": f"s3://{s3}"}, "gcp-europe-west1": {"bucket_uri": f"gs://{gcs}"},
               "azure-centralindia": {"bucket_uri": f"https://devstoreaccount1.blob.core.windows.net/{container}"}}
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(exports))
    return pub.stack_cells("dev", [str(path)])


@pytest.fixture
def artifact(tmp_path, monkeypatch):
    # Small parts so that a 12 MiB artifact goes up in 3 parts/chunks/blocks on every store.
    monkeypatch.setattr(stores, "PART_SIZE", 5 * 1024 * 1024)
    data = os.urandom(12 * 1024 * 1024 + 17)
    src = tmp_path / "model.bin"
    src.write_bytes(data)
    return src, write_release(tmp_path, data)


def test_publish_to_three_clouds_verifies_every_copy_and_a_second_run_uploads_nothing(cells, artifact):
    src, rel = artifact
    targets, refused = pub.select(rel, cells, [])
    assert [t.cell for t in targets] == ["aws-us-west-2", "gcp-europe-west1", "azure-centralindia"] and not refused
    first = pub.publish(rel, src, targets, out=io.StringIO())
    assert {r.cell: r.status for r in first} == dict.fromkeys([t.cell for t in targets], "published")
    assert all(r.uploaded == rel.model.size for r in first)
    second = pub.publish(rel, src, targets, out=io.StringIO())
    assert {r.status for r in second} == {"unchanged"} and sum(r.uploaded for r in second) == 0
    checked = pub.verify(rel, targets)
    assert {r.status for r in checked} == {"verified"}
    for t in targets:  # the manifest beside each copy names the release and its digest
        man = json.loads(b"".join(stores.for_uri(t.bucket_uri).read(rel.manifest_key)))
        assert (man["release"], man["sha256"], man["cell"], man["zone"]) == (rel.id, rel.model.sha256, t.cell, t.zone)


def test_wrong_sha256_is_refused_before_anything_is_written(cells, artifact):
    src, rel = artifact
    data = src.read_bytes()
    src.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # same size, other bytes (always: the last byte flipped)
    targets, _ = pub.select(rel, cells, [])
    with pytest.raises(pub.ReleaseOpError, match="refusing to publish other bytes"):
        pub.publish(rel, src, targets, out=io.StringIO())
    assert all(stores.for_uri(t.bucket_uri).head(rel.artifact_key) is None for t in targets)


class _Truncating:
    """A store whose upload loses the last part (a connection cut the service did not notice)."""

    def __init__(self, inner):
        self.inner, self.uri = inner, inner.uri

    def head(self, key):
        return self.inner.head(key)

    def upload(self, key, src, size, sha256, progress):
        short = src.read()[:-1024]
        self.inner.upload(key, io.BytesIO(short), len(short), sha256, progress)

    def read(self, key):
        return self.inner.read(key)

    def put_json(self, key, body):
        self.inner.put_json(key, body)


def test_truncated_upload_fails_its_cell_and_verify_says_so(cells, artifact):
    src, rel = artifact
    targets, _ = pub.select(rel, cells, [])

    def store_for(uri, region=None):
        s = stores.for_uri(uri, region)
        return _Truncating(s) if uri.startswith("gs://") else s
    results = {r.cell: r for r in pub.publish(rel, src, targets, out=io.StringIO(), store_for=store_for)}
    assert results["gcp-europe-west1"].status == "failed"
    assert "read back sha256" in results["gcp-europe-west1"].detail
    assert results["aws-us-west-2"].ok and results["azure-centralindia"].ok
    checked = {r.cell: r for r in pub.verify(rel, targets)}
    assert checked["gcp-europe-west1"].status == "failed" and f"{rel.model.size} bytes" in checked["gcp-europe-west1"].detail
    # The next publish notices the short copy (size differs) and replaces it.
    again = {r.cell: r.status for r in pub.publish(rel, src, targets, out=io.StringIO())}
    assert again == {"aws-us-west-2": "unchanged", "gcp-europe-west1": "published", "azure-centralindia": "unchanged"}


def test_unreachable_cell_fails_by_name_and_the_others_publish(cells, artifact, monkeypatch):
    src, rel = artifact
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{closed}")
    targets, _ = pub.select(rel, cells, [])
    results = {r.cell: r for r in pub.publish(rel, src, targets, out=io.StringIO())}
    assert results["aws-us-west-2"].status == "failed" and "s3://" in results["aws-us-west-2"].detail
    assert results["gcp-europe-west1"].status == results["azure-centralindia"].status == "published"


def test_out_of_zone_cells_are_refused_by_name(cells, tmp_path):
    rel = write_release(tmp_path, b"weights", zones=("eu",), version="3.0.0")
    targets, refused = pub.select(rel, cells, [])
    assert [t.cell for t in targets] == ["gcp-europe-west1"]
    assert any(line.startswith("aws-us-west-2: zone 'us'") for line in refused)
    with pytest.raises(pub.ReleaseOpError, match="--cell 'azure-centralindia': in zone 'in'"):
        pub.select(rel, cells, ["azure-centralindia"])


def test_cli_publish_exit_codes(cells, artifact, tmp_path, capsys):
    from ops.__main__ import main
    src, rel = artifact
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({t.cell: {"bucket_uri": t.bucket_uri} for t in cells.cells}))
    release_file = tmp_path / f"{rel.id}.yaml"
    assert main(["release", "publish", str(release_file), "--stack", "dev", "--outputs", str(outputs),
                 "--source", str(src)]) == 0
    assert main(["release", "verify", str(release_file), "--stack", "dev", "--outputs", str(outputs)]) == 0
    assert main(["release", "verify", "sentiment-0.0.1", "--stack", "dev", "--outputs", str(outputs)]) == 2
    assert "no file sentiment-0.0.1.yaml" in capsys.readouterr().err


# ---- rollout gates against a real Prometheus ---------------------------------------------------------------

STEP = 15
SPAN = 30 * 60


def _series(end: float, cells: dict[str, float]) -> str:
    """OpenMetrics for `cells` -> 5xx share: 20 req/s each, latency mostly under 250 ms."""
    lines = ["# TYPE http_requests counter"]
    start = end - SPAN
    for cell, bad in cells.items():
        for code, share in (("200", 1 - bad), ("500", bad)):
            for i in range(SPAN // STEP + 1):
                lines.append(f'http_requests_total{{cell="{cell}",code="{code}"}} {20 * share * STEP * i:.1f} '
                             f"{start + STEP * i:.0f}")
    lines.append("# TYPE http_request_duration_seconds histogram")
    for cell in cells:
        for le, share in (("0.1", 0.6), ("0.25", 0.995), ("1.0", 1.0), ("+Inf", 1.0)):
            for i in range(SPAN // STEP + 1):
                lines.append(f'http_request_duration_seconds_bucket{{cell="{cell}",le="{le}"}} '
                             f"{20 * share * STEP * i:.1f} {start + STEP * i:.0f}")
        for i in range(SPAN // STEP + 1):
            lines.append(f'http_request_duration_seconds_count{{cell="{cell}"}} {20 * STEP * i:.1f} {start + STEP * i:.0f}')
            lines.append(f'http_request_duration_seconds_sum{{cell="{cell}"}} {2 * STEP * i:.1f} {start + STEP * i:.0f}')
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    end = float(int(time.time()) - 600)
    cells = {"aws-us-west-2": 0.2, "gcp-europe-west1": 0.0, "azure-centralindia": 0.001,
             "aws-eu-central-1": 0.0, "azure-westeurope": 0.0}
    with prometheus(tmp_path_factory.mktemp("prom"), _series(end, cells)) as url:
        yield url, end


SLO = gates.SloGate(error_ratio=0.05, p99_ms=800)


def test_slo_gate_reads_real_promql(prom):
    url, end = prom
    ep = gates.MetricsEndpoint(url=url)
    healthy = gates.check_slo("gcp-europe-west1", ep, SLO, 300, end)
    assert healthy.passed, healthy.detail
    assert "error ratio 0.00%" in healthy.detail
    failing = gates.check_slo("aws-us-west-2", ep, SLO, 300, end)
    assert not failing.passed and "error ratio 20.00% > 5.00%" in failing.detail
    slow = gates.check_slo("gcp-europe-west1", ep, gates.SloGate(error_ratio=0.05, p99_ms=100), 300, end)
    assert not slow.passed and "p99" in slow.detail
    silent = gates.check_slo("no-such-cell", ep, SLO, 300, end)
    assert not silent.passed and "no evidence" in silent.detail


def test_gate_endpoint_that_times_out_fails_the_wave():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    held = []
    threading.Thread(target=lambda: held.append(listener.accept()), daemon=True).start()
    try:
        ep = gates.MetricsEndpoint(url=f"http://127.0.0.1:{port}/api/v1/query")
        started = time.monotonic()
        result = gates.check_slo("gcp-europe-west1", ep, SLO, 300, time.time(), timeout=1.0)
        assert not result.passed and "cannot decide fails" in result.detail
        assert time.monotonic() - started < 10
    finally:
        listener.close()


def _plan(tmp_path, prom_url, waves, release="sentiment-1.1.0") -> ro.Plan:
    stacks = {ref for w in waves for ref in w["cells"]}
    doc = {"release": release, "rollback_to": "sentiment-1.0.0", "bake_seconds": 300,
           "waves": waves, "metrics": {ref: {"url": prom_url} for ref in stacks}}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(doc))
    return ro.load_plan(path)


class RecordingRunner:
    """The runner interface over stack config alone (what each `apply` asked for), for wave logic."""

    def __init__(self):
        self.project = offline_project.load_project()
        self.applied: list[tuple[str, dict]] = []
        self.state: dict[str, dict] = {}

    def releases(self, stack):
        raw, _ = offline_project.stack_config(self.project, stack)
        cfg = core_config.load(stack, raw)
        return {c.name: self.state.get(stack, {}).get(c.name, c.release or cfg.release) for c in cfg.cells}

    def apply(self, stack, cells):
        self.applied.append((stack, dict(cells)))
        self.state.setdefault(stack, {}).update(cells)

    def preview(self, stack, cells):
        return ""

    def outputs(self, stack):
        return {}


def test_healthy_rollout_moves_every_wave_in_order(prom, tmp_path):
    url, end = prom
    plan = _plan(tmp_path, url, [{"name": "canary", "cells": ["eu-ha/gcp-europe-west1"]},
                                 {"name": "rest", "cells": ["eu-ha/aws-eu-central-1", "eu-ha/azure-westeurope"]}])
    runner = RecordingRunner()
    slept = []
    report = ro.rollout(plan, runner, clock=lambda: end, sleep=slept.append, out=lambda *_: None)
    assert report.ok, report.render()
    assert runner.applied == [("eu-ha", {"gcp-europe-west1": "sentiment-1.1.0"}),
                              ("eu-ha", {"aws-eu-central-1": "sentiment-1.1.0", "azure-westeurope": "sentiment-1.1.0"})]
    assert slept == [300, 300]  # each wave baked before its gate
    assert set(report.running.values()) == {"sentiment-1.1.0"}


def test_plan_with_an_out_of_zone_cell_or_a_fat_canary_is_refused(prom, tmp_path):
    url, _ = prom
    runner = RecordingRunner()
    (tmp_path / "a").mkdir()
    with pytest.raises(pub.ReleaseOpError, match="the first wave is the canary: one cell"):
        ro.validate(_plan(tmp_path / "a", url, [{"name": "canary", "cells": ["dev/aws-us-west-2",
                                                                                "dev/gcp-europe-west1"]}]), runner)
    with pytest.raises(pub.ReleaseOpError, match="stack 'dev' has no cell 'gcp-mars'"):
        ro.validate(_plan(tmp_path / "a", url, [{"name": "canary", "cells": ["dev/gcp-mars"]}]), runner)


def test_failing_canary_is_rolled_back_through_the_offline_engine_and_later_waves_untouched(prom, tmp_path):
    """The orchestrator drives the offline engine (the same runner interface as the Automation API):
    the canary's `up` really runs the program with the new release, its SLO gate fails on real
    PromQL, the canary returns to the previous release, and no other cell is ever applied."""
    url, end = prom
    plan = _plan(tmp_path, url, [{"name": "canary", "cells": ["prod-aws-us-west-2/aws-us-west-2"]},
                                 {"name": "eu", "cells": ["prod-gcp-europe-west1/gcp-europe-west1"]},
                                 {"name": "in", "cells": ["prod-azure-centralindia/azure-centralindia"]}])
    runner = ro.OfflineRunner(workdir=tmp_path)
    before = runner.releases("prod-gcp-europe-west1")
    report = ro.rollout(plan, runner, clock=lambda: end, sleep=lambda s: None, out=lambda *_: None)
    assert not report.ok
    assert [w.status for w in report.waves] == ["rolled-back", "skipped", "skipped"]
    assert any("error ratio 20.00% > 5.00%" in g.detail for g in report.waves[0].gates)
    assert runner.applied == [("prod-aws-us-west-2", {"aws-us-west-2": "sentiment-1.1.0"}),
                              ("prod-aws-us-west-2", {"aws-us-west-2": "sentiment-1.0.0"})]
    assert report.running["prod-aws-us-west-2/aws-us-west-2"] == "sentiment-1.0.0"
    assert runner.releases("prod-gcp-europe-west1") == before  # later waves' stacks never touched
    # The rollback's `up` ran the program: the canary's workload is given the previous model again.
    env = {e["name"]: e.get("value") for e in runner.deployment_env("prod-aws-us-west-2", "aws-us-west-2")}
    assert env["RELEASE"] == "sentiment-1.0.0" and env["MODEL_URI"].endswith("/models/sentiment/1.0.0/model")
    assert "STOPPED" in report.render() and "wave eu [skipped]" in report.render()


def test_shipped_plans_validate_against_their_stacks():
    plans = sorted((releases.RELEASES_DIR / "plans").glob("*.yaml"))
    assert plans
    for path in plans:
        plan = ro.load_plan(path)
        assert plan.release == path.stem
        zones = ro.validate(plan, RecordingRunner())
        assert all(f"{s}/{c}" in plan.metrics for w in plan.waves for ref in w.cells
                   for s, c in [ref.split("/")]), f"{path}: a planned cell has no metrics endpoint"
        assert zones


# ---- residency-model-in-own-cell, through the analyzer protocol -----------------------------------------

MODEL_RULE = "residency-model-in-own-cell"


@pytest.fixture(scope="module")
def model_stack():
    from offline.analyzer import analyze
    from test_policy_residency import PACK, UNKNOWN, Stack, tags
    s = Stack()
    aws = s.provider("aws", "aws-us-west-2", region="us-west-2")
    gcp = s.provider("gcp", "gcp-europe-west1", project="acme", region="europe-west1")
    k8s = s.provider("kubernetes", "k8s")
    s.add("aws:s3/bucket:Bucket", "us-models", {"tags": tags("us", "aws-us-west-2")}, provider=aws,
          outputs={"bucket": "us-models-1a2b"})
    s.add("gcp:storage/bucket:Bucket", "eu-models", {"name": "eu-models", "location": "europe-west1",
                                                     "labels": tags("eu", "gcp-europe-west1")}, provider=gcp)

    def workload(name, cell, zone, uri):
        return s.add("kubernetes:apps/v1:Deployment", name, {
            "metadata": {"name": "inference", "labels": tags(zone, cell)},
            "spec": {"template": {"spec": {"containers": [{"name": "inference", "image": DEV_IMAGE,
                                                             "env": [{"name": "MODEL_URI", "value": uri}]}]}}}},
            provider=k8s)
    r = {"own": workload("eu-own", "gcp-europe-west1", "eu", "gs://eu-models/models/sentiment/1.0.0/model"),
         "cross": workload("eu-cross", "gcp-europe-west1", "eu", "s3://us-models-1a2b/models/sentiment/1.0.0/model"),
         "outside": workload("eu-outside", "gcp-europe-west1", "eu", "gs://someone-elses/models/m"),
         "http": workload("eu-http", "gcp-europe-west1", "eu", "http://models.example.com/m"),
         "later": workload("eu-later", "gcp-europe-west1", "eu", UNKNOWN)}
    return analyze(PACK, s.resources), r


def test_a_workload_reading_its_own_cells_bucket_passes(model_stack):
    from test_policy_residency import on
    result, r = model_stack
    assert not on(result, MODEL_RULE, r["own"])


def test_a_workload_pointed_at_another_cells_bucket_is_refused(model_stack):
    from test_policy_residency import on
    result, r = model_stack
    assert any("of cell 'aws-us-west-2'" in m and "only from its own bucket" in m
               for m in on(result, MODEL_RULE, r["cross"])), on(result, MODEL_RULE, r["cross"])
    assert any("not in this stack" in m and "fail closed" in m for m in on(result, MODEL_RULE, r["outside"]))
    assert any("not an object-storage location" in m for m in on(result, MODEL_RULE, r["http"]))
    assert not on(result, MODEL_RULE, r["later"])
    assert any("MODEL_URI unknown" in m for m in on(result, "residency-cannot-verify", r["later"]))


def test_rollout_dry_run_shows_each_waves_diff_from_the_offline_engine(tmp_path, capsys):
    from ops.__main__ import main
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({
        "release": "sentiment-1.1.0", "rollback_to": "sentiment-1.0.0", "bake_seconds": 0,
        "waves": [{"name": "canary", "cells": ["prod-aws-us-west-2/aws-us-west-2"]}],
        "metrics": {"prod-aws-us-west-2/aws-us-west-2": {"url": "http://127.0.0.1:9/api/v1/query"}}}))
    assert main(["release", "rollout", "sentiment-1.1.0", "--plan", str(plan), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "wave canary: stack prod-aws-us-west-2: cells aws-us-west-2 -> sentiment-1.1.0" in out
    assert "update urn:pulumi:prod-aws-us-west-2::platform::" in out and "aws-us-west-2-inference-deployment" in out
    # Nothing was applied: the repository's stack file still selects no release for the cell.
    assert ro.AutomationRunner().releases("prod-aws-us-west-2") == {"aws-us-west-2": None}


def test_one_wave_at_a_time_needs_the_earlier_waves_done(prom, tmp_path):
    url, end = prom
    plan = _plan(tmp_path, url, [{"name": "canary", "cells": ["eu-ha/gcp-europe-west1"]},
                                 {"name": "rest", "cells": ["eu-ha/aws-eu-central-1", "eu-ha/azure-westeurope"]}])
    runner = RecordingRunner()
    quiet = dict(clock=lambda: end, sleep=lambda s: None, out=lambda *_: None)
    with pytest.raises(pub.ReleaseOpError, match="earlier wave 'canary' is not done"):
        ro.rollout(plan, runner, only="rest", **quiet)
    assert runner.applied == []
    first = ro.rollout(plan, runner, only="canary", **quiet)
    assert first.ok and [w.status for w in first.waves] == ["done", "pending"]
    second = ro.rollout(plan, runner, only="rest", **quiet)
    assert second.ok and [w.status for w in second.waves] == ["done", "done"]
    assert [a[1] for a in runner.applied] == [{"gcp-europe-west1": "sentiment-1.1.0"},
                                              {"aws-eu-central-1": "sentiment-1.1.0", "azure-westeurope": "sentiment-1.1.0"}]
