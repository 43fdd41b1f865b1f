"""A hand-written mock answers every output the SDK declares.

A real provider returns every declared output at create. A hand-written mock (offline/mocks/aws.py,
gcp.py, azure.py, kubernetes.py, ...) says what it knows; the registry completes the rest from the
SDK-derived mock (offline/mocks/sdk.py), the inputs still winning. The list of outputs checked here is
the SDK's own declaration (`sdk.declared_outputs`), never a hand-written list; the inputs each mock is
called with are the SDK's required arguments (`<Resource>Args`), built from their declared types.
"""
from __future__ import annotations

import inspect
import sys
import textwrap
import typing

import pytest

from offline import mocks
from offline.mocks import sdk
from offline.mocks.registry import MockContext

CONFIG = {"aws:region": "eu-west-1", "gcp:project": "offline-proj", "gcp:region": "europe-west4",
          "azure-native:location": "westeurope"}

# Values a provider validates that a declared type (plain `str`) cannot say; each mock enforces them as
# the provider does (pulumi-tls: algorithm RSA|ECDSA|ED25519; pulumiverse-acme: an account key, and
# one challenge for a certificate).
VALID = {
    "tls:index/privateKey:PrivateKey": {"algorithm": "RSA"},
    "acme:index/registration:Registration": {"accountKeyPem": "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n",
                                             "emailAddress": "ops@example.com"},
    "acme:index/certificate:Certificate": {"httpChallenge": {"port": 80}},
    # AKS maintenance configurations are named default|aksManagedAutoUpgradeSchedule|aksManagedNodeOSUpgradeSchedule.
    "azure-native:containerservice:MaintenanceConfiguration": {"configName": "default"},
}


def _hand_written() -> dict[str, typing.Callable]:
    return {t: f for t, f in mocks.RESOURCES.items() if hasattr(f, "hand_written")}


def _args_class(type_: str):
    return sdk.args_class(type_)


def _required(input_cls) -> set[str]:
    """Wire names of the arguments an SDK input class requires (no default in its constructor)."""
    from pulumi import _types

    names = _types.input_type_py_to_pulumi_names(input_cls)
    params = inspect.signature(input_cls.__init__).parameters
    return {names.get(py, py) for py, p in params.items()
            if py != "__self__" and p.default is inspect.Parameter.empty}


def _input(ctx: MockContext, type_: str, prop: str, typ, everything: bool, depth: int = 0):
    """A value of the declared input type `typ` (required fields only, or every field)."""
    from pulumi import _types

    typ = _types.unwrap_type(typ) if typ is not None else None
    origin, args = typing.get_origin(typ), typing.get_args(typ)
    if origin is typing.Union:
        options = [a for a in args if a is not type(None)]
        return _input(ctx, type_, prop, options[0] if options else str, everything, depth)
    if isinstance(typ, type) and _types.is_input_type(typ):
        if depth > 3:
            return {}
        fields = _types.input_type_types(typ)
        wanted = set(fields) if everything else _required(typ)
        return {k: _input(ctx, type_, k, t, everything, depth + 1) for k, t in fields.items() if k in wanted}
    if origin in (list, tuple, typing.Sequence, __import__("collections.abc").abc.Sequence):
        return [_input(ctx, type_, prop, args[0] if args else str, everything, depth + 1)]
    if origin in (dict, typing.Mapping, __import__("collections.abc").abc.Mapping):
        return {}
    return sdk.value_of(ctx, type_, "x", prop, typ, {})


def _inputs(ctx: MockContext, type_: str, everything: bool) -> dict:
    args_cls = _args_class(type_)
    built = _input(ctx, type_, "", args_cls, everything) if args_cls is not None else {}
    return {**built, **VALID.get(type_, {})}


def _outputs(type_: str) -> tuple[dict, dict]:
    """(inputs, outputs) of the registry's mock for `type_`, in assume-applied mode (values, no unknowns).
    Required inputs first; a mock that needs more (an optional input it reads, as the provider does
    for its identity) gets every declared input."""
    ctx = MockContext(project="corpus", stack="dev", config=dict(CONFIG))
    ctx.type_ = type_
    try:
        inputs = _inputs(ctx, type_, everything=False)
        return inputs, mocks.RESOURCES[type_](ctx, "probe", inputs)[1]
    except (KeyError, TypeError, AttributeError, ValueError):
        inputs = _inputs(ctx, type_, everything=True)
        return inputs, mocks.RESOURCES[type_](ctx, "probe", inputs)[1]


def test_every_hand_written_mock_answers_every_computed_output():
    """Every output only the provider sets (the SDK's resource class declares it, its Args class takes no
    such input) is present and not None."""
    hand = _hand_written()
    checked, undeclared, problems = 0, [], []
    for type_ in sorted(hand):
        if not sdk.declared_outputs(type_):
            # Providers (their outputs are their inputs), StackReference and CRDs have no SDK class.
            undeclared.append(type_)
            continue
        if sdk.declared_inputs(type_) is None:
            problems.append(f"{type_}: the SDK's input class was not found")
            continue
        declared = sdk.computed_outputs(type_)
        checked += 1
        try:
            _, outputs = _outputs(type_)
        except Exception as err:  # noqa: BLE001 - reported with the others
            problems.append(f"{type_}: the mock refused SDK-declared inputs: {err!r}")
            continue
        missing = [k for k in declared if outputs.get(k) is None]
        if missing:
            problems.append(f"{type_}: {missing}")
    print(f"{checked} hand-written mocks checked; no SDK declaration (not checked): {undeclared}")
    assert checked >= 100, checked
    assert all(t.startswith(("pulumi:", "kubernetes:")) for t in undeclared), undeclared
    assert not problems, "\n".join(problems)


