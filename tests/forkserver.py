"""A fork server for the offline CLI in tests: `python -m offline ...` without paying the SDK imports per run.

A whole-stack preview spends about half its CPU importing the provider SDKs' class modules
(pulumi_aws, pulumi_gcp, pulumi_azure_native, pulumi_kubernetes, parliament...). This server is an
interpreter that has imported those third-party libraries and nothing of the repository; every run
is a child forked from it, which then runs the CLI (`offline/__main__.py` as `__main__`) with the
request's arguments, working directory, environment and `sys.path` as a fresh `python -m offline`
would have them. So each run is still its own process: the Pulumi runtime's global state, the
engine's and the program's modules (imported fresh in the child, from the request's working directory
and PYTHONPATH) and os.environ never leak between runs, nor into the test process.

Only modules from the interpreter's installation (site-packages, the standard library) are ever
imported here: they read neither the repository nor the run's environment at import (checked when
this was written: pulumi's settings and config are read at run time; the engine sets them per run).
The server learns what to import: each child reports the installed modules it imported, and the
server imports them between runs, so the list follows whatever the programs import.

Protocol (one connection per run, on a Unix socket): the test sends one JSON line
{"args", "cwd", "env", "stdout", "stderr", "modules"}; the child answers one JSON line {"returncode", "cpu"} (its CPU seconds and its children's).
"""
from __future__ import annotations

import json
import os
import random
import signal
import socket
import sys
import sysconfig
import traceback

# Where installed (not repository) modules live: a module whose file is under one of these is safe to
# import ahead of a run.
_INSTALLED = tuple(os.path.realpath(p) + os.sep for p in {
    sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], sysconfig.get_paths()["stdlib"],
    sysconfig.get_paths()["platstdlib"]})
# What every run imports first (the rest is learnt from the children).
_WARM = ("pulumi", "pulumi.runtime", "pulumi.runtime.mocks", "pulumi.runtime.stack", "pulumi.runtime.rpc",
         "grpc", "yaml", "google.protobuf.struct_pb2")
# The interpreter's own sys.path after its script directory: what `python -m` appends after cwd and PYTHONPATH.
_BASE_PATH = [p for p in sys.path[1:] if p not in os.environ.get("PYTHONPATH", "").split(os.pathsep)]


def _installed(module) -> bool:
    path = getattr(module, "__file__", None)
    return bool(path) and os.path.realpath(path).startswith(_INSTALLED)


def _lazy(module) -> bool:
    """A module the SDKs registered for lazy loading (pulumi._utils.lazy_import) and nobody used yet."""
    return type(module).__name__ == "_LazyModule"


def _warm(names) -> None:
    """Import `names` (in the order a run imported them), as the run did: a lazily registered package is
    loaded (as the attribute access that used it did) before any of its submodules is imported."""
    for name in names:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            prefix = ".".join(parts[:i])
            module = sys.modules.get(prefix)
            try:
                if module is None:
                    __import__(prefix)
                elif _lazy(module):
                    getattr(module, "__forkserver_load__", None)  # any attribute loads it
            except BaseException:  # noqa: BLE001 - a module that cannot be imported alone is imported by its run
                break


def _child(conn: socket.socket) -> int:
    """Run one request in this (forked) process; return the exit code of the CLI."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as a fresh interpreter
    random.seed()  # as a fresh interpreter: not the server's sequence
    with conn.makefile("r") as f:
        req = json.loads(f.readline())
    out = os.open(req["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    err = os.open(req["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.close(out)
    os.close(err)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(req["cwd"])
    os.environ.clear()
    os.environ.update(req["env"])
    # As `python -m offline` from cwd: cwd, then PYTHONPATH, then the installation's paths.
    sys.path[:] = [req["cwd"], *[p for p in req["env"].get("PYTHONPATH", "").split(os.pathsep) if p], *_BASE_PATH]
    sys.argv = ["-m", *req["args"]]
    import runpy

    code = 0
    try:
        runpy.run_module("offline", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - as the interpreter: traceback on stderr, exit 1
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001
        pass
    learnt = "".join(n + "\n" for n, m in list(sys.modules.items()) if _installed(m) and not _lazy(m))
    fd = os.open(req["modules"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.write(fd, learnt.encode())
    os.close(fd)
    import resource

    cpu = sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                resource.getrusage(resource.RUSAGE_CHILDREN)))
    conn.sendall((json.dumps({"returncode": code, "cpu": cpu}) + "\n").encode())
    return code


def _reap(block: bool) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def serve(path: str) -> None:
    _warm(_WARM)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    # The server waits for its children (so their CPU time counts in its parent's, e.g. `/usr/bin/time pytest`),
    # and does so before it stops.
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    learnt_file = path + ".modules"  # the clients name it in each request
    print("ready", flush=True)
    parent = os.getppid()
    listener.settimeout(1.0)
    while not stopping and os.getppid() == parent:  # the test process may be killed: its atexit does not run
        _reap(block=False)
        try:
            conn, _ = listener.accept()
        except (TimeoutError, InterruptedError):
            continue
        conn.settimeout(None)
        # Import what the previous children imported (each appends its list to the file when done).
        if os.path.exists(learnt_file):
            with open(learnt_file) as f:
                names = [line.strip() for line in f if line.strip()]
            _warm([n for n in dict.fromkeys(names) if n not in sys.modules or _lazy(sys.modules[n])])
        pid = os.fork()
        if pid == 0:
            listener.close()
            code = 1
            try:
                code = _child(conn)
            finally:
                os._exit(code)
        conn.close()
    listener.close()
    _reap(block=True)


if __name__ == "__main__":
    serve(sys.argv[1])
