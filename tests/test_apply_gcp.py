"""GCP apply rules learnt at apply time (components/clouds/gcp/apply.py): each fails on a real SDK program
that breaks it and passes on the same program fixed (one small program, run as stack `bad` and `good`),
plus the cross-stack and per-cell-project checks as pure functions over captured graphs."""
from __future__ import annotations

import pytest

from offline_helpers import offline, program_project

DEPLOYER = "platform-deployer-dev@acme-p.iam.gserviceaccount.com"

PROGRAM = '''
import pulumi, pulumi_gcp as gcp
GOOD = pulumi.get_stack() == "good"
dep = lambda *rs: pulumi.ResourceOptions(depends_on=[r for r in rs if r is not None])

compute = gcp.projects.Service("compute-api", service="compute.googleapis.com", disable_on_destroy=False)
container = gcp.projects.Service("container-api", service="container.googleapis.com", disable_on_destroy=False)
monitoring = gcp.projects.Service("monitoring-api", service="monitoring.googleapis.com", disable_on_destroy=False)
logging_api = gcp.projects.Service("logging-api", service="logging.googleapis.com", disable_on_destroy=False)
KEY = "projects/acme-p/locations/europe-west1/keyRings/r/cryptoKeys/k"

# The Compute Engine agent: generateServiceIdentity refuses compute; enabling the API creates the agent.
if GOOD:
    gke_agent = gcp.projects.ServiceIdentity("gke-agent", service="container.googleapis.com", opts=dep(container))
    compute_agent = compute.id.apply(lambda _: "service-123@compute-system.iam.gserviceaccount.com")
else:
    gke_agent = gcp.projects.ServiceIdentity("gke-agent", service="container.googleapis.com", opts=dep(container))
    gcp.projects.ServiceIdentity("compute-agent", service="compute.googleapis.com", opts=dep(compute))
    gcp.projects.ServiceIdentity("dns-agent", service="dns.googleapis.com")
    compute_agent = "service-123@compute-system.iam.gserviceaccount.com"
gcp.kms.CryptoKeyIAMMember("compute-key", crypto_key_id=KEY, role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
    member=pulumi.Output.concat("serviceAccount:", compute_agent))
gcp.kms.CryptoKeyIAMMember("gke-key", crypto_key_id=KEY, role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
    member="serviceAccount:service-123@container-engine-robot.iam.gserviceaccount.com", opts=dep(gke_agent))

# The deployer's own grant outlives the stack.
gcp.projects.IAMMember("deployer-admin", project="acme-p", role="roles/container.admin",
    member="serviceAccount:@DEPLOYER@", opts=pulumi.ResourceOptions(retain_on_delete=GOOD))

# The cluster writes logs and metrics from its first minute: it waits for both APIs.
gcp.container.Cluster("gke", name="gke-a", project="acme-p", location="europe-west1", initial_node_count=1,
    opts=dep(container, compute, *((monitoring, logging_api) if GOOD else ())))

# Cloud Armor: rules as their own resources, never inline (and never both on one policy).
armor = gcp.compute.RegionSecurityPolicy("armor", region="europe-west1", type="CLOUD_ARMOR",
    rules=None if GOOD else [{"priority": 1000, "action": "deny(403)",
                              "match": {"expr": {"expression": "origin.region_code == 'IN'"}}}], opts=dep(compute))
gcp.compute.RegionSecurityPolicyRule("armor-1000", region="europe-west1", security_policy=armor.name,
    priority=1000, action="deny(403)", match={"expr": {"expression": "origin.region_code == 'IN'"}}, opts=dep(compute))
inline_only = gcp.compute.RegionSecurityPolicy("armor-inline", region="europe-west1", type="CLOUD_ARMOR",
    rules=None if GOOD else [{"priority": 2147483647, "action": "allow",
                              "match": {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}}}],
    opts=dep(compute))

# A type the permission table does not know: nobody knows what the deployer needs for it.
if not GOOD:
    gcp.compute.Disk("scratch", zone="europe-west1-b", size=10, type="pd-balanced")
'''.replace("@DEPLOYER@", DEPLOYER)

RULES = {"gcp-service-identity-creatable": "error", "gcp-service-agent-identity": "error",
         "gcp-deployer-binding-retained": "error", "gcp-api-order": "error",
         "gcp-deployer-permission-table": "error", "gcp-armor-rule-resources": "error"}


def _run(tmp_path, stack):
    config = {"gcp:project": "acme-p", "gcp:region": "europe-west1",
              "platform:deployer": {"gcp_service_account": DEPLOYER, "in_network": True}}
    proj = program_project(tmp_path, stack, PROGRAM, config, name="applygcp")
    run = offline(["preview", stack, "--quiet", "--project-dir", str(proj), "--assume-applied"], tmp_path)
    assert run.report is not None, run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("apply-gcp")
    return {stack: [f for f in _run(tmp, stack).report["apply"] if f["rule"] in RULES] for stack in ("bad", "good")}


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_each_rule_fails_the_broken_program_and_passes_the_fixed_one(findings, rule_id):
    bad = [f for f in findings["bad"] if f["rule"] == rule_id]
    assert bad and RULES[rule_id] in {f["level"] for f in bad}, findings["bad"]
    assert [f for f in findings["good"] if f["rule"] == rule_id] == []


