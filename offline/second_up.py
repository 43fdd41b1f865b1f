"""`python -m offline second-up STACK`: the `up` after the first one must change nothing.

The program runs twice (two child processes of the offline engine). The first run's resources are the
state a first `pulumi up` leaves: what the provider returned (outputs), with the server's own
normalizations applied (`NORMALIZATIONS`: casing, provider-filled forms). The second run is the next
`up`: each of its inputs is compared with that state, as the providers' diffs do (the Terraform-bridged
AWS and Google providers diff the program's inputs against the prior state; azure-native against what
the service returned on refresh). What differs is a diff that the next `up` shows, and that never
converges when the server keeps returning its form. A normalization is either written the way the
server returns it (the program sends that form), suppressed by the provider's own diff (its source
says so), or ignored by the program (`ignoreChanges`, with the reason in the table). A resource in one
run and not the other means the program is not deterministic (a timestamp, an unordered set).

The diff is empty for every stack of stacks/ (tests/test_second_up.py).
"""
from __future__ import annotations

import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from .apply import OPAQUE, ignored
from .project import Project, load_project


@dataclass(frozen=True)
class Normalization:
    types: tuple[str, ...]                 # resource types (fnmatch globs)
    path: str                              # input path (wire names; `[*]` any index)
    returns: Callable[[Any], Any]          # the value the server returns for a sent value
    handling: str                          # written | provider | ignored
    why: str
    source: str


def _cap(v: Any) -> Any:
    return v[:1].upper() + v[1:] if isinstance(v, str) else v


def _route53_name(v: Any) -> Any:
    return v.rstrip(".").lower() if isinstance(v, str) else v


def _upper(v: Any) -> Any:
    return v.upper() if isinstance(v, str) else v


def _json_doc(v: Any) -> Any:
    """The policy as AWS returns it: the same document, keys in its own order, compact."""
    if not isinstance(v, str):
        return v
    try:
        return json.dumps(json.loads(v), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return v


def _identity_ids(v: Any) -> Any:
    if isinstance(v, dict):
        return sorted(k.lower() for k in v)
    if isinstance(v, list):
        return sorted(str(k).lower() for k in v)
    return v


POLICY_TYPES = ("aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:s3/bucketPolicy:BucketPolicy",
                "aws:kms/key:Key", "aws:sns/topicPolicy:TopicPolicy", "aws:iam/policy:Policy")

# The server's normalizations of values the stacks send, and how each is kept out of the second `up`.
NORMALIZATIONS: tuple[Normalization, ...] = (
    Normalization(("azure-native:keyvault:Key",), "properties.rotationPolicy.lifetimeActions[*].action.type", _cap,
                  "ignored", "Key Vault returns the action as `Rotate`/`Notify`, the provider's schema accepts only "
                  "`rotate`/`notify` (the service compares them without case): after a refresh the state holds the "
                  "server's form, so the program ignores the path",
                  "https://github.com/Azure/bicep-types-az/issues/1833"),
    Normalization(("aws:route53/record:Record",), "name", _route53_name, "provider",
                  "Route 53 returns names lowercase without the trailing dot; the provider stores and diffs the "
                  "normalized name (StateFunc)",
                  "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/route53/record.go"),
    Normalization(("gcp:storage/bucket:Bucket",), "location", _upper, "written",
                  "Cloud Storage returns bucket locations in upper case; the program sends the region upper-cased",
                  "https://cloud.google.com/storage/docs/json_api/v1/buckets#resource"),
    Normalization(POLICY_TYPES, "policy", _json_doc, "provider",
                  "IAM returns policy documents re-serialized; the provider compares policies as documents "
                  "(equivalent JSON is no diff)",
                  "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/verify/json.go"),
    Normalization(("aws:iam/role:Role",), "assumeRolePolicy", _json_doc, "provider",
                  "as `policy`: the trust policy is compared as a document",
                  "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/verify/json.go"),
    Normalization(("azure-native:*",), "location", lambda v: re.sub(r"\s", "", v).lower() if isinstance(v, str) else v,
                  "provider", "ARM returns locations in its own form (`centralindia`, `global`); azure-native "
                  "compares locations without case and spaces",
                  "https://github.com/pulumi/pulumi-azure-native/blob/master/provider/pkg/provider/diff.go"),
    Normalization(("azure-native:*",), "identity.userAssignedIdentities", _identity_ids, "provider",
                  "the program sends a list of identity ids, ARM returns a map of id -> {clientId, principalId}; "
                  "azure-native converts between the two forms before diffing",
                  "https://github.com/pulumi/pulumi-azure-native/blob/master/provider/pkg/convert/sdkShapeConverter.go"),
    Normalization(("gcp:container/cluster:Cluster",), "nodeConfig", lambda v: v, "ignored",
                  "GKE fills the default pool's node config (removed at once); the program ignores it",
                  "https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/container_cluster#node_config-1"),
    Normalization(("aws:eks/nodeGroup:NodeGroup",), "scalingConfig.desiredSize", lambda v: v, "ignored",
                  "the cluster autoscaler moves the desired size; the program ignores it",
                  "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/eks_node_group#ignoring-changes-to-desired-size"),
    Normalization(("azure-native:containerservice:ManagedCluster",), "agentPoolProfiles[*].count", lambda v: v,
                  "ignored", "the cluster autoscaler moves the node count; the program ignores it",
                  "https://learn.microsoft.com/azure/aks/cluster-autoscaler"),
)


def _norm_path(path: str) -> str:
    return re.sub(r"\[\d+\]", "[*]", path)


def normalization(type_: str, path: str) -> Optional[Normalization]:
    import fnmatch

    p = _norm_path(path)
    for n in NORMALIZATIONS:
        if any(fnmatch.fnmatchcase(type_, t) for t in n.types) and (p == n.path or p.startswith(n.path + ".")):
            return n
    return None


def _leaves(value: Any, path: str = "", type_: str = "") -> Iterator[tuple[str, Any]]:
    n = normalization(type_, path) if path and type_ else None
    if n is not None and n.path == _norm_path(path) and n.handling == "provider":
        yield path, value  # compared whole, in the server's form
    elif isinstance(value, dict) and value:
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}" if path else k, type_)
    elif isinstance(value, list) and value and not all(isinstance(v, (str, int, float, bool)) for v in value):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]", type_)
    else:
        yield path, value


