"""A cell serves its model from its own bucket (residency-model-in-own-cell).

A workload names where it loads its model from in the `MODEL_URI` environment variable of its
containers (README "Releases"). That location must be a bucket this stack holds, of the workload's
own cell, in the workload's zone: a model read across cells moves data (and the model, which may be
allowed only in some zones) out of zone, whatever the bucket's own labels say.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Iterator, Optional
from urllib.parse import urlparse

from stack_view import Res, StackView, what
from zones import Zones, is_unknown

from .common import judge_store, zoned
from .rule_shape import Finding, cannot_verify, violation

MODEL_ENV = "MODEL_URI"

# Paths to the container lists of Kubernetes workload kinds (pod template or pod).
_CONTAINER_PATHS = (("spec", "template", "spec"), ("spec", "jobTemplate", "spec", "template", "spec"), ("spec",))

# How an object store is named in a model URI, per storage type: the inputs/outputs holding its
# name (AnalyzeStack sees inputs overlaid with outputs, so a provider-chosen name is known at update).
# type -> (the store's URI scheme, the inputs naming it)
_STORES: dict[str, tuple[str, tuple[str, ...]]] = {
    "aws:s3/bucket:Bucket": ("s3", ("bucket",)),
    "aws:s3/bucketV2:BucketV2": ("s3", ("bucket",)),
    "aws:s3/directoryBucket:DirectoryBucket": ("s3", ("bucket",)),
    "gcp:storage/bucket:Bucket": ("gs", ("name",)),
    "azure-native:storage:BlobContainer": ("blob", ("accountName", "containerName")),
}
_BLOB_HOST = re.compile(r"^([a-z0-9]{3,24})\.blob\.core\.windows\.net$")


def _containers(props: dict) -> Iterator[dict]:
    for path in _CONTAINER_PATHS:
        node: Any = props
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            for key in ("containers", "initContainers"):
                for c in node.get(key) or []:
                    if isinstance(c, dict):
                        yield c
            if node.get("containers") is not None:
                return


def model_uris(r: Res) -> list[Any]:
    return [e.get("value") for c in _containers(r.props) for e in (c.get("env") or [])
            if isinstance(e, dict) and e.get("name") == MODEL_ENV]


def store_key(uri: str) -> Optional[str]:
    """`s3/<bucket>`, `gs/<bucket>` or `blob/<account>/<container>` for a model URI; None if not a store."""
    u = urlparse(uri)
    if u.scheme in ("s3", "gs") and u.netloc:
        return f"{u.scheme}/{u.netloc}"
    m = _BLOB_HOST.match(u.netloc or "")
    if u.scheme == "https" and m:
        container = u.path.lstrip("/").split("/", 1)[0]
        return f"blob/{m.group(1)}/{container}" if container else None
    return None


def _key_of(r: Res) -> Optional[str]:
    prefix, names = _STORES.get(r.type, ("", ()))
    if not names:
        return None
    values = [r.props.get(n) for n in names]
    if any(not isinstance(v, str) or is_unknown(v) for v in values):
        return None
    return "/".join([prefix, *values])


def _cell_of_store(view: StackView, store: Res) -> Optional[str]:
    """The cell a store belongs to: its own (or ancestors') `cell` label, else, for a store that cannot
    carry labels (an Azure blob container), the one cell its inputs' resources agree on (its account)."""
    own = view.cell_name(store)
    if own:
        return own
    cells = {c for deps in store.prop_deps.values() for u in deps
             if u in view.by_urn and (c := view.cell_name(view.by_urn[u]))}
    return cells.pop() if len(cells) == 1 else None


def check_models(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    stores = {k: r for r in view.resources if (k := _key_of(r))}
    out: list[Finding] = []
    for r, zone in zoned(view, zones):
        for uri in model_uris(r):
            if is_unknown(uri):
                out.append(cannot_verify(f"{what(r)}: {MODEL_ENV} unknown during preview", r.urn))
                continue
            key = store_key(str(uri))
            if key is None:
                out.append(violation(f"{what(r)}: {MODEL_ENV} {uri!r} is not an object-storage location "
                                     "(s3://, gs://, https://<account>.blob.core.windows.net/); a model is loaded "
                                     "only from its cell's own bucket", r.urn))
                continue
            store = stores.get(key)
            own, theirs = view.cell_name(r), _cell_of_store(view, store) if store else None
            if store is not None and own and theirs and own != theirs:
                out.append(violation(f"{what(r)} of cell {own!r} loads its model from {uri!r}, the bucket "
                                     f"{store.name!r} of cell {theirs!r}: a cell serves only from its own bucket",
                                     r.urn))
                continue
            out += judge_store(view, r, zone, zones, store, uri, f"{what(r)} (zone {zone!r}) loads its model from",
                               "bucket")
    return out
