"""`global-name-fixed` knows a name drawn per stack by pulumi_random.

A bucket named from a `random.RandomPet` (RandomId, RandomString, ...) gets a different name in each
stack: the draw lives in each stack's own state. The rule sees it in the graph (the name input depends
on a random resource and contains what it drew) and does not flag it; a really fixed name still fails.
"""
from __future__ import annotations

from offline.apply import Graph
from offline.apply.common import fixed_global_names

STACK = "dev"


def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::corpus::{type_}::{name}"


def _random(type_: str, name: str, drawn: str, outputs: dict | None = None, inputs: dict | None = None) -> dict:
    return {"urn": _urn(type_, name), "type": type_, "name": name, "id": drawn, "inputs": inputs or {},
            "outputs": {**(inputs or {}), **(outputs or {})}, "dependencies": [], "propertyDependencies": {}}


def _bucket(name: str, bucket: str, deps: dict[str, list[str]] | None = None, depends_on=()) -> dict:
    deps = deps or {}
    return {"urn": _urn("aws:s3/bucket:Bucket", name), "type": "aws:s3/bucket:Bucket", "name": name, "id": bucket,
            "inputs": {"bucket": bucket}, "outputs": {"bucket": bucket},
            "dependencies": sorted({u for us in deps.values() for u in us} | set(depends_on)),
            "propertyDependencies": deps}


def _flagged(resources: list[dict]) -> list[str]:
    g = Graph(resources, [], {"aws:region": "eu-west-1"}, STACK)
    return sorted(urn.rsplit("::", 1)[-1] for urn, _ in fixed_global_names(g))


def test_a_name_drawn_by_a_per_stack_random_resource_is_not_fixed():
    pet = _random("random:index/randomPet:RandomPet", "suffix", "eager-otter",
                  inputs={"length": 2, "separator": "-"})
    rid = _random("random:index/randomId:RandomId", "id", "q3Zx1w",
                  outputs={"hex": "ab77f1c3", "b64Url": "q3Zx1w", "dec": "2876763587"}, inputs={"byteLength": 4})
    rstr = _random("random:index/randomString:RandomString", "s", "kqzmwtpa", outputs={"result": "kqzmwtpa"},
                   inputs={"length": 8, "special": False, "upper": False})
    resources = [pet, rid, rstr,
                 _bucket("primary", "primary-eager-otter", {"bucket": [pet["urn"]]}),
                 _bucket("by-hex", "logs-ab77f1c3", {"bucket": [rid["urn"]]}),
                 _bucket("by-string", "kqzmwtpa-models", {"bucket": [rstr["urn"]]})]
    assert _flagged(resources) == []


def test_a_fixed_name_beside_a_random_resource_is_still_flagged():
    pet = _random("random:index/randomPet:RandomPet", "suffix", "eager-otter", inputs={"length": 2})
    integer = _random("random:index/randomInteger:RandomInteger", "n", "2", outputs={"result": 2},
                      inputs={"min": 1, "max": 3})
    shuffle = _random("random:index/randomShuffle:RandomShuffle", "pick", "-",
                      outputs={"results": ["blue"]}, inputs={"inputs": ["blue"], "resultCount": 1})
    resources = [pet, integer, shuffle,
                 # Waits for the pet (depends_on) but its name is a literal: the same in every stack.
                 _bucket("twin", "primary-data", {"bucket": []}, depends_on=[pet["urn"]]),
                 # Contains the pet's words, but the name input did not come from the pet.
                 _bucket("lookalike", "primary-eager-otter", {"bucket": []}),
                 # A value the program's own range or list decides: the same across stacks.
                 _bucket("small-range", "logs-bucket-2222", {"bucket": [integer["urn"]]}),
                 _bucket("shuffled", "colour-blue-bucket", {"bucket": [shuffle["urn"]]}),
                 # A separator or prefix the program gave is not the draw.
                 _bucket("separator", "primary-x", {"bucket": [pet["urn"]]})]
    assert _flagged(resources) == ["lookalike", "separator", "shuffled", "small-range", "twin"]
