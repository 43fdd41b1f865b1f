"""Real object-storage servers and Prometheus on loopback, started by the tests that need them.

moto's S3 server and gcp-storage-emulator come from requirements.txt; Azurite (npm) and Prometheus
(Debian's `prometheus` package, with promtool) from the README's setup block. A missing server is a
setup failure: these fixtures fail loudly instead of skipping.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
AZURITE = ROOT / ".tools" / "node_modules" / ".bin" / "azurite-blob"
# Azurite's well-known development account (documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout} s")


@contextmanager
def process(args: list[str], port: int, what: str, log: Path) -> Iterator[subprocess.Popen]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, what)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def require(path: Path | str, how: str) -> str:
    found = str(path) if Path(path).exists() else shutil.which(str(path))
    if not found:
        raise RuntimeError(f"{path} is not installed; the README's setup block installs it ({how})")
    return found


@dataclass
class ObjectStores:
    s3: str
    gcs: str
    blob: str
    env: dict

    def apply_env(self, monkeypatch) -> None:
        for k, v in self.env.items():
            monkeypatch.setenv(k, v)


@contextmanager
def object_stores(tmp: Path) -> Iterator[ObjectStores]:
    """moto (S3), gcp-storage-emulator (GCS) and Azurite (Blob), each on its own loopback port."""
    azurite = require(AZURITE, "npm install --prefix .tools azurite")
    p_s3, p_gcs, p_blob = free_port(), free_port(), free_port()
    with process([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(p_s3)], p_s3, "moto",
                 tmp / "moto.log"), \
         process([sys.executable, "-m", "gcp_storage_emulator", "start", "--host", "127.0.0.1", "--port",
                  str(p_gcs), "--in-memory"], p_gcs, "gcp-storage-emulator", tmp / "gcs.log"), \
         process([azurite, "--blobHost", "127.0.0.1", "--blobPort", str(p_blob), "--silent", "--skipApiVersionCheck", "--inMemoryPersistence"], p_blob, "azurite", tmp / "azurite.log"):
        yield ObjectStores(
            s3=f"http://127.0.0.1:{p_s3}", gcs=f"http://127.0.0.1:{p_gcs}", blob=f"http://127.0.0.1:{p_blob}",
            env={
                "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{p_s3}", "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-west-2",
                "STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{p_gcs}",
                "AZURE_STORAGE_CONNECTION_STRING": (
                    f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                    f"BlobEndpoint=http://127.0.0.1:{p_blob}/{AZURITE_ACCOUNT};"),
            })


@contextmanager
def prometheus(tmp: Path, openmetrics: str) -> Iterator[str]:
    """A real Prometheus serving the series in `openmetrics`, backfilled with promtool; yields the
    instant-query URL (`.../api/v1/query`)."""
    promtool = require("promtool", "apt-get install prometheus")
    server = require("prometheus", "apt-get install prometheus")
    data, src = tmp / "tsdb", tmp / "series.om"
    src.write_text(openmetrics)
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", str(src), str(data)], check=True,
                   capture_output=True)
    cfg = tmp / "prometheus.yml"
    cfg.write_text("global:\n  scrape_interval: 1h\n")
    port = free_port()
    with process([server, f"--config.file={cfg}", f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=30d",
                  f"--web.listen-address=127.0.0.1:{port}"], port, "prometheus", tmp / "prometheus.log"):
        url = f"http://127.0.0.1:{port}/api/v1/query"
        _wait_ready(f"http://127.0.0.1:{port}/-/ready")
        yield url


def _wait_ready(url: str, timeout: float = 30.0) -> None:
    import requests
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready within {timeout} s")
