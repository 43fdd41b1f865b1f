"""The AWS apply rules (components/clouds/aws/apply.py): each fails on a real SDK program that breaks it and
passes on the same program fixed (one small program, run as stack `bad` and stack `good`)."""
from __future__ import annotations

import pytest

from offline_helpers import offline, program_project

PROGRAM = '''
import json
import pulumi, pulumi_aws as aws, pulumi_kubernetes as k8s
GOOD = pulumi.get_stack() == "good"

cluster = aws.eks.Cluster("eks", name="c1", role_arn="arn:aws:iam::123456789012:role/c",
    vpc_config={"subnet_ids": ["subnet-1"]},
    upgrade_policy={"support_type": "STANDARD"} if GOOD else None)
trust = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession"] if GOOD else ["sts:AssumeRole"],
    "Condition": {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "app",
                                   "aws:RequestTag/kubernetes-service-account": "app"}} if GOOD else
                 {"ArnEquals": {"aws:SourceArn": "arn:aws:eks:us-west-2:123456789012:cluster/c1"}}}]}
role = aws.iam.Role("app", assume_role_policy=json.dumps(trust))
assoc = aws.eks.PodIdentityAssociation("app", cluster_name=cluster.name, namespace="app", service_account="app",
    role_arn=role.arn)
agent = aws.eks.Addon("agent", cluster_name=cluster.name, addon_name="eks-pod-identity-agent",
    addon_version="v1.3.7-eksbuild.2" if GOOD else None)
aws.eks.Addon("cni", cluster_name=cluster.name, addon_name="vpc-cni", addon_version="v1.19.6-eksbuild.7",
    configuration_values=json.dumps({"enableNetworkPolicy": "true"}) if GOOD else None)
ng = aws.eks.NodeGroup("ng", cluster_name=cluster.name, node_role_arn="arn:aws:iam::123456789012:role/n",
    subnet_ids=["subnet-1"], scaling_config={"desired_size": 1, "min_size": 1, "max_size": 3},
    opts=pulumi.ResourceOptions(ignore_changes=["scalingConfig.desiredSize"]))
prov = k8s.Provider("k8s", kubeconfig=cluster.endpoint)
on = lambda *deps: pulumi.ResourceOptions(provider=prov, depends_on=list(deps))
if GOOD:
    k8s.helm.v3.Release("ca", chart="cluster-autoscaler", version="9.47.0", namespace="kube-system",
        repository_opts={"repo": "https://kubernetes.github.io/autoscaler"}, opts=on(ng))
k8s.networking.v1.NetworkPolicy("deny", metadata={"name": "deny", "namespace": "app"},
    spec={"pod_selector": {}, "policy_types": ["Ingress"]}, opts=on())
k8s.apps.v1.Deployment("app", metadata={"name": "app", "namespace": "app"},
    spec={"selector": {"match_labels": {"app": "a"}}, "template": {"metadata": {"labels": {"app": "a"}},
          "spec": {"service_account_name": "app", "containers": [{"name": "a", "image": "x"}]}}},
    opts=on(*([assoc, agent, ng] if GOOD else [])))
# #29: AMP makes the scraper's access entry itself; a customer-key workspace needs the role configuration.
ws = aws.amp.Workspace("ws", kms_key_arn="arn:aws:kms:us-west-2:123456789012:key/k1")
scraper = aws.amp.Scraper("scraper", scrape_configuration="global: {}",
    source={"eks": {"cluster_arn": cluster.arn, "subnet_ids": ["subnet-1", "subnet-2"]}},
    destination={"amp": {"workspace_arn": ws.arn}},
    role_configuration={"source_role_arn": "arn:aws:iam::123456789012:role/s",
                        "target_role_arn": "arn:aws:iam::123456789012:role/t"} if GOOD else None)
if not GOOD:
    aws.eks.AccessEntry("scraper", cluster_name=cluster.name, principal_arn=scraper.role_arn, type="STANDARD")
# #29: parliament over every rendered policy (here: ListAliases scoped to aliases, which IAM ignores).
aws.iam.RolePolicy("aliases", role=role.id, policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "kms:ListAliases", "Resource": "*" if GOOD else "arn:aws:kms:*:*:alias/*"}]}))
'''

RULES = {"aws-pod-identity-trust": "error", "aws-pod-identity-wait": "error", "aws-vpc-cni-network-policy": "error",
         "aws-eks-nodegroup-autoscaler": "error", "aws-eks-addon-version-pinned": "warning",
         "aws-eks-upgrade-policy": "warning", "aws-amp-scraper-access-entry": "error",
         "aws-amp-scraper-customer-key-workspace": "error", "aws-iam-policy-lint": "error"}


def _run(tmp_path, stack):
    proj = program_project(tmp_path, stack, PROGRAM, {"aws:region": "us-west-2"}, name="applyaws")
    run = offline(["preview", stack, "--quiet", "--project-dir", str(proj), "--assume-applied"], tmp_path)
    assert run.report is not None, run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("apply-aws")
    return {stack: [f for f in _run(tmp, stack).report["apply"] if f["rule"] in RULES] for stack in ("bad", "good")}


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_each_rule_fails_the_broken_program_and_passes_the_fixed_one(findings, rule_id):
    bad = [f for f in findings["bad"] if f["rule"] == rule_id]
    assert bad and RULES[rule_id] in {f["level"] for f in bad}, findings["bad"]
    assert [f for f in findings["good"] if f["rule"] == rule_id] == []


def test_the_findings_name_what_is_wrong(findings):
    text = {f["rule"]: f["message"] for f in findings["bad"]}
    assert "aws:SourceArn" in " ".join(f["message"] for f in findings["bad"] if f["rule"] == "aws-pod-identity-trust")
    assert "sts:TagSession" in " ".join(f["message"] for f in findings["bad"] if f["rule"] == "aws-pod-identity-trust")
    assert "its Pod Identity association, the eks-pod-identity-agent add-on, a node group" in text["aws-pod-identity-wait"]
    assert "enableNetworkPolicy" in text["aws-vpc-cni-network-policy"]
    assert "scales 1..3" in text["aws-eks-nodegroup-autoscaler"]
    assert "ResourceInUseException" in text["aws-amp-scraper-access-entry"]
    assert "roleConfiguration" in text["aws-amp-scraper-customer-key-workspace"]
    assert "RESOURCE_MISMATCH" in text["aws-iam-policy-lint"] and "kms:ListAliases" in text["aws-iam-policy-lint"]
    levels = {f["message"].split(":")[0]: f["level"] for f in findings["bad"] if f["rule"] == "aws-pod-identity-trust"}
    assert "warning" in levels.values()  # the unscoped trust is fragile; the SourceArn one breaks
