"""Mocks for any resource type and any invoke, derived from the installed SDKs' own declarations.

A hand-written mock (aws.py, gcp.py, ...) says what one type really returns. For every other type
the answer is built from what the Python SDK declares: the resource class's output property getters
(`pulumi._types.resource_types`) and the invoke's result class (`<Function>Result`,
`pulumi._types.output_type_types`), names and types. Each declared output gets a value of its type;
strings follow the cloud's known forms where the name says what they are (ARNs, self links, Azure
resource ids, endpoints, CIDRs, addresses), inputs and invoke arguments win over invented values.
In a dry run the engine then turns every value the provider computes into an unknown
(`offline.engine`), as a first `pulumi preview` shows it.
"""
from __future__ import annotations

import enum
import importlib
import re
import typing
from functools import lru_cache
from typing import Any, Optional

from .registry import (AZURE_SUBSCRIPTION_ID, AZURE_TENANT_ID, UNKNOWN, MockContext, stable_hex,
                       stable_uuid)

# Provider package -> Python package of its SDK, when the name does not follow `pulumi_<pkg>`.
PY_PACKAGES = {"time": "pulumiverse_time", "acme": "pulumiverse_acme"}
MAX_DEPTH = 4


def _py_package(pkg: str) -> str:
    return PY_PACKAGES.get(pkg, "pulumi_" + pkg.replace("-", "_"))


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(":")
    if len(parts) != 3:
        return parts[0], "", parts[-1]
    return parts[0], parts[1], parts[2]


def _registered_fqn(pkg: str, mod: str) -> Optional[str]:
    """The Python module the SDK registered for `pkg:mod` (its resource modules), if any."""
    from pulumi.runtime import rpc

    head = mod.split("/")[0]
    for key, modules in list(getattr(rpc, "_RESOURCE_MODULES", {}).items()):
        kpkg, _, kmod = key.partition(":")
        if kpkg != pkg or not (kmod == mod or kmod.split("/")[0] == head):
            continue
        for m in modules:
            fqn = getattr(m, "mod_info", {}).get("fqn")
            if fqn:
                return fqn
    return None


def _modules_for(pkg: str, mod: str) -> list[str]:
    """Candidate Python modules declaring a token of module `mod` (registered first, then by convention)."""
    root = _py_package(pkg)
    out = []
    fqn = _registered_fqn(pkg, mod)
    if fqn:
        out.append(fqn)
    if pkg == "kubernetes":
        out.append(f"{root}." + mod.replace(".k8s.io", "").replace("/", "."))
    head = mod.split("/")[0]
    out.append(root if head in ("index", "") else f"{root}.{head.replace('-', '_')}")
    if "/" in mod and not mod.split("/")[-1][:1].islower():
        out.append(f"{root}." + mod.replace("/", "."))
    return list(dict.fromkeys(out))


@lru_cache(maxsize=None)
def _import(name: str):
    """The module, or None; a name that failed is not searched for on disk again."""
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - no such module: the next candidate
        return None


@lru_cache(maxsize=None)
def resource_class(type_: str) -> Optional[type]:
    """The SDK's resource class for a type token (aws:ec2/vpc:Vpc -> pulumi_aws.ec2.Vpc)."""
    pkg, mod, cls = _split(type_)
    from pulumi.runtime import rpc

    for m in getattr(rpc, "_RESOURCE_MODULES", {}).get(f"{pkg}:{mod}", []):
        info = getattr(m, "mod_info", None)
        if info and type_ in info.get("classes", {}):
            found = getattr(_import(info["fqn"]), info["classes"][type_], None)
            if found is not None:
                return found
    for name in _modules_for(pkg, mod):
        found = getattr(_import(name), cls, None)
        if isinstance(found, type):
            return found
    return None


@lru_cache(maxsize=None)
def invoke_result_class(token: str) -> Optional[type]:
    """The SDK's result class of an invoke (aws:ec2/getVpc:getVpc -> pulumi_aws.ec2.GetVpcResult)."""
    pkg, mod, fn = _split(token)
    if not fn:
        return None
    wanted = fn[0].upper() + fn[1:] + "Result"
    for name in _modules_for(pkg, mod):
        found = getattr(_import(name), wanted, None)
        if isinstance(found, type):
            return found
    return None


@lru_cache(maxsize=None)
def _declared(cls: Optional[type], resource: bool) -> dict[str, Any]:
    if cls is None:
        return {}
    from pulumi import _types

    try:
        return dict(_types.resource_types(cls) if resource else _types.output_type_types(cls))
    except Exception:  # noqa: BLE001 - a class whose annotations do not resolve: nothing declared
        return {}


