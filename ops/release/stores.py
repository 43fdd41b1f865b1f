"""Object storage of a cell: what every store does, and `for_uri`, which asks each cloud plugin's release
module (components/clouds/<cloud>/release.py) for the store of a `bucket_uri` a cell exports.

Each store uploads in parts with a checksum per part that the service checks on receipt, records the
artifact's full sha256 in the object's metadata (so a later run can tell an identical copy without
reading it), and streams an object back for verification. Credentials are each cloud's defaults (the
stores themselves live in the clouds' folders):

- `s3://bucket`: boto3's chain (env, profile, SSO, instance/role). `AWS_ENDPOINT_URL_S3` points it
  elsewhere (boto3 reads it itself), e.g. moto's server in the tests. Parts carry `ChecksumSHA256`.
- `gs://bucket`: google-cloud-storage's Application Default Credentials; with `STORAGE_EMULATOR_HOST`
  (read by the library) an emulator, anonymously. Resumable upload in chunks; the JSON API takes no
  per-chunk checksum, so the session's crc32c is checked by the library at the end, and the sha256
  read-back does the rest.
- `https://<account>.blob.core.windows.net/<container>`: `AZURE_STORAGE_CONNECTION_STRING` when it
  names that account (Azurite in the tests), else azure-identity's DefaultAzureCredential. Blocks
  are staged with a transactional MD5 each (`validate_content`), then committed.
"""
from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, Optional, Protocol

SHA256_META = "sha256"          # object metadata key holding the full artifact's sha256 (hex)
PART_SIZE = 16 * 1024 * 1024    # bytes per part/chunk/block (S3 needs >= 5 MiB but for the last part)
READ_SIZE = 1024 * 1024
CONNECT_TIMEOUT = float(os.environ.get("RELEASE_CONNECT_TIMEOUT", "10"))
READ_TIMEOUT = float(os.environ.get("RELEASE_READ_TIMEOUT", "120"))

Progress = Callable[[int], None]  # called with the number of bytes just sent


class StoreError(Exception):
    """A store cannot be reached or refused an operation; the message names the store."""


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    sha256: Optional[str]  # from metadata; None when the object carries none


class Store(Protocol):
    uri: str

    def head(self, key: str) -> Optional[ObjectInfo]: ...
    def upload(self, key: str, src: BinaryIO, size: int, sha256: str, progress: Progress) -> None: ...
    def read(self, key: str) -> Iterator[bytes]: ...
    def put_json(self, key: str, body: bytes) -> None: ...


def parts(src: BinaryIO, part_size: int = PART_SIZE) -> Iterator[bytes]:
    while True:
        chunk = src.read(part_size)
        if not chunk:
            return
        yield chunk


def _b64sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class _Counting:
    """A file object that reports what is read from it (for progress)."""

    def __init__(self, src: BinaryIO, progress: Progress):
        self._src, self._progress = src, progress

    def read(self, n: int = -1) -> bytes:
        data = self._src.read(n)
        self._progress(len(data))
        return data

    def __getattr__(self, name):
        return getattr(self._src, name)


def for_uri(uri: str, region: Optional[str] = None) -> Store:
    """The store of a cell's `bucket_uri` export: the cloud plugin whose release module knows its form
    (components/clouds/<cloud>/release.py, `store_for`)."""
    from components.clouds.plugins import PLUGINS

    forms = []
    for plugin in PLUGINS.values():
        module = plugin.release()
        store = module.store_for(uri, region)
        if store is not None:
            return store
        forms.append(module.STORE_URI)
    raise StoreError(f"{uri}: not a bucket URI a cell exports; allowed: {', '.join(forms)}")
