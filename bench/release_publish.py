"""Benchmark: `ops release publish` of a 200 MB artifact to the three emulators (moto S3, GCS emulator,
Azurite), against a plain upload of the same bytes with each cloud's client (one PUT / upload call,
no per-part checksums, no read-back, no manifest).

    python bench/release_publish.py [--mb 200] [--runs 3]

Prints, per store and for the whole publish, the median throughput of each and their ratio. The
publish does more work (hash the source once, checksum every part, read the copy back); the ratio
says what that verification costs.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import yaml  # noqa: E402

from components.core import release as releases  # noqa: E402
from ops.release import publish as pub, stores  # noqa: E402
from release_servers import object_stores  # noqa: E402


def _plain_upload(uri: str, key: str, src: Path) -> None:
    s = stores.for_uri(uri)
    if isinstance(s, stores.S3Store):
        with src.open("rb") as fh:
            s._client.upload_fileobj(fh, s.bucket, key)
    elif isinstance(s, stores.GcsStore):
        s._bucket.blob(key).upload_from_filename(str(src))
    else:
        with src.open("rb") as fh:
            s._container.get_blob_client(key).upload_blob(fh, overwrite=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        size = args.mb * 1000 * 1000
        src = tmp / "model.bin"
        h = hashlib.sha256()
        with src.open("wb") as fh:
            left = size
            while left:
                block = os.urandom(min(left, 8 * 1024 * 1024))
                fh.write(block)
                h.update(block)
                left -= len(block)
        rel_path = tmp / "bench-1.0.0.yaml"
        rel_path.write_text(yaml.safe_dump({
            "name": "bench", "version": "1.0.0", "model": {"sha256": h.hexdigest(), "size": size},
            "image": "ghcr.io/acme/inference@sha256:" + "0" * 64, "allowed_zones": ["us", "eu", "in"]}))
        rel = releases.load_file(rel_path)
        with object_stores(tmp) as servers:
            os.environ.update(servers.env)
            import boto3
            from azure.storage.blob import BlobServiceClient
            from google.auth.credentials import AnonymousCredentials
            from google.cloud import storage
            boto3.client("s3").create_bucket(Bucket="bench-models", CreateBucketConfiguration={
                "LocationConstraint": "us-west-2"})
            storage.Client(project="emulator", credentials=AnonymousCredentials()).create_bucket("bench-models")
            BlobServiceClient.from_connection_string(servers.env["AZURE_STORAGE_CONNECTION_STRING"]) \
                .create_container("bench")
            uris = {"s3": "s3://bench-models", "gcs": "gs://bench-models",
                    "blob": "https://devstoreaccount1.blob.core.windows.net/bench"}
            plain: dict[str, list[float]] = {k: [] for k in uris}
            published: dict[str, list[float]] = {k: [] for k in uris}
            for run in range(args.runs):
                for name, uri in uris.items():
                    t = time.perf_counter()
                    _plain_upload(uri, f"plain/{run}", src)
                    plain[name].append(time.perf_counter() - t)
                    # A fresh version each run: publish would otherwise skip the identical copy.
                    target = pub.Target(name, "us", name, "us-west-2", uri)
                    r = rel.model_copy(update={"version": f"1.0.{run}"})
                    t = time.perf_counter()
                    [res] = pub.publish(r, src, [target], out=io.StringIO())
                    published[name].append(time.perf_counter() - t)
                    assert res.status == "published", res
            mb = size / 1e6
            print(f"artifact: {args.mb} MB, {args.runs} runs, median throughput (MB/s)")
            print(f"{'store':8} {'plain':>8} {'publish':>8} {'ratio':>6}")
            for name in uris:
                p, q = statistics.median(plain[name]), statistics.median(published[name])
                print(f"{name:8} {mb / p:8.1f} {mb / q:8.1f} {q / p:6.2f}")
            tp = sum(statistics.median(v) for v in plain.values())
            tq = sum(statistics.median(v) for v in published.values())
            print(f"{'all':8} {3 * mb / tp:8.1f} {3 * mb / tq:8.1f} {tq / tp:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