@lru_cache(maxsize=None)
def _docs(cls: Optional[type]) -> dict[str, str]:
    """Wire name -> the SDK's description of the property (its getter's docstring)."""
    if cls is None:
        return {}
    from pulumi import _types

    try:
        names = _types._py_to_pulumi_names_from_py_properties(cls)
    except Exception:  # noqa: BLE001
        return {}
    return {wire: " ".join((getattr(getattr(cls, py, None), "__doc__", None) or "").split())
            for py, wire in names.items()}


KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: {name}
  cluster:
    server: https://{name}.offline.example.com:443
    certificate-authority-data: {ca}
contexts:
- name: {name}
  context: {{cluster: {name}, user: {name}}}
current-context: {name}
users:
- name: {name}
  user: {{token: offline}}
"""


def _described(ctx: MockContext, name: str, prop: str, doc: str) -> Optional[str]:
    """A string the SDK's description says the shape of (a kubeconfig, base64, PEM, JSON)."""
    import base64

    low = doc.lower()
    value = None
    if "kubeconfig" in low or "kubernetes configuration" in low or "kube config" in low:
        ca = base64.b64encode(f"offline CA of {name}".encode()).decode()
        value = KUBECONFIG.format(name=re.sub(r"[^a-z0-9-]", "-", name.lower()), ca=ca)
    elif "pem" in low.split() or "pem-encoded" in low or "pem encoded" in low:
        value = f"-----BEGIN CERTIFICATE-----\n{base64.b64encode(name.encode()).decode()}\n-----END CERTIFICATE-----\n"
    elif "json" in low.split() and "json" in prop.lower():
        value = "{}"
    if value is None and ("base64" in low or "base-64" in low):
        value = f"offline {name} {prop}"
    if value is not None and ("base64" in low or "base-64" in low):
        return base64.b64encode(value.encode()).decode()
    return value


def _camel_words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)]


def _service(type_: str) -> str:
    pkg, mod, _ = _split(type_)
    return mod.split("/")[0].lower() or pkg


def _resource_kind(type_: str) -> str:
    """The kind of object a token is about, camelCased: `Vault` for a resource, and for an invoke the
    object it reads (getVirtualNetwork -> virtualNetwork, listStorageAccountKeys -> storageAccountKeys)."""
    kind = _split(type_)[2]
    kind = re.sub(r"^(get|list)(?=[A-Z])", "", kind)
    return kind[:1].lower() + kind[1:]


@lru_cache(maxsize=None)
def _forms(pkg: str):
    """The mocks module of the plugin whose package `pkg` is, when it says the cloud's id forms (`sdk_string`,
    `sdk_id`: ARNs, self links, ARM ids, the provider's settings), else None (a package that is no cloud's)."""
    from .. import clouds
    from ..cloud_facts import cloud_of_package

    cloud = cloud_of_package(pkg)
    for name in clouds.modules_of(cloud, "mock_modules") if cloud else ():
        module = importlib.import_module(name)
        if hasattr(module, "sdk_string"):
            return module
    return None


def _string(ctx: MockContext, type_: str, name: str, prop: str, inputs: dict) -> str:
    """A string that has the form the cloud gives the property, by its name."""
    pkg = type_.split(":")[0]
    low = prop.lower()
    words = _camel_words(prop)
    h = stable_hex(ctx.stack, type_, name, prop, n=16)
    forms = _forms(pkg)
    value = forms.sdk_string(ctx, type_, name, prop, inputs) if forms is not None else None
    if value is not None:
        return value
    if low == "subscriptionid":
        return AZURE_SUBSCRIPTION_ID
    if low == "tenantid":
        return AZURE_TENANT_ID
    if "cidr" in words or low.endswith("cidrblock") or "cidr" in low or (
            words[-1:] in (["prefix"], ["prefixes"]) and ("address" in words or "ip" in words)):
        return "10.0.0.0/16"
    if words and words[-1] in ("ip", "address") or low.endswith("ipaddress"):
        return f"198.51.100.{int(h[:2], 16) % 250 + 1}"  # TEST-NET-2 (RFC 5737)
    if words and words[-1] in ("endpoint", "fqdn", "hostname", "host", "domain", "dns"):
        return f"{name}-{h[:8]}.offline.example.com"
    if words and words[-1] in ("url", "uri"):
        return f"https://{name}-{h[:8]}.offline.example.com/"
    if "json" in words or words[-1:] == ["policy"]:
        return "{}"
    if words and words[-1] in ("base64", "certificate", "data") or "base64" in low:
        import base64

        return base64.b64encode(f"offline {name} {prop}".encode()).decode()
    if words and words[-1] in ("uuid", "guid") or low in ("principalid", "objectid", "clientid"):
        return stable_uuid(ctx.stack, type_, name, prop)
    if low in ("etag", "fingerprint", "hash", "digest"):
        return h
    if any(w in words for w in ("password", "secret", "key", "token")):
        return stable_hex(ctx.stack, type_, name, prop, n=32)
    if low in ("state", "status", "provisioningstate"):
        return "available"
    if low in ("name",):
        return f"{name}-{h[:7]}"
    if low == "id" or low.endswith("id"):
        return f"{name}-{h[:8]}"
    if low.endswith("ids"):
        return f"{name}-{h[:8]}"
    return f"{name}-{prop}"


