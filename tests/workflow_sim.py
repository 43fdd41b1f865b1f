"""Just enough of GitHub Actions to ask what a run would do, from the YAML itself.

- `evaluate(expr, ctx)`: the expression language (`${{ }}`): literals, property access, `!`, the
  comparison operators with GitHub's loose equality (case-insensitive strings, other mixes compared
  as numbers), `&&`/`||` returning an operand, and the functions the workflows use.
- `interpolate(value, ctx)`: a `with:`/`env:`/`runs-on:` value: one whole expression keeps its type,
  expressions inside text are substituted as strings.
- `Run`: which jobs of a workflow run or are skipped for an event and a set of repository variables,
  following `needs` and `if` (default `success()`), expanding reusable workflows (`uses:` a local
  workflow) and running the shell of the composite `deploy-settings` action for real (bash), so the
  variables' effect is what that script decides.
"""
from __future__ import annotations

import json
import math
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import yaml

# --- expressions -----------------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:
    (?P<str>'(?:[^']|'')*')
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
)""", re.X)


class ExprError(ValueError):
    pass


def _tokens(expr: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ExprError(f"cannot read {expr[pos:]!r} in {expr!r}")
        pos = m.end()
        kind = m.lastgroup
        text = m.group(kind)
        if kind == "str":
            out.append(("lit", text[1:-1].replace("''", "'")))
        elif kind == "num":
            out.append(("lit", float(text)))
        elif kind == "name" and text in ("true", "false", "null"):
            out.append(("lit", {"true": True, "false": False, "null": None}[text]))
        else:
            out.append((kind, text))
    return out


def _num(v: Any) -> float:
    if v is None:
        return 0.0
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        s = v.strip()
        if s == "":
            return 0.0
        try:
            return float(s)
        except ValueError:
            return math.nan
    return math.nan


def _eq(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b) and not isinstance(a, (int, float)):
        return a == b
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return a is b
    return _num(a) == _num(b)


def truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v != ""
    if isinstance(v, float):
        return v != 0 and not math.isnan(v)
    return bool(v) if not isinstance(v, (dict, list)) else True


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else str(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def _format(fmt: str, *args: Any) -> str:
    return re.sub(r"\{(\d+)\}", lambda m: _text(args[int(m.group(1))]), fmt.replace("{{", "\0").replace(
        "}}", "\1")).replace("\0", "{").replace("\1", "}")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "fromjson": lambda s: json.loads(s),
    "tojson": lambda v: json.dumps(v, indent=2),
    "format": _format,
    "startswith": lambda a, b: _text(a).lower().startswith(_text(b).lower()),
    "endswith": lambda a, b: _text(a).lower().endswith(_text(b).lower()),
    "contains": lambda a, b: any(_eq(x, b) for x in a) if isinstance(a, list) else _text(b).lower() in _text(a).lower(),
}


class _Parser:
    def __init__(self, tokens, ctx: dict):
        self.t, self.i, self.ctx = tokens, 0, ctx

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, text=None):
        tok = self.peek()
        if text is not None and tok[1] != text:
            raise ExprError(f"expected {text!r}, got {tok}")
        self.i += 1
        return tok

    def parse(self):
        v = self.or_()
        if self.i != len(self.t):
            raise ExprError(f"trailing tokens {self.t[self.i:]}")
        return v

    def or_(self):
        v = self.and_()
        while self.peek()[1] == "||":
            self.take()
            rhs = self.and_()
            v = v if truthy(v) else rhs
        return v

    def and_(self):
        v = self.cmp()
        while self.peek()[1] == "&&":
            self.take()
            rhs = self.cmp()
            v = rhs if truthy(v) else v
        return v

    def cmp(self):
        v = self.unary()
        while self.peek()[1] in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            rhs = self.unary()
            if op == "==":
                v = _eq(v, rhs)
            elif op == "!=":
                v = not _eq(v, rhs)
            else:
                a, b = _num(v), _num(rhs)
                v = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return v

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self):
        kind, text = self.take()
        if kind == "lit":
            v = text
        elif text == "(":
            v = self.or_()
            self.take(")")
        elif kind == "name" and self.peek()[1] == "(":
            self.take("(")
            args = []
            while self.peek()[1] != ")":
                args.append(self.or_())
                if self.peek()[1] == ",":
                    self.take()
            self.take(")")
            name = text.lower()
            if name in self.ctx.get("__status__", {}):
                v = self.ctx["__status__"][name]()
            elif name in FUNCTIONS:
                v = FUNCTIONS[name](*args)
            else:
                raise ExprError(f"unknown function {text}")
        elif kind == "name":
            if text not in self.ctx:
                raise ExprError(f"unknown context {text!r}")
            v = self.ctx[text]
        else:
            raise ExprError(f"unexpected {text!r}")
        while self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                key = self.take()[1]
            else:
                key = self.or_()
                self.take("]")
            v = v.get(key) if isinstance(v, dict) else None
        return v


def evaluate(expr: str, ctx: dict) -> Any:
    expr = expr.strip()
    if expr.startswith("${{") and expr.endswith("}}"):
        expr = expr[3:-2]
    return _Parser(_tokens(expr), ctx).parse()


_EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def interpolate(value: Any, ctx: dict) -> Any:
    if not isinstance(value, str):
        return value
    whole = _EMBEDDED.fullmatch(value.strip())
    if whole:
        return evaluate(whole.group(1), ctx)
    return _EMBEDDED.sub(lambda m: _text(evaluate(m.group(1), ctx)), value)


STATUS_FUNCTIONS = ("success", "failure", "cancelled", "always")


def uses_status_function(expr: str) -> bool:
    return any(re.search(rf"\b{f}\s*\(", expr) for f in STATUS_FUNCTIONS)


# --- runs ------------------------------------------------------------------------------------------

def load_workflow(path: Path) -> dict:
    doc = yaml.safe_load(path.read_text())
    if True in doc:
        doc["on"] = doc.pop(True)  # YAML 1.1 reads the key `on` as True
    return doc


@dataclass
class JobRun:
    result: str                     # success, failure, skipped
    outputs: dict = field(default_factory=dict)
    runs_on: Any = None
    summary: str = ""
    called: Optional["Run"] = None  # a reusable workflow's own run


@dataclass
class Run:
    """One workflow run. `job_outputs(name, job)` gives the outputs of a job the simulation does not
    execute (offline jobs: their own tests cover them); the deploy-settings action is executed."""
    repo: Path
    workflow: str
    event: str
    vars: dict
    github: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    job_outputs: Callable[[str, dict], dict] = lambda name, job: {}
    tmp: Path = None
    jobs: dict = field(default_factory=dict)

    def __post_init__(self):
        self.doc = load_workflow(self.repo / ".github" / "workflows" / f"{self.workflow}.yml")
        self.github = {"event_name": self.event, "repository": "owner/repo", "run_id": "1",
                       "workflow": self.doc.get("name", self.workflow), "event": {}, **self.github}
        self._run()

    def _ctx(self, needs: dict, extra: Optional[dict] = None) -> dict:
        ctx = {"github": self.github, "vars": self.vars, "inputs": self.inputs, "secrets": {},
               "needs": {n: {"result": r.result, "outputs": r.outputs} for n, r in needs.items()},
               "runner": {"temp": "/tmp/runner", "os": "Linux"}, "env": {}, "matrix": {}, "steps": {},
               "job": {}, "strategy": {}}
        ctx.update(extra or {})
        return ctx

    def _order(self) -> list[str]:
        jobs, done, order = self.doc["jobs"], set(), []
        while len(order) < len(jobs):
            for name, job in jobs.items():
                needs = job.get("needs", [])
                needs = [needs] if isinstance(needs, str) else needs
                if name not in done and set(needs) <= done:
                    order.append(name)
                    done.add(name)
        return order

    def _run(self):
        for name in self._order():
            job = self.doc["jobs"][name]
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            needed = {n: self.jobs[n] for n in needs}
            ctx = self._ctx(needed)
            ctx["__status__"] = {
                "success": lambda nd=needed: all(r.result == "success" for r in nd.values()),
                "failure": lambda nd=needed: any(r.result == "failure" for r in nd.values()),
                "cancelled": lambda: False,
                "always": lambda: True,
            }
            cond = str(job.get("if", "")).strip()
            if cond and uses_status_function(cond):
                runs = truthy(evaluate(cond, ctx))
            else:
                runs = ctx["__status__"]["success"]() and (not cond or truthy(evaluate(cond, ctx)))
            if not runs:
                self.jobs[name] = JobRun("skipped")
                continue
            if "uses" in job:
                target = job["uses"]
                assert target.startswith("./.github/workflows/"), target
                inputs = {k: interpolate(v, ctx) for k, v in (job.get("with") or {}).items()}
                spec = load_workflow(self.repo / target)["on"]["workflow_call"]["inputs"]
                for k, s in spec.items():
                    inputs.setdefault(k, s.get("default"))
                    if s.get("type") == "boolean" and isinstance(inputs[k], str):
                        inputs[k] = inputs[k] == "true"
                called = Run(self.repo, Path(target).stem, "workflow_call", self.vars, github=self.github,
                             inputs=inputs, job_outputs=self.job_outputs, tmp=self.tmp)
                failed = any(r.result == "failure" for r in called.jobs.values())
                self.jobs[name] = JobRun("failure" if failed else "success", called=called)
                continue
            runs_on = interpolate(job.get("runs-on"), ctx)
            run = self._execute(name, job, ctx)
            run.runs_on = runs_on
            self.jobs[name] = run

    def _execute(self, name: str, job: dict, ctx: dict) -> JobRun:
        """Runs the deploy-settings composite action's script; other jobs succeed with given outputs."""
        for step in job.get("steps", []):
            if step.get("uses") == "./.github/actions/deploy-settings":
                outputs, summary, rc = run_composite(self.repo / ".github/actions/deploy-settings/action.yml",
                                                     {k: interpolate(v, ctx) for k, v in step.get("with", {}).items()},
                                                     self.tmp / f"{self.workflow}-{name}")
                job_outputs = {k: interpolate(v, {"steps": {step["id"]: {"outputs": outputs}}})
                               for k, v in (job.get("outputs") or {}).items()}
                return JobRun("success" if rc == 0 else "failure", job_outputs, summary=summary)
        return JobRun("success", self.job_outputs(name, job))

    def all_jobs(self, prefix: str = ""):
        """(qualified name, job definition, JobRun), reusable workflows' jobs included."""
        for name, job in self.doc["jobs"].items():
            run = self.jobs[name]
            yield f"{prefix}{self.workflow}/{name}", job, run
            if "uses" in job:
                called_doc = load_workflow(self.repo / job["uses"])
                if run.called is not None:
                    yield from run.called.all_jobs(prefix=f"{prefix}{self.workflow}/{name}>")
                else:
                    for sub_name, sub_job in called_doc["jobs"].items():
                        yield (f"{prefix}{self.workflow}/{name}>{Path(job['uses']).stem}/{sub_name}", sub_job,
                               JobRun("skipped"))


def run_composite(action: Path, inputs: dict, workdir: Path) -> tuple[dict, str, int]:
    """Runs a composite action's bash steps with its inputs; (outputs, summary, exit code)."""
    doc = yaml.safe_load(action.read_text())
    values = {k: _text(inputs.get(k, spec.get("default", ""))) for k, spec in doc.get("inputs", {}).items()}
    workdir.mkdir(parents=True, exist_ok=True)
    summary, step_outputs = workdir / "summary.md", {}
    summary.write_text("")
    rc = 0
    for step in doc["runs"]["steps"]:
        if "run" not in step:
            continue
        out = workdir / f"output-{step.get('id', 'x')}"
        out.write_text("")
        env = {k: _text(interpolate(v, {"inputs": values})) for k, v in (step.get("env") or {}).items()}
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
                              env={**os.environ, **env, "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)},
                              capture_output=True, text=True, cwd=workdir)
        step_outputs[step.get("id", "")] = {"outputs": dict(
            line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)}
        if proc.returncode != 0:
            rc = proc.returncode
            break
    outputs = {k: interpolate(v["value"], {"steps": step_outputs}) for k, v in (doc.get("outputs") or {}).items()}
    return outputs, summary.read_text(), rc
