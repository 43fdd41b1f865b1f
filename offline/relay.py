"""The preview's analyzer sessions, run by a helper process beside the program.

A pack is analyzed as the engine analyzes it: configured before the program runs, one Analyze per
resource as it registers, AnalyzeStack once the program is done (offline/analyzer.py `Session`). Run
in the program's process, the gRPC client of 2 packs x ~380 Analyze calls (request futures, the
channel's completion thread, responses) held the interpreter's lock for ~0.2 s of the program's
~1.5 s of registration on dev. So the CLI forks a relay before the program starts: the program's
process serializes each Analyze request once (C code, microseconds) and writes it to a pipe; the
relay holds the `Session`s (the packs' gRPC channels, their processes) and answers with the packs'
results at the end. The packs see exactly the same calls, in the same order.
"""
from __future__ import annotations

import os
import pickle
import sys
import threading

from .analyzer import PackError, PackResult, PolicyResource, Session, _analyze_wire, _stack_wire, finish_all


class Relay:
    """`Session`s for `packs` ([(pack_dir, config)]), driven from this process, run in a forked child.

    `add(resource)` as each resource registers; `finish(resources)` once, for the packs' results (an
    error a session raised is raised here); `close()` stops the relay and the packs, whatever
    happened. The child is forked at once and starts the packs and connects to them while the program
    runs; create it before this process starts threads or opens a gRPC channel (as the CLI does), since
    a fork copies neither the threads nor a channel's state."""

    def __init__(self, packs: list, stack: str, project: str, dry_run: bool) -> None:
        self._by_urn: dict[str, PolicyResource] = {}
        self._lock = threading.Lock()  # the SDK registers from several threads; the pipe takes one writer
        to_child, self._to_child = os.pipe()
        self._from_child, to_parent = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the relay
            code = 1
            try:
                os.close(self._to_child)
                os.close(self._from_child)
                try:  # it yields to the program, as the packs do (offline/analyzer.py PackProcess)
                    os.setpriority(os.PRIO_PROCESS, 0, min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19))
                except OSError:
                    pass
                _serve(os.fdopen(to_child, "rb"), os.fdopen(to_parent, "wb"), packs, stack, project, dry_run)
                code = 0
            except BaseException:  # noqa: BLE001 - said on stderr; the program's process reports the stop
                import traceback

                traceback.print_exc()
                sys.stderr.flush()
            finally:
                os._exit(code)  # nothing of the parent's (atexit handlers, buffers) runs twice
        os.close(to_child)
        os.close(to_parent)
        self._out = os.fdopen(self._to_child, "wb")
        self._in = os.fdopen(self._from_child, "rb")
        self._closed = self._gone = False

    def add(self, r: PolicyResource) -> None:
        with self._lock:
            self._by_urn[r.urn] = r
            if self._gone:
                return  # the relay stopped: `finish` says so
            try:
                self._send(("add", r.urn, _analyze_wire(r, self._by_urn)))
                self._out.flush()  # streamed: the packs analyze it while the program goes on
            except BrokenPipeError:
                self._gone = True

    def finish(self, resources: list[PolicyResource]) -> list[PackResult]:
        try:
            with self._lock:
                self._send(("finish", _stack_wire(list(resources))))
                self._out.flush()
                ok, value = pickle.load(self._in)
        except (EOFError, BrokenPipeError):
            ok, value = False, PackError("the relay to the policy packs stopped before they answered (its error "
                                         "is printed above)")
        finally:
            self.close()
        if not ok:
            raise value
        return value

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for stream in (self._out, self._in):
            try:
                stream.close()  # the relay reads the end of its input: it closes the packs and exits
            except OSError:
                pass
        os.waitpid(self.pid, 0)

    def _send(self, message: tuple) -> None:
        pickle.dump(message, self._out, protocol=pickle.HIGHEST_PROTOCOL)


def _serve(inbox, outbox, packs: list, stack: str, project: str, dry_run: bool) -> None:
    """The relay: a `Session` per pack; Analyze requests as they come; the results at "finish"."""
    from .analyzer import PackProcess

    sessions: list[Session] = []
    try:
        for pack_dir, config in packs:
            sessions.append(Session(PackProcess.spawn(pack_dir), config=config, stack=stack, project=project,
                                    dry_run=dry_run))
        while True:
            try:
                message = pickle.load(inbox)
            except EOFError:  # the program's process closed the relay (or died): stop the packs
                return
            if message[0] == "add":
                _, urn, wire = message
                r = PolicyResource(urn=urn, type="", name="", inputs=None, wire=(None, wire))
                for session in sessions:
                    session.add(r)
            elif message[0] == "finish":
                try:
                    result: tuple = (True, finish_all(sessions, [], stack_wire=message[1]))
                except Exception as exc:  # noqa: BLE001 - raised in the program's process
                    try:
                        pickle.dumps(exc)
                    except Exception:  # noqa: BLE001 - a gRPC error: its words travel
                        exc = PackError(f"{type(exc).__name__}: {exc}")
                    result = (False, exc)
                pickle.dump(result, outbox, protocol=pickle.HIGHEST_PROTOCOL)
                outbox.flush()
                return
    finally:
        for session in sessions:
            session.close()

