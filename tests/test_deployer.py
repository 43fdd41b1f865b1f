"""platform:deployer and zone delegation: what a real `up` needs to reach its clusters and to
validate its certificates, refused at config time by a real preview, accepted (and reported) offline."""
from __future__ import annotations

import copy

import pytest

from components.core import config
from components.core.config import ConfigError
from offline_helpers import offline, preview_config, stack_config

ROLE = "arn:aws:iam::123456789012:role/platform-deployer"
GSA = "platform-deployer@acme-platform-dev.iam.gserviceaccount.com"
OID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
PARENT = "Z0PARENTZONE42"


def _raw(cfg: dict) -> dict:
    return {k: v for k, v in cfg.items()}


def deployable_dev() -> dict:
    """dev with what a real `up` needs: a real runner CIDR, the identities, a parent zone."""
    cfg = copy.deepcopy(stack_config("dev"))
    for cell in cfg["platform:cells"]:
        cell["cluster"]["api_allowed_cidrs"] = ["198.18.7.0/24"]  # operators' VPN (not RFC 5737)
    cfg["platform:deployer"] = {"cidrs": ["20.42.1.0/28"], "aws_role_arn": ROLE, "gcp_service_account": GSA,
                                "azure_object_id": OID}
    cfg["platform:dns"] = {**cfg["platform:dns"], "parent_zone_id": PARENT}
    cfg.pop("platform:apply_exemptions", None)  # a deployable stack needs none
    return cfg


def test_real_mode_names_every_key_a_real_up_cannot_live_with():
    raw = stack_config("dev")
    with pytest.raises(ConfigError) as err:
        config.load("dev", raw, deployment=True)
    lines = str(err.value).splitlines()
    assert "stack 'dev': platform:deployer: missing" in lines[0] or any(
        l.startswith("stack 'dev': platform:deployer: missing") for l in lines)
    for i in range(3):
        assert any(l.startswith(f"stack 'dev': platform:cells[{i}].cluster.api_allowed_cidrs[0] = '203.0.113.0/24'")
                   for l in lines), lines
    assert any(l.startswith("stack 'dev': platform:dns.parent_zone_id: missing") for l in lines)
    # The offline engine's reading of the same config accepts it.
    assert config.load("dev", raw).deployer is None


def test_deployer_cidrs_documentation_range_and_missing_identity_are_named():
    raw = deployable_dev()
    raw["platform:deployer"] = {"cidrs": ["192.0.2.0/25"], "aws_role_arn": ROLE}
    with pytest.raises(ConfigError) as err:
        config.load("dev", raw, deployment=True)
    msg = str(err.value)
    assert "platform:deployer.cidrs[0] = '192.0.2.0/25': a documentation range" in msg
    assert "platform:deployer.gcp_service_account: missing for the gcp cells" in msg
    assert "platform:deployer.azure_object_id: missing for the azure cells" in msg
    assert "aws_role_arn" not in msg


@pytest.mark.parametrize("deployer,fragment", [
    ({"cidrs": ["0.0.0.0/0"]}, "opens every cluster API to the world"),
    ({"cidrs": ["10.0.0.0/8"], "in_network": True}, "allowed: cidrs or in_network: true, not both"),
    ({"aws_role_arn": "arn:aws:iam::12:role/x"}, "platform:deployer.aws_role_arn"),
    ({"gcp_service_account": "me@example.com"}, "platform:deployer.gcp_service_account"),
])
def test_bad_deployer_values_are_config_errors(deployer, fragment):
    raw = deployable_dev()
    raw["platform:deployer"] = deployer
    with pytest.raises(ConfigError) as err:
        config.load("dev", raw)
    assert fragment in str(err.value)
    assert "stack 'dev'" in str(err.value)


def test_in_network_means_private_endpoints_and_no_operator_cidrs():
    raw = deployable_dev()
    raw["platform:deployer"] = {"in_network": True, "aws_role_arn": ROLE, "gcp_service_account": GSA,
                                "azure_object_id": OID}
    with pytest.raises(ConfigError) as err:
        config.load("dev", raw, deployment=True)
    assert "platform:cells[0].cluster.api_allowed_cidrs: set while platform:deployer.in_network is true" in str(err.value)
    for cell in raw["platform:cells"]:
        cell["cluster"]["api_allowed_cidrs"] = []
    cfg = config.load("dev", raw, deployment=True)
    from components.contract import api_allow_list
    assert all(api_allow_list(c, cfg) == () for c in cfg.cells)


