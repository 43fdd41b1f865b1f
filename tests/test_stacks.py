"""Every stack in stacks/ runs under the offline engine, conforms to the provider schemas,
labels every labelable resource, and passes both policy packs."""
import pytest
import yaml

import schema_check
from offline_helpers import REPO, preview_stack

STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml"))
PACKS = ("policy/encryption", "policy/residency")
LABEL_KEYS = {"aws": ("tags",), "azure-native": ("tags",), "gcp": ("labels", "resourceLabels")}


def test_stack_layout():
    assert {"dev", "eu-ha", "prod-global", "prod-aws-us-west-2", "prod-gcp-europe-west1",
            "prod-azure-centralindia"} <= set(STACKS)
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert project["stackConfigDir"] == "stacks" and project["runtime"]["name"] == "python"


@pytest.fixture(scope="module", params=STACKS)
def run(request, tmp_path_factory):
    return preview_stack(request.param, tmp_path_factory.mktemp(request.param), packs=PACKS)


def test_runs_and_passes_both_packs(run):
    assert run.report is not None, run.stderr[-3000:]
    mandatory = [d for d in run.diagnostics if d["level"] == "mandatory"]
    assert not mandatory, "\n".join(f"{d['pack']}/{d['policy']}: {d['urn']}: {d['message']}" for d in mandatory)
    assert run.returncode == 0, run.stderr[-3000:]
    packs = {p["pack"] for p in run.report["packs"]}
    assert len(packs) == 2


@pytest.mark.skipif(not schema_check.available(), reason="../shared/schemas/full is not beside this checkout")
def test_schema_conformance(run):
    problems = [p for r in run.resources for p in schema_check.violations(r)]
    assert not problems, "\n".join(problems[:50])


def _labels(resource: dict):
    from components.tags import LABEL_PROPS_BY_TYPE

    pkg = resource["type"].split(":", 1)[0]
    if resource["type"] in LABEL_PROPS_BY_TYPE:  # Cloud Monitoring objects: userLabels
        return resource["inputs"].get("userLabels")
    if pkg == "kubernetes":
        return (resource["inputs"].get("metadata") or {}).get("labels")
    for key in LABEL_KEYS.get(pkg, ()):
        if key in resource["inputs"]:
            return resource["inputs"][key]
    return None


def _labelable(resource: dict) -> bool:
    pkg = resource["type"].split(":", 1)[0]
    if resource["type"].startswith("pulumi:") or pkg not in (*LABEL_KEYS, "kubernetes"):
        return False
    if pkg == "kubernetes":
        return "metadata" in schema_check.schema("kubernetes")["resources"].get(resource["type"], {}).get(
            "inputProperties", {})
    props = schema_check.schema(pkg)["resources"][resource["type"]].get("inputProperties", {})
    return any(k in props for k in LABEL_KEYS[pkg])


@pytest.mark.skipif(not schema_check.available(), reason="../shared/schemas/full is not beside this checkout")
def test_every_labelable_resource_carries_the_standard_labels(run):
    env = yaml.safe_load((REPO / "stacks" / f"Pulumi.{run.report['stack']}.yaml").read_text())["config"][
        "platform:environment"]
    missing = []
    for r in run.resources:
        if not _labelable(r):
            continue
        labels = _labels(r) or {}
        cells = [a for a in run.ancestors(r) if a["type"].endswith(":Cell")]
        expected = {"environment": env, "managed-by": "pulumi"}
        if cells:
            expected["cell"] = cells[0]["name"]
        for k, v in expected.items():
            if labels.get(k) != v:
                missing.append(f"{r['urn']}: {k}={labels.get(k)!r}, expected {v!r}")
        if "residency" not in labels:
            missing.append(f"{r['urn']}: no residency label")
    assert not missing, "\n".join(missing[:40])


def test_every_type_has_its_create_only_inputs_for_the_review_diff(run):
    """offline diff knows what each type the stack registers cannot change in place."""
    from offline.force_new import CREATE_ONLY

    used = {r["type"] for r in run.resources if not r["type"].startswith(("pulumi:", "platform:"))}
    assert used - set(CREATE_ONLY) == set(), "types without their create-only inputs in offline/force_new.py"


# ---- The global traffic layer is labelled cell=global; every key of a prod stack is protected -----

KEY_TYPES = ("aws:kms/key:Key", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey",
             "azure-native:keyvault:Vault", "azure-native:keyvault:Key")


def _taggable(res: dict) -> bool:
    pkg = res["type"].split(":")[0]
    if pkg != "aws":
        return False
    schema = schema_check.schema("aws")["resources"].get(res["type"]) or {}
    return "tags" in schema.get("inputProperties", {})


@pytest.mark.skipif(not schema_check.available(), reason="../shared/schemas/full is not beside this checkout")
@pytest.mark.parametrize("stack", ["dev", "prod-global"])
def test_global_layer_resources_are_labelled_cell_global(stack, tmp_path_factory):
    run = preview_stack(stack, tmp_path_factory.mktemp(stack), packs=PACKS)
    assert run.report is not None, run.stderr[-2000:]
    layer = [r for r in run.resources if _taggable(r)
             and ((r["inputs"].get("tags") or {}).get("residency") == "global"
                  or any(a["type"] == "platform:dns:GlobalTraffic" for a in run.ancestors(r)))]
    assert layer, "the stack has a global traffic layer"
    unlabelled = [f"{r['type']} {r['name']}: cell={(r['inputs'].get('tags') or {}).get('cell')!r}" for r in layer
                  if (r["inputs"].get("tags") or {}).get("cell") != "global"]
    assert unlabelled == []


def test_every_key_in_a_prod_stack_is_protected(tmp_path_factory):
    unprotected = []
    for stack in ("prod-aws-us-west-2", "prod-gcp-europe-west1", "prod-azure-centralindia", "prod-global"):
        run = preview_stack(stack, tmp_path_factory.mktemp(stack), packs=PACKS)
        assert run.report is not None, run.stderr[-2000:]
        keys = [r for r in run.resources if r["type"] in KEY_TYPES]
        assert keys, f"{stack} holds keys"
        unprotected += [f"{stack}: {r['type']} {r['name']}" for r in keys if not r["protect"]]
    assert unprotected == []
