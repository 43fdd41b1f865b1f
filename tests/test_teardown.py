"""Teardown and re-create: `python -m offline destroy`, the delete-time apply rules
(offline/apply/teardown.py) on a failing and a passing program, `platform:teardown`, and the shipped
stacks: dev destroys with no error on every cloud, prod reports a clean two-step path."""
from __future__ import annotations

import gzip
import json
import re

import pytest

from offline_helpers import REPO, offline, preview_stack, program_project

# One program per verdict: GOOD is the same stack fixed. Every teardown rule fails on "bad".
PROGRAM = '''
import pulumi, pulumi_aws as aws, pulumi_gcp as gcp, pulumi_azure_native as az, pulumi_kubernetes as k8s
import pulumi_random as random
GOOD = pulumi.get_stack() == "good"
opts = lambda **kw: pulumi.ResourceOptions(**kw)

# destroy-protected: `protect` in a destroyable stack
aws.kms.Key("key", opts=opts(protect=not GOOD))
# destroy-cloud-protection: explicit (EKS) and by the provider's default (GKE omits it: on)
eks = aws.eks.Cluster("eks", role_arn="arn:aws:iam::123456789012:role/eks", deletion_protection=not GOOD,
    vpc_config={"subnet_ids": ["subnet-1"]})
gcp.container.Cluster("gke", location="europe-west1", initial_node_count=1,
    **({"deletion_protection": False} if GOOD else {}))
# destroy-container-not-empty: a zone with a retained record, buckets that are not force-destroyed
zone = aws.route53.Zone("zone", name="dev.example.com")
aws.route53.Record("zone-cert-validation", zone_id=zone.zone_id, name="_x.dev.example.com", type="CNAME", ttl=60,
    records=["_y.acm-validations.aws."], opts=opts(retain_on_delete=not GOOD))
models = aws.s3.Bucket("models", force_destroy=GOOD)
aws.s3.BucketVersioning("models", bucket=models.id, versioning_configuration={"status": "Enabled"})
gcp.storage.Bucket("data", name=f"acme-{pulumi.get_stack()}-data", location="EU", force_destroy=GOOD,
    versioning={"enabled": True})
# destroy-deployer-grant-order: the deployer's AKS cluster-admin grant and an object deleted through it
rg = az.resources.ResourceGroup("rg")
aks = az.containerservice.ManagedCluster("aks", resource_group_name=rg.name, dns_prefix="aks",
    identity={"type": "SystemAssigned"})
admin = az.authorization.RoleAssignment("deployer-admin", principal_id="11111111-2222-4333-8444-555555555555",
    principal_type="User", scope=aks.id,
    role_definition_id="/providers/Microsoft.Authorization/roleDefinitions/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b")
prov = k8s.Provider("aks-k8s", kubeconfig=aks.name, opts=opts(depends_on=[admin] if GOOD else []))
k8s.core.v1.Namespace("ns", metadata={"name": "inference"}, opts=opts(provider=prov))
# recreate-name-reserved: a vault name and a log bucket id kept after delete
suffix = random.RandomId("vault-creation", byte_length=2).hex
az.keyvault.Vault("vault", resource_group_name=rg.name,
    vault_name=pulumi.Output.concat("kv-cell-", suffix) if GOOD else "kv-cell-fixed",
    properties={"tenant_id": "00000000-0000-4000-8000-000000000002", "sku": {"family": "A", "name": "standard"},
                "soft_delete_retention_in_days": 30, "enable_purge_protection": True})
log_suffix = random.RandomId("logs-creation", byte_length=2).hex
gcp.logging.ProjectBucketConfig("logs", project="acme-p", location="europe-west1",
    bucket_id=pulumi.Output.concat("cell-logs-", log_suffix) if GOOD else "cell-logs")
# recreate-retained-collides (warning): the account's one Auto Scaling service-linked role, kept by destroy
aws.iam.ServiceLinkedRole("asg-slr", aws_service_name="autoscaling.amazonaws.com",
    opts=opts(retain_on_delete=not GOOD))
'''

