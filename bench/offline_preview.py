"""How long the offline preview of a stack takes, next to the bare floor.

Three floors, each a fresh interpreter: importing the SDK modules that define the stack's resource
classes; the same plus registering the stack's resources (same types, names, parents, providers and
inputs) under trivial Pulumi mocks as plain `CustomResource`s, which no program using the SDK's
classes can do (see `floor_input` for what is registered and why); and the same registrations
through those classes (`SDK_REGISTER_FLOOR`), the least a program creating these resources can cost.
Everything above the last is the program's own work, the project's mocks, capture, the report and the
policy packs. Not a test: run it by hand and put the figures in the issue note.

    .venv/bin/python bench/offline_preview.py [STACK] [--runs N] [--policy-pack DIR]... [--assume-applied]
                                              [--floor-gc on|off] [--apply-overhead]

By default: the dry run (as `python -m offline preview` runs) of STACK (dev) with both packs, and its
ratio to each registration floor measured in the same run (target: at most 1.3x), wall time
from runs timed back to back (floors and preview interleaved, so machine load weighs on all alike)
and CPU time (user + sys, the packs' processes included), which load distorts much less.

The floors run with the same process settings as the offline CLI: Python's cyclic garbage collector
off (offline/__main__.py turns it off; it cost ~3 s of CPU per preview, ~1.7 s of it while importing
the SDKs, which a floor with the collector on pays too), and the objects frozen before the
interpreter's final collection at exit (~1.3 s for the SDK modules alone, which the CLI skips the
same way). `--floor-gc on` measures the floors with the collector on and the final collection, as a
plain interpreter runs, for comparison.

--apply-overhead: the preview with the apply checks (offline/apply) against the same preview without
them (`--no-apply-checks`), runs interleaved so machine load hits both alike, plus the checks alone
in-process over the stack's JSON report. Target: the checks add at most 10%.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent
DEFAULT_PACKS = ["policy/encryption", "policy/residency"]
TARGET_RATIO = 1.3  # dev, both packs, dry run, against import + register
# Importing the SDK modules that hold the classes of the stack's resource types (argv[1]: the JSON
# written by `floor_input`): what a program must import to create them.
FLOOR = """
import atexit, gc, importlib, json, sys
if sys.argv[2] == "off":  # as the offline CLI runs (offline/__main__.py): no collector, and none at exit
    gc.disable()
    atexit.register(gc.freeze)
import pulumi
for m in json.load(open(sys.argv[1]))["modules"]:
    importlib.import_module(m)
"""
# The same plus registering the stack's resources under trivial mocks: same types, names, parents,
# explicit providers and inputs (as the report has them), components with their registered outputs.
REGISTER_FLOOR = FLOOR + """
from pulumi.runtime import mocks, set_mocks
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

class Mocks(mocks.Mocks):
    def new_resource(self, args):
        return [args.name + "-id", args.inputs]

    def call(self, args):
        return {}

spec = json.load(open(sys.argv[1]))
set_mocks(Mocks(), project="floor", stack="floor", preview=spec["dry_run"])
made = {}
for r in spec["resources"]:
    opts = pulumi.ResourceOptions(parent=made.get(r["parent"]), provider=made.get(r["provider"]))
    if r["kind"] == "component":
        res = pulumi.ComponentResource(r["type"], r["name"], None, opts)
        res.register_outputs(r["outputs"])
    elif r["kind"] == "provider":
        res = pulumi.ProviderResource(r["type"].split(":")[2], r["name"], r["inputs"], opts)
    else:
        res = pulumi.CustomResource(r["type"], r["name"], r["inputs"], opts)
    made[r["urn"]] = res
_sync_await(wait_for_rpcs())
"""
# The same registrations through the SDK classes a program creates them with (aws.s3.BucketV2(name,
# BucketV2Args(...), opts)): the SDK's own input handling (its Args classes, the type hints it
# evaluates per class to serialize inputs and translate outputs) is a cost every program of these
# resources pays and the plain `CustomResource` above skips. Nested values keep their wire names (the
# SDK passes unknown keys through). The mock answers with the inputs, as the plain floor's does, less
# those whose value cannot be of the output's declared type (the SDK would refuse to translate them:
# an input list of identity ids, an output map of identities), so this floor is a lower bound of that
# path (a provider answers every declared output). A resource whose class cannot be built from its
# recorded inputs is registered plainly, and counted.
SDK_REGISTER_FLOOR = FLOOR + """
import re
from pulumi.runtime import mocks, set_mocks
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

