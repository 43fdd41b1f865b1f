"""The GCP deployer's roles cover every GCP resource type and invoke of every stack.

deploy/gcp-deployer-permissions.json names, per type, the permissions the provider's create/read/
update/delete calls check; tests/fixtures/gcp_iam/dataset.json holds which permissions each role grants
and which permissions each method checks (IAM dataset, trimmed). A type the table lacks fails (fail
closed), and so does a permission none of README's deployer roles grants: removing any role the table
relies on from README makes the coverage check fail (proved below for each such role)."""
from __future__ import annotations

import json
import re

import pytest

from deploy import gcp_deployer_permissions as perms
from offline_helpers import REPO, preview_stack

PACKS = ("policy/encryption", "policy/residency")  # same key as tests/test_stacks.py: one cached run per stack
STACKS = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (REPO / "stacks").glob("Pulumi.*.yaml"))


@pytest.fixture(scope="module")
def stack_types(tmp_path_factory) -> dict[str, set[str]]:
    out = {}
    for stack in STACKS:
        run = preview_stack(stack, tmp_path_factory.mktemp(stack), packs=PACKS)
        assert run.report is not None, run.stderr[-3000:]
        out[stack] = ({r["type"] for r in run.resources if r["type"].startswith("gcp:")} |
                      {i["token"] for i in run.report.get("invokes", []) if i["token"].startswith("gcp:")})
    return out


def test_readme_roles_cover_every_gcp_type_of_every_stack(stack_types):
    roles = perms.readme_roles()
    every = set().union(*stack_types.values())
    assert "gcp:monitoring/alertPolicy:AlertPolicy" in every   # the stacks that set platform:slo
    for stack, types in stack_types.items():
        assert perms.covered(types, roles) == [], stack


def test_removing_any_role_the_table_relies_on_breaks_coverage(stack_types):
    every = set().union(*stack_types.values())
    table = perms.load_table()
    relied = {r for t in every for r in table[t]["roles"]}
    readme = (REPO / "README.md").read_text()
    assert relied <= perms.readme_roles(readme)
    for role in sorted(relied):
        # The README with that role struck from the "Deployer roles" item.
        struck = readme.replace(f"`{role}`", "`gone`")
        problems = perms.covered(every, perms.readme_roles(struck))
        assert problems, f"coverage still passes without {role}"
        assert any(role in p for p in problems), problems[:3]


def test_a_type_missing_from_the_table_fails_closed():
    problems = perms.covered({"gcp:compute/disk:Disk"}, perms.readme_roles())
    assert problems == ["gcp:compute/disk:Disk: not in deploy/gcp-deployer-permissions.json "
                        "(add its methods to SPEC and rebuild)"]


def test_every_table_entry_is_backed_by_the_dataset():
    """Each permission comes from a method's permissions (or a documented extra), and each role named grants it."""
    facts, table = perms.load_facts(), perms.load_table()
    assert facts["source"].startswith("https://github.com/iann0036/iam-dataset/tree/")
    for type_, entry in table.items():
        assert entry["doc"].startswith("https://registry.terraform.io/providers/hashicorp/google/"), type_
        assert entry["api"].startswith("https://cloud.google.com/"), type_
        extra = {p for op in perms.EXTRA.get(type_, {}).values() for p, _ in op}
        for op, methods in entry["methods"].items():
            from_methods = {p for m in methods for p in facts["methods"][m]}
            assert set(entry["permissions"][op]) - extra == from_methods, (type_, op)
            for p in entry["permissions"][op]:
                assert any(p in facts["roles"][r] for r in entry["roles"]), (type_, op, p)
    # The spec and the table agree (the table is rebuilt from SPEC, never edited by hand).
    assert set(table) == set(perms.SPEC)
    assert {t: e["methods"] for t, e in table.items()} == {t: s["methods"] for t, s in perms.SPEC.items()}


def test_the_bootstrap_loop_grants_exactly_the_listed_roles():
    readme = (REPO / "README.md").read_text()
    loop = re.search(r"for role in ([^;]+); do gcloud projects add-iam-policy-binding", readme)
    assert loop, "README step 2 has no GCP role loop"
    assert {f"roles/{r}" for r in loop.group(1).split()} == perms.readme_roles(readme)


def test_monitoring_roles_grant_the_slo_alerts_and_channels():
    """Dev and prod set platform:slo: without a Monitoring permission in the roles, `up` fails with a 403."""
    facts, roles = perms.load_facts(), perms.readme_roles()
    for p in ("monitoring.alertPolicies.create", "monitoring.notificationChannels.create"):
        assert any(p in facts["roles"].get(r, ()) for r in roles), p
    assert json.loads(perms.TABLE.read_text())["types"]["gcp:monitoring/alertPolicy:AlertPolicy"]["roles"] == [
        "roles/monitoring.alertPolicyEditor"]
