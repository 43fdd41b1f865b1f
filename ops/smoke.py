"""Smoke test of a deployed stack, from where it runs.

Per cell: its own name `<cell>.<domain>` resolves (dns); it serves HTTPS for its own name and for
the public name with a certificate that chains to a trusted CA and is valid now, over TLS 1.2 or
newer, connecting to the address its own name resolved to, SNI = each name (tls); its health path
answers 2xx over that TLS (health). Once: the public name resolves to one of the cells (route).

Nothing waits unbounded: every check runs in a daemon thread with its own timeout (sockets and
DNS get the same timeout, the thread is the backstop), and the whole run has an overall bound;
a check still running at the bound is reported as failed, never waited for.
"""
from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional

import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from .outputs import Cell, Target

OK, SKIP, FAIL = "ok", "skip", "FAIL"
_ORDER = {FAIL: 0, SKIP: 1, OK: 2}
MIN_TLS = ssl.TLSVersion.TLSv1_2
# OpenSSL reasons of a handshake that failed on the protocol version (either side may say it).
_VERSION_REASONS = {"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION", "WRONG_VERSION_NUMBER",
                    "NO_PROTOCOLS_AVAILABLE", "VERSION_TOO_LOW"}


def _secs(t: float) -> str:
    return f"{round(t, 2):g}"


class CheckFailed(Exception):
    """A check's failure, with the one-line reason shown in the table."""


@dataclass
class Result:
    status: str
    cell: str  # "" for the public name's route
    check: str
    name: str
    address: str
    detail: str
    seconds: float = 0.0


# ---- resolver ----------------------------------------------------------------------------------

class Resolver:
    """A/AAAA lookups through dnspython: the system's resolv.conf, or one server (`--resolver`)."""

    def __init__(self, server: Optional[tuple[str, int]] = None):
        if server is None:
            self._r = dns.resolver.Resolver()
        else:
            self._r = dns.resolver.Resolver(configure=False)
            self._r.nameservers = [dns.nameserver.Do53Nameserver(server[0], server[1])]
        self._r.cache = None

    def lookup(self, name: str, timeout: float) -> tuple[list[str], list[str]]:
        """(addresses, CNAME targets on the way) of `name`; IPv4 first. Raises CheckFailed.

        A and AAAA share the timeout; an AAAA query that gets no answer in time (resolvers that drop
        them exist) does not undo the A records already found."""
        end = time.monotonic() + timeout
        addresses: list[str] = []
        cnames: list[str] = []
        errors = []
        for rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
            lifetime = end - time.monotonic()
            if lifetime <= 0:
                if addresses:
                    break
                raise CheckFailed(f"no DNS answer within {_secs(timeout)} s")
            try:
                answer = self._r.resolve(name, rdtype, lifetime=lifetime, search=False)
            except dns.resolver.NXDOMAIN:
                raise CheckFailed(f"NXDOMAIN: {name} does not exist (zone not delegated, or no record)") from None
            except dns.resolver.NoAnswer:
                continue
            except dns.exception.Timeout:
                if addresses:
                    break
                raise CheckFailed(f"no DNS answer within {_secs(timeout)} s") from None
            except dns.exception.DNSException as exc:
                errors.append(str(exc))
                continue
            for rrset in answer.chaining_result.cnames:
                cnames += [r.target.to_text(omit_final_dot=True).lower() for r in rrset]
            addresses += [r.address for r in answer.rrset or []]
        if not addresses:
            raise CheckFailed("no A/AAAA record" + (f" ({'; '.join(errors)})" if errors else ""))
        return addresses, list(dict.fromkeys(cnames))