spec = json.load(open(sys.argv[1]))
typed = set()

echo = {}

class Mocks(mocks.Mocks):
    def new_resource(self, args):
        keys = echo.get((args.typ, args.name))
        if args.typ not in typed or keys is None:
            return [args.name + "-id", args.inputs]
        return [args.name + "-id", {k: v for k, v in args.inputs.items() if k in keys}]

    def call(self, args):
        return {}

set_mocks(Mocks(), project="floor", stack="floor", preview=spec["dry_run"])
made, plain = {}, 0
for r in spec["resources"]:
    opts = pulumi.ResourceOptions(parent=made.get(r["parent"]), provider=made.get(r["provider"]))
    res = None
    if r["kind"] == "component":
        res = pulumi.ComponentResource(r["type"], r["name"], None, opts)
        res.register_outputs(r["outputs"])
    elif r["kind"] == "provider":
        res = pulumi.ProviderResource(r["type"].split(":")[2], r["name"], r["inputs"], opts)
    elif r.get("sdk"):
        module, cls_name, args_name, kwargs, echoed = r["sdk"]
        echo[(r["type"], r["name"])] = set(echoed)
        module = sys.modules[module]
        for _ in range(4):  # an input unknown at preview is not recorded: a required one gets a value
            try:
                args = getattr(module, args_name)(**kwargs)
            except TypeError as e:
                missing = re.search(r"Missing required property '(\\w+)'", str(e))
                if missing is None:
                    break
                kwargs[missing.group(1)] = "floor"
                continue
            typed.add(r["type"])
            res = getattr(module, cls_name)(r["name"], args=args, opts=opts)
            break
    if res is None:
        plain += 1
        res = pulumi.CustomResource(r["type"], r["name"], r["inputs"], opts)
    made[r["urn"]] = res