def test_zone_id_and_parent_zone_id_are_exclusive():
    raw = deployable_dev()
    raw["platform:dns"] = {**raw["platform:dns"], "zone_id": "Z0EXISTING42"}
    with pytest.raises(ConfigError) as err:
        config.load("dev", raw, deployment=True)
    assert "platform:dns.parent_zone_id = 'Z0PARENTZONE42': only a created zone is delegated" in str(err.value)


def test_deployer_cidrs_join_every_cluster_allow_list():
    cfg = config.load("dev", deployable_dev(), deployment=True)
    from components.contract import api_allow_list
    assert {api_allow_list(c, cfg) for c in cfg.cells} == {("198.18.7.0/24", "20.42.1.0/28")}


def test_dev_without_deployer_fails_a_real_mode_preview_with_one_message_per_key(tmp_path):
    run = offline(["preview", "dev", "--quiet", "--real-mode"], tmp_path)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    err = run.stderr
    assert err.count("platform:deployer: missing") == 1
    assert err.count("platform:dns.parent_zone_id: missing") == 1
    assert err.count(".cluster.api_allowed_cidrs[0] = '203.0.113.0/24'") == 3
    assert not run.report or not run.report.get("resources")


@pytest.fixture(scope="module")
def deployable(tmp_path_factory):
    return preview_config(deployable_dev(), tmp_path_factory.mktemp("deployable"), stack="dev")


def test_deployable_dev_delegates_its_zone_from_the_parent_and_exports_name_servers(deployable):
    assert deployable.returncode in (0, 1), deployable.stderr
    zone = deployable.one("aws:route53/zone:Zone")
    ns = deployable.one("aws:route53/record:Record", name="public-zone-delegation")
    assert ns["inputs"]["zoneId"] == PARENT
    assert ns["inputs"]["type"] == "NS" and ns["inputs"]["name"] == "dev.inference.example.com"
    assert ns["inputs"]["records"] == zone["outputs"]["nameServers"] and len(ns["inputs"]["records"]) == 4
    assert deployable.report["outputs"]["zone_name_servers"] == zone["outputs"]["nameServers"]


def test_deployable_dev_opens_each_cluster_api_to_the_deployer(deployable):
    eks = deployable.one("aws:eks/cluster:Cluster")
    assert eks["inputs"]["vpcConfig"]["publicAccessCidrs"] == ["198.18.7.0/24", "20.42.1.0/28"]
    gke = deployable.one("gcp:container/cluster:Cluster")
    blocks = gke["inputs"]["masterAuthorizedNetworksConfig"]["cidrBlocks"]
    assert [b["cidrBlock"] for b in blocks] == ["198.18.7.0/24", "20.42.1.0/28"]
    aks = deployable.one("azure-native:containerservice:ManagedCluster")
    assert aks["inputs"]["apiServerAccessProfile"]["authorizedIPRanges"] == ["198.18.7.0/24", "20.42.1.0/28"]


def test_deployable_dev_previews_as_a_real_preview_with_no_apply_finding_and_clean_packs(tmp_path):
    """Dev with its deployer and parent zone, judged as a real preview would (--real-mode),
    with no apply exemption at all: zero apply findings, no mandatory violation, exit 0."""
    import yaml

    from offline_helpers import REPO

    cfg = deployable_dev()
    assert "platform:apply_exemptions" not in cfg or not cfg["platform:apply_exemptions"]
    proj = tmp_path / "project"
    (proj / "stacks").mkdir(parents=True)
    doc = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    doc["main"] = str(REPO)
    (proj / "Pulumi.yaml").write_text(yaml.safe_dump(doc))
    (proj / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": cfg}))
    run = offline(["preview", "dev", "--quiet", "--real-mode", "--assume-applied", "--project-dir", str(proj),
                   "--policy-pack", str(REPO / "policy" / "encryption"),
                   "--policy-pack", str(REPO / "policy" / "residency")], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.report["apply"] == []
    assert [d for d in run.diagnostics if d["level"] == "mandatory"] == []
    assert len(run.resources) > 300