def parse_server(value: str) -> tuple[str, int]:
    """`IP:PORT`, `[IPV6]:PORT`, `IP` or `IPV6` (port 53): a DNS server is addressed by IP."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        port = rest.removeprefix(":") or "53"
    elif value.count(":") == 1:
        host, port = value.split(":")
    else:
        host, port = value, "53"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{value!r}: expected IP:PORT, e.g. 127.0.0.1:5353 or [::1]:5353") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r}: port {port!r} is not 1-65535")
    return host, int(port)


# ---- TLS and HTTP ------------------------------------------------------------------------------

def tls_context(ca_file: Optional[str]) -> ssl.SSLContext:
    """Verifies the chain to a trusted CA (the system's, or only `ca_file`) and the name; TLS 1.2+."""
    ctx = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    ctx.minimum_version = MIN_TLS
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _best_version_below_minimum(address: str, port: int, name: str, timeout: float) -> Optional[str]:
    """The version a server that refused TLS 1.2+ does speak (TLS 1.0/1.1), to say why it failed.

    A diagnostic only: no certificate check (the connection is dropped right after the handshake).
    None if this machine's OpenSSL cannot speak those versions either."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with warnings.catch_warnings():  # TLS 1.0/1.1 are deprecated: exactly what this probe looks for
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.set_ciphers("ALL:@SECLEVEL=0")
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        with socket.create_connection((address, port), timeout=timeout) as raw:
            with ctx.wrap_socket(raw, server_hostname=name) as tls:
                return tls.version()
    except (OSError, ValueError):
        return None


def _describe_cert_error(exc: ssl.SSLCertVerificationError, name: str) -> str:
    code = getattr(exc, "verify_code", None)
    msg = getattr(exc, "verify_message", None) or exc.reason or str(exc)
    hints = {10: "certificate expired", 9: "certificate not yet valid",
             62: f"certificate is not for {name}", 18: "self-signed certificate, not from a trusted CA",
             19: "chain ends in a CA that is not trusted", 20: "issuer not trusted (unknown CA)",
             21: "issuer not trusted (incomplete chain?)"}
    return f"{hints.get(code, 'certificate rejected')}: {msg}"


def tls_connect(address: str, port: int, name: str, ctx: ssl.SSLContext, timeout: float) -> ssl.SSLSocket:
    """A verified TLS connection to address:port with SNI `name`. Raises CheckFailed."""
    try:
        raw = socket.create_connection((address, port), timeout=timeout)
    except socket.timeout:
        raise CheckFailed(f"TCP connect timed out after {_secs(timeout)} s") from None
    except OSError as exc:
        raise CheckFailed(f"TCP connect failed: {exc.strerror or exc}") from None
    try:
        return ctx.wrap_socket(raw, server_hostname=name)
    except ssl.SSLCertVerificationError as exc:
        raw.close()
        raise CheckFailed(_describe_cert_error(exc, name)) from None
    except socket.timeout:
        raw.close()
        raise CheckFailed(f"TLS handshake timed out after {_secs(timeout)} s (connection accepted, no answer)") from None
    except ssl.SSLError as exc:
        raw.close()
        if exc.reason in _VERSION_REASONS:
            spoken = _best_version_below_minimum(address, port, name, timeout)
            if spoken:
                raise CheckFailed(f"server only speaks {spoken}; TLS 1.2+ required") from None
            raise CheckFailed(f"no TLS 1.2+ handshake ({exc.reason}); TLS 1.2+ required") from None
        raise CheckFailed(f"TLS handshake failed: {exc.reason or exc}") from None
    except OSError as exc:
        raw.close()
        raise CheckFailed(f"TLS handshake failed: {exc.strerror or exc}") from None


def _cert_summary(tls: ssl.SSLSocket) -> str:
    cert = tls.getpeercert() or {}
    parts = [tls.version() or "?"]
    if cert.get("notAfter"):
        not_after = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), tz=timezone.utc)
        days = (not_after - datetime.now(timezone.utc)).days
        parts.append(f"certificate valid until {not_after:%Y-%m-%d} ({days} days)")
    issuer = dict(x[0] for x in cert.get("issuer", ()) if x)
    if issuer.get("commonName") or issuer.get("organizationName"):
        parts.append(f"issuer {issuer.get('commonName') or issuer.get('organizationName')}")
    return ", ".join(parts)


class _PinnedHTTPS(http.client.HTTPConnection):
    """HTTP over an already verified TLS socket (connected to the cell's address, SNI its own name)."""

    def __init__(self, host: str, port: int, tls: ssl.SSLSocket, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._tls = tls

    def connect(self) -> None:
        self.sock = self._tls


def check_tls(address: str, port: int, name: str, ctx: ssl.SSLContext, timeout: float) -> str:
    with tls_connect(address, port, name, ctx, timeout) as tls:
        if tls.version() not in ("TLSv1.2", "TLSv1.3"):  # the context's minimum; kept explicit
            raise CheckFailed(f"negotiated {tls.version()}; TLS 1.2+ required")
        return _cert_summary(tls)


def check_health(address: str, port: int, cell: Cell, ctx: ssl.SSLContext, timeout: float) -> str:
    start = time.monotonic()
    tls = tls_connect(address, port, cell.own_name, ctx, timeout)
    conn = _PinnedHTTPS(cell.own_name, port, tls, timeout)
    try:
        conn.request("GET", cell.health_path, headers={"User-Agent": "platform-ops-smoke", "Connection": "close"})
        resp = conn.getresponse()
        resp.read(65536)
    except socket.timeout:
        raise CheckFailed(f"no HTTP response within {_secs(timeout)} s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise CheckFailed(f"HTTP request failed: {exc.__class__.__name__}: {exc}") from None
    finally:
        conn.close()
    ms = (time.monotonic() - start) * 1000
    if not 200 <= resp.status < 300:
        raise CheckFailed(f"HTTP {resp.status} {resp.reason} (2xx expected)")
    return f"HTTP {resp.status} {resp.reason} in {ms:.0f} ms"


# ---- running -----------------------------------------------------------------------------------

@dataclass
class Options:
    resolver: Resolver
    ctx: ssl.SSLContext
    timeout: float = 5.0
    deadline: float = 60.0
    port: int = 443
    ports: Optional[dict[str, int]] = None  # per cell (tests, non-standard listeners)

    def port_of(self, cell: str) -> int:
        return (self.ports or {}).get(cell, self.port)


def bounded(fn: Callable[[float], str], timeout: float) -> tuple[str, str]:
    """Runs fn(timeout) in a daemon thread; (status, detail). A thread still running after
    timeout (+ a short grace for the socket's own timeout to fire) is abandoned and reported."""
    box: dict = {}

    def run():
        try:
            box["r"] = (OK, fn(timeout))
        except CheckFailed as exc:
            box["r"] = (FAIL, str(exc))
        except Exception as exc:  # noqa: BLE001 - a check never takes the run down; it fails
            box["r"] = (FAIL, f"{exc.__class__.__name__}: {exc}")

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout + 0.5)
    return box.get("r", (FAIL, f"timed out after {_secs(timeout)} s"))


class _Run:
    def __init__(self, target: Target, opts: Options):
        self.target, self.opts = target, opts
        self.end = time.monotonic() + opts.deadline
        self.results: dict[tuple, Result] = {}
        self.lock = threading.Lock()

    def budget(self) -> float:
        return max(0.0, min(self.opts.timeout, self.end - time.monotonic()))

    def record(self, key: tuple, status: str, detail: str, seconds: float = 0.0) -> None:
        cell, check, name, address = key[0], key[1], key[2], ("" if key[3] == "?" else key[3])
        with self.lock:
            self.results[key] = Result(status, cell, check, name, address, detail, seconds)

    def run_check(self, key: tuple, fn: Callable[[float], str]) -> bool:
        budget = self.budget()
        if budget <= 0:
            return False  # reported as not finished by the overall bound
        start = time.monotonic()
        status, detail = bounded(fn, budget)
        self.record(key, status, detail, time.monotonic() - start)
        return status == OK

    def plan_cell(self, cell: Cell) -> list[tuple]:
        return [(cell.name, "dns", cell.own_name, ""), (cell.name, "tls", cell.own_name, "?"),
                (cell.name, "tls", cell.public_name, "?"), (cell.name, "health", cell.own_name, "?")]

    def cell(self, cell: Cell) -> None:
        dns_key, tls_own, tls_public, health = self.plan_cell(cell)
        found: dict = {}

        def resolve(timeout):
            addresses, cnames = self.opts.resolver.lookup(cell.own_name, timeout)
            found["address"] = addresses[0]
            via = f" via {' -> '.join(cnames)}" if cnames else ""
            return f"{', '.join(addresses)}{via}"

        if not self.run_check(dns_key, resolve):
            for key in (tls_own, tls_public, health):
                if dns_key in self.results:
                    self.record(key, SKIP, f"not run: {cell.own_name} does not resolve")
            return
        port = self.opts.port_of(cell.name)
        at = f"{found['address']}:{port}" if ":" not in found["address"] else f"[{found['address']}]:{port}"
        tls_own, tls_public, health = [(k[0], k[1], k[2], at) for k in (tls_own, tls_public, health)]
        own_ok = self.run_check(tls_own, lambda t: check_tls(found["address"], port, cell.own_name, self.opts.ctx, t))
        self.run_check(tls_public, lambda t: check_tls(found["address"], port, cell.public_name, self.opts.ctx, t))
        if own_ok:
            self.run_check(health, lambda t: check_health(found["address"], port, cell, self.opts.ctx, t))
        elif tls_own in self.results:
            self.record(health, SKIP, f"not run: no valid TLS for {cell.own_name}")

    def route(self) -> None:
        key = ("", "route", self.target.public_name, "")
        if self.target.routed is None:
            self.record(key, SKIP, "no global_traffic in the outputs (a cell stack alone): pass the global "
                                   "stack's outputs too to check where the public name goes")
            return

        def check(timeout):
            addresses, cnames = self.opts.resolver.lookup(self.target.public_name, timeout)
            for cell in self.target.cells:
                names = {cell.own_name, cell.endpoint_hostname.lower()} - {""}
                hit = names.intersection(cnames)
                if hit:
                    return f"-> {cell.name} (CNAME {sorted(hit)[0]}; {', '.join(addresses)})"
            for cell in self.target.cells:  # an alias (A) record: compare addresses
                try:
                    cell_addresses, _ = self.opts.resolver.lookup(cell.own_name, timeout)
                except CheckFailed:
                    continue
                if set(cell_addresses) & set(addresses):
                    return f"-> {cell.name} (same address as {cell.own_name}: {', '.join(addresses)})"
            via = f" via {' -> '.join(cnames)}" if cnames else ""
            raise CheckFailed(f"resolves to {', '.join(addresses)}{via}: none of the cells "
                              f"({', '.join(c.name for c in self.target.cells)})")

        self.run_check(key, check)

    def all(self) -> list[Result]:
        planned = [k for c in self.target.cells for k in self.plan_cell(c)] + [("", "route", self.target.public_name, "")]
        threads = [threading.Thread(target=self.cell, args=(c,), daemon=True) for c in self.target.cells]
        threads.append(threading.Thread(target=self.route, daemon=True))
        for t in threads:
            t.start()
        for t in threads:  # one bound for all: the per-check grace, then whatever is left is abandoned
            t.join(max(0.0, self.end + 1.0 - time.monotonic()))
        with self.lock:
            results = dict(self.results)
        done = {k[:3] for k in results}
        for key in planned:
            if key[:3] not in done:
                results[key] = Result(FAIL, key[0], key[1], key[2], key[3] if key[3] != "?" else "",
                                      f"not finished within the overall bound ({self.opts.deadline:g} s)")
        return list(results.values())


def run(target: Target, opts: Options) -> list[Result]:
    """Every check's result, failing first."""
    results = _Run(target, opts).all()
    checks = ("route", "dns", "tls", "health")
    return sorted(results, key=lambda r: (_ORDER[r.status], r.cell, checks.index(r.check),
                                          not r.name.startswith(r.cell + ".")))


def table(target: Target, results: list[Result], seconds: float) -> str:
    rows = [("STATUS", "CELL", "CHECK", "NAME", "ADDRESS", "DETAIL")]
    rows += [(r.status, r.cell or "*", r.check, r.name, r.address or "-", r.detail) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths)) + "  " + row[5] for row in rows]
    counts = {s: sum(r.status == s for r in results) for s in (FAIL, SKIP, OK)}
    verdict = "FAILED" if counts[FAIL] else "PASSED"
    head = (f"smoke {target.stack}: {len(target.cells)} cell(s), public name {target.public_name}, "
            f"from {socket.gethostname()}")
    tail = (f"{verdict}: {counts[FAIL]} failed, {counts[SKIP]} skipped, {counts[OK]} ok "
            f"({len(results)} checks, {seconds:.1f} s)")
    return "\n".join([head, *lines, tail]) + "\n"