_sync_await(wait_for_rpcs())
print(plain)
"""


def _fits(value, typ) -> bool:
    """Whether a recorded (JSON) value can be of the declared output type `typ`, all the way down."""
    import collections.abc
    import typing

    from pulumi import _types

    typ = _types.unwrap_type(typ)
    origin, args = typing.get_origin(typ), typing.get_args(typ)
    if typ is typing.Any or value is None:
        return True
    if origin is typing.Union:
        return any(_fits(value, a) for a in args if a is not type(None))
    if isinstance(value, list):
        return origin in (list, tuple, collections.abc.Sequence, typing.Sequence) and (
            not args or all(_fits(v, args[0]) for v in value))
    if isinstance(value, dict):
        if origin in (dict, collections.abc.Mapping, typing.Mapping):
            return len(args) < 2 or all(_fits(v, args[1]) for v in value.values())
        if isinstance(typ, type) and _types.is_output_type(typ):
            fields = _types.output_type_types(typ)
            return all(k not in fields or _fits(v, fields[k]) for k, v in value.items())
        return False
    return origin is None and not (isinstance(typ, type) and _types.is_output_type(typ))


def _sdk_call(cls: type, inputs: dict) -> Optional[list]:
    """[module, class, Args class, keyword arguments by Python name, the inputs its mock echoes as
    outputs] to build `cls` from its recorded (wire-named) inputs, or None when the SDK has no Args
    class for it."""
    from pulumi import _types

    module = sys.modules[cls.__module__]
    for args_name in (cls.__name__ + "InitArgs", cls.__name__ + "Args"):  # kubernetes: DeploymentInitArgs
        args_cls = getattr(module, args_name, None)
        if isinstance(args_cls, type) and _types.is_input_type(args_cls):
            py = {wire: name for name, wire in _types.input_type_py_to_pulumi_names(args_cls).items()}
            # An input named resourceName (azure-native) collides with the resource's own name when passed
            # in an Args object (the SDK's _internal_init takes both as `resource_name`): left out.
            declared = _types.resource_types(cls)
            return [cls.__module__, cls.__name__, args_name,
                    {py[k]: v for k, v in inputs.items() if k in py and py[k] != "resource_name"},
                    sorted(k for k, v in inputs.items() if k in declared and _fits(v, declared[k]))]
    return None


def floor_input(report: dict, dry_run: bool) -> dict:
    """What the floors import and register, from a preview's JSON report.

    Modules: `cls.__module__` of each resource type's SDK class (pulumi_gcp.compute.network, ...), not
    the SDK package of the type (pulumi_gcp.compute). The SDKs load a package's classes lazily, so
    importing `pulumi_gcp.compute` costs a fraction of what creating one `gcp.compute.Network` costs:
    the class's module imports the package's large `_inputs`/`outputs` modules. A floor importing the
    packages (this bench's first version: ~600 modules, 0.6 s for dev) is no floor at all, since no
    program can create the resources without ~2,500 modules (~4 s for dev).

    Resources: every resource the program registered (not the root stack nor the default providers,
    which the engine makes), in registration order, with its parent and explicit provider (same URNs),
    and its inputs as the report records them (unknowns and secrets as their report placeholders,
    references as URNs). Every run of this stack serializes those inputs to the engine, so they are part
    of the least a run costs; registering empty inputs (the first version) measured a program that
    does not exist. Components register the outputs the program registers for them."""
    from offline.mocks.sdk import resource_class

    resources, modules = [], set()
    for r in report["resources"]:
        type_ = r["type"]
        if type_ == "pulumi:pulumi:Stack" or (type_.startswith("pulumi:providers:") and r["name"].startswith("default")):
            continue
        if type_.startswith("pulumi:providers:"):
            kind = "provider"
        elif r["provider"] or type_ == "pulumi:pulumi:StackReference":  # the engine gives every custom one a provider
            kind = "custom"
            cls = resource_class(type_)  # None: a type with no SDK class (a Kubernetes CRD)
            if cls is not None:
                modules.add(cls.__module__)
            sdk = _sdk_call(cls, r["inputs"] or {}) if cls is not None else None
        else:
            kind = "component"
        if kind != "custom":
            sdk = None
        resources.append({"sdk": sdk, "urn": r["urn"], "type": type_, "name": r["name"], "kind": kind, "parent": r["parent"],
                          "provider": r["provider"].rsplit("::", 1)[0] if r["provider"] else None,
                          "inputs": r["inputs"] or {}, "outputs": (r["outputs"] or {}) if kind == "component" else {}})
    return {"dry_run": dry_run, "modules": sorted(modules), "resources": resources}


def timed(cmd: list[str], ok: tuple[int, ...] = (0, 1), cpu: Optional[list] = None,
          out: Optional[list] = None) -> float:
    """Wall time of `cmd`; its CPU time (user + sys, its own children's included) goes to `cpu`, its
    standard output to `out`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if out is not None:
        out.append(proc.stdout)
    return elapsed


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("stack", nargs="?", default="dev")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--policy-pack", action="append", default=None,
                   help="default: both packs (policy/encryption, policy/residency)")
    p.add_argument("--assume-applied", action="store_true", help="measure the all-known run instead of the dry run")
    p.add_argument("--floor-gc", choices=("on", "off"), default="off",
                   help="the floors' cyclic garbage collector (default off, as the offline CLI runs)")
    p.add_argument("--apply-overhead", action="store_true")
    a = p.parse_args()
    if a.apply_overhead:
        return apply_overhead(a.stack, a.runs)
    packs = DEFAULT_PACKS if a.policy_pack is None else a.policy_pack
    cmd = [sys.executable, "-m", "offline", "preview", a.stack, "--quiet"] + (["--assume-applied"] if a.assume_applied else [])
    for pack in packs:
        cmd += ["--policy-pack", pack]
    with tempfile.TemporaryDirectory() as tmp:
        report, names = Path(tmp) / "report.json", Path(tmp) / "resources.json"
        timed(cmd + ["--json", str(report)])  # warm-up run; also gives the stack's resources
        sys.path.insert(0, str(REPO))
        spec = floor_input(json.loads(report.read_text()), dry_run=not a.assume_applied)
        names.write_text(json.dumps(spec))
        resources = spec["resources"]
        floor, register, sdk_register, runs = [], [], [], []
        floor_cpu, register_cpu, sdk_cpu, runs_cpu = [], [], [], []
        plain_left = []
        for _ in range(a.runs):  # interleaved, so a busy machine weighs on all four alike
            floor.append(timed([sys.executable, "-c", FLOOR, str(names), a.floor_gc], ok=(0,), cpu=floor_cpu))  # a floor that failed is no floor
            register.append(timed([sys.executable, "-c", REGISTER_FLOOR, str(names), a.floor_gc], ok=(0,),
                                  cpu=register_cpu))
            sdk_register.append(timed([sys.executable, "-c", SDK_REGISTER_FLOOR, str(names), a.floor_gc], ok=(0,),
                                      cpu=sdk_cpu, out=plain_left))
            runs.append(timed(cmd, cpu=runs_cpu))
    med = statistics.median
    f, g, t, r = med(floor), med(register), med(sdk_register), med(runs)
    fc, gc, tc, rc = med(floor_cpu), med(register_cpu), med(sdk_cpu), med(runs_cpu)
    customs = sum(1 for x in resources if x["kind"] == "custom")
    print(f"floors with the garbage collector {a.floor_gc}")
    print(f"floor (import {len(spec['modules'])} class modules):     median {f:6.2f} s wall, {fc:6.2f} s CPU over {a.runs} runs")
    print(f"floor (+ register {len(resources):4d} res., plain):   median {g:6.2f} s wall, {gc:6.2f} s CPU over {a.runs} runs")
    print(f"floor (+ register through SDK classes): median {t:6.2f} s wall, {tc:6.2f} s CPU over {a.runs} runs "
          f"({int(plain_left[-1])} of {customs} custom resources registered plainly)")
    mode = "assume-applied" if a.assume_applied else "dry run"
    print(f"offline preview {a.stack:<23}     median {r:6.2f} s wall, {rc:6.2f} s CPU over {a.runs} runs "
          f"({mode}; {' '.join(packs) or 'no packs'})")
    print(f"above the import floor:                 {r - f:6.2f} s ({r / f:.2f}x wall, {rc / fc:.2f}x CPU)")
    print(f"above the plain registration floor:     {r - g:6.2f} s ({r / g:.2f}x wall, {rc / gc:.2f}x CPU)")
    print(f"above the SDK-class registration floor: {r - t:6.2f} s ({r / t:.2f}x wall, {rc / tc:.2f}x CPU)")
    # Each run's own ratio (the floors and the preview were timed back to back): load moves them alike.
    for label, base, base_cpu in (("plain registration floor (CustomResource)", register, register_cpu),
                                  ("SDK-class registration floor", sdk_register, sdk_cpu)):
        per_run = sorted(x / y for x, y in zip(runs, base))
        per_cpu = sorted(x / y for x, y in zip(runs_cpu, base_cpu))
        verdict = "met" if med(per_run) <= TARGET_RATIO else "not met"
        print(f"ratio to the {label}, {a.stack} {mode} with {len(packs)} pack(s): "
              f"{med(per_run):.2f}x median of {a.runs} paired runs "
              f"(min {per_run[0]:.2f}x, max {per_run[-1]:.2f}x; target <= {TARGET_RATIO}x: {verdict}); "
              f"CPU time (user+sys, packs included) {med(per_cpu):.2f}x (min {per_cpu[0]:.2f}x, max {per_cpu[-1]:.2f}x)")


def apply_overhead(stack: str, runs: int) -> None:
    import json
    import tempfile

    sys.path.insert(0, str(REPO))
    from offline import apply
    from offline.project import load_project, stack_config

    base = [sys.executable, "-m", "offline", "preview", stack, "--quiet", "--assume-applied"]  # checks need values
    with_, without = [], []
    for _ in range(runs):
        without.append(timed(base + ["--no-apply-checks"]))
        with_.append(timed(base))
    w, wo = statistics.median(with_), statistics.median(without)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        subprocess.run(base + ["--json", str(out)], cwd=REPO, capture_output=True)
        report = json.loads(out.read_text())
    config, _ = stack_config(load_project(), stack)
    times = []
    for _ in range(max(runs, 5)):
        start = time.perf_counter()
        apply.check(apply.Graph(report["resources"], report["invokes"], config, stack))
        times.append(time.perf_counter() - start)
    c = statistics.median(times)
    print(f"preview {stack} without apply checks: median {wo:6.2f} s over {runs} runs")
    print(f"preview {stack} with apply checks:    median {w:6.2f} s over {runs} runs ({(w - wo) / wo:+.1%})")
    print(f"apply checks alone (in-process):  median {c * 1000:6.1f} ms ({c / wo:.2%} of the preview)")


if __name__ == "__main__":
    main()