CONFIG = {"aws:region": "us-west-2", "gcp:project": "acme-p", "gcp:region": "europe-west1",
          "azure-native:location": "westeurope", "platform:environment": "dev",
          "platform:deployer": {"in_network": True, "azure_object_id": "11111111-2222-4333-8444-555555555555"}}

RULES = ("destroy-protected", "destroy-cloud-protection", "destroy-container-not-empty",
         "destroy-deployer-grant-order", "recreate-name-reserved", "recreate-retained-collides")
# rule -> the resources of the failing program it must name
EXPECTED = {"destroy-protected": {"key"}, "destroy-cloud-protection": {"eks", "gke"},
            "destroy-container-not-empty": {"zone", "models", "data"}, "destroy-deployer-grant-order": {"deployer-admin"},
            "recreate-name-reserved": {"vault", "logs"}, "recreate-retained-collides": {"asg-slr"}}


def _project(tmp_path, stack, config):
    return program_project(tmp_path, stack, PROGRAM, config, name="teardowntest")


def _destroy(tmp_path, stack, config, *extra):
    proj = _project(tmp_path, stack, config)
    md = tmp_path / f"{stack}.md"
    run = offline(["destroy", stack, "--project-dir", str(proj), "--markdown", str(md), *extra], tmp_path)
    run.markdown = md.read_text() if md.exists() else ""
    return run


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    return _destroy(tmp_path_factory.mktemp("bad"), "bad", CONFIG)


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    return _destroy(tmp_path_factory.mktemp("good"), "good", CONFIG)


def test_every_teardown_rule_is_registered_with_its_documentation():
    from offline import apply
    from offline.apply.teardown import TEARDOWN_RULES

    assert set(TEARDOWN_RULES) == set(RULES) and set(RULES) <= set(apply.load_all())
    assert all(apply.RULES[r].doc.startswith("https://") for r in RULES)
    # delete-time: `offline destroy` runs them, a preview does not (the preview's findings are the first up's)
    assert apply.DELETE_TIME == set(RULES)


def test_a_preview_does_not_run_the_delete_time_rules(bad, tmp_path):
    proj = tmp_path / "bad"
    run = offline(["preview", "bad", "--quiet", "--project-dir", str(_project(tmp_path, "bad", CONFIG))], tmp_path)
    assert run.report is not None, run.stderr
    assert not {f["rule"] for f in run.report["apply"]} & set(RULES)
    # while exemptions name them like any apply rule, and `offline destroy` honours them
    assert proj.exists()


@pytest.mark.parametrize("rule_id", RULES)
def test_rule_fails_on_the_broken_program(bad, rule_id):
    assert bad.report is not None, bad.stderr
    named = {f["urn"].split("::")[-1] for f in bad.report["apply"] if f["rule"] == rule_id}
    assert named == EXPECTED[rule_id], (rule_id, named)


@pytest.mark.parametrize("rule_id", RULES)
def test_rule_passes_on_the_fixed_program(good, rule_id):
    assert good.report is not None, good.stderr
    assert [f for f in good.report["apply"] if f["rule"] == rule_id] == []


def test_exit_codes_and_report_forms(bad, good):
    assert bad.returncode == 1 and "Verdict: destroy FAILS" in bad.stdout
    assert good.returncode == 0 and "Verdict: destroy ok" in good.stdout, good.stdout + good.stderr
    assert good.report["ok"] is True and bad.report["ok"] is False
    assert bad.report["summary"]["errors"] == sum(len(v) for k, v in EXPECTED.items()
                                                  if k != "recreate-retained-collides")
    assert "| wave | parallel |" in bad.markdown and "destroy-deployer-grant-order" in bad.markdown
    # The retained record and service-linked role leave the state only.
    actions = {r["name"]: r["action"] for w in bad.report["waves"] for r in w}
    assert actions["zone-cert-validation"] == "retain" and actions["asg-slr"] == "retain"
    assert {r["name"]: r["action"] for w in good.report["waves"] for r in w}["zone-cert-validation"] == "delete"


