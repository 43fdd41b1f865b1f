"""`python -m ops smoke`: against HTTPS servers and a stub DNS server on 127.0.0.1 only.

Each test deploys "cells" as local HTTPS servers (random ports, certificates from a CA made here),
serves their names from a UDP DNS stub, writes the stack outputs the way the program exports them
(components/cell.py CellOutputs.export, components/dns.py GlobalTraffic.summary) and runs the CLI
with --resolver, --ca-file and --port CELL=PORT. Every server loop is bounded (socket timeouts and
a stop event); nothing leaves the loopback interface.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from offline_helpers import REPO, preview_stack
from ops import outputs as ops_outputs
from ops.__main__ import main

LOOPBACK = "127.0.0.1"
DOMAIN = "smoke.example.com"
PUBLIC = f"api.{DOMAIN}"
A, B = "aws-us-west-2", "gcp-europe-west1"
NOW = dt.datetime.now(dt.timezone.utc)


# ---- test PKI --------------------------------------------------------------------------------

class CA:
    def __init__(self, directory: Path, name: str = "Smoke Test Root CA"):
        self.dir = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=365))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                  content_commitment=False, key_encipherment=False,
                                                  data_encipherment=False, key_agreement=False,
                                                  encipher_only=False, decipher_only=False), critical=True)
                     .add_extension(ski, critical=False)
                     .sign(self.key, hashes.SHA256()))
        self.pem = self.dir / f"{name.replace(' ', '-')}.pem"
        self.pem.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, names: list[str], days_left: int = 90, tag: str = "") -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        not_after = NOW + dt.timedelta(days=days_left)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(min(NOW - dt.timedelta(days=1), not_after - dt.timedelta(days=30)))
                .not_valid_after(not_after)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                               critical=False)
                .sign(self.key, hashes.SHA256()))
        stem = self.dir / f"{names[0]}{tag}-{x509.random_serial_number() % 10**8}"
        cert_file, key_file = stem.with_suffix(".crt"), stem.with_suffix(".key")
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return cert_file, key_file


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> CA:
    return CA(tmp_path_factory.mktemp("pki"))


# ---- servers ---------------------------------------------------------------------------------

class _Handler(BaseHTTPRequestHandler):
    timeout = 3  # a stuck client never holds a server thread longer

    def do_GET(self):  # noqa: N802 - http.server's name
        self.server.paths.append((self.headers.get("Host"), self.path))
        if self.server.status is None:  # handshake done, request read, no answer (bounded wait)
            self.server.release.wait(3)
            return
        status = self.server.status if self.path == self.server.health_path else 404
        body = b"ok\n" if status < 300 else b"unhealthy\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class CellServer(ThreadingHTTPServer):
    """HTTPS on 127.0.0.1:random; the TLS handshake runs in the request's thread, not in accept()."""
    daemon_threads = True

    def __init__(self, ctx: ssl.SSLContext, status: Optional[int] = 200, health_path: str = "/health"):
        self.ctx, self.status, self.health_path, self.paths = ctx, status, health_path, []
        self.release = threading.Event()
        super().__init__((LOOPBACK, 0), _Handler)
        self.port = self.server_address[1]

    def finish_request(self, request, client_address):
        request.settimeout(3)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except OSError:  # the client refused our certificate or protocol: what the tests provoke
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()

    def handle_error(self, request, client_address):
        pass


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.held.append(conn)

    def start(self):
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(2)
        for c in self.held:
            c.close()
        self.sock.close()


