"""How a release reaches a GCP cell (the plugin's `release_module`, read by ops/release): the object store
its release files are published to (Cloud Storage, `gs://<bucket>`) and how the SLO gate authenticates to
its metrics (Managed Service for Prometheus: an OAuth token of Application Default Credentials).
"""
from __future__ import annotations

import os
from typing import BinaryIO, Iterator, Optional
from urllib.parse import urlparse

from ops.release.stores import (CONNECT_TIMEOUT, PART_SIZE, READ_SIZE, READ_TIMEOUT, SHA256_META, ObjectInfo, Progress,
                                StoreError, _b64sha256, _Counting, parts)

STORE_URI = "gs://<bucket>"
METRICS_AUTH = "google"


def store_for(uri: str, region: Optional[str] = None):
    parsed = urlparse(uri)
    return GcsStore(parsed.netloc) if parsed.scheme == "gs" and parsed.netloc else None


def metrics_token(ep) -> str:
    import google.auth
    import google.auth.transport.requests
    creds, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/monitoring.read"])
    creds.refresh(google.auth.transport.requests.Request())
    return creds.token


class GcsStore:
    def __init__(self, bucket: str):
        from google.cloud import storage
        self.uri = f"gs://{bucket}"
        if os.environ.get("STORAGE_EMULATOR_HOST"):
            from google.auth.credentials import AnonymousCredentials
            client = storage.Client(project="emulator", credentials=AnonymousCredentials())
        else:
            client = storage.Client()
        self._bucket = client.bucket(bucket)

    def _call(self, what: str, fn, *a, **kw):
        from google.api_core import exceptions as gexc
        import requests
        try:
            return fn(*a, **kw)
        except (gexc.GoogleAPIError, requests.RequestException, OSError) as exc:
            raise StoreError(f"{self.uri}: {what}: {exc}") from None

    def head(self, key: str) -> Optional[ObjectInfo]:
        blob = self._call(f"head {key}", self._bucket.get_blob, key, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
        if blob is None:
            return None
        return ObjectInfo(size=int(blob.size or 0), sha256=(blob.metadata or {}).get(SHA256_META))

    def upload(self, key: str, src: BinaryIO, size: int, sha256: str, progress: Progress) -> None:
        blob = self._bucket.blob(key, chunk_size=PART_SIZE)  # a multiple of 256 KiB: a resumable session
        blob.metadata = {SHA256_META: sha256}
        self._call(f"upload {key}", blob.upload_from_file, _Counting(src, progress), size=size,
                   checksum="crc32c", timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))

    def read(self, key: str) -> Iterator[bytes]:
        blob = self._bucket.blob(key)
        with self._call(f"get {key}", blob.open, "rb", chunk_size=READ_SIZE) as fh:
            yield from iter(lambda: fh.read(READ_SIZE), b"")

    def put_json(self, key: str, body: bytes) -> None:
        blob = self._bucket.blob(key)
        self._call(f"put {key}", blob.upload_from_string, body, content_type="application/json",
                   timeout=(CONNECT_TIMEOUT, READ_TIMEOUT))
