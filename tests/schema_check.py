"""Checks captured resource inputs against the provider schemas rebuilt from the pinned SDKs.

tests/schemas/<provider>.json.gz holds the resources the project uses and every type they reach,
trimmed from the schemas of the pinned SDK versions (tests/schemas/regenerate.py): a captured
resource must have a known type token, only
known input wire names, every required input, and enum values the provider
accepts, recursively through object, array and map types.
"""
from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from components.clouds.plugins import cloud_packages

SCHEMAS = Path(__file__).resolve().parent / "schemas"  # vendored: the suite needs nothing outside the repository
# Package -> its vendored schema: every cloud plugin's packages, and Kubernetes.
PACKAGES = {pkg: pkg for pkg in (*cloud_packages(), "kubernetes")}
# Custom resources (apiextensions.CustomResource): their schema is the CRD the managed collector installs
# in the cluster, not the provider's; only their apiVersion/kind pair is checked (the token itself).
CUSTOM_RESOURCES = {
    "kubernetes:monitoring.googleapis.com/v1:PodMonitoring": "GKE managed Prometheus (GMP) CRD",
    "kubernetes:azmonitoring.coreos.com/v1:PodMonitor": "AKS managed Prometheus (ama-metrics) CRD",
}
# Enums the SDK types as `Union[str, Enum]` whose service accepts more than the enum lists: the value and
# where the service documents it.
OPEN_ENUM_VALUES = {
    # Data collection rules for managed Prometheus: https://learn.microsoft.com/azure/azure-monitor/
    # containers/prometheus-metrics-enable (the DCR's prometheusForwarder stream and its data flow).
    "Microsoft-PrometheusMetrics",
    # Key rotation policy lifetime actions: Key Vault returns (and takes) `Rotate`/`Notify` (the data plane's
    # LifetimeActionsType, learn.microsoft.com/rest/api/keyvault/keys/get-key-rotation-policy); the provider's
    # enum lists them in lower case, which a refreshed state never matches.
    "Rotate", "Notify",
}
# Values the offline report uses for what it cannot show.
_OPAQUE = ("[secret]", "[unknown]", "[resource]")


def available() -> bool:
    return all((SCHEMAS / f"{p}.json.gz").is_file() for p in set(PACKAGES.values()))


@lru_cache(maxsize=None)
def schema(package: str) -> dict:
    with gzip.open(SCHEMAS / f"{package}.json.gz") as f:
        return json.load(f)


def _package_of(type_: str) -> Optional[str]:
    if type_.startswith("pulumi:providers:"):
        return None
    return PACKAGES.get(type_.split(":", 1)[0])


def _resolve(package: str, ref: str) -> Optional[dict]:
    if not ref.startswith("#/types/"):
        return None  # pulumi.json#/Any, Asset, Archive
    return schema(package)["types"].get(ref[len("#/types/"):])


def _check_value(package: str, spec: dict, value: Any, path: str, out: list[str]) -> None:
    if value is None or (isinstance(value, str) and value in _OPAQUE):
        return
    if "oneOf" in spec:
        # `Union[str, SomeEnum]` in the SDK: a string is accepted by the SDK but the provider only
        # knows the enum's values, so a string must be one of them.
        enums = [t for b in spec["oneOf"] if b.get("$ref") and (t := _resolve(package, b["$ref"])) and "enum" in t]
        if enums and isinstance(value, str):
            allowed = [e["value"] for t in enums for e in t["enum"]]
            if value not in allowed and value not in OPEN_ENUM_VALUES:
                out.append(f"{path}: {value!r} is not one of {allowed}")
            return
        trials = []
        for branch in spec["oneOf"]:
            errs: list[str] = []
            _check_value(package, branch, value, path, errs)
            if not errs:
                return
            trials.append(errs)
        out.append(f"{path}: {value!r} matches none of {[b.get('$ref') or b.get('type') for b in spec['oneOf']]}")
        return
    ref = spec.get("$ref")
    if ref:
        t = _resolve(package, ref)
        if t is None:
            return
        if "enum" in t:
            allowed = [e["value"] for e in t["enum"]]
            if value not in allowed and value not in OPEN_ENUM_VALUES:
                out.append(f"{path}: {value!r} is not one of {allowed}")
            return
        if t.get("type") == "object":
            if not isinstance(value, dict):
                out.append(f"{path}: expected an object ({ref}), got {type(value).__name__}")
                return
            props = t.get("properties", {})
            for k, v in value.items():
                if k not in props:
                    out.append(f"{path}.{k}: unknown property of {ref.split('/')[-1]}")
                    continue
                _check_value(package, props[k], v, f"{path}.{k}", out)
            for req in t.get("required", []):
                if req not in value:
                    out.append(f"{path}.{req}: required by {ref.split('/')[-1]} but missing")
        return
    typ = spec.get("type")
    if typ == "array":
        if not isinstance(value, list):
            out.append(f"{path}: expected an array, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            _check_value(package, spec.get("items", {}), item, f"{path}[{i}]", out)
    elif typ == "object" and "additionalProperties" in spec:
        if not isinstance(value, dict):
            out.append(f"{path}: expected a map, got {type(value).__name__}")
            return
        for k, v in value.items():
            _check_value(package, spec["additionalProperties"], v, f"{path}[{k!r}]", out)
    elif typ == "boolean" and not isinstance(value, bool):
        out.append(f"{path}: expected a boolean, got {value!r}")
    elif typ in ("integer", "number") and (isinstance(value, bool) or not isinstance(value, (int, float))):
        out.append(f"{path}: expected a {typ}, got {value!r}")
    elif typ == "string" and not isinstance(value, str):
        out.append(f"{path}: expected a string, got {value!r}")


def violations(resource: dict) -> list[str]:
    """Every way `resource` (a JSON report entry) departs from its provider's schema."""
    type_ = resource["type"]
    package = _package_of(type_)
    if package is None or type_ in CUSTOM_RESOURCES:
        return []
    res = schema(package)["resources"].get(type_)
    if res is None:
        return [f"{type_}: unknown resource type in {package} {schema(package)['version']}"]
    out: list[str] = []
    props = res.get("inputProperties", {})
    inputs = resource["inputs"] or {}
    for key, value in inputs.items():
        if key not in props:
            out.append(f"{type_} {resource['name']}: unknown input {key!r}")
            continue
        _check_value(package, props[key], value, f"{type_} {resource['name']}: {key}", out)
    for req in res.get("requiredInputs", []) or []:
        if req not in inputs:
            out.append(f"{type_} {resource['name']}: required input {req!r} missing")
    return out
