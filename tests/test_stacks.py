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
    pkg = resource["type"].split(":", 1)[0]
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
    """offline diff knows what each type the stack registers cannot change in place (issue #24)."""
    from offline.force_new import CREATE_ONLY

    used = {r["type"] for r in run.resources if not r["type"].startswith(("pulumi:", "platform:"))}
    assert used - set(CREATE_ONLY) == set(), "types without their create-only inputs in offline/force_new.py"
