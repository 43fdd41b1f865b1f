"""How a release reaches an AWS cell (the plugin's `release_module`, read by ops/release): the object store
its release files are published to (S3, `s3://<bucket>`) and how the SLO gate authenticates to its metrics
(Amazon Managed Service for Prometheus: SigV4).
"""
from __future__ import annotations

from typing import BinaryIO, Iterator, Optional
from urllib.parse import urlparse

from ops.release.stores import (CONNECT_TIMEOUT, PART_SIZE, READ_SIZE, READ_TIMEOUT, SHA256_META, ObjectInfo, Progress,
                                StoreError, _b64sha256, _Counting, parts)

STORE_URI = "s3://<bucket>"
METRICS_AUTH = "sigv4"


def store_for(uri: str, region: Optional[str] = None):
    parsed = urlparse(uri)
    return S3Store(parsed.netloc, region) if parsed.scheme == "s3" and parsed.netloc else None


def metrics_auth(ep):
    """Signs each query with the caller's AWS credentials (service `aps`, the workspace's region)."""
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    creds = boto3.Session().get_credentials()

    def sign(req):
        aws = AWSRequest(method=req.method, url=req.url, data=req.body, headers={"Host": req.url.split("/")[2]})
        SigV4Auth(creds, "aps", ep.region or "us-east-1").add_auth(aws)
        req.headers.update(dict(aws.headers))
        return req
    return sign


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