def test_the_findings_name_what_is_wrong(findings):
    by_rule: dict[str, list[str]] = {}
    for f in findings["bad"]:
        by_rule.setdefault(f["rule"], []).append(f["message"])
    creatable = " ".join(by_rule["gcp-service-identity-creatable"])
    assert "compute.googleapis.com fails: INVALID_ARGUMENT" in creatable and "compute-system" in creatable
    assert "dns.googleapis.com" in creatable
    agent = " ".join(by_rule["gcp-service-agent-identity"])
    assert "exists once compute.googleapis.com is enabled" in agent
    assert DEPLOYER in " ".join(by_rule["gcp-deployer-binding-retained"])
    api = by_rule["gcp-api-order"]
    assert any("monitoring.googleapis.com" in m for m in api) and any("logging.googleapis.com" in m for m in api)
    assert "gcp:compute/disk:Disk" in " ".join(by_rule["gcp-deployer-permission-table"])
    armor = {f["urn"].rsplit("::", 1)[-1]: (f["level"], f["message"]) for f in findings["bad"]
             if f["rule"] == "gcp-armor-rule-resources"}
    assert armor["armor"][0] == "error" and "priority in use" in armor["armor"][1]
    assert armor["armor-inline"][0] == "warning" and "#26062" in armor["armor-inline"][1]


def test_an_unknown_service_identity_fails_closed():
    from offline.apply import Graph
    from offline.clouds.gcp.apply import service_identity_creatable

    def graph(service):
        return Graph([{"urn": "u", "type": "gcp:projects/serviceIdentity:ServiceIdentity", "name": "x",
                       "inputs": {"service": service}, "dependencies": []}], [], {}, "s")

    assert list(service_identity_creatable(graph("container.googleapis.com"))) == []
    [(urn, message)] = list(service_identity_creatable(graph("somethingnew.googleapis.com")))
    assert "not known to create its agent" in message


def _graph(stack: str, resources: list[dict], config: dict | None = None):
    from offline.apply import Graph

    return Graph([{"dependencies": [], "name": r["urn"].rsplit("::", 1)[-1], **r} for r in resources], [],
                 {k: v if isinstance(v, str) else __import__("json").dumps(v) for k, v in (config or {}).items()}, stack)


def test_one_gcp_cell_per_project_across_stacks():
    from offline.clouds.gcp.apply import project_collisions

    cluster = lambda stack, name, project: {"urn": f"urn:pulumi:{stack}::p::gcp:container/cluster:Cluster::{name}",
                                            "type": "gcp:container/cluster:Cluster", "inputs": {"project": project}}
    a = _graph("dev", [cluster("dev", "gcp-a", "acme-dev")])
    b = _graph("eu-ha", [cluster("eu-ha", "gcp-b", "acme-dev")])
    c = _graph("prod", [cluster("prod", "gcp-c", "acme-prod")])
    [(stack, urn, message)] = project_collisions([a, b, c])
    assert stack == "eu-ha" and urn.endswith("gcp-b") and "'acme-dev' already holds cell gcp-a of stack 'dev'" in message
    assert project_collisions([a, c]) == []


def test_global_name_fixed_recognises_a_per_cell_project():
    """A stack whose GCP cells each name their own project: each bucket carries its project id (unique)."""
    from offline.apply.common import fixed_global_names

    bucket = lambda name, project: {"urn": f"urn:pulumi:two::p::gcp:storage/bucket:Bucket::{name}",
                                    "type": "gcp:storage/bucket:Bucket", "inputs": {"name": name, "project": project}}
    g = _graph("two", [bucket("acme-west4-gcp-europe-west4-data", "acme-west4"),
                       bucket("shared-models", "acme-west4"),                     # no project id in it
                       bucket("acme-west4-data", "acme-other")],                  # another project's id
               {"gcp:project": "acme-main"})
    flagged = sorted(urn.rsplit("::", 1)[-1] for urn, _ in fixed_global_names(g))
    assert flagged == ["acme-west4-data", "shared-models"]


def test_preview_all_checks_the_project_of_every_stacks_gcp_cells():
    """`preview --all` feeds every stack's captured run to the cross-stack check (offline/__main__.py)."""
    from types import SimpleNamespace

    from offline.__main__ import _cross_stack_collisions

    def run(stack, project):
        urn = f"urn:pulumi:{stack}::p::gcp:container/cluster:Cluster::gcp-{stack}"
        return stack, SimpleNamespace(report={"resources": [
            {"urn": urn, "name": f"gcp-{stack}", "type": "gcp:container/cluster:Cluster",
             "inputs": {"project": project}, "dependencies": []}]}, error=None)

    # The GCP apply module registers it as a cross-stack rule (components/clouds/gcp/apply.py).
    found = _cross_stack_collisions([run("prod-a", "acme-prod"), run("prod-b", "acme-prod"), run("dev", "acme-dev"),
                                     ("broken", SimpleNamespace(report=None, error="boom"))])
    assert [(r, s, u.rsplit("::", 1)[-1]) for r, s, u, _ in found] == [("gcp-one-cell-per-project", "prod-b", "gcp-prod-b")]
