"""The second `up`: the program against its own first run's state, with the servers'
normalizations (offline/second_up.py NORMALIZATIONS), changes nothing on any stack."""
from __future__ import annotations

import copy
import json

import pytest

from offline_helpers import offline, preview_stack

PACKS = ("policy/encryption", "policy/residency")  # the cached runs other modules use
STACKS = ("dev", "eu-ha", "prod-aws-us-west-2", "prod-azure-centralindia", "prod-gcp-europe-west1", "prod-global")


def _res(type_, name, inputs, outputs=None, ignore=()):
    return {"urn": f"urn:pulumi:s::p::{type_}::{name}", "type": type_, "name": name, "inputs": inputs,
            "outputs": inputs if outputs is None else outputs, "options": {"ignoreChanges": list(ignore)}}


def _report(*resources):
    return {"resources": list(resources)}


def test_a_value_the_server_returns_in_its_own_form_is_a_diff_until_handled():
    from offline.second_up import second_up

    def key(kind, ignore=()):
        return _res("azure-native:keyvault:Key", "k", {"properties": {"rotationPolicy": {"lifetimeActions": [
            {"action": {"type": kind}, "trigger": {"timeAfterCreate": "P90D"}}]}}}, ignore=ignore)

    bad = second_up("s", _report(key("rotate")), _report(key("rotate")))
    assert [(d.path, d.state, d.sent) for d in bad.differences] == [
        ("properties.rotationPolicy.lifetimeActions[0].action.type", "Rotate", "rotate")]
    ignored = key("rotate", ["properties.rotationPolicy.lifetimeActions[*].action.type"])
    good = second_up("s", _report(ignored), _report(ignored))
    assert good.differences == [] and good.suppressed[0]["handling"] == "ignored"
    # a GCS location sent in the server's own form is no diff, a lowercase one is
    bucket = lambda loc: _res("gcp:storage/bucket:Bucket", "b", {"location": loc})
    assert second_up("s", _report(bucket("EU")), _report(bucket("EU"))).suppressed[0]["handling"] == "written"
    assert second_up("s", _report(bucket("eu")), _report(bucket("eu"))).differences[0].state == "EU"


def test_provider_normalizations_and_ignored_inputs_are_no_diff():
    from offline.second_up import second_up

    rec = _res("aws:route53/record:Record", "r", {"name": "_X.Example.com.", "type": "CNAME"})
    pool = _res("aws:eks/nodeGroup:NodeGroup", "ng", {"scalingConfig": {"desiredSize": 2}},
                outputs={"scalingConfig": {"desiredSize": 5}}, ignore=["scalingConfig.desiredSize"])
    unignored = copy.deepcopy(pool)
    unignored["options"]["ignoreChanges"] = []
    s = second_up("s", _report(rec, pool), _report(rec, pool))
    assert s.differences == [] and {x["handling"] for x in s.suppressed} == {"provider", "ignored"}
    assert [d.path for d in second_up("s", _report(unignored), _report(unignored)).differences] == \
        ["scalingConfig.desiredSize"]


def test_a_resource_in_one_run_only_is_a_nondeterministic_program():
    from offline.second_up import second_up

    a, b = _res("aws:s3/bucket:Bucket", "a", {}), _res("aws:s3/bucket:Bucket", "b", {})
    s = second_up("s", _report(a), _report(b))
    assert sorted(d.kind for d in s.differences) == ["create", "delete"]


def test_every_normalization_says_how_it_is_handled_and_where_it_comes_from():
    from offline.second_up import NORMALIZATIONS

    for n in NORMALIZATIONS:
        assert n.handling in ("written", "provider", "ignored") and n.why and n.source.startswith("https://"), n


@pytest.mark.parametrize("stack", STACKS)
def test_second_up_of_every_stack_is_empty(stack, tmp_path):
    """The first run's state (normalized) against the program's inputs: no diff on any stack."""
    from offline.second_up import second_up

    run = preview_stack(stack, tmp_path, packs=PACKS)
    assert run.report is not None, run.stderr
    s = second_up(stack, run.report, run.report)
    assert s.differences == [], [(d.name, d.path, d.state, d.sent) for d in s.differences]
    assert s.compared > 40


def test_second_up_command_runs_the_program_twice(tmp_path):
    """The CLI runs the program twice (determinism) and prints the normalizations it met."""
    run = offline(["second-up", "prod-azure-centralindia"], tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.report["empty"] is True and run.report["differences"] == []
    # The normalizations it met are listed; the key rotation actions are sent as Key Vault returns them
    # (Rotate/Notify), so that one is no longer needed and not listed.
    assert "Server normalizations" in run.stdout and "provider azure-native:" in run.stdout
    assert "lifetimeActions[*].action.type" not in run.stdout


def test_names_drawn_per_creation_replace_nothing_in_an_existing_stack(tmp_path):
    """A stack created before the vault name and the log bucket id carried their creation suffix: its next
    `up` keeps both (ignore_changes; the keys read the vault's name from state) and only adds the RandomIds."""
    from offline.diff import diff_resources
    from offline.second_up import carry_ignored

    run = preview_stack("dev", tmp_path, packs=PACKS)
    new = run.report["resources"]
    names = {}
    for r in new:
        key = {"azure-native:keyvault:Vault": "vaultName",
               "gcp:logging/projectBucketConfig:ProjectBucketConfig": "bucketId"}.get(r["type"])
        if key:
            names[r["inputs"][key]] = {"vaultName": "azure-centrali-kv5b806a", "bucketId": "gcp-europe-west1-logs"}[key]
    assert len(names) == 2
    # The state such a stack holds: no RandomId, the names it was created with everywhere.
    text = json.dumps([r for r in new if not r["type"].startswith("random:")])
    for suffixed, original in names.items():
        text = text.replace(suffixed, original)
    old = json.loads(text)
    naive, _, _ = diff_resources(old, new)
    assert any(c.op == "replace" and c.type == "azure-native:keyvault:Key" for c in naive)  # mocks echo the new name
    changes, _, _ = diff_resources(old, carry_ignored(old, new))
    assert {(c.op, c.type) for c in changes} == {("create", "random:index/randomId:RandomId")}, \
        [(c.op, c.name, c.keys) for c in changes if c.op != "create"]
