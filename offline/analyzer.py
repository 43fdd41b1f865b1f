"""Runs CrossGuard policy packs through their real analyzer gRPC protocol.

Like the Pulumi CLI: start the pack's program (`python <pack>/__main__.py`), read
the port it prints, then GetAnalyzerInfo, Configure (policy config),
ConfigureStack, Analyze once per resource and AnalyzeStack once with every
resource, parents and dependencies included. Nothing here imports the pack.
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

# Analyze calls kept in flight at once. The pack's gRPC server works on 4 at a time; the rest wait in
# its queue, so a pack that fell behind while the program ran has the next calls at hand instead of
# waiting for this side to send them (with 4, the last Analyze answered ~0.1 s after the program ended
# on dev; with 16, ~0.04 s).
ANALYZE_IN_FLIGHT = 16

_LEVELS = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
_LEVEL_NUMBERS = {"advisory": 0, "mandatory": 1, "disabled": 2, "remediate": 3}


@dataclass
class PolicyResource:
    """A resource as the analyzer sees it. `inputs` / `outputs` are wire-named (camelCase)."""

    urn: str
    type: str
    name: str
    inputs: Any  # dict or google.protobuf Struct
    outputs: Any = None  # dict or Struct; AnalyzeStack sees inputs overlaid with outputs
    parent: Optional[str] = None
    provider: Optional[str] = None  # "<provider urn>::<provider id>"
    protect: bool = False
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    # Its AnalyzeRequest, serialized once: every pack gets the same bytes (`_analyze_wire`).
    wire: Optional[tuple] = field(default=None, repr=False, compare=False)  # (its provider, the bytes)


@dataclass
class Diagnostic:
    pack: str
    policy: str
    urn: str
    level: str
    message: str
    description: str = ""
    severity: str = ""

    def report(self) -> dict:
        return {"pack": self.pack, "policy": self.policy, "urn": self.urn, "level": self.level,
                "message": self.message}


@dataclass
class PackResult:
    pack: str
    version: str
    policies: list[dict]
    diagnostics: list[Diagnostic]
    analyzed: int


class PackError(Exception):
    pass


def _struct(value: Any) -> struct_pb2.Struct:
    if isinstance(value, struct_pb2.Struct):
        return value
    s = struct_pb2.Struct()
    if value:
        s.update(json.loads(json.dumps(value, default=str)))
    return s


def _merged(inputs: Any, outputs: Any) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.CopyFrom(_struct(inputs))
    if outputs is not None:
        s.MergeFrom(_struct(outputs))
    return s


class PackProcess:
    """A running policy pack, started like the CLI starts it.

    Starting is split in two so a caller can overlap the pack's start-up (a new interpreter
    importing pulumi_policy and grpc) with other work, e.g. the program's run:
    `PackProcess.spawn(dir)` only launches the process; `connect()` (called by `analyze`, or
    by the constructor) waits for the port it prints and opens the channel."""

    def __init__(self, pack_dir: Path, python: Optional[str] = None, connect: bool = True):
        self.pack_dir = self.validate(pack_dir)
        self.channel = None
        self.stub = None
        main = self.pack_dir / "__main__.py"
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [python or sys.executable, str(main)], cwd=self.pack_dir, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        # The pack starts (a new interpreter importing the SDK and its rules) while the program runs:
        # on a 2-core machine the two packs and the program are three busy processes. The program is
        # what the whole run waits for, so the packs yield to it and take the spare core.
        try:
            os.setpriority(os.PRIO_PROCESS, self.proc.pid, min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19))
        except OSError:  # not permitted here: same priority, only slower
            pass
        if connect:
            self.connect()

    @staticmethod
    def validate(pack_dir: "Path | str") -> Path:
        """The pack's directory, resolved; PackError when it holds no pack."""
        path = Path(pack_dir).resolve()
        if not (path / "__main__.py").exists() or not (path / "PulumiPolicy.yaml").exists():
            raise PackError(f"{pack_dir}: not a policy pack (needs PulumiPolicy.yaml and __main__.py)")
        return path

    @classmethod
    def spawn(cls, pack_dir: Path | str, python: Optional[str] = None) -> "PackProcess":
        """Launch the pack and return at once; it connects when first used."""
        return cls(Path(pack_dir), python=python, connect=False)

    def connect(self) -> "PackProcess":
        if self.stub is not None:
            return self
        line = self.proc.stdout.readline().decode().strip()
        if not line.isdigit():
            if not line:  # its output ended: it is exiting, and says why on stderr
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            err = self.proc.stderr.read().decode().strip() if self.proc.poll() is not None else ""
            self.close()
            raise PackError(f"{self.pack_dir}: the pack did not start (it printed {line!r}, not its port)"
                            + (f": {err[-2000:]}" if err else ""))
        self.channel = grpc.insecure_channel(
            f"127.0.0.1:{line}", options=[("grpc.max_receive_message_length", 400 * 1024 * 1024),
                                          ("grpc.max_send_message_length", 400 * 1024 * 1024)])
        grpc.channel_ready_future(self.channel).result(timeout=30)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        # The same calls taking requests serialized once for every pack (the stub serializes per call).
        self.analyze_wire = self.channel.unary_unary(
            "/pulumirpc.Analyzer/Analyze", request_serializer=None,
            response_deserializer=analyzer_pb2.AnalyzeResponse.FromString)
        self.analyze_stack_wire = self.channel.unary_unary(
            "/pulumirpc.Analyzer/AnalyzeStack", request_serializer=None,
            response_deserializer=analyzer_pb2.AnalyzeResponse.FromString)
        return self

    def close(self) -> None:
        if getattr(self, "channel", None) is not None:
            self.channel.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()

    def __enter__(self) -> "PackProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _options(r: PolicyResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent or "", aliases=r.aliases)


