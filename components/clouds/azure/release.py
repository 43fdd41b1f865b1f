"""How a release reaches an Azure cell (the plugin's `release_module`, read by ops/release): the object
store its release files are published to (a blob container, `https://<account>.blob.core.windows.net/
<container>`) and how the SLO gate authenticates to its metrics (an Azure Monitor workspace: a token of
azure-identity's default credential).
"""
from __future__ import annotations

import base64
import os
import re
from typing import BinaryIO, Iterator, Optional
from urllib.parse import urlparse

from ops.release.stores import (CONNECT_TIMEOUT, PART_SIZE, READ_SIZE, READ_TIMEOUT, SHA256_META, ObjectInfo, Progress,
                                StoreError, _b64sha256, _Counting, parts)

STORE_URI = "https://<account>.blob.core.windows.net/<container>"
METRICS_AUTH = "azure"


def store_for(uri: str, region: Optional[str] = None):
    parsed = urlparse(uri)
    return BlobStore(uri) if parsed.scheme == "https" and parsed.netloc.endswith(".blob.core.windows.net") else None


def metrics_token(ep) -> str:
    from azure.identity import DefaultAzureCredential
    return DefaultAzureCredential().get_token("https://prometheus.monitor.azure.com/.default").token


class BlobStore:
    _URI = re.compile(r"^https://([a-z0-9]{3,24})\.blob\.core\.windows\.net/([a-z0-9-]{3,63})/?$")

    def __init__(self, uri: str):
        from azure.storage.blob import BlobServiceClient
        m = self._URI.match(uri)
        if not m:
            raise StoreError(f"{uri}: not https://<account>.blob.core.windows.net/<container>")
        self.uri, account, container = uri.rstrip("/"), m.group(1), m.group(2)
        conn = os.environ.get("AZURE_STORAGE_CONNECTION_STRING", "")
        opts = dict(connection_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retry_total=2)
        if f"AccountName={account};" in conn + ";":
            service = BlobServiceClient.from_connection_string(conn, **opts)
        else:
            from azure.identity import DefaultAzureCredential
            service = BlobServiceClient(f"https://{account}.blob.core.windows.net",
                                        credential=DefaultAzureCredential(), **opts)
        self._container = service.get_container_client(container)

    def _call(self, what: str, fn, *a, **kw):
        from azure.core.exceptions import AzureError
        try:
            return fn(*a, **kw)
        except AzureError as exc:
            raise StoreError(f"{self.uri}: {what}: {str(exc).splitlines()[0]}") from None

    def head(self, key: str) -> Optional[ObjectInfo]:
        from azure.core.exceptions import ResourceNotFoundError
        try:
            props = self._container.get_blob_client(key).get_blob_properties()
        except ResourceNotFoundError:
            return None
        except Exception as exc:
            raise StoreError(f"{self.uri}: head {key}: {str(exc).splitlines()[0]}") from None
        return ObjectInfo(size=props.size, sha256=(props.metadata or {}).get(SHA256_META))

    def upload(self, key: str, src: BinaryIO, size: int, sha256: str, progress: Progress) -> None:
        from azure.storage.blob import BlobBlock
        blob = self._container.get_blob_client(key)
        blocks = []
        for n, chunk in enumerate(parts(src)):
            block_id = base64.b64encode(f"{n:08d}".encode()).decode()
            self._call(f"block {n} of {key}", blob.stage_block, block_id, chunk, validate_content=True)
            blocks.append(BlobBlock(block_id=block_id))
            progress(len(chunk))
        self._call(f"commit {key}", blob.commit_block_list, blocks, metadata={SHA256_META: sha256})

    def read(self, key: str) -> Iterator[bytes]:
        stream = self._call(f"get {key}", self._container.get_blob_client(key).download_blob)
        yield from stream.chunks()

    def put_json(self, key: str, body: bytes) -> None:
        from azure.storage.blob import ContentSettings
        self._call(f"put {key}", self._container.get_blob_client(key).upload_blob, body, overwrite=True,
                   validate_content=True, content_settings=ContentSettings(content_type="application/json"))
