"""What makes a first `pulumi up` of an AWS cell fail in a fresh account, deploy but not work,
or leave operations blind; each fix pinned by wire name on the offline engine's captured inputs."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from components.clouds.aws import cluster as aws_cluster
from components.clouds.aws import loadbalancer as aws_lb
from components.clouds.aws import settings as aws_settings
from components.core import config
from components.core.config import ConfigError
from offline_helpers import preview_config, preview_stack, stack_config
# The dev/prod runs (cached) and the cell helpers are test_aws_cell.py's.
from test_aws_cell import CELL, dev, in_cell, of, prod, run  # noqa: F401 (fixtures)
from test_aws_cell import policy as statements

REPO = Path(__file__).resolve().parents[1]
DEPLOYER = "arn:aws:iam::123456789012:role/platform-deployer"
OPERATORS = "arn:aws:iam::123456789012:role/platform-operators"
READONLY = "arn:aws:iam::123456789012:role/platform-pr-preview"
# Route 53 tag values: A-Z, a-z, 0-9, space and .:/=+-@ (API_Tag, Route 53 API reference).
ROUTE53_TAG = re.compile(r"^[A-Za-z0-9 .:/=+\-@]*$")
# EC2 security group (rule) descriptions: a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* (EC2 API).
EC2_DESCRIPTION = re.compile(r"^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$")


@pytest.fixture(scope="module")
def prod_global(tmp_path_factory):
    run = preview_stack("prod-global", tmp_path_factory.mktemp("prod-global"))
    assert run.report is not None and run.returncode == 0, run.stderr[-3000:]
    return run


def _with_access() -> dict:
    cfg = copy.deepcopy(stack_config("dev"))
    cfg["platform:cells"] = [c for c in cfg["platform:cells"] if c["cloud"] == "aws"]
    cfg["platform:deployer"] = {"cidrs": ["20.42.1.0/28"], "aws_role_arn": DEPLOYER}
    cfg["platform:access"] = {"aws_operators_role_arn": OPERATORS, "aws_readonly_role_arn": READONLY}
    return cfg


@pytest.fixture(scope="module")
def access(tmp_path_factory):
    run = preview_config(_with_access(), tmp_path_factory.mktemp("access"))
    assert run.report is not None and run.returncode == 0, run.stderr[-3000:]
    return run


def one(run, type_: str, name: str, cell: str = CELL) -> dict:
    found = [r for r in of(run, type_, cell) if r["name"] == name]
    assert len(found) == 1, f"{type_} {name}: {[r['name'] for r in of(run, type_, cell)]}"
    return found[0]


def addons(run) -> dict[str, dict]:
    return {a["inputs"]["addonName"]: a for a in of(run, "aws:eks/addon:Addon")}


# --- Would fail --------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", ["dev", "prod_global"])
def test_route53_health_check_tags_use_only_characters_route53_accepts(request, stack):
    run = request.getfixturevalue(stack)
    checks = run.of_type("aws:route53/healthCheck:HealthCheck")
    assert checks
    for check in checks:
        for key, value in check["inputs"]["tags"].items():
            assert ROUTE53_TAG.match(key) and ROUTE53_TAG.match(value), (check["name"], key, value)
    named = {c["inputs"]["tags"]["Name"] for c in checks if c["inputs"]["type"] == "HTTPS"}
    assert f"{CELL} aws us-west-2" in named


def test_security_groups_and_rules_use_only_characters_ec2_accepts(run):
    described = [r for r in in_cell(run) if r["type"].startswith(("aws:vpc/securityGroup", "aws:ec2/securityGroup"))]
    assert len(described) >= 4
    for r in described:
        assert EC2_DESCRIPTION.match(r["inputs"].get("description", "")), (r["name"], r["inputs"]["description"])


def test_the_autoscaling_service_linked_role_exists_before_the_key_policy_names_it(run):
    (role,) = of(run, "aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert role["inputs"]["awsServiceName"] == "autoscaling.amazonaws.com"
    assert role["retainOnDelete"] is True  # one per account: other Auto Scaling groups keep using it
    key = one(run, "aws:kms/key:Key", f"{CELL}-key")
    assert role["urn"] in key["dependencies"]
    principals = {s["Sid"]: s["Principal"] for s in statements(key)}
    assert principals["AutoScalingEncryptsNodeVolumes"] == {"AWS": role["outputs"]["arn"]}
    assert principals["AutoScalingAttachesEncryptedNodeVolumes"] == {"AWS": role["outputs"]["arn"]}
    # ...because the node group's launch template encrypts the root volumes with exactly this key.
    (template,) = of(run, "aws:ec2/launchTemplate:LaunchTemplate")
    ebs = template["inputs"]["blockDeviceMappings"][0]["ebs"]
    assert ebs["encrypted"] == "true" and ebs["kmsKeyId"] == key["outputs"]["arn"]


def test_only_the_stacks_first_aws_cell_creates_the_account_wide_role(tmp_path):
    from test_aws_cell import SECOND, _two_aws_cells_config

    two = preview_config(_two_aws_cells_config(), tmp_path)
    assert two.report is not None and two.returncode == 0, two.stderr[-3000:]
    (role,) = two.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")
    assert not of(two, "aws:iam/serviceLinkedRole:ServiceLinkedRole", SECOND)
    # ...and the second cell's key waits for it too.
    assert role["urn"] in one(two, "aws:kms/key:Key", f"{SECOND}-key", cell=SECOND)["dependencies"]


def test_a_second_stack_in_the_account_declares_the_autoscaling_role_existing_and_creates_none(tmp_path):
    """One AWSServiceRoleForAutoScaling per account: a second stack says so in config (no failed `up`
    and no import first); its key policy still names the role, and the apply check accepts it."""
    raw = copy.deepcopy(stack_config("dev"))
    raw["platform:cells"] = [c for c in raw["platform:cells"] if c["cloud"] == "aws"]
    raw["platform:cells"][0]["aws"] = {"autoscaling_service_role": "existing"}
    second = preview_config(raw, tmp_path)
    assert second.report is not None and second.returncode == 0, second.stderr[-3000:]
    assert of(second, "aws:iam/serviceLinkedRole:ServiceLinkedRole") == []
    key = one(second, "aws:kms/key:Key", f"{CELL}-key")
    principals = {s["Sid"]: s["Principal"] for s in statements(key)}
    assert principals["AutoScalingEncryptsNodeVolumes"] == {
        "AWS": "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"}
    assert [f for f in second.report["apply"] if f["rule"] == "aws-kms-policy-service-linked-role"] == []


@pytest.mark.parametrize("value,fragment", [
    ({"autoscaling_service_role": "maybe"},
     "aws.autoscaling_service_role (cell 'aws-us-west-2') = \"maybe\": Input should be 'create' or 'existing'"),
    ({"autoscaling_role": "existing"}, "aws.autoscaling_role (cell 'aws-us-west-2'): unknown key; did you mean "
                                       "'autoscaling_service_role'? allowed: autoscaling_service_role"),
])
def test_aws_cell_settings_are_checked_naming_the_key_and_what_is_allowed(value, fragment):
    raw = copy.deepcopy(stack_config("dev"))
    i = next(i for i, c in enumerate(raw["platform:cells"]) if c["cloud"] == "aws")
    raw["platform:cells"][i]["aws"] = value
    with pytest.raises(ConfigError) as err:
        config.load("dev", raw)
    assert f"stack 'dev': platform:cells[{i}].{fragment}" in str(err.value), str(err.value)
    gcp = next(i for i, c in enumerate(raw["platform:cells"]) if c["cloud"] == "gcp")
    raw["platform:cells"][i].pop("aws")
    raw["platform:cells"][gcp]["aws"] = {"autoscaling_service_role": "existing"}
    with pytest.raises(ConfigError, match="an aws setting, and this cell is on gcp; allowed: only on aws cells"):
        config.load("dev", raw)


# --- Would deploy but not work -----------------------------------------------------------------

def test_the_workload_waits_for_nodes_cni_dns_pod_identity_agent_and_association(run):
    deployment = next(r for r in in_cell(run) if r["type"] == "kubernetes:apps/v1:Deployment")
    found = addons(run)
    for needed in (one(run, "aws:eks/nodeGroup:NodeGroup", f"{CELL}-nodes"),
                   found["vpc-cni"], found["coredns"], found["eks-pod-identity-agent"],
                   one(run, "aws:eks/podIdentityAssociation:PodIdentityAssociation", f"{CELL}-workload")):
        assert needed["urn"] in deployment["dependencies"], needed["name"]


def test_the_workload_drains_for_the_albs_health_check_and_deregistration_delay(run):
    group = one(run, "aws:lb/targetGroup:TargetGroup", f"{CELL}-nodes")
    check = group["inputs"]["healthCheck"]
    drain = check["interval"] * check["unhealthyThreshold"] + group["inputs"]["deregistrationDelay"]
    assert drain == aws_lb.DRAIN_SECONDS == 60
    deployment = next(r for r in in_cell(run) if r["type"] == "kubernetes:apps/v1:Deployment")
    pod = deployment["inputs"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"] == drain
    assert pod["terminationGracePeriodSeconds"] == drain + 30


def test_addons_are_pinned_and_the_vpc_cni_enforces_network_policies(run):
    cluster = one(run, "aws:eks/cluster:Cluster", f"{CELL}-eks")
    found = addons(run)
    assert set(found) == {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "metrics-server"}
    pinned = aws_settings.ADDON_VERSIONS[cluster["inputs"]["version"]]
    for name, addon in found.items():
        assert addon["inputs"]["addonVersion"] == pinned[name]
        assert re.fullmatch(r"v\d+\.\d+\.\d+-eksbuild\.\d+", addon["inputs"]["addonVersion"])
    # kube-proxy follows the cluster's Kubernetes minor.
    assert found["kube-proxy"]["inputs"]["addonVersion"].startswith(f"v{cluster['inputs']['version']}.")
    assert json.loads(found["vpc-cni"]["inputs"]["configurationValues"]) == {"enableNetworkPolicy": "true"}
    nodes = one(run, "aws:eks/nodeGroup:NodeGroup", f"{CELL}-nodes")
    for name in ("vpc-cni", "kube-proxy"):  # before the nodes: a node is Ready with its CNI
        assert found[name]["urn"] in nodes["dependencies"]
    for name in ("coredns", "eks-pod-identity-agent", "metrics-server"):  # on the nodes
        assert nodes["urn"] in found[name]["dependencies"]


def test_network_policy_admits_the_albs_subnets_and_the_service_keeps_their_source(run):
    policies = {r["name"]: r for r in in_cell(run) if r["type"] == "kubernetes:networking.k8s.io/v1:NetworkPolicy"}
    allow = next(p for n, p in policies.items() if n.endswith("allow-load-balancer"))
    cidrs = {peer["ipBlock"]["cidr"] for rule in allow["inputs"]["spec"]["ingress"] for peer in rule["from"]}
    public = {s["inputs"]["cidrBlock"] for s in of(run, "aws:ec2/subnet:Subnet") if s["inputs"]["tags"]["tier"] == "public"}
    assert cidrs == public
    service = next(r for r in in_cell(run) if r["type"] == "kubernetes:core/v1:Service")
    assert service["inputs"]["spec"]["externalTrafficPolicy"] == "Local"


def test_a_cluster_autoscaler_with_its_own_scoped_pod_identity_scales_the_node_group(run):
    cluster = one(run, "aws:eks/cluster:Cluster", f"{CELL}-eks")
    name = cluster["inputs"]["name"]
    release = one(run, "kubernetes:helm.sh/v3:Release", f"{CELL}-autoscaler")
    chart, tag = aws_settings.AUTOSCALER_RELEASES[cluster["inputs"]["version"]]
    assert release["inputs"]["chart"] == "cluster-autoscaler" and release["inputs"]["version"] == chart
    assert release["inputs"]["repositoryOpts"]["repo"] == "https://kubernetes.github.io/autoscaler"
    values = release["inputs"]["values"]
    assert values["autoDiscovery"] == {"clusterName": name} and values["image"]["tag"] == tag
    assert values["rbac"]["serviceAccount"]["name"] == "cluster-autoscaler"
    assoc = one(run, "aws:eks/podIdentityAssociation:PodIdentityAssociation", f"{CELL}-autoscaler")
    assert (assoc["inputs"]["namespace"], assoc["inputs"]["serviceAccount"]) == ("kube-system", "cluster-autoscaler")
    role = one(run, "aws:iam/role:Role", f"{CELL}-autoscaler")
    assert assoc["inputs"]["roleArn"] == role["outputs"]["arn"]
    (trust,) = statements(role, "assumeRolePolicy")
    assert trust["Condition"]["StringEquals"]["aws:RequestTag/kubernetes-service-account"] == "cluster-autoscaler"
    scale = {s["Sid"]: s for s in statements(one(run, "aws:iam/rolePolicy:RolePolicy", f"{CELL}-autoscaler"))}
    resize = scale["ResizeOnlyThisClustersGroups"]
    assert sorted(resize["Action"]) == ["autoscaling:SetDesiredCapacity",
                                        "autoscaling:TerminateInstanceInAutoScalingGroup"]
    assert resize["Condition"] == {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{name}": "owned"}}
    assert all(not a.endswith(":*") for s in scale.values() for a in s["Action"])
    for dep in (assoc, one(run, "aws:eks/nodeGroup:NodeGroup", f"{CELL}-nodes"), addons(run)["eks-pod-identity-agent"]):
        assert dep["urn"] in release["dependencies"]
    scaling = one(run, "aws:eks/nodeGroup:NodeGroup", f"{CELL}-nodes")["inputs"]["scalingConfig"]
    assert scaling["maxSize"] > scaling["minSize"] == scaling["desiredSize"]


def test_the_node_groups_desired_size_belongs_to_the_autoscaler(run):
    nodes = one(run, "aws:eks/nodeGroup:NodeGroup", f"{CELL}-nodes")
    assert nodes["options"]["ignoreChanges"] == ["scalingConfig.desiredSize"]
    assert not [f for f in run.report["apply"] if f["rule"] == "aws-eks-nodegroup-desired-size"]


# --- Operations ----------------------------------------------------------------------------------

def test_upgrade_policy_is_explicit(run):
    cluster = one(run, "aws:eks/cluster:Cluster", f"{CELL}-eks")
    assert cluster["inputs"]["upgradePolicy"] == {"supportType": "STANDARD"}


def test_access_entries_for_the_deployer_operators_and_read_only_role(access):
    cluster = one(access, "aws:eks/cluster:Cluster", f"{CELL}-eks")
    # The deployer's explicit entry replaces the bootstrap one (both for one role: ResourceInUseException).
    assert cluster["inputs"]["accessConfig"] == {"authenticationMode": "API",
                                                 "bootstrapClusterCreatorAdminPermissions": False}
    entries = {e["inputs"]["principalArn"]: e for e in of(access, "aws:eks/accessEntry:AccessEntry")}
    assert set(entries) == {DEPLOYER, OPERATORS, READONLY}
    assert all(e["inputs"]["type"] == "STANDARD" for e in entries.values())
    policies = {a["inputs"]["principalArn"]: a["inputs"] for a in
                of(access, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")}
    base = "arn:aws:eks::aws:cluster-access-policy/"
    assert policies[DEPLOYER]["policyArn"] == policies[OPERATORS]["policyArn"] == base + "AmazonEKSClusterAdminPolicy"
    assert policies[READONLY]["policyArn"] == base + "AmazonEKSViewPolicy"
    assert all(p["accessScope"] == {"type": "cluster"} for p in policies.values())


def test_without_a_deployer_the_creator_keeps_the_bootstrap_admin_entry(dev):
    cluster = one(dev, "aws:eks/cluster:Cluster", f"{CELL}-eks")
    assert cluster["inputs"]["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is True
    assert of(dev, "aws:eks/accessEntry:AccessEntry") == []  # AMP makes the scraper's own


def test_operators_equal_to_the_deployer_get_one_entry():
    from components.clouds.aws.cell import _admins
    from components.contract import CellSpec

    cfg = _with_access()
    cfg["platform:access"]["aws_operators_role_arn"] = DEPLOYER
    loaded = config.load("test", cfg)
    spec = CellSpec.from_config(loaded.cells[0], loaded)
    assert _admins(spec) == [("deployer", DEPLOYER)]


def test_alb_alarms_notify_the_cells_encrypted_alarm_topic(run):
    topic = one(run, "aws:sns/topic:Topic", f"{CELL}-alarms")
    key = one(run, "aws:kms/key:Key", f"{CELL}-key")
    assert topic["inputs"]["kmsMasterKeyId"] == key["outputs"]["arn"]
    sids = {s["Sid"]: s for s in statements(key)}
    assert sids["CloudWatchAlarmsPublishToTheEncryptedAlarmTopic"]["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    publish = statements(one(run, "aws:sns/topicPolicy:TopicPolicy", f"{CELL}-alarms"))[0]
    assert publish["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"
    alb = one(run, "aws:lb/loadBalancer:LoadBalancer", f"{CELL}-alb")
    group = one(run, "aws:lb/targetGroup:TargetGroup", f"{CELL}-nodes")
    alarms = {a["inputs"]["metricName"]: a["inputs"] for a in of(run, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert set(alarms) == {"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "HealthyHostCount"}
    for metric, alarm in alarms.items():
        assert alarm["namespace"] == "AWS/ApplicationELB"
        assert alarm["alarmActions"] == alarm["okActions"] == [topic["outputs"]["arn"]]
        assert alarm["dimensions"]["LoadBalancer"] == alb["outputs"]["arnSuffix"]
    # With externalTrafficPolicy Local, nodes without an inference pod fail the health check by design;
    # the alarm is "no healthy target" (an outage), and a target group reporting nothing counts as one.
    healthy = alarms["HealthyHostCount"]
    assert healthy["dimensions"]["TargetGroup"] == group["outputs"]["arnSuffix"]
    assert (healthy["statistic"], healthy["comparisonOperator"], healthy["threshold"]) == ("Minimum", "LessThanThreshold", 1)
    assert healthy["treatMissingData"] == "breaching"


def test_prod_mails_the_alarms_to_its_alarm_email(prod):
    # The load balancer alarms' topic and the SLO alerts' topic both mail the stack's address.
    subs = of(prod, "aws:sns/topicSubscription:TopicSubscription")
    assert subs and all(s["inputs"]["protocol"] == "email" and s["inputs"]["endpoint"] == "oncall@example.com"
                        for s in subs)


def test_a_prod_stack_without_alarm_email_is_a_config_error_naming_the_key():
    raw = copy.deepcopy(stack_config("prod-aws-us-west-2"))
    raw["platform:dns"] = {k: v for k, v in raw["platform:dns"].items() if k != "alarm_email"}
    with pytest.raises(ConfigError) as err:
        config.load("prod-aws-us-west-2", raw)
    assert "stack 'prod-aws-us-west-2': platform:dns.alarm_email: missing in a prod stack" in str(err.value)
    dev = copy.deepcopy(stack_config("dev"))
    assert config.load("dev", dev).dns.alarm_email is None  # optional outside prod


def test_an_aws_cell_on_a_kubernetes_version_without_pinned_addons_is_a_config_error():
    raw = copy.deepcopy(stack_config("dev"))
    aws_index = next(i for i, c in enumerate(raw["platform:cells"]) if c["cloud"] == "aws")
    raw["platform:cells"][aws_index]["cluster"]["kubernetes_version"] = "1.29"
    with pytest.raises(ConfigError) as err:
        config.load("dev", raw)
    assert (f"platform:cells[{aws_index}].cluster.kubernetes_version = '1.29' (cell '{CELL}')" in str(err.value)
            and "allowed: 1.33" in str(err.value))


def test_dev_alb_logs_are_destroyable_and_prod_keeps_them(dev, prod):
    def logs(run):
        return next(b for b in of(run, "aws:s3/bucket:Bucket") if b["name"] == f"{CELL}-alb-logs")

    assert logs(dev)["inputs"]["forceDestroy"] is True and logs(dev)["protect"] is False
    assert logs(prod)["inputs"]["forceDestroy"] is False and logs(prod)["protect"] is True


def test_the_global_layers_resources_carry_cell_global(dev):
    outside = [r for r in dev.resources if r["type"].startswith("aws:") and "tags" in r["inputs"]
               and not any(a["type"].endswith(":Cell") for a in dev.ancestors(r))]
    assert {r["type"] for r in outside} >= {"aws:route53/healthCheck:HealthCheck", "aws:kms/key:Key"}
    for r in outside:
        assert r["inputs"]["tags"]["cell"] == "global" and r["inputs"]["tags"]["residency"] == "global", r["name"]
    cell_key = one(dev, "aws:kms/key:Key", f"{CELL}-key")
    assert cell_key["inputs"]["tags"]["cell"] == CELL  # the cell's own label wins


def test_the_prod_global_alarm_key_is_protected_and_devs_is_not(prod_global, dev):
    assert prod_global.one("aws:kms/key:Key", "global-alarms-key")["protect"] is True
    assert dev.one("aws:kms/key:Key", "global-alarms-key")["protect"] is False


# --- The deploying identity's permissions -----------------------------------------------------------

DEPLOYER_POLICIES = sorted((REPO / "deploy" / "aws-deployer").glob("*.json"))


def _deployer() -> dict:
    """The deploying role's customer-managed policies as one document (they are split per service to stay under
    IAM's size limit per managed policy)."""
    docs = [json.loads(p.read_text()) for p in DEPLOYER_POLICIES]
    assert docs and all(d["Version"] == "2012-10-17" for d in docs)
    return {"Version": "2012-10-17", "Statement": [s for d in docs for s in d["Statement"]]}