def _provider(r: PolicyResource, by_urn: dict[str, PolicyResource]) -> Optional[analyzer_pb2.AnalyzerProviderResource]:
    if not r.provider:
        return None
    urn = r.provider.rsplit("::", 1)[0]
    p = by_urn.get(urn)
    if p is None:
        return None
    return analyzer_pb2.AnalyzerProviderResource(type=p.type, properties=_struct(p.inputs), urn=p.urn, name=p.name)


def _analyze_wire(r: PolicyResource, by_urn: dict[str, PolicyResource]) -> bytes:
    """`r`'s AnalyzeRequest, serialized; built once and kept on `r` for every pack's session (they
    see the same resources in the same order, so the provider `r` names is known to each)."""
    provider = by_urn.get(r.provider.rsplit("::", 1)[0]) if r.provider else None
    if r.wire is None or r.wire[0] is not provider:  # kept with the provider it was built with
        req = analyzer_pb2.AnalyzeRequest(type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name,
                                          options=_options(r))
        prov = _provider(r, by_urn)
        if prov is not None:
            req.provider.CopyFrom(prov)
        r.wire = (provider, req.SerializeToString())
    return r.wire[1]


def _stack_wire(resources: list[PolicyResource]) -> bytes:
    """The AnalyzeStack request over `resources` (the whole stack, final outputs), serialized."""
    by_urn = {r.urn: r for r in resources}
    stack_req = analyzer_pb2.AnalyzeStackRequest()
    for r in resources:
        ar = analyzer_pb2.AnalyzerResource(
            type=r.type, properties=_merged(r.inputs, r.outputs), urn=r.urn, name=r.name,
            options=_options(r), parent=r.parent or "", dependencies=r.dependencies,
        )
        for k, urns in r.property_dependencies.items():
            ar.propertyDependencies[k].urns.extend(urns)
        prov = _provider(r, by_urn)
        if prov is not None:
            ar.provider.CopyFrom(prov)
        stack_req.resources.append(ar)
    return stack_req.SerializeToString()


def _diag(d, urn: str = "") -> Diagnostic:
    # As the CLI does: a resource policy's violation without its own URN is about the analyzed resource.
    return Diagnostic(pack=d.policyPackName, policy=d.policyName, urn=d.urn or urn, level=_LEVELS.get(d.enforcementLevel, "advisory"),
                      message=d.message, description=d.description)