class StubDNS:
    """A UDP DNS server on 127.0.0.1 answering from `records` {name: ("A", ip) | ("CNAME", name)}.

    Like a recursive resolver, it returns the whole CNAME chain in one answer; an unknown name is
    NXDOMAIN, a known name without an address of the asked type has no answer. `silent` never answers;
    `drop_aaaa` ignores AAAA queries (resolvers that do exist)."""

    def __init__(self, records: dict[str, tuple[str, str]], silent: bool = False, drop_aaaa: bool = False):
        self.records = {k.lower(): v for k, v in records.items()}
        self.silent, self.drop_aaaa = silent, drop_aaaa
        self.queries: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        resp = dns.message.make_response(query)
        q = query.question[0]
        name = q.name.to_text(omit_final_dot=True).lower()
        for _ in range(8):  # bounded chase
            record = self.records.get(name)
            if record is None:
                if not resp.answer:
                    resp.set_rcode(dns.rcode.NXDOMAIN)
                break
            kind, value = record
            if kind == "CNAME":
                resp.answer.append(dns.rrset.from_text(name + ".", 30, "IN", "CNAME", value + "."))
                name = value.lower()
                continue
            if q.rdtype == dns.rdatatype.from_text(kind):
                resp.answer.append(dns.rrset.from_text(name + ".", 30, "IN", kind, value))
            break
        return resp

    def _loop(self):
        while not self.stop.is_set():
            try:
                data, addr = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            query = dns.message.from_wire(data)
            self.queries.append(query.question[0].name.to_text())
            if self.silent or (self.drop_aaaa and query.question[0].rdtype == dns.rdatatype.AAAA):
                continue
            self.sock.sendto(self._answer(query).to_wire(), addr)

    def start(self):
        self.thread.start()

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def server_ctx(cert: tuple[Path, Path], max_version: Optional[ssl.TLSVersion] = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    if max_version is not None:
        with warnings.catch_warnings():  # TLSv1/TLSv1_1 are deprecated: exactly why we serve them
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.maximum_version = max_version
    return ctx


# ---- a deployed stack on loopback ---------------------------------------------------------------

def cell_export(name: str, health_path: str = "/health") -> dict:
    """What CellOutputs.export writes for a cell (components/cell.py)."""
    return {"name": name, "endpoint_hostname": f"{name}-lb.elb.example.net", "endpoint_ip": "",
            "health_path": health_path, "bucket_uri": f"s3://{name}-models", "cluster_name": name,
            "workload_identity": f"{name}-inference", "residency": "us", "region": "us-west-2",
            "cloud": "aws", "public_name": PUBLIC}


def stack_outputs(cells: list[str], global_traffic: bool = True) -> dict:
    out: dict = {}
    for name in cells:
        out[name] = cell_export(name)
        out[name + "_kubeconfig"] = "apiVersion: v1\nkind: Config\n"
    if global_traffic:
        out["global_traffic"] = {"public_name": PUBLIC, "routing": "failover", "within_zone": "failover",
                                 "health_check_ids": {n: f"hc-{n}" for n in cells},
                                 "worst_case_failover_seconds": 60.0, "latency_regions": {}}
    return out


class Deployment:
    """Cells as local servers, their names in a stub DNS, the outputs in a file."""

    def __init__(self, tmp_path: Path, pki: CA):
        self.tmp, self.pki = tmp_path, pki
        self.servers: dict[str, object] = {}
        self.records: dict[str, tuple[str, str]] = {PUBLIC: ("CNAME", f"{A}.{DOMAIN}")}
        self.dns: Optional[StubDNS] = None
        self._closers = []

    def healthy_cert(self, cell: str, **kw):
        return self.pki.issue([f"{cell}.{DOMAIN}", PUBLIC], **kw)

    def serve(self, cell: str, server=None, resolve: bool = True):
        if server is None:
            server = CellServer(server_ctx(self.healthy_cert(cell)))
        if isinstance(server, CellServer):
            t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            t.start()
            self._closers.append(lambda s=server, t=t: (s.release.set(), s.shutdown(), s.server_close(), t.join(2)))
        else:
            server.start()
            self._closers.append(server.close)
        self.servers[cell] = server
        if resolve:
            self.records[f"{cell}.{DOMAIN}"] = ("A", LOOPBACK)
        return server

    def run(self, *extra: str, outputs: Optional[dict] = None, silent_dns: bool = False, drop_aaaa: bool = False,
            timeout: str = "2", deadline: str = "10", capsys=None) -> tuple[int, list[list[str]], str]:
        self.dns = StubDNS(self.records, silent=silent_dns, drop_aaaa=drop_aaaa)
        self.dns.start()
        self._closers.append(self.dns.close)
        out_file = self.tmp / "outputs.json"
        out_file.write_text(json.dumps(outputs if outputs is not None else stack_outputs(sorted(self.servers))))
        args = ["smoke", "dev", "--outputs", str(out_file), "--resolver", f"{LOOPBACK}:{self.dns.port}",
                "--ca-file", str(self.pki.pem), "--timeout", timeout, "--deadline", deadline]
        for cell, server in self.servers.items():
            args += ["--port", f"{cell}={server.port}"]
        rc = main([*args, *extra])
        text = capsys.readouterr().out
        print(text)  # shown for a failing test (and with -rP): the table as a user sees it
        return rc, parse_table(text), text

    def close(self):
        for close in reversed(self._closers):
            close()


def parse_table(text: str) -> list[list[str]]:
    """Rows of the table (without header and summary lines): [status, cell, check, name, address, detail]."""
    lines = text.strip().splitlines()
    assert lines[1].split()[:5] == ["STATUS", "CELL", "CHECK", "NAME", "ADDRESS"], text
    assert re.match(r"^(PASSED|FAILED): \d+ failed, \d+ skipped, \d+ ok", lines[-1]), text
    return [re.split(r"\s{2,}", line.rstrip(), maxsplit=5) for line in lines[2:-1]]


def row(rows, cell: str, check: str, name: str) -> list[str]:
    found = [r for r in rows if r[1] == cell and r[2] == check and r[3] == name]
    assert len(found) == 1, (cell, check, name, rows)
    return found[0]


def assert_failing_first(rows):
    order = {"FAIL": 0, "skip": 1, "ok": 2}
    statuses = [order[r[0]] for r in rows]
    assert statuses == sorted(statuses), rows


@pytest.fixture
def deployment(tmp_path, pki):
    d = Deployment(tmp_path, pki)
    yield d
    d.close()


# ---- cases -----------------------------------------------------------------------------------

def test_all_healthy(deployment, capsys):
    a, b = deployment.serve(A), deployment.serve(B)
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 0, text
    assert {r[0] for r in rows} == {"ok"}, text
    # 4 checks per cell (dns, tls own name, tls public name, health) and the public name's route
    assert sorted((r[1], r[2], r[3]) for r in rows) == sorted(
        [(c, "dns", f"{c}.{DOMAIN}") for c in (A, B)] + [(c, "tls", f"{c}.{DOMAIN}") for c in (A, B)]
        + [(c, "tls", PUBLIC) for c in (A, B)] + [(c, "health", f"{c}.{DOMAIN}") for c in (A, B)]
        + [("*", "route", PUBLIC)])
    assert row(rows, A, "tls", f"{A}.{DOMAIN}")[4] == f"{LOOPBACK}:{a.port}"
    assert re.match(r"TLSv1\.[23], certificate valid until \d{4}-\d\d-\d\d \(8\d days\)",
                    row(rows, B, "tls", PUBLIC)[5])
    assert row(rows, "*", "route", PUBLIC)[5].startswith(f"-> {A} (CNAME {A}.{DOMAIN}")
    # the health check asked each cell for its health path under its own name (Host carries a port
    # that is not 443, as HTTP wants)
    assert a.paths == [(f"{A}.{DOMAIN}:{a.port}", "/health")] and b.paths == [(f"{B}.{DOMAIN}:{b.port}", "/health")]
    assert text.strip().splitlines()[-1].startswith("PASSED: 0 failed, 0 skipped, 9 ok")


def test_expired_certificate(deployment, pki, capsys):
    deployment.serve(A)
    b = deployment.serve(B, CellServer(server_ctx(deployment.healthy_cert(B, days_left=-2))))
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 1, text
    assert_failing_first(rows)
    for name in (f"{B}.{DOMAIN}", PUBLIC):
        status, *_, detail = row(rows, B, "tls", name)
        assert status == "FAIL" and detail.startswith("certificate expired"), text
    assert row(rows, B, "health", f"{B}.{DOMAIN}")[0] == "skip"
    assert b.paths == []  # nothing was sent over a connection we refused
    assert {r[0] for r in rows if r[1] == A} == {"ok"}
    assert text.strip().splitlines()[-1].startswith("FAILED: 2 failed, 1 skipped, 6 ok")


def test_certificate_without_the_public_name(deployment, pki, capsys):
    deployment.serve(A)
    deployment.serve(B, CellServer(server_ctx(pki.issue([f"{B}.{DOMAIN}"]))))
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 1, text
    status, *_, detail = row(rows, B, "tls", PUBLIC)
    assert status == "FAIL" and detail.startswith(f"certificate is not for {PUBLIC}"), text
    assert row(rows, B, "tls", f"{B}.{DOMAIN}")[0] == "ok"
    assert row(rows, B, "health", f"{B}.{DOMAIN}")[0] == "ok"
    assert rows[0][:4] == ["FAIL", B, "tls", PUBLIC]  # the only failure, first


def test_certificate_for_another_name_entirely(deployment, pki, capsys):
    deployment.serve(A, CellServer(server_ctx(pki.issue(["www.other.example.org"]))))
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 1, text
    assert [r[0] for r in rows if r[2] == "tls"] == ["FAIL", "FAIL"]
    assert row(rows, A, "health", f"{A}.{DOMAIN}")[5] == f"not run: no valid TLS for {A}.{DOMAIN}"


def test_certificate_from_an_untrusted_ca(deployment, tmp_path, capsys):
    other = CA(tmp_path, name="Somebody Else CA")
    deployment.serve(A, CellServer(server_ctx(other.issue([f"{A}.{DOMAIN}", PUBLIC]))))
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 1, text
    assert row(rows, A, "tls", f"{A}.{DOMAIN}")[5].startswith("issuer not trusted"), text


def test_tls_1_0_only_server_is_refused(deployment, capsys):
    deployment.serve(A)
    deployment.serve(B, CellServer(server_ctx(deployment.healthy_cert(B), max_version=ssl.TLSVersion.TLSv1)))
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 1, text
    detail = row(rows, B, "tls", f"{B}.{DOMAIN}")[5]
    if "only speaks" in detail:
        assert detail == "server only speaks TLSv1; TLS 1.2+ required", text
    else:
        # This OpenSSL build cannot speak TLS 1.0 at all (neither our server nor the diagnostic
        # probe): the refusal is still reported, only without the version the server speaks.
        print(f"local OpenSSL ({ssl.OPENSSL_VERSION}) cannot handshake TLS 1.0: checked the generic refusal")
        assert detail.startswith("no TLS 1.2+ handshake") and detail.endswith("TLS 1.2+ required"), text
    assert row(rows, B, "health", f"{B}.{DOMAIN}")[0] == "skip"


def test_tls_1_1_cap_is_refused(deployment, capsys):
    deployment.serve(A, CellServer(server_ctx(deployment.healthy_cert(A), max_version=ssl.TLSVersion.TLSv1_1)))
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 1, text
    assert row(rows, A, "tls", PUBLIC)[5].endswith("TLS 1.2+ required"), text


def test_server_that_never_answers_times_out(deployment, capsys):
    deployment.serve(A)
    deployment.serve(B, SilentServer())
    start = time.monotonic()
    rc, rows, text = deployment.run(timeout="0.5", capsys=capsys)
    assert rc == 1, text
    for name in (f"{B}.{DOMAIN}", PUBLIC):
        status, *_, detail = row(rows, B, "tls", name)
        assert status == "FAIL" and "timed out after 0.5 s" in detail, text
    assert {r[0] for r in rows if r[1] == A} == {"ok"}
    # two handshakes of 0.5 s each, not the server's patience
    assert time.monotonic() - start < 5


def test_overall_bound_stops_a_long_run(deployment, capsys):
    deployment.serve(A, SilentServer())
    start = time.monotonic()
    rc, rows, text = deployment.run(timeout="30", deadline="1", capsys=capsys)
    assert rc == 1, text
    assert time.monotonic() - start < 5, "the overall bound (1 s) must cut a 30 s per-check timeout"
    assert row(rows, A, "tls", f"{A}.{DOMAIN}")[0] == "FAIL"
    assert any("not finished within the overall bound (1 s)" in r[5] for r in rows), text


def test_health_path_5xx(deployment, pki, capsys):
    deployment.serve(A)
    b = deployment.serve(B, CellServer(server_ctx(deployment.healthy_cert(B)), status=503))
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 1, text
    status, *_, detail = row(rows, B, "health", f"{B}.{DOMAIN}")
    assert status == "FAIL" and detail == "HTTP 503 Service Unavailable (2xx expected)", text
    assert b.paths == [(f"{B}.{DOMAIN}:{b.port}", "/health")]
    assert [r[0] for r in rows].count("FAIL") == 1


def test_health_path_that_never_answers(deployment, capsys):
    b = deployment.serve(B, CellServer(server_ctx(deployment.healthy_cert(B)), status=None))
    deployment.records[PUBLIC] = ("CNAME", f"{B}.{DOMAIN}")
    rc, rows, text = deployment.run(timeout="0.5", capsys=capsys)
    assert rc == 1, text
    assert [r[0] for r in rows].count("FAIL") == 1, text
    assert row(rows, B, "tls", f"{B}.{DOMAIN}")[0] == "ok"
    assert row(rows, B, "health", f"{B}.{DOMAIN}")[5] == "no HTTP response within 0.5 s", text
    assert b.paths == [(f"{B}.{DOMAIN}:{b.port}", "/health")]


def test_public_name_resolving_outside_the_cells(deployment, capsys):
    deployment.serve(A)
    deployment.serve(B)
    # An answer is not traffic: nothing connects to 192.0.2.10 (TEST-NET-1).
    deployment.records[PUBLIC] = ("CNAME", "old-lb.example.net")
    deployment.records["old-lb.example.net"] = ("A", "192.0.2.10")
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 1, text
    status, *_, detail = row(rows, "*", "route", PUBLIC)
    assert status == "FAIL" and detail == (f"resolves to 192.0.2.10 via old-lb.example.net: none of the cells "
                                           f"({A}, {B})"), text
    assert rows[0][2] == "route"


def test_public_name_as_alias_to_a_cell_address(deployment, capsys):
    deployment.serve(A)
    deployment.records[PUBLIC] = ("A", LOOPBACK)  # an alias record: no CNAME, the cell's address
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 0, text
    assert row(rows, "*", "route", PUBLIC)[5] == f"-> {A} (same address as {A}.{DOMAIN}: {LOOPBACK})"


def test_public_name_missing(deployment, capsys):
    deployment.serve(A)
    del deployment.records[PUBLIC]
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 1, text
    assert row(rows, "*", "route", PUBLIC)[5].startswith(f"NXDOMAIN: {PUBLIC} does not exist"), text


def test_cell_name_not_resolving(deployment, capsys):
    deployment.serve(A)
    deployment.serve(B, resolve=False)
    rc, rows, text = deployment.run(capsys=capsys)
    assert rc == 1, text
    assert row(rows, B, "dns", f"{B}.{DOMAIN}")[0] == "FAIL"
    assert [row(rows, B, c, n)[0] for c, n in (("tls", f"{B}.{DOMAIN}"), ("tls", PUBLIC),
                                               ("health", f"{B}.{DOMAIN}"))] == ["skip"] * 3


def test_dns_server_that_never_answers(deployment, capsys):
    deployment.serve(A)
    start = time.monotonic()
    rc, rows, text = deployment.run(silent_dns=True, timeout="0.5", capsys=capsys)
    assert rc == 1, text
    assert row(rows, A, "dns", f"{A}.{DOMAIN}")[5] == "no DNS answer within 0.5 s", text
    assert deployment.dns.queries, "the resolver must have asked the stub, not the system's DNS"
    assert time.monotonic() - start < 5


def test_a_resolver_that_drops_aaaa_queries_still_resolves(deployment, capsys):
    deployment.serve(A)
    # A timeout a busy CI worker meets: the subject is that the missing AAAA answer is not waited for.
    rc, rows, text = deployment.run(drop_aaaa=True, timeout="2", capsys=capsys)
    assert rc == 0, text
    assert row(rows, A, "dns", f"{A}.{DOMAIN}")[5] == LOOPBACK


def test_cell_stack_alone_does_not_judge_the_public_name(deployment, capsys):
    deployment.serve(A)
    rc, rows, text = deployment.run(outputs=stack_outputs([A], global_traffic=False), capsys=capsys)
    assert rc == 0, text
    assert row(rows, "*", "route", PUBLIC)[0] == "skip"


# ---- outputs files ---------------------------------------------------------------------------

def test_reads_the_offline_report_of_dev(tmp_path_factory):
    """The smoke test reads what the real program exports (the contract, not a copy of it)."""
    run = preview_stack("dev", tmp_path_factory.mktemp("dev"))
    assert run.returncode == 0, run.stderr
    path = tmp_path_factory.mktemp("ops") / "dev.json"
    path.write_text(json.dumps(run.report))
    target = ops_outputs.load([str(path)], "dev")
    cells = {c["name"] for c in REPO_DEV_CELLS()}
    assert {c.name for c in target.cells} == cells
    assert target.public_name == "api.dev.inference.example.com"
    assert {c.own_name for c in target.cells} == {f"{n}.dev.inference.example.com" for n in cells}
    assert {c.health_path for c in target.cells} == {"/health"}
    assert target.routed == sorted(cells)
    # prod: the global stack and each cell stack's outputs, one file each
    files = []
    for key, value in run.report["outputs"].items():
        if key in cells or key == "global_traffic":
            f = path.with_name(f"{key}.json")
            f.write_text(json.dumps({key: value}))
            files.append(str(f))
    assert {c.name for c in ops_outputs.load(files, "prod").cells} == cells
    with pytest.raises(ops_outputs.OutputsError, match="an offline report of stack 'dev', not 'prod'"):
        ops_outputs.load([str(path)], "prod")
    with pytest.raises(ops_outputs.OutputsError, match="global_traffic routes to .* pass its stack's outputs"):
        ops_outputs.load([f for f in files if not f.endswith(f"{sorted(cells)[0]}.json")], "prod")


def REPO_DEV_CELLS() -> list[dict]:  # noqa: N802 - reads the dev stack's config, the source of truth
    import yaml
    return yaml.safe_load((REPO / "stacks" / "Pulumi.dev.yaml").read_text())["config"]["platform:cells"]


@pytest.mark.parametrize("content, message", [
    (None, "cannot read it"),
    ("{not json", "not JSON"),
    ("[]", "a JSON object is expected"),
    (json.dumps({"bucket": "x"}), "no cell in"),
    (json.dumps({A: dict(cell_export(A), health_path="health")}), "health_path 'health' must start with '/'"),
    (json.dumps({A: dict(cell_export(A), public_name=None)}), "no public_name"),
    (json.dumps({A: cell_export(A), B: dict(cell_export(B), public_name=f"www.{DOMAIN}")}),
     f"the outputs disagree on the public name: ['{PUBLIC}', 'www.{DOMAIN}']"),
    (json.dumps({A: dict(cell_export(A), name="Not_A_Label")}), "is not a DNS label"),
])
def test_unusable_outputs_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "outputs.json"
    if content is not None:
        path.write_text(content)
    assert main(["smoke", "dev", "--outputs", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_port_for_an_unknown_cell_exit_2(tmp_path, capsys):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(stack_outputs([A])))
    assert main(["smoke", "dev", "--outputs", str(path), "--port", "nope=8443"]) == 2
    assert f"no cell 'nope' in the outputs (cells: {A})" in capsys.readouterr().err


@pytest.mark.parametrize("flag, value", [("--resolver", "127.0.0.1:99999"), ("--resolver", "a:b:c:d"),
                                         ("--timeout", "0"), ("--deadline", "never"), ("--port", "x=0")])
def test_bad_flags_exit_2(tmp_path, capsys, flag, value):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(stack_outputs([A])))
    with pytest.raises(SystemExit) as exc:
        main(["smoke", "dev", "--outputs", str(path), flag, value])
    assert exc.value.code == 2 and f"argument {flag}" in capsys.readouterr().err


def test_resolver_address_forms():
    from ops.smoke import parse_server
    assert parse_server("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_server("[::1]:5353") == ("::1", 5353)
    assert parse_server("10.0.0.2") == ("10.0.0.2", 53)
    assert parse_server("::1") == ("::1", 53)
    with pytest.raises(ValueError, match="expected IP:PORT"):
        parse_server("dns.example.com:53")


def test_module_entry_point(tmp_path):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({"x": 1}))
    proc = subprocess.run([sys.executable, "-m", "ops", "smoke", "dev", "--outputs", str(path)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no cell in" in proc.stderr and "Traceback" not in proc.stderr