def _at(value: Any, path: str) -> tuple[bool, Any]:
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            i = int(part[1:-1])
            if not isinstance(value, list) or i >= len(value):
                return False, None
            value = value[i]
        else:
            if not isinstance(value, dict) or part not in value:
                return False, None
            value = value[part]
    return True, value


def server_state(res: dict) -> dict:
    """What the provider holds after the first `up`: its outputs, in the server's own forms."""
    outputs = json.loads(json.dumps(res.get("outputs") or {}))
    for path, value in list(_leaves(res.get("inputs") or {}, "", res["type"])):
        n = normalization(res["type"], path)
        if n is None:  # what the server does, however the program keeps it out of the diff
            continue
        found, returned = _at(outputs, path)
        if found and returned == value:
            _set(outputs, path, n.returns(value))
    return outputs


def _set(value: Any, path: str, new: Any) -> None:
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    for part in parts[:-1]:
        value = value[int(part[1:-1])] if part.startswith("[") else value[part]
    last = parts[-1]
    if last.startswith("["):
        value[int(last[1:-1])] = new
    else:
        value[last] = new


@dataclass
class Difference:
    urn: str
    type: str
    name: str
    path: str
    sent: Any
    state: Any
    kind: str = "update"   # update | create | delete (a resource in one run only)


@dataclass
class SecondUp:
    stack: str
    differences: list[Difference] = field(default_factory=list)
    suppressed: list[dict] = field(default_factory=list)   # normalizations met, with how they are handled
    compared: int = 0
    error: Optional[str] = None

    def to_json(self) -> dict:
        return {"stack": self.stack, "error": self.error, "compared": self.compared, "empty": not self.differences,
                "differences": [d.__dict__ for d in self.differences], "normalizations": self.suppressed}


def second_up(stack: str, first: dict, second: dict) -> SecondUp:
    """The diff of the next `up` (`second`'s inputs) against the state `first` leaves."""
    out = SecondUp(stack)
    old = {r["urn"]: r for r in first["resources"]}
    new = {r["urn"]: r for r in second["resources"]}
    for urn in old.keys() - new.keys():
        r = old[urn]
        out.differences.append(Difference(urn, r["type"], r["name"], "", None, None, "delete"))
    for urn, r in new.items():
        if urn not in old:
            out.differences.append(Difference(urn, r["type"], r["name"], "", None, None, "create"))
            continue
        if r["type"].startswith("pulumi:") or not r.get("options"):  # providers, components' reads
            continue
        out.compared += 1
        state = server_state(old[urn])
        for path, sent in _leaves(r.get("inputs") or {}, "", r["type"]):
            if not path or (isinstance(sent, str) and sent in OPAQUE):
                continue
            found, held = _at(state, path)
            if not found or (isinstance(held, str) and held in OPAQUE):
                continue  # not returned: the provider keeps the sent value in its state
            n = normalization(r["type"], path)
            if held == sent:
                if n is not None and n.returns(sent) == sent and n.handling == "written":
                    out.suppressed.append({"type": r["type"], "name": r["name"], "path": path, "handling": "written",
                                           "source": n.source})
                continue
            if n is not None and n.handling == "provider" and n.returns(sent) == n.returns(held):
                out.suppressed.append({"type": r["type"], "name": r["name"], "path": path, "handling": "provider",
                                       "source": n.source})
                continue
            if ignored(r, path):
                out.suppressed.append({"type": r["type"], "name": r["name"], "path": path, "handling": "ignored",
                                       "source": n.source if n else "ignoreChanges"})
                continue
            out.differences.append(Difference(urn, r["type"], r["name"], path, sent, held))
    return out


