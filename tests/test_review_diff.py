"""The review diff a reviewer reads (issue #38): risk first (replace, delete, update, then creates per
component) so nothing live is cut, old -> new values with secrets masked, and routing before/after."""
from __future__ import annotations

import json

import yaml

from offline.diff import diff_markdown, diff_resources, diff_text
from offline.diff.model import StackDiff
from offline_helpers import REPO


def _res(logical, type_="aws:s3/bucket:Bucket", parent=None, **inputs):
    return {"urn": f"urn:pulumi:s::p::{type_}::{logical}", "type": type_, "name": logical, "parent": parent,
            "inputs": inputs, "outputs": {}, "aliases": [], "dependencies": []}


def _big_change():
    cell = _res("cell-a", "platform:aws:Cell")
    cluster = _res("eks", "aws:eks/cluster:Cluster", vpcConfig={"publicAccessCidrs": ["198.51.100.0/24"]},
                   version="1.33")
    base = [cluster]
    head = [cell, dict(cluster, inputs={"vpcConfig": {"publicAccessCidrs": ["192.0.2.0/24"]}, "version": "1.33"})]
    head += [_res(f"obj-{i}", "aws:ec2/subnet:Subnet", parent=cell["urn"]) for i in range(100)]
    changes, unchanged, renamed = diff_resources(base, head)
    return StackDiff("s", "base", changes, unchanged, renamed, {"resources": head, "policy": [], "packs": []})


def test_an_update_is_never_cut_by_a_hundred_creates():
    d = _big_change()
    assert d.count("create") == 101 and d.count("update") == 1
    md = diff_markdown([d])
    (row,) = [line for line in md.splitlines() if line.startswith("| update")]
    assert "`eks`" in row and "vpcConfig.publicAccessCidrs" in row
    assert '["198.51.100.0/24"] -> ["192.0.2.0/24"]' in row  # old -> new
    # the live change comes before the creates, which are grouped per component
    assert md.index("| update") < md.index("per component")
    assert "| `platform:aws:Cell cell-a` | 100 |" in md


def test_text_orders_by_risk_and_shows_values():
    base = [_res("a", version="1"), _res("gone", "aws:sns/topic:Topic"),
            _res("r", "aws:route53/zone:Zone", name="x.example.com")]
    head = [_res("a", version="2"), _res("r", "aws:route53/zone:Zone", name="y.example.com"),
            _res("new", "aws:ec2/subnet:Subnet")]
    changes, unchanged, renamed = diff_resources(base, head)
    text = diff_text(StackDiff("s", "base", changes, unchanged, renamed, {"resources": head, "policy": []}))
    ops = [line.split()[0] for line in text.splitlines()[1:] if line.split() and line.split()[0] in ("+-", "-", "~", "+")]
    assert ops == ["+-", "-", "~", "+", "+"], text  # the last two: the (stack) group, then its create
    assert "version: 1 -> 2" in text and "name: x.example.com -> y.example.com" in text
    assert text.rstrip().splitlines()[-1].startswith("Verdict: FAIL: 1 stateful resource(s) deleted or replaced")


def test_secret_inputs_are_masked():
    base = [_res("db", "aws:rds/instance:Instance", password="old-pass", masterUsername="admin", tags={"a": "1"})]
    head = [_res("db", "aws:rds/instance:Instance", password="new-pass", masterUsername="admin", tags={"a": "2"})]
    (c,), _, _ = diff_resources(base, head)
    assert {v["path"]: (v["old"], v["new"]) for v in c.values} == {
        "password": ("[secret]", "[secret]"), "tags.a": ("1", "2")}
    assert "new-pass" not in diff_text(StackDiff("s", "b", [c], 0, [], {"resources": head, "policy": []}))


def _summary(stack: str, **dns) -> dict:
    from offline.report.routing import routing_summary

    cfg = yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    cfg["platform:dns"] = {**cfg["platform:dns"], **dns}
    return routing_summary(stack, {k: v if isinstance(v, str) else json.dumps(v) for k, v in cfg.items()})


def test_routing_before_after_says_who_is_served_by_which_cell():
    from offline.report.routing import routing_change

    geo = _summary("dev")
    assert geo["routing"] == "geolocation"
    assert "DE" in geo["served"]["gcp-europe-west1"] and "IN" in geo["served"]["azure-centralindia"]
    lat = _summary("dev", routing="latency")
    lines = routing_change(geo, lat)
    assert lines[0] == "routing mode: geolocation/failover -> latency/failover"
    assert routing_change(geo, geo) == []
    d = StackDiff("dev", "base", [], 10, [], {"resources": [], "policy": [], "routing": lat}, base_routing=geo)
    md = diff_markdown([d])
    assert "**Routing** (who is served by which cell)" in md and "geolocation/failover -> latency/failover" in md