DATA_SERVICES = ("s3", "kms", "dynamodb", "secretsmanager", "ssm", "rds", "sns", "sqs", "logs", "ebs",
                 "elasticfilesystem", "backup", "glacier")


def _actions(statement: dict) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else actions


def test_the_deployer_policy_grants_no_wildcard_on_any_data_service():
    doc = _deployer()  # each file's managed-policy size limit: tests/test_aws_deployer.py
    sids = [s["Sid"] for s in doc["Statement"]]
    assert len(sids) == len(set(sids))
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        for action in _actions(statement):
            service, _, verb = action.partition(":")
            assert action != "*" and verb != "*", f"{statement['Sid']}: {action} (every action of a service)"
            if service in DATA_SERVICES:
                assert "*" not in verb, f"{statement['Sid']}: {action}: a wildcard on a data service"


def test_the_deployer_policy_covers_every_service_the_aws_cell_and_global_layer_call(dev):
    doc = _deployer()
    granted = {a.split(":")[0] for s in doc["Statement"] for a in _actions(s)}
    used = {r["type"].split(":")[1].split("/")[0] for r in dev.resources if r["type"].startswith("aws:")}
    # Pulumi module -> IAM service prefix where they differ.
    prefix = {"amp": "aps", "lb": "elasticloadbalancing", "vpc": "ec2", "cloudwatch": "cloudwatch", "route53": "route53",
              "acm": "acm", "autoscaling": "autoscaling", "eks": "eks", "iam": "iam", "kms": "kms", "s3": "s3",
              "sns": "sns", "ec2": "ec2"}
    missing = {prefix.get(m, m) for m in used} - granted
    assert not missing, f"resource modules with no granted action: {sorted(missing)}"
    # Log groups are created by the cell (aws:cloudwatch/logGroup) and live in CloudWatch Logs.
    assert "logs" in granted and "sts" in granted
    # Pass only the cell's own roles to EKS/EC2, and create only the Auto Scaling service-linked role.
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert by_sid["PassOnlyCellRolesToEks"]["Condition"]["StringEquals"]["iam:PassedToService"] == [
        "eks.amazonaws.com", "ec2.amazonaws.com", "s3.amazonaws.com", "vpc-flow-logs.amazonaws.com",
        "scraper.aps.amazonaws.com"]
    assert by_sid["CreateOnlyTheAutoScalingServiceLinkedRole"]["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "autoscaling.amazonaws.com"}}


# --- Apply checks ----------------------------------------------------------------------------------

def test_the_aws_stacks_show_no_aws_apply_finding_and_no_exemption_names_issue_17(run, prod_global):
    for r in (run, prod_global):
        assert [f for f in r.report["apply"] if f["rule"].startswith("aws-")] == []
    for path in (REPO / "stacks").glob("Pulumi.*.yaml"):
        assert "#17" not in path.read_text(), path.name