@lru_cache(maxsize=None)
def _shape(typ: Any) -> tuple[Any, Any, tuple]:
    """(unwrapped type, its origin, its arguments): the same for every value of a declared type."""
    from pulumi import _types

    typ = _types.unwrap_type(typ) if typ is not None else None
    return typ, typing.get_origin(typ), typing.get_args(typ)


def value_of(ctx: MockContext, type_: str, name: str, prop: str, typ: Any, inputs: dict, depth: int = 0,
             doc: str = "") -> Any:
    """A value of the declared type `typ` for property `prop` (`doc`: the SDK's description of it)."""
    from pulumi import _types

    try:
        typ, origin, args = _shape(typ)
    except TypeError:  # an unhashable annotation: worked out each time
        typ = _types.unwrap_type(typ) if typ is not None else None
        origin, args = typing.get_origin(typ), typing.get_args(typ)
    if origin is typing.Union:
        options = [a for a in args if a is not type(None)]
        return value_of(ctx, type_, name, prop, options[0] if options else None, inputs, depth, doc)
    if typ is str or typ is None or typ is Any:
        return _described(ctx, name, prop, doc) or _string(ctx, type_, name, prop, inputs)
    if typ is bool:
        return prop.lower() in ("enabled", "enable") or prop.lower().startswith("enable")
    if typ is int:
        return 1
    if typ is float:
        return 1.0
    if origin in (list, tuple, typing.Sequence, __import__("collections.abc").abc.Sequence):
        item = args[0] if args else str
        if depth >= MAX_DEPTH:
            return []
        # Lookups are indexed ([0], [1]...): lists of plain values come with a few distinct items.
        try:
            plain = _shape(item)[0] in (str, int, float)
        except TypeError:
            plain = _types.unwrap_type(item) in (str, int, float)
        count = 3 if plain else 1
        return [_item(value_of(ctx, type_, name, prop, item, inputs, depth + 1, doc), i) for i in range(count)]
    if origin in (dict, typing.Mapping, __import__("collections.abc").abc.Mapping):
        # The entries the SDK's description names (`uris["GRAPHQL"] = https://...`): a program indexes
        # them as the docs show. A map the docs say nothing of stays empty.
        keys = _documented_keys(prop, doc)
        if not keys or depth >= MAX_DEPTH:
            return {}
        item = args[1] if len(args) > 1 else str
        entry = prop[:-1] if prop.endswith("s") and len(prop) > 3 else prop  # uris -> a uri each
        return {k: value_of(ctx, type_, name, entry, item, inputs, depth + 1) for k in keys}
    if isinstance(typ, type) and issubclass(typ, enum.Enum):
        # A declared enum (azure-native BlobAccessTier): one of its values, which the SDK converts back.
        return next(iter(typ)).value
    if isinstance(typ, type) and _types.is_output_type(typ):
        if depth >= MAX_DEPTH:
            return {}
        docs = _docs(typ)
        return {k: value_of(ctx, type_, name, k, t, inputs, depth + 1, docs.get(k, ""))
                for k, t in _declared(typ, resource=False).items()}
    return _string(ctx, type_, name, prop, inputs)


def _documented_keys(prop: str, doc: str) -> list[str]:
    """Keys of a map property its description indexes it by: `uris["GRAPHQL"]`, `uris['REALTIME']`."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", prop).lower()
    found = re.findall(r"\b(?:%s|%s)\[[\"']([^\"'\]]+)[\"']\]" % (re.escape(prop), re.escape(snake)), doc or "")
    return list(dict.fromkeys(found))


def _item(value: Any, i: int) -> Any:
    if i == 0 or not isinstance(value, str):
        return value
    if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]", value):  # an AWS availability zone
        return value[:-1] + "abcdef"[i % 6]
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+(/\d+)?", value):
        head, _, tail = value.partition("/")
        a, b, c, d = head.split(".")
        return f"{a}.{b}.{int(c) + i}.{d}" + (f"/{tail}" if tail else "")
    return f"{value}-{i}"


@lru_cache(maxsize=None)
def _declared_resource(type_: str) -> dict[str, Any]:
    return _declared(resource_class(type_), resource=True)


@lru_cache(maxsize=None)
def _declared_result(token: str) -> dict[str, Any]:
    return _declared(invoke_result_class(token), resource=False)


def declared_outputs(type_: str) -> tuple[str, ...]:
    """The wire names of every output the SDK's resource class declares for `type_` (none if unknown)."""
    return tuple(_declared_resource(type_))


