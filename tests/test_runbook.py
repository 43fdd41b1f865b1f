"""README "From zero to serving" matches the stack files: the test reads both."""
from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import pytest
import yaml

from offline_helpers import REPO, preview_stack

README = (REPO / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    nxt = re.search(r"^## ", README[start + 3:], re.M)
    return README[start: start + 3 + nxt.start()] if nxt else README[start:]


RUNBOOK = _section("From zero to serving")


def _commands(text: str = RUNBOOK) -> list[str]:
    """The runbook's shell lines (code blocks), continuation lines joined."""
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        out += [line.strip() for line in block.replace("\\\n", " ").splitlines() if line.strip()]
    return out


@pytest.fixture(scope="module")
def order() -> list[str]:
    proc = subprocess.run([sys.executable, "-m", "offline", "stacks"], cwd=REPO, capture_output=True, text=True)
    return json.loads(proc.stdout)["order"]


def _stack_file(stack: str) -> dict:
    return yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())


def test_every_stack_loop_takes_the_stacks_from_the_stack_files(order):
    loops = [c for c in _commands() if c.startswith("for s in")]
    assert loops, "the runbook has stack loops"
    prod = {s for s in order if _stack_file(s)["config"].get("platform:environment") == "prod"}
    for loop in loops:
        if "python -m offline stacks" in loop:
            continue
        # a hand-written list is the whole prod set (the smoke test of prod) or its cells (teardown,
        # after prod-global): never a set that misses one
        cells = {s for s in prod if not _stack_file(s)["config"].get("platform:cell_stacks")}
        listed = set(loop.split(" in ", 1)[1].split(";", 1)[0].split())
        assert listed in (prod, cells), loop
    assert "eu-ha" in order
    assert f"(`{' '.join(order)}`)" in " ".join(RUNBOOK.split())  # the prose names them in the same order


def test_secrets_keys_are_the_stack_files_own(order):
    (init,) = [c for c in _commands() if c.startswith("pulumi stack init")]
    provider = re.search(r'--secrets-provider "([^"]+)"', init).group(1)
    for stack in order:
        assert _stack_file(stack)["secretsprovider"] == provider.replace("$s", stack)
    assert "alias/pulumi-secrets" not in RUNBOOK  # the one shared key the stack files never used


def test_real_previews_and_ups_get_the_packs_and_their_config():
    # the deploying ones (sections 1-5; section 6's protection-lifting `up` before a teardown deploys nothing new)
    cmds = [c for c in _commands(RUNBOOK.split("### 6.")[0]) if re.search(r"\bpulumi (preview|up)\b", c)]
    assert cmds
    for c in cmds:
        args = shlex.split(c.split("do ", 1)[-1].split(" || ")[0])
        packs = [args[i + 1] for i, a in enumerate(args) if a == "--policy-pack"]
        configs = [args[i + 1] for i, a in enumerate(args) if a == "--policy-pack-config"]
        assert packs == ["policy/encryption", "policy/residency"], c
        assert configs == ["policy/encryption/config.json", "policy/residency/approvals.json"], c
        for path in packs + configs:
            assert (REPO / path).exists(), path


def test_the_readiness_step_is_the_real_mode_preview():
    ready = [c for c in _commands() if "--real-mode" in c]
    assert ready and "python -m offline preview" in ready[0]
    assert RUNBOOK.index("--real-mode") < RUNBOOK.index("pulumi up --stack dev")


def test_the_shipped_exemptions_are_removed_before_the_first_up(order):
    assert any("platform:apply_exemptions" in yaml.safe_dump(_stack_file(s)) for s in order)
    removal = RUNBOOK.index("platform:apply_exemptions")
    assert removal < RUNBOOK.index("--real-mode") and "remove those entries" in RUNBOOK


def test_azure_roles_are_the_azure_sections():
    roles = set()
    for c in _commands():
        if "az role assignment create" in c:
            m = re.search(r'for role in (.*?); do', c)
            roles |= set(shlex.split(m.group(1))) if m else {re.search(r'--role "?([^"]+?)"? ', c).group(1)}
    assert roles == {"Contributor", "Role Based Access Control Administrator"}
    azure = " ".join(_section("Running it for real (Pulumi CLI)").split())
    for role in roles:
        assert f"*{role}*" in azure


def test_the_tools_include_the_kubeconfig_exec_plugins():
    tools = RUNBOOK[RUNBOOK.index("Tools:"): RUNBOOK.index("Tools:") + 600]
    for tool in ("kubelogin", "gke-gcloud-auth-plugin", "kubectl", "jq", "pulumi"):
        assert tool in tools


def test_config_keys_the_runbook_sets_exist():
    from components.core import config

    keys = re.findall(r"pulumi config set --stack \S+ --path '(platform:[^']+)'", RUNBOOK)
    assert keys
    for key in keys:
        model, parts = config.PlatformConfig, re.sub(r"\[\d+\]", "", key.split(":", 1)[1]).split(".")
        for part in parts:
            assert part in model.model_fields, key
            ann = model.model_fields[part].annotation
            candidates = [ann, *getattr(ann, "__args__", ())]
            candidates += [a for c in candidates for a in getattr(c, "__args__", ())]
            nxt = next((c for c in candidates if hasattr(c, "model_fields")), None)
            if nxt is None:
                break  # a plain value, or a cloud's own settings (checked by its plugin)
            model = nxt


def test_prerequisites_and_expectations_come_first():
    assert RUNBOOK.index("### 0. Organization-level prerequisites") < RUNBOOK.index("### 1.")
    intro = RUNBOOK[: RUNBOOK.index("### 0.")]
    for word in ("Where each step runs", "Time.", "Cost.", "Quotas", "laptop", "workflow"):
        assert word in intro


def test_the_cost_up_front_is_the_offline_estimate(tmp_path):
    quoted = float(re.search(r"`dev` costs about \*\*\$([\d,]+) a month", RUNBOOK).group(1).replace(",", ""))
    run = preview_stack("dev", tmp_path)
    monthly = run.report["cost"]["monthly"]
    assert abs(quoted - monthly) / monthly < 0.05, (quoted, monthly)


def test_the_repository_carries_its_design():
    assert "../shared" not in README
    assert "(docs/DESIGN.md)" in README and (REPO / "docs" / "DESIGN.md").is_file()
    design = (REPO / "docs" / "DESIGN.md").read_text()
    assert "## Where the code differs" in design and "../shared" not in design
