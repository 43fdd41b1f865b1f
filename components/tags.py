"""One labelling rule for every cloud.

Every taggable resource carries `residency`, `cell`, `environment` and
`managed-by`: as `tags` on AWS and Azure, as `labels` on GCP (GKE clusters:
`resourceLabels`) and as `metadata.labels` on Kubernetes objects. The labels are
applied by a transformation, never by hand per resource:

- `register_stack_labels()` once per stack: environment + managed-by (+ residency and
  cell `global` for resources outside any cell, e.g. Route 53);
- `cell_labels()` in a cell component's options: its children inherit it, and it
  sets `cell` and `residency`.

A label already set on a resource is kept, and the more specific rule (the
cell's) runs before the stack's, so a cell's residency is never overwritten.

Why the SDK-side `transformations` and not the engine-side `transforms`: they run
inside the program, so they behave the same under `pulumi up` and under the mock
engine of `offline/` (which has no engine to call transforms back).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping, Optional

import pulumi

from .clouds.plugins import PLUGINS

if TYPE_CHECKING:
    from .clouds.plugin import LabelForm

MANAGED_BY = "pulumi"
GLOBAL_ZONE = "global"

# Python property name that holds labels, by provider package: each cloud plugin's fact. Resources
# whose args have no such property are left alone (not every resource is taggable).
_LABEL_PROPS = {pkg: p.label_properties for p in PLUGINS.values() for pkg in p.packages}

# Types whose labels live elsewhere (a plugin's fact: e.g. Cloud Monitoring's `user_labels`).
LABEL_PROPS_BY_TYPE = {t: props for p in PLUGINS.values() for t, props in p.label_properties_by_type.items()}

# How a package's label values must look, where it restricts them (a plugin's fact).
_LABEL_FORMS = {pkg: p.label_form for p in PLUGINS.values() for pkg in p.packages if p.label_form is not None}

_K8S_OVERLAYS = ("helm.sh/", "yaml/", "kustomize/")

def standard_labels(environment: str, residency: str, cell: Optional[str] = None) -> dict[str, str]:
    labels = {"environment": environment, "managed-by": MANAGED_BY, "residency": residency}
    if cell:
        labels["cell"] = cell
    return labels


def in_form(labels: Mapping[str, str], form: "Optional[LabelForm]") -> dict[str, str]:
    """Label keys and values as a package allows them (its plugin's `label_form`; None: unchanged),
    e.g. GCP's: lower case letters, digits, `_` and `-`, at most 63 characters."""
    if form is None:
        return dict(labels)
    bad = re.compile(f"[^{form.allowed}]")

    def fix(text: str) -> str:
        return bad.sub("-", text.lower() if form.lower else text)[:form.max_len]

    return {fix(k): fix(v) for k, v in labels.items()}


def _package(type_: str) -> str:
    return type_.split(":", 1)[0]


def _merge(existing: Any, labels: Mapping[str, str]) -> Any:
    """Add labels that are not already present. Unknown (Output) maps are merged when known."""
    if existing is None:
        return dict(labels)
    if isinstance(existing, pulumi.Output):
        return existing.apply(lambda e: {**labels, **(e or {})})
    if isinstance(existing, Mapping):
        return {**labels, **existing}
    return existing


def _label_kubernetes(props: dict, labels: Mapping[str, str]) -> bool:
    meta = props.get("metadata")
    if meta is None:
        props["metadata"] = {"labels": dict(labels)}
        return True
    if isinstance(meta, Mapping):
        props["metadata"] = {**meta, "labels": _merge(meta.get("labels"), labels)}
        return True
    if hasattr(meta, "labels"):  # an ObjectMetaArgs input type
        meta.labels = _merge(meta.labels, labels)
        return True
    return False


def apply_labels(type_: str, props: dict, labels: Mapping[str, str]) -> bool:
    """Put `labels` on a resource's python-named props in place. Returns whether it is labelable."""
    if type_.startswith("pulumi:"):
        return False  # providers and the stack itself
    pkg = _package(type_)
    if pkg == "kubernetes":
        # API objects only (`<group>/<version>`): helm/yaml/kustomize overlays are not objects.
        module = type_.split(":")[1]
        if "/" in module and not module.startswith(_K8S_OVERLAYS):
            return _label_kubernetes(props, labels)
        return False
    for prop in LABEL_PROPS_BY_TYPE.get(type_) or _LABEL_PROPS.get(pkg, ()):
        if prop in props:
            values = in_form(labels, _LABEL_FORMS.get(pkg))
            props[prop] = _merge(props[prop], values)
            return True
    return False


def labels_transformation(labels: Mapping[str, str]):
    """A `ResourceTransformation` that labels every labelable resource it sees."""

    def transformation(args: pulumi.ResourceTransformationArgs) -> Optional[pulumi.ResourceTransformationResult]:
        props = dict(args.props) if isinstance(args.props, Mapping) else args.props
        if isinstance(props, dict) and apply_labels(args.type_, props, labels):
            return pulumi.ResourceTransformationResult(props=props, opts=args.opts)
        return None

    return transformation


def register_stack_labels(environment: str) -> None:
    pulumi.runtime.register_stack_transformation(
        labels_transformation(standard_labels(environment, GLOBAL_ZONE, GLOBAL_ZONE))
    )


def cell_labels(environment: str, residency: str, cell: str):
    return labels_transformation(standard_labels(environment, residency, cell))