def test_an_output_the_program_could_give_is_not_invented():
    """An input-able output the program left unset is the provider's default, unknown here: the mock's
    answer stands (an invented replication target or key id would be judged by the packs as set)."""
    ctx = MockContext(project="corpus", stack="dev", config=dict(CONFIG))
    ctx.type_ = "aws:s3/bucket:Bucket"
    _, own = mocks.RESOURCES[ctx.type_].hand_written(ctx, "logs", {"bucket": "my-logs"})
    _, out = mocks.RESOURCES[ctx.type_](ctx, "logs", {"bucket": "my-logs"})
    inputs = sdk.declared_inputs(ctx.type_)
    assert "replicationConfiguration" in inputs and "replicationConfiguration" in sdk.declared_outputs(ctx.type_)
    for key in inputs:
        assert out.get(key) == own.get(key), key


def test_a_hand_written_mock_keeps_its_own_values_and_the_inputs_win():
    ctx = MockContext(project="corpus", stack="dev", config=dict(CONFIG))
    ctx.type_ = "aws:s3/bucketV2:BucketV2" if "aws:s3/bucketV2:BucketV2" in mocks.RESOURCES else "aws:s3/bucket:Bucket"
    own_id, own = mocks.RESOURCES[ctx.type_].hand_written(ctx, "logs", {"bucket": "my-logs"})
    rid, out = mocks.RESOURCES[ctx.type_](ctx, "logs", {"bucket": "my-logs"})
    assert rid == own_id
    assert out["bucket"] == "my-logs"
    assert {k: out[k] for k in own if own[k] is not None} == {k: v for k, v in own.items() if v is not None}
    # What the mock left out and only the provider sets is there now.
    assert set(sdk.computed_outputs(ctx.type_)) - {k for k, v in own.items() if v is not None}
    assert all(out.get(k) is not None for k in sdk.computed_outputs(ctx.type_))


def test_a_hand_written_invoke_is_completed_from_its_result_class():
    hand = {t: f for t, f in mocks.INVOKES.items() if hasattr(f, "hand_written")}
    assert hand
    for token, fn in sorted(hand.items()):
        ctx = MockContext(project="corpus", stack="dev", config=dict(CONFIG))
        ctx.type_ = token
        try:
            result = fn(ctx, {})
        except (KeyError, TypeError, ValueError) as err:
            print(f"{token}: needs arguments ({err!r}); covered by the corpus programs")
            continue
        assert all(result.get(k) is not None for k in sdk.declared_result_fields(token)), token


def test_an_output_a_mock_forgot_reads_as_a_value_in_a_string(tmp_path):
    """A user-style program reading every provider-computed output (a property of the resource class that
    its Args class does not take) of hand-written-mocked resources into strings: the assume-applied run
    must not produce "None" anywhere in its exports."""
    from offline_helpers import offline

    hand = _hand_written()
    for t in ("aws:s3/bucket:Bucket", "aws:kms/key:Key", "gcp:storage/bucket:Bucket", "gcp:kms/keyRing:KeyRing"):
        assert t in hand, t
    project = tmp_path / "completion"
    project.mkdir()
    (project / "__main__.py").write_text(textwrap.dedent("""
        import sys

        import pulumi
        import pulumi_aws as aws
        import pulumi_gcp as gcp

        bucket = aws.s3.Bucket("logs")
        key = aws.kms.Key("k")
        gbucket = gcp.storage.Bucket("g", location="EU")
        ring = gcp.kms.KeyRing("r", location="europe-west4")
        def props(cls):
            return {p for p in dir(cls) if isinstance(getattr(cls, p, None), property) and not p.startswith("_")}

        for res in (bucket, key, gbucket, ring):
            args = getattr(sys.modules[type(res).__module__], type(res).__name__ + "Args")
            computed = sorted(props(type(res)) - props(args) - {"urn", "id"})
            pulumi.export(res._name, pulumi.Output.all(*[getattr(res, p) for p in computed]).apply(
                lambda vals, props=computed: " ".join(f"{p}={v}" for p, v in zip(props, vals))))
    """))
    (project / "Pulumi.yaml").write_text("name: completion\nruntime: python\n")
    (project / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n  gcp:project: p\n"
                                             "  gcp:region: europe-west4\n")
    run = offline(["preview", "dev", "--quiet", "--assume-applied", "--no-apply-checks", "--unmasked-outputs",
                   "--project-dir", str(project)], tmp_path)
    assert run.report is not None, run.stderr[-3000:]
    for name in ("logs", "k", "g", "r"):
        text = run.report["outputs"][name]
        assert text.count("=") >= 2, text
        assert "=None" not in text, (name, [w for w in text.split() if w.endswith("=None")])


def test_a_declared_enum_output_gets_one_of_its_values():
    """Held-out pulumi/examples azure-py-static-website: `Blob.access_tier` is declared as the enum
    BlobAccessTier; an invented string made the SDK's conversion fail (an engine error, exit 4)."""
    from pulumi_azure_native import storage

    ctx = MockContext(project="corpus", stack="dev", config=dict(CONFIG))
    ctx.type_ = "azure-native:storage:Blob"
    outputs = mocks.RESOURCES.get(ctx.type_, mocks.default_resource)(ctx, "index_html", {
        "accountName": "st", "resourceGroupName": "rg", "containerName": "$web"})[1]
    declared = sdk._declared_resource(ctx.type_)["accessTier"]
    assert "BlobAccessTier" in str(declared)
    assert storage.BlobAccessTier(outputs["accessTier"]) in list(storage.BlobAccessTier)