@lru_cache(maxsize=None)
def args_class(type_: str) -> Optional[type]:
    """The SDK's input class of a resource (`<Name>Args`; `<Name>InitArgs` where a nested type took the
    name, as azure-native's VirtualNetwork)."""
    import sys

    cls = resource_class(type_)
    module = sys.modules.get(cls.__module__) if cls is not None else None
    if module is None:
        return None
    return getattr(module, cls.__name__ + "InitArgs", None) or getattr(module, cls.__name__ + "Args", None)


@lru_cache(maxsize=None)
def declared_inputs(type_: str) -> Optional[frozenset]:
    """The wire names of every input the SDK's resource takes; None when its input class is not found."""
    from pulumi import _types

    cls = args_class(type_)
    if cls is None or not _types.is_input_type(cls):
        return None
    try:
        return frozenset(_types.input_type_types(cls))
    except Exception:  # noqa: BLE001 - annotations that do not resolve: not known
        return None


def computed_outputs(type_: str) -> tuple[str, ...]:
    """Outputs only the provider sets (declared by the resource class, not taken as an input): ids, ARNs,
    endpoints. Empty when the SDK's input class is not found (nothing is known to be computed only)."""
    inputs = declared_inputs(type_)
    return () if inputs is None else tuple(k for k in declared_outputs(type_) if k not in inputs)


def declared_result_fields(token: str) -> tuple[str, ...]:
    """The wire names of every field the SDK's result class of invoke `token` declares."""
    return tuple(_declared_result(token))


def resource_outputs(ctx: MockContext, type_: str, name: str, inputs: dict,
                     only: Optional[list[str]] = None) -> dict:
    """Every output the SDK declares for `type_` (or those in `only`), the inputs overlaid (what the
    provider keeps)."""
    declared, docs = _declared_resource(type_), _docs(resource_class(type_))
    wanted = declared if only is None else {k: declared[k] for k in only if k in declared}
    out = {k: UNKNOWN if ctx.planning and k not in inputs and not _may_be_planned(t)
           else value_of(ctx, type_, name, k, t, inputs, doc=docs.get(k, ""))
           for k, t in wanted.items() if inputs.get(k) is None}
    return {**out, **{k: v for k, v in inputs.items() if v is not None or k not in out}}


def _may_be_planned(typ: Any) -> bool:
    """Whether `value_of` can give a value of type `typ` that a first preview keeps although the program
    did not set it: a string (an auto-name, a value equal to an input; an enum's value is one). A number,
    a flag, a list or an object the provider computes is unknown at preview whatever the mock says."""
    try:
        typ, origin, args = _shape(typ)
    except TypeError:
        return True  # worked out by value_of as it is
    if origin is typing.Union:
        options = [a for a in args if a is not type(None)]
        return _may_be_planned(options[0]) if options else True
    return typ in (str, None, Any) or (isinstance(typ, type) and issubclass(typ, enum.Enum))


def resource_id(ctx: MockContext, type_: str, name: str, inputs: dict) -> str:
    forms = _forms(type_.split(":")[0])
    rid = forms.sdk_id(ctx, type_, name, inputs) if forms is not None else None
    return rid if rid is not None else f"{name}-{stable_hex(ctx.type_, name, n=8)}"


def invoke_result(ctx: MockContext, token: str, args: dict, only: Optional[list[str]] = None) -> dict:
    """Every field the SDK declares for the invoke's result (or those in `only`); fields named like an
    argument echo it."""
    declared, docs = _declared_result(token), _docs(invoke_result_class(token))
    if only is not None:
        declared = {k: declared[k] for k in only if k in declared}
    label = args.get("name") or args.get("id") or _split(token)[2]
    label = label if isinstance(label, str) else _split(token)[2]
    out = {}
    for k, t in declared.items():
        if k in args and args[k] is not None:
            out[k] = args[k]
        else:
            out[k] = value_of(ctx, token, label, k, t, args, doc=docs.get(k, ""))
    return out