def test_delete_order_is_the_engines(good):
    """Dependents first, in the engine's antichains: an object before its provider, the provider before the
    cluster, the cluster before its resource group; the deployer's grant after what is deleted through it."""
    wave_of = {r["name"]: i for i, w in enumerate(good.report["waves"]) for r in w}
    assert wave_of["ns"] < wave_of["aks-k8s"] < wave_of["aks"] < wave_of["rg"]
    assert wave_of["ns"] < wave_of["deployer-admin"] < wave_of["aks"]
    assert wave_of["vault"] < wave_of["vault-creation"] and wave_of["zone-cert-validation"] < wave_of["zone"]
    # The engine peels antichains from the roots and reverses them: what depends on nothing (and nothing on
    # it) is deleted in the last wave, with the resource group; the deepest dependent alone in the first.
    assert {r["name"] for r in good.report["waves"][0]} == {"ns"}
    # Their default providers (the engine creates one per package used without an explicit provider) go
    # after them, in the very last wave.
    before, last = ({r["name"] for r in w} for w in good.report["waves"][-2:])
    assert {"key", "asg-slr", "rg"} <= before
    assert last and all(r["type"].startswith("pulumi:providers:") for r in good.report["waves"][-1])


def test_waves_follow_parents_providers_and_property_dependencies():
    from offline.destroy import waves

    def res(name, **kw):
        return {"urn": f"u::{name}", "type": kw.pop("type", "aws:x/y:Y"), "name": name, "dependencies": [],
                "propertyDependencies": {}, "options": {"ignoreChanges": []}, **kw}

    rs = [res("prov", type="pulumi:providers:aws"), res("comp", type="platform:x:Comp"),
          res("a", provider="u::prov::id1", parent="u::comp"), res("b", propertyDependencies={"x": ["u::a"]},
                                                                   provider="u::prov::id1"),
          res("c", dependencies=["u::b"]), res("free")]
    order = [[r["name"] for r in w] for w in waves(rs)]
    assert order == [["c"], ["b"], ["a"], ["prov", "comp", "free"]]


def test_teardown_config_is_validated_before_any_resource(tmp_path):
    import datetime as dt

    from components.core.config import ConfigError, load
    from offline.project import load_project, stack_config

    run = _destroy(tmp_path, "bad", {**CONFIG, "platform:teardown": "sometimes"})
    assert run.returncode == 2, run.stdout + run.stderr
    assert "stack 'bad': platform:teardown = \"sometimes\": not a teardown mode; allowed: destroyable, " \
           "protected" in run.stderr
    # the program itself refuses it before any resource (components/core/config/)
    flat, _ = stack_config(load_project(REPO), "dev")
    with pytest.raises(ConfigError, match=re.escape("stack 'dev': platform:teardown = \"sometimes\": Input should be "
                                                    "'destroyable' or 'protected'")):
        load("dev", {**flat, "platform:teardown": "sometimes"}, today=dt.date(2026, 12, 1))


def test_teardown_defaults_per_environment():
    import datetime as dt

    from components.core.config import load
    from offline.project import load_project, stack_config

    flat, _ = stack_config(load_project(REPO), "dev")
    today = dt.date(2026, 12, 1)
    assert load("dev", flat, today=today).teardown_mode == "destroyable"
    assert load("dev", flat, today=today).protect_stateful is False
    prod = {**flat, "platform:environment": "prod", "platform:dns": json.dumps(
        {**json.loads(flat["platform:dns"]), "alarm_email": "oncall@example.com"})}
    assert load("dev", prod, today=today).teardown_mode == "protected"
    assert load("dev", {**prod, "platform:teardown": "destroyable"}, today=today).protect_stateful is False


def test_cloud_protection_table_covers_every_schema_flag_the_stacks_can_set():
    """Every deletion-protection input of the vendored provider schemas, on a type the project uses, is
    in CLOUD_PROTECTION (with its default when omitted): a new protected type cannot slip past the rule."""
    from offline.apply.teardown import CLOUD_PROTECTION
    from offline.force_new import CREATE_ONLY

    used = set(CREATE_ONLY)  # every type the project registers (tests/test_diff.py keeps it complete)
    flags = set()
    for pkg in ("aws", "gcp", "azure-native"):
        schema = json.load(gzip.open(REPO / "tests" / "schemas" / f"{pkg}.json.gz"))
        for token, spec in schema.get("resources", {}).items():
            for key in spec.get("inputProperties") or {}:
                if re.fullmatch(r"(enable)?[dD]eletionProtection(Enabled)?", key) and token in used:
                    flags.add((token, key))
    assert flags, "the schemas name no deletion protection on the project's types"
    assert flags <= {(t, k) for t, (k, _d, _doc) in CLOUD_PROTECTION.items()}, flags