def to_text(s: SecondUp) -> str:
    lines = [f"Offline second up ({s.stack}): {s.compared} resources compared with the first run's state"]
    if s.error:
        return "\n".join(lines + [f"    error: {s.error}"]) + "\n"
    for d in s.differences:
        if d.kind == "update":
            lines.append(f"  ~ {d.type:<55} {d.name} [{d.path}]: state {d.state!r}, program sends {d.sent!r}")
        else:
            lines.append(f"  {'+' if d.kind == 'create' else '-'} {d.type:<55} {d.name} (only in the "
                         f"{'second' if d.kind == 'create' else 'first'} run: the program is not deterministic)")
    by = {}
    for x in s.suppressed:
        by[(x["handling"], x["type"], re.sub(r"\[\d+\]", "[*]", x["path"]))] = by.get(
            (x["handling"], x["type"], re.sub(r"\[\d+\]", "[*]", x["path"])), 0) + 1
    if by:
        lines.append("Server normalizations met (offline/second_up.py NORMALIZATIONS):")
        lines += [f"    {h:<8} {t} {p} ({n}x)" for (h, t, p), n in sorted(by.items())]
    lines.append("Second up: no changes" if not s.differences else f"Second up: {len(s.differences)} difference(s)")
    return "\n".join(lines) + "\n"


def to_markdown(s: SecondUp) -> str:
    head = f"## Offline second up of `{s.stack}` — {'✅ no changes' if not s.differences else '❌ not empty'}"
    lines = [head, ""]
    if s.differences:
        lines += ["| resource | path | state | program |", "|---|---|---|---|"]
        lines += [f"| `{d.name}` | `{d.path}` | `{d.state}` | `{d.sent}` |" for d in s.differences]
    return "\n".join(lines) + "\n"


def main(args) -> int:
    from .destroy import run_preview
    from .project import StackNotFound, stack_config

    project: Project = load_project(Path(args.project_dir).resolve()) if args.project_dir else load_project()
    try:
        stack_config(project, args.stack)
    except StackNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="offline-second-up-") as tmp:
        first, error = run_preview(project, args.stack, Path(tmp), "first")
        second, error2 = (run_preview(project, args.stack, Path(tmp), "second") if first else (None, None))
    s = second_up(args.stack, first, second) if first and second else SecondUp(args.stack, error=error or error2)
    sys.stdout.write(to_text(s))
    if args.json:
        Path(args.json).write_text(json.dumps(s.to_json(), indent=1, default=str))
    if args.markdown:
        Path(args.markdown).write_text(to_markdown(s))
    if s.error:
        return 2 if "exit 2" in s.error else 3
    return 1 if s.differences else 0


def carry_ignored(old: list[dict], new: list[dict]) -> list[dict]:
    """`new` as the engine applies it over the state `old`: an input under `ignoreChanges` keeps its value
    from the state (pulumi/pulumi `processIgnoreChanges`), so the provider returns the old value too, and
    every input that read it (an output) reads the old value. The mocks echo the program's new value;
    this puts the state's back, so a diff over the result is what the next `up` of an existing stack does
    (a name drawn per creation, components/lifecycle.py, replaces nothing there)."""
    old_by = {r["urn"]: r for r in old}
    kept: dict[str, str] = {}
    out = json.loads(json.dumps(new))
    for r in out:
        prev = old_by.get(r["urn"])
        for path in (r.get("options") or {}).get("ignoreChanges") or []:
            if prev is None:
                continue
            had, before = _at(prev.get("inputs") or {}, path)
            has, now = _at(r.get("inputs") or {}, path)
            if had and has and before != now:
                _set(r["inputs"], path, before)
                if isinstance(now, str) and isinstance(before, str):
                    kept[now] = before
    if not kept:
        return out

    def rewrite(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: rewrite(x) for k, x in v.items()}
        if isinstance(v, list):
            return [rewrite(x) for x in v]
        if isinstance(v, str):
            for a, b in kept.items():
                v = v.replace(a, b)
        return v

    for r in out:
        r["inputs"], r["outputs"] = rewrite(r.get("inputs")), rewrite(r.get("outputs"))
        r["id"] = rewrite(r.get("id"))
    return out
