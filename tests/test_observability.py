"""Observability: metrics stored in each cell's region, SLO alerts to the configured
addresses, one dashboard row per cell. Asserted by wire name on the offline runs of the stacks
(the same cached runs test_structure.py makes, with both packs)."""
from __future__ import annotations

import json

import pytest
import yaml

from components.core.config import ConfigError, load
from components.observability import slo
from offline_helpers import preview_stack, stack_config

PACKS = ("policy/encryption", "policy/residency")
EMAIL = "oncall@example.com"
REGION = {"aws-us-west-2": "us-west-2", "gcp-europe-west1": "europe-west1", "azure-centralindia": "centralindia"}


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    run = preview_stack("dev", tmp_path_factory.mktemp("dev"), packs=PACKS)
    assert run.report is not None and run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def prod_global(tmp_path_factory):
    run = preview_stack("prod-global", tmp_path_factory.mktemp("prod-global"), packs=PACKS)
    assert run.report is not None and run.returncode == 0, run.stderr[-3000:]
    return run


def _out(run, type_, name):
    r = run.one(type_, name)
    return {**r["inputs"], **(r["outputs"] or {})}


# --- burn-rate math and config ------------------------------------------------------------------

def test_burn_factors_follow_the_sre_workbook_for_a_30_day_window():
    factors = {(w.long, w.short): slo.burn_factor(w, 30) for w in slo.WINDOWS}
    assert factors == {("1h", "5m"): 14.4, ("6h", "30m"): 6.0, ("3d", "6h"): 1.0}
    # A shorter SLO window spends the same budget share faster per hour: lower factors.
    assert slo.burn_factor(slo.WINDOWS[0], 7) == pytest.approx(14.4 * 7 / 30, rel=1e-3)


def test_alert_rules_read_only_the_cells_own_series_and_need_both_windows():
    rules = {r.name: r for r in slo.alert_rules("cell-a", 99.9, 500, 5.0, 30)}
    fast = rules["SloBurn1h5m"]
    assert "[1h]" in fast.expr and "[5m]" in fast.expr and " and " in fast.expr
    assert "(14.4 * 0.001)" in fast.expr and fast.severity == "page"
    assert all('cell="cell-a"' in r.expr and 'cell="cell-b"' not in r.expr for r in rules.values())
    assert "> 0.5" in rules["SloLatencyP99"].expr and "> 0.05" in rules["ErrorRateCeiling"].expr


def _cfg(**slo_value):
    raw = {k: json.dumps(v) if not isinstance(v, str) else v for k, v in stack_config("dev").items()}
    raw["platform:slo"] = json.dumps(slo_value)
    return raw


def test_slo_config_errors_name_the_stack_and_key():
    with pytest.raises(ConfigError, match=r"stack 'dev': platform:slo.availability = 100: .*less than 100"):
        load("dev", _cfg(availability=100, alert_emails=[EMAIL]))
    with pytest.raises(ConfigError, match=r"platform:slo.error_rate = 0.1: .*within the error budget"):
        load("dev", _cfg(availability=99.5, error_rate=0.1, alert_emails=[EMAIL]))
    with pytest.raises(ConfigError, match=r"platform:slo.alert_emails: .*reach nobody"):
        load("dev", _cfg(availability=99.9))
    with pytest.raises(ConfigError, match=r"platform:slo.latency_ms: unknown key; did you mean 'latency_p99_ms'"):
        load("dev", _cfg(latency_ms=100, alert_emails=[EMAIL]))
    cfg = load("dev", _cfg(alert_emails=[EMAIL]))
    assert cfg.slo.window_days == 30 and cfg.alert_emails == [EMAIL]


# --- metrics land in each cell's region ---------------------------------------------------------