def _policy_config(info, config: Optional[dict]) -> dict:
    # As the CLI does: every policy starts from its own level and its schema defaults, then the
    # given config overrides them (a config entry without enforcementLevel keeps the policy's level).
    policy_config = {}
    for p in info.policies:
        pc = analyzer_pb2.PolicyConfig(enforcementLevel=p.enforcementLevel)
        for key, prop in p.configSchema.properties.items():
            if "default" in prop:
                pc.properties[key] = prop["default"]
        policy_config[p.name] = pc
    for name, value in (config or {}).items():
        pc = policy_config.setdefault(name, analyzer_pb2.PolicyConfig())
        if isinstance(value, str):
            pc.enforcementLevel = _LEVEL_NUMBERS[value]
        else:
            value = dict(value)
            level = value.pop("enforcementLevel", None)
            if level is not None:
                pc.enforcementLevel = _LEVEL_NUMBERS[level]
            pc.properties.update(json.loads(json.dumps(value, default=str)))
        policy_config[name] = pc
    return policy_config


class Session:
    """One pack's analysis of one run, as the engine drives its analyzers: configured before the
    program runs, each resource analyzed as it registers (`add`), then the whole stack (`finish`).

    A thread of its own connects to the pack (its start-up overlaps the program's), configures it and
    sends the Analyze calls, several in flight (the pack works on one while the next is on the wire);
    diagnostics are kept in the order resources were added, so reports stay deterministic and equal
    to a batch `analyze` over the same resources. `pack_dir` may be a launched `PackProcess`; it is
    closed by `finish` or `close`."""

    def __init__(self, pack_dir: "Path | str | PackProcess", config: Optional[dict] = None,
                 stack: str = "offline", project: str = "offline", python: Optional[str] = None,
                 dry_run: bool = True):
        self.pack = pack_dir if isinstance(pack_dir, PackProcess) else PackProcess(Path(pack_dir), python=python,
                                                                                   connect=False)
        self._config, self._stack, self._project, self._dry_run = config, stack, project, dry_run
        self._by_urn: dict[str, PolicyResource] = {}
        self._queue: "queue.SimpleQueue" = queue.SimpleQueue()
        self._info = None
        self._diagnostics: list[Diagnostic] = []
        self._analyzed = 0
        self._error: Optional[BaseException] = None
        self._closed = False
        self._thread = threading.Thread(target=self._work, name=f"analyzer:{self.pack.pack_dir.name}", daemon=True)
        self._thread.start()

    def add(self, r: PolicyResource) -> None:
        """Analyze `r` (resources are analyzed in the order they are added)."""
        self._queue.put(r)

    def _work(self) -> None:
        try:
            pack = self.pack.connect()
            self._info = info = pack.stub.GetAnalyzerInfo(empty_pb2.Empty())
            pack.stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=_policy_config(info, self._config)))
            pack.stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self._stack, project=self._project, dry_run=self._dry_run))
            pending: deque = deque()
            while True:
                r = self._queue.get()
                if r is None:
                    break
                self._by_urn[r.urn] = r
                pending.append((r.urn, pack.analyze_wire.future(_analyze_wire(r, self._by_urn))))
                self._analyzed += 1
                if len(pending) >= ANALYZE_IN_FLIGHT:
                    urn, fut = pending.popleft()
                    self._diagnostics += [_diag(d, urn) for d in fut.result().diagnostics]
            while pending:
                urn, fut = pending.popleft()
                self._diagnostics += [_diag(d, urn) for d in fut.result().diagnostics]
        except BaseException as exc:  # noqa: BLE001 - raised by finish()
            self._error = exc

    def finish(self, resources: Iterable[PolicyResource], stack_wire: Optional[bytes] = None) -> PackResult:
        """Wait for every Analyze, then AnalyzeStack over `resources` (the whole stack, final outputs).
        `stack_wire`: that request already serialized (`finish_all` builds it once for every pack)."""
        try:
            self._queue.put(None)
            self._thread.join()
            if self._error is not None:
                raise self._error
            wire = stack_wire if stack_wire is not None else _stack_wire(list(resources))
            diagnostics = self._diagnostics + [_diag(d) for d in self.pack.analyze_stack_wire(wire).diagnostics]
        finally:
            self.close()
        info = self._info
        policies = [{"name": p.name, "description": p.description, "level": _LEVELS.get(p.enforcementLevel, "advisory"),
                     "framework": p.framework.name, "remediation": p.remediation_steps}
                    for p in info.policies]
        return PackResult(pack=info.name, version=info.version, policies=policies, diagnostics=diagnostics,
                          analyzed=self._analyzed)

    def close(self) -> None:
        """Stop the pack (also when the run failed); the worker thread ends with it."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self.pack.close()
        self._thread.join(timeout=30)


def analyze(pack_dir: "Path | str | PackProcess", resources: Iterable[PolicyResource], config: Optional[dict] = None,
            stack: str = "offline", project: str = "offline", python: Optional[str] = None,
            dry_run: bool = True) -> PackResult:
    """Run one pack over `resources`. `config` is the pack's policy config (as --policy-pack-config).

    `pack_dir` may be a pack already launched with `PackProcess.spawn` (it is closed afterwards)."""
    resources = list(resources)
    session = Session(pack_dir, config=config, stack=stack, project=project, python=python, dry_run=dry_run)
    try:
        for r in resources:
            session.add(r)
    except BaseException:
        session.close()
        raise
    return session.finish(resources)


def analyze_all(packs: list[tuple["Path | str | PackProcess", Optional[dict]]], resources: Iterable[PolicyResource],
                stack: str = "offline", project: str = "offline", dry_run: bool = True) -> list[PackResult]:
    """Run several packs over the same resources at once (each pack is its own process, as with
    the CLI, which runs its analyzers side by side). Results keep the order of `packs`."""
    resources = list(resources)
    sessions: list[Session] = []
    try:
        for p, c in packs:
            sessions.append(Session(p, config=c, stack=stack, project=project, dry_run=dry_run))
        for r in resources:
            for s in sessions:
                s.add(r)
    except BaseException:
        for s in sessions:
            s.close()
        raise
    return finish_all(sessions, resources)


def finish_all(sessions: list[Session], resources: Iterable[PolicyResource],
               stack_wire: Optional[bytes] = None) -> list[PackResult]:
    """`Session.finish` of each (their AnalyzeStack calls run side by side); every session is closed,
    failing or not. Results keep the order of `sessions`. `stack_wire`: the AnalyzeStack request over
    `resources`, already serialized (offline/relay.py builds it where the resources are)."""
    resources = list(resources)
    if len(sessions) <= 1:
        return [s.finish(resources, stack_wire) for s in sessions]
    from concurrent.futures import ThreadPoolExecutor

    try:
        wire = stack_wire if stack_wire is not None else _stack_wire(resources)  # one request for every pack
    except BaseException:
        for s in sessions:
            s.close()
        raise
    with ThreadPoolExecutor(len(sessions)) as pool:
        futures = [pool.submit(s.finish, resources, wire) for s in sessions]
        return [f.result() for f in futures]


def policy_resource(c) -> PolicyResource:
    """One captured engine resource -> an analyzer resource (wire structs passed through untouched)."""
    return PolicyResource(urn=c.urn, type=c.type, name=c.name,
                          inputs=c.inputs_struct if c.inputs_struct is not None else c.inputs,
                          outputs=c.outputs_struct if c.outputs_struct is not None else c.outputs,
                          parent=c.parent, provider=c.provider, protect=c.protect, dependencies=c.dependencies,
                          property_dependencies=c.property_dependencies)


def from_captured(captured) -> list[PolicyResource]:
    """Captured engine resources -> analyzer resources (wire structs passed through untouched)."""
    return [policy_resource(c) for c in captured]


# A pack's default config in the offline engine, when none is given for it: the approvals the
# repository keeps beside the pack (policy/residency/approvals.json), as CI passes them.
DEFAULT_PACK_CONFIG = "approvals.json"


def default_policy_config(pack_dir: "Path | str") -> Optional[str]:
    path = Path(pack_dir) / DEFAULT_PACK_CONFIG
    return str(path) if path.is_file() else None


def load_policy_config(path: Optional[str]) -> Optional[dict]:
    """A --policy-pack-config file: JSON (as the Pulumi CLI takes) or YAML."""
    if not path:
        return None
    text = Path(path).read_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        import yaml

        return yaml.safe_load(text)
