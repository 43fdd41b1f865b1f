"""Both packs on programs written the way users write them (tests/pack_corpus/): every expected
mandatory violation is found and nothing else is, as the PR gate's assume-applied run sees them;
in the dry run a decision that needs a computed value is advisory, never a pass or a false alarm."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import pack_recall  # noqa: E402


@pytest.fixture(scope="module")
def applied():
    return pack_recall.measure("assume-applied")


def test_every_expected_violation_is_found_and_no_compliant_program_is_flagged(applied):
    assert all(not r.get("error") for r in applied), [r for r in applied if r.get("error")]
    recall, flagged, alarms = pack_recall.summary(applied)
    assert recall == 1.0, [r for r in applied if r.get("missed")]
    assert flagged == 0 and alarms == 0, [r for r in applied if r["alarms"]]
    assert sum(r["expected"] for r in applied) >= 9 and sum(1 for r in applied if r["expected"] == 0) >= 8


def test_a_compliant_twin_exists_for_every_violating_program():
    programs = {p.name for p in pack_recall.CORPUS.iterdir() if (p / "Pulumi.yaml").exists()}
    twins = {"rds-unencrypted": "rds-encrypted", "sqs-default-sse": "sqs-cmk", "bucket-out-of-zone": "bucket-in-zone",
             "logs-to-other-region": "logs-in-region", "pubsub-anywhere": "pubsub-in-zone",
             "cloudsql-defaults": "cloudsql-hardened", "cosmos-replica-abroad": "cosmos-replica-in-zone",
             "k8s-public-http": "k8s-internal-http", "bucket-global-label": "bucket-in-zone"}
    assert set(twins) | set(twins.values()) == programs