def test_aws_metrics_in_the_cells_region_encrypted_with_the_cell_key(dev):
    ws = _out(dev, "aws:amp/workspace:Workspace", "aws-us-west-2-metrics")
    key = _out(dev, "aws:kms/key:Key", "aws-us-west-2-key")
    assert ws["kmsKeyArn"] == key["arn"] and ":us-west-2:" in ws["arn"]
    assert ws["prometheusEndpoint"].startswith("https://aps-workspaces.us-west-2.amazonaws.com/")
    scraper = _out(dev, "aws:amp/scraper:Scraper", "aws-us-west-2-scraper")
    cluster = _out(dev, "aws:eks/cluster:Cluster", "aws-us-west-2-eks")
    assert scraper["source"]["eks"]["clusterArn"] == cluster["arn"]
    assert scraper["destination"]["amp"]["workspaceArn"] == ws["arn"]
    assert set(scraper["source"]["eks"]["subnetIds"]) == set(cluster["vpcConfig"]["subnetIds"])
    config = yaml.safe_load(scraper["scrapeConfiguration"])
    job = config["scrape_configs"][0]
    assert job["kubernetes_sd_configs"][0]["namespaces"]["names"] == ["inference"]
    assert config["global"]["external_labels"] == {"cell": "aws-us-west-2"}
    # AMP creates the scraper's EKS access entry itself (API authentication mode): none of ours, no group.
    assert not [e for e in dev.of_type("aws:eks/accessEntry:AccessEntry")
                if "AmazonPrometheusScraper" in str(e["inputs"]["principalArn"])]
    assert not dev.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding") or all(
        "metrics-reader" not in b["name"] for b in dev.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"))


