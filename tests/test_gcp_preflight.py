"""`python -m components.clouds.gcp.preflight`: quota at max_nodes and where `_Required` lives.
gcloud's answers are recorded JSON (the shapes of `regions describe` and `logging buckets list`); no network."""
from __future__ import annotations

import pytest

from components.clouds.gcp import preflight, settings


def test_prod_needs_quota_for_max_nodes_and_the_surge():
    [n] = preflight.stack_needs("prod-gcp-europe-west1")
    assert (n.project, n.region, n.nodes) == ("acme-platform-prod", "europe-west1", 10 + 3 * settings.MAX_SURGE)
    assert n.quotas == {"CPUS": 13 * 4, "SSD_TOTAL_GB": 13 * settings.DISK_SIZE_GB, "STATIC_ADDRESSES": 1}
    assert preflight.machine_vcpus(settings.MACHINE_TYPE) == 4
    with pytest.raises(ValueError, match="not a predefined"):
        preflight.machine_vcpus("e2-custom-4-8192x")


FRESH = {"quotas": [{"metric": "CPUS", "limit": 24.0, "usage": 0.0},
                    {"metric": "SSD_TOTAL_GB", "limit": 500.0, "usage": 0.0},
                    {"metric": "STATIC_ADDRESSES", "limit": 8.0, "usage": 0.0}]}
RAISED = {"quotas": [{"metric": "CPUS", "limit": 96.0, "usage": 12.0},
                     {"metric": "SSD_TOTAL_GB", "limit": 4096.0, "usage": 300.0},
                     {"metric": "STATIC_ADDRESSES", "limit": 8.0, "usage": 1.0}]}


def test_quota_shortfalls_are_named():
    [n] = preflight.stack_needs("prod-gcp-europe-west1")
    short = preflight.judge_quotas(n, FRESH)
    assert [s.split(":")[1].strip().split(" ")[0] for s in short] == ["CPUS", "SSD_TOTAL_GB"]
    assert "24 free (limit 24, used 0), needs 52 at max_nodes" in short[0]
    assert preflight.judge_quotas(n, RAISED) == []


def test_required_bucket_location_message():
    [n] = preflight.stack_needs("prod-gcp-europe-west1")
    global_ = [{"name": "projects/acme-platform-prod/locations/global/buckets/_Default"},
               {"name": "projects/acme-platform-prod/locations/global/buckets/_Required"}]
    [msg] = preflight.judge_required(n, global_)
    assert "is in `global`" in msg and "never moves" in msg
    assert "gcloud logging settings update --organization=ORG_ID --storage-location=europe-west1" in msg
    regional = [{"name": "projects/acme-platform-prod/locations/europe-west1/buckets/_Required"}]
    assert preflight.judge_required(n, regional) == []


def test_check_exits_1_on_a_fresh_project_and_0_once_ready(capsys):
    answers = {"compute": FRESH, "logging": [{"name": "projects/p/locations/global/buckets/_Required"}]}
    assert preflight.main(["prod-gcp-europe-west1", "--check"], gcloud=lambda a: answers[a[0]]) == 1
    out = capsys.readouterr().out
    assert "preflight: cell gcp-europe-west1: CPUS" in out and "_Required" in out
    ready = {"compute": RAISED, "logging": [{"name": "projects/p/locations/europe-west1/buckets/_Required"}]}
    assert preflight.main(["prod-gcp-europe-west1", "--check"], gcloud=lambda a: ready[a[0]]) == 0
    assert preflight.main(["prod-aws-us-west-2"]) == 0 and "no GCP cell" in capsys.readouterr().out
    assert preflight.main(["nope"]) == 2