# ---------------------------------------------------------------------------------------------
# The shipped stacks (the stack is the subject). Their preview runs are the session's cached ones; only the
# prod stacks' step-1 variant (`platform:teardown: destroyable`) is an extra run.

PACKS = ("policy/encryption", "policy/residency")  # the cached runs other modules use


def test_destroy_command_on_dev(tmp_path):
    run = offline(["destroy", "dev", "--quiet"], tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.report["teardown"] == "destroyable" and run.report["ok"] is True
    assert "Verdict: destroy ok" in run.stdout and run.report["summary"]["waves"] > 5


@pytest.mark.parametrize("stack", ["dev", "eu-ha"])
def test_destroyable_stack_destroys_with_no_error(stack, tmp_path):
    from offline.destroy import destroyable_plan
    from offline.project import load_project, stack_config

    run = preview_stack(stack, tmp_path, packs=PACKS)
    assert run.report is not None, run.stderr
    p = destroyable_plan(stack, run.report, stack_config(load_project(REPO), stack)[0])
    assert p.errors == [], [f["message"] for f in p.errors]
    assert p.ok and p.count("delete") > 100
    # every cloud's resources are in the plan, and nothing is protected or retained inside the zone
    types = {r["type"].split(":")[0] for w in p.waves for r in w}
    assert {"aws", "gcp", "azure-native", "kubernetes"} <= types
    assert not any(r.get("protect") for w in p.waves for r in w)


@pytest.mark.parametrize("stack", ["prod-aws-us-west-2", "prod-gcp-europe-west1", "prod-azure-centralindia",
                                   "prod-global"])
def test_prod_reports_a_clean_two_step_path(stack, tmp_path):
    from offline.destroy import run_preview, to_text, two_step, with_teardown
    from offline.project import load_project, stack_config

    protected = preview_stack(stack, tmp_path, packs=PACKS)
    assert protected.report is not None, protected.stderr
    step1 = with_teardown(load_project(REPO), stack, "destroyable", tmp_path)
    after, error = run_preview(step1, stack, tmp_path, "step1")
    assert after is not None, error
    p = two_step(stack, protected.report, after, stack_config(step1, stack)[0])
    two = p.step1
    assert two["problems"] == [] and two["still_protected"] == [], two
    assert two["unprotected"], "a prod stack protects its stateful resources"
    # step 1 only lifts protections; step 2 has no delete-time error
    assert all(set(u["keys"]) <= {"forceDestroy", "deletionProtection", "enableDeletionProtection"}
               for u in two["updates"])
    assert p.errors == [] and p.ok, to_text(p)
    assert "Two-step teardown" in to_text(p) and "pulumi up" in to_text(p)


def test_step1_refuses_an_up_that_changes_more_than_protection():
    from offline.destroy import step1_check

    def res(name, **inputs):
        return {"urn": f"urn:pulumi:s::p::aws:lb/loadBalancer:LoadBalancer::{name}", "type":
                "aws:lb/loadBalancer:LoadBalancer", "name": name, "inputs": inputs, "protect": True,
                "options": {"ignoreChanges": []}, "aliases": []}

    before = {"resources": [res("alb", enableDeletionProtection=True, idleTimeout=60)]}
    ok = {"resources": [dict(res("alb", enableDeletionProtection=False, idleTimeout=60), protect=False)]}
    bad = {"resources": [dict(res("alb", enableDeletionProtection=False, idleTimeout=30), protect=False)]}
    assert step1_check(before, ok)["problems"] == []
    assert "idleTimeout" in step1_check(before, bad)["problems"][0]