def test_the_scraper_writes_to_the_customer_key_workspace_through_its_role_configuration(dev):
    """AMP user guide (managed collectors, customer managed keys): a scraper writing to a workspace encrypted
    with a customer managed key needs a role configuration, source and target roles in the same account."""
    scraper = _out(dev, "aws:amp/scraper:Scraper", "aws-us-west-2-scraper")
    roles = {r["name"]: r for r in dev.of_type("aws:iam/role:Role")}
    source, target = roles["aws-us-west-2-scraper-source"], roles["aws-us-west-2-scraper-target"]
    assert scraper["roleConfiguration"] == {"sourceRoleArn": source["outputs"]["arn"],
                                            "targetRoleArn": target["outputs"]["arn"]}
    (trust,) = json.loads(source["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "scraper.aps.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == "arn:aws:aps:us-west-2:123456789012:scraper/*"
    (trust,) = json.loads(target["inputs"]["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"AWS": source["outputs"]["arn"]}
    assert trust["Condition"] == {"StringLike": {"sts:ExternalId": "arn:aws:aps:us-west-2:123456789012:scraper/*"}}
    policies = {p["name"]: json.loads(p["inputs"]["policy"])["Statement"] for p in dev.of_type("aws:iam/rolePolicy:RolePolicy")}
    ws = _out(dev, "aws:amp/workspace:Workspace", "aws-us-west-2-metrics")
    assert [(s["Action"], s["Resource"]) for s in policies["aws-us-west-2-scraper-target"]] == [("aps:RemoteWrite", ws["arn"])]
    assert [(s["Action"], s["Resource"]) for s in policies["aws-us-west-2-scraper-source"]] == [
        ("sts:AssumeRole", target["outputs"]["arn"])]


def test_pods_carry_the_scrape_configuration_each_cell_asked_for(dev):
    aws = _out(dev, "kubernetes:apps/v1:Deployment", "aws-us-west-2-inference-deployment")
    annotations = aws["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics", "prometheus.io/port": "8080"}
    gmp = _out(dev, "kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "gcp-europe-west1-inference-pod-monitoring")
    assert gmp["metadata"]["namespace"] == "inference"
    assert gmp["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "gcp-europe-west1"
    assert gmp["spec"]["endpoints"][0]["path"] == "/metrics"
    azmon = _out(dev, "kubernetes:azmonitoring.coreos.com/v1:PodMonitor", "azure-centralindia-inference-pod-monitor")
    assert azmon["spec"]["podMetricsEndpoints"][0]["path"] == "/metrics"
    # Each collector gets through the default-deny policy, and only to the app's port.
    sources = {
        "aws-us-west-2": lambda peers: {p["ipBlock"]["cidr"] for p in peers} == {"10.10.0.0/18", "10.10.64.0/18"},
        "gcp-europe-west1": lambda peers: peers[0]["namespaceSelector"]["matchLabels"] == {
            "kubernetes.io/metadata.name": "gke-gmp-system"},
        "azure-centralindia": lambda peers: peers[0]["namespaceSelector"]["matchLabels"] == {
            "kubernetes.io/metadata.name": "kube-system"},
    }
    for cell, ok in sources.items():
        policy = _out(dev, "kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{cell}-inference-allow-metrics-scrape")
        rule = policy["spec"]["ingress"][0]
        assert ok(rule["from"]), (cell, rule["from"])
        assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]


def test_gcp_managed_prometheus_on_a_regional_cluster(dev):
    cluster = _out(dev, "gcp:container/cluster:Cluster", "gcp-europe-west1-cluster-gke")
    assert cluster["monitoringConfig"]["managedPrometheus"]["enabled"] is True
    # GMP stores the series in the region of the prometheus_target's location: the cluster's.
    assert cluster["location"] == "europe-west1"


def test_azure_metrics_in_the_cells_region(dev):
    ws = _out(dev, "azure-native:monitor:AzureMonitorWorkspace", "azure-centralindia-metrics")
    assert ws["location"] == "centralindia"
    dce = _out(dev, "azure-native:monitor:DataCollectionEndpoint", "azure-centralindia-metrics-dce")
    dcr = _out(dev, "azure-native:monitor:DataCollectionRule", "azure-centralindia-metrics-dcr")
    assert dce["location"] == dcr["location"] == "centralindia"
    ws_id = dev.one("azure-native:monitor:AzureMonitorWorkspace", "azure-centralindia-metrics")["id"]
    assert dcr["destinations"]["monitoringAccounts"] == [{"accountResourceId": ws_id, "name": "MonitoringAccount1"}]
    assert dcr["dataFlows"] == [{"streams": ["Microsoft-PrometheusMetrics"], "destinations": ["MonitoringAccount1"]}]
    aks = dev.one("azure-native:containerservice:ManagedCluster", "azure-centralindia-aks")
    assert aks["inputs"]["azureMonitorProfile"]["metrics"]["enabled"] is True
    assocs = {r["name"]: r["inputs"] for r in dev.of_type("azure-native:monitor:DataCollectionRuleAssociation")}
    assert {a["resourceUri"] for a in assocs.values()} == {aks["id"]}
    assert assocs["azure-centralindia-metrics-dcra"]["dataCollectionRuleId"] == \
        dev.one("azure-native:monitor:DataCollectionRule", "azure-centralindia-metrics-dcr")["id"]
    assert assocs["azure-centralindia-metrics-dcea"]["associationName"] == "configurationAccessEndpoint"


# --- alerts reach the configured targets --------------------------------------------------------

def test_aws_alerts_go_through_an_in_region_topic_to_the_configured_address(dev):
    topic = _out(dev, "aws:sns/topic:Topic", "aws-us-west-2-slo-alerts")
    assert ":us-west-2:" in topic["arn"] and topic["kmsMasterKeyId"]
    sub = _out(dev, "aws:sns/topicSubscription:TopicSubscription", "aws-us-west-2-slo-alerts-email-0")
    assert (sub["topic"], sub["protocol"], sub["endpoint"]) == (topic["arn"], "email", EMAIL)
    am = _out(dev, "aws:amp/alertManagerDefinition:AlertManagerDefinition", "aws-us-west-2-alert-manager")
    ws = dev.one("aws:amp/workspace:Workspace", "aws-us-west-2-metrics")
    assert am["workspaceId"] == ws["id"]
    inner = yaml.safe_load(yaml.safe_load(am["definition"])["alertmanager_config"])
    assert inner["receivers"][0]["sns_configs"][0] == {**inner["receivers"][0]["sns_configs"][0],
                                                       "topic_arn": topic["arn"], "sigv4": {"region": "us-west-2"}}
    rules = yaml.safe_load(_out(dev, "aws:amp/ruleGroupNamespace:RuleGroupNamespace", "aws-us-west-2-slo-rules")["data"])
    names = [r["alert"] for r in rules["groups"][0]["rules"]]
    assert names == ["SloBurn1h5m", "SloBurn6h30m", "SloBurn3d6h", "SloLatencyP99", "ErrorRateCeiling"]
    # The topic's own key lets AMP encrypt, and the topic admits only this workspace.
    policy = json.loads(_out(dev, "aws:sns/topicPolicy:TopicPolicy", "aws-us-west-2-slo-alerts-policy")["policy"])
    allow = policy["Statement"][0]
    assert allow["Principal"] == {"Service": "aps.amazonaws.com"}
    assert allow["Condition"]["ArnEquals"]["aws:SourceArn"] == ws["outputs"]["arn"]


def test_gcp_alert_policies_use_promql_and_the_email_channel(dev):
    channel = dev.one("gcp:monitoring/notificationChannel:NotificationChannel", "gcp-europe-west1-slo-email-0")
    assert channel["inputs"]["type"] == "email" and channel["inputs"]["labels"] == {"email_address": EMAIL}
    assert channel["inputs"]["userLabels"]["residency"] == "eu"
    policies = dev.of_type("gcp:monitoring/alertPolicy:AlertPolicy")
    assert len(policies) == 5
    for p in policies:
        assert p["inputs"]["notificationChannels"] == [channel["outputs"]["name"]]
        query = p["inputs"]["conditions"][0]["conditionPrometheusQueryLanguage"]["query"]
        assert 'cell="gcp-europe-west1"' in query


def test_azure_rule_group_acts_through_the_action_group(dev):
    group = dev.one("azure-native:monitor:ActionGroup", "azure-centralindia-slo-alerts")
    assert [r["emailAddress"] for r in group["inputs"]["emailReceivers"]] == [EMAIL]
    rg = _out(dev, "azure-native:alertsmanagement:PrometheusRuleGroup", "azure-centralindia-slo-rules")
    ws = dev.one("azure-native:monitor:AzureMonitorWorkspace", "azure-centralindia-metrics")
    assert rg["location"] == "centralindia" and ws["id"] in rg["scopes"]
    assert all(r["actions"] == [{"actionGroupId": group["id"]}] for r in rg["rules"])
    assert {r["for"] for r in rg["rules"]} <= {"PT2M", "PT15M", "PT10M", "PT5M"}


def test_no_telemetry_finding_in_the_stacks(dev):
    bad = [d for d in dev.diagnostics if d["policy"] in ("residency-telemetry-in-zone", "aws-amp-workspace-kms")]
    assert not bad, bad


# --- one global view ----------------------------------------------------------------------------

def _rows(run):
    board = json.loads(run.report["outputs"]["observability_dashboard"])
    return board, [p for p in board["panels"] if p["type"] == "row"]


def test_dashboard_has_a_row_per_cell_of_the_stack(dev):
    board, rows = _rows(dev)
    cells = [c["name"] for c in stack_config("dev")["platform:cells"]]
    assert [r["title"].split(" ")[0] for r in rows] == cells
    for cell in cells:
        panels = [p for p in board["panels"] if p["type"] != "row" and p["gridPos"]["y"] == rows[cells.index(cell)]["gridPos"]["y"] + 1]
        titles = {p["title"] for p in panels}
        assert {"Request rate", "Error rate (5xx)", "Latency p50 / p99", "Saturation (CPU of requests)",
                "Health check (1 = healthy)", "Failover events (unhealthy minutes)"} == titles
        prom = [p for p in panels if p["datasource"]["type"] == "prometheus"]
        assert all(p["datasource"]["uid"] == f"prom-{cell}" for p in prom)
        assert all(f'cell="{cell}"' in t["expr"] for p in prom for t in p["targets"])
        # The health panels read the cell's own Route 53 check.
        check = dev.one("aws:route53/healthCheck:HealthCheck", f"{cell}-health")["id"]
        r53 = [p for p in panels if p["datasource"]["type"] == "cloudwatch"]
        assert len(r53) == 2 and all(p["targets"][0]["dimensions"] == {"HealthCheckId": check} for p in r53)
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])


def test_prod_global_dashboard_covers_the_referenced_cells(prod_global):
    _, rows = _rows(prod_global)
    refs = [c["name"] for c in stack_config("prod-global")["platform:cell_stacks"]]
    assert [r["title"].split(" ")[0] for r in rows] == refs and len(refs) >= 3
