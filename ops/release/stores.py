"""Object storage of a cell, one class per kind of `bucket_uri` a cell exports.

Each store uploads in parts with a checksum per part that the service checks on receipt, records the
artifact's full sha256 in the object's metadata (so a later run can tell an identical copy without
reading it), and streams an object back for verification. Credentials are each cloud's defaults:

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
import re
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator, Optional, Protocol
from urllib.parse import urlparse

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


class S3Store:
    def __init__(self, bucket: str, region: Optional[str] = None):
        import boto3
        from botocore.config import Config
        self.uri = f"s3://{bucket}"
        self.bucket = bucket
        self._client = boto3.client("s3", region_name=region, config=Config(
            connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT, retries={"max_attempts": 3, "mode": "standard"}))

    def _call(self, what: str, fn, **kw):
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            return fn(**kw)
        except ClientError as exc:
            raise StoreError(f"{self.uri}: {what}: {exc.response.get('Error', {}).get('Code')}: {exc}") from None
        except BotoCoreError as exc:
            raise StoreError(f"{self.uri}: {what}: {exc}") from None

    def head(self, key: str) -> Optional[ObjectInfo]:
        from botocore.exceptions import ClientError
        try:
            r = self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StoreError(f"{self.uri}: head {key}: {exc}") from None
        except Exception as exc:  # connection errors are BotoCoreError subclasses
            raise StoreError(f"{self.uri}: head {key}: {exc}") from None
        return ObjectInfo(size=r["ContentLength"], sha256=r.get("Metadata", {}).get(SHA256_META))

    def upload(self, key: str, src: BinaryIO, size: int, sha256: str, progress: Progress) -> None:
        meta = {SHA256_META: sha256}
        if size <= PART_SIZE:
            body = src.read()
            self._call(f"put {key}", self._client.put_object, Bucket=self.bucket, Key=key, Body=body,
                       Metadata=meta, ChecksumSHA256=_b64sha256(body))
            progress(len(body))
            return
        up = self._call(f"start upload of {key}", self._client.create_multipart_upload, Bucket=self.bucket,
                        Key=key, Metadata=meta, ChecksumAlgorithm="SHA256")
        uid, done = up["UploadId"], []
        try:
            for n, chunk in enumerate(parts(src), start=1):
                r = self._call(f"part {n} of {key}", self._client.upload_part, Bucket=self.bucket, Key=key,
                               UploadId=uid, PartNumber=n, Body=chunk, ChecksumSHA256=_b64sha256(chunk))
                done.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumSHA256": r.get("ChecksumSHA256")
                             or _b64sha256(chunk)})
                progress(len(chunk))
            self._call(f"complete {key}", self._client.complete_multipart_upload, Bucket=self.bucket, Key=key,
                       UploadId=uid, MultipartUpload={"Parts": done})
        except BaseException:
            # An abandoned upload's parts are billed until aborted.
            try:
                self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=uid)
            except Exception:
                pass
            raise

    def read(self, key: str) -> Iterator[bytes]:
        r = self._call(f"get {key}", self._client.get_object, Bucket=self.bucket, Key=key)
        body = r["Body"]
        try:
            yield from iter(lambda: body.read(READ_SIZE), b"")
        finally:
            body.close()

    def put_json(self, key: str, body: bytes) -> None:
        self._call(f"put {key}", self._client.put_object, Bucket=self.bucket, Key=key, Body=body,
                   ContentType="application/json", ChecksumSHA256=_b64sha256(body))


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
    """The store of a cell's `bucket_uri` export."""
    parsed = urlparse(uri)
    if parsed.scheme == "s3" and parsed.netloc:
        return S3Store(parsed.netloc, region)
    if parsed.scheme == "gs" and parsed.netloc:
        return GcsStore(parsed.netloc)
    if parsed.scheme == "https" and parsed.netloc.endswith(".blob.core.windows.net"):
        return BlobStore(uri)
    raise StoreError(f"{uri}: not a bucket URI a cell exports; allowed: s3://<bucket>, gs://<bucket>, "
                     "https://<account>.blob.core.windows.net/<container>")
