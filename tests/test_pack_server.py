"""The packs' analyzer (policy/shared/server.py, vendored into both packs), in-process.

What it changes next to pulumi_policy's own analyzer is how often the same work is done: each
resource read once per AnalyzeStack, and the residency pack's view of the stack built once per call.
The diagnostics are compared with the stock analyzer through the real gRPC protocol in
test_policy_residency.py and test_policy_encryption.py; here the counts are pinned.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, policy as framework
import stack_view
from residency_rules import policies
from residency_rules import server

builds = []
init = stack_view.StackView.__init__
def counting(self, resources):
    builds.append(1)
    init(self, resources)
stack_view.StackView.__init__ = counting
reads = []
to_dict = json_format.MessageToDict
def counting_to_dict(message, *a, **k):
    reads.append(1)
    return to_dict(message, *a, **k)
json_format.MessageToDict = counting_to_dict

served = {}
server.PolicyPack = lambda **kw: served.setdefault("analyzer", framework._PolicyAnalyzerServicer)
plain = sys.argv[2] == "plain"
if plain:
    analyzer = framework._PolicyAnalyzerServicer
else:
    server.serve(name="residency", policies=policies(), enforcement_level=EnforcementLevel.MANDATORY)
    analyzer = served["analyzer"]
pols = policies()
a = analyzer("residency", "0.0.1", pols, EnforcementLevel.MANDATORY, None, None, None, None, None, None, None)
a.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(stack="test", project="p", dry_run=True), None)

def resource(type_, name, props, parent=""):
    r = analyzer_pb2.AnalyzerResource(type=type_, name=name, urn=f"urn:pulumi:test::p::{type_}::{name}",
                                      parent=parent)
    r.properties.update(props)
    return r

req = analyzer_pb2.AnalyzeStackRequest()
req.resources.append(resource("aws:s3/bucket:Bucket", "eu-data", {"region": "us-east-1",
                                                                  "tags": {"residency": "eu"}}))
req.resources.append(resource("aws:s3/bucket:Bucket", "us-data", {"region": "us-east-1",
                                                                  "tags": {"residency": "us"}}))
for _ in range(2):  # two calls: the second must not reuse the first call's view
    reads.clear(); builds.clear()
    out = a.AnalyzeStack(req, None)
print(json.dumps({"policies": len(pols), "builds": len(builds), "reads": len(reads),
                  "diagnostics": sorted((d.policyName, d.urn, d.message) for d in out.diagnostics)}))
"""


def _probe(mode: str) -> dict:
    import json

    out = subprocess.run([sys.executable, "-c", PROBE, str(REPO / "policy" / "residency"), mode],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_residency_reads_the_stack_once_per_call_and_builds_one_view():
    fast, stock = _probe("fast"), _probe("plain")
    assert stock["policies"] > 10
    # The stock analyzer reads both resources and builds a view for every policy...
    assert stock["builds"] == stock["policies"] and stock["reads"] == 2 * stock["policies"]
    # ...the pack's analyzer once per call (again on the second call: nothing is kept across calls).
    assert fast["builds"] == 1 and fast["reads"] == 2
    # Same verdicts: the eu-labelled bucket in us-east-1 is out of its zone.
    assert fast["diagnostics"] == stock["diagnostics"]
    assert any("eu-data" in urn and policy == "residency-location-in-zone" for policy, urn, _ in fast["diagnostics"])


def test_both_packs_serve_the_shared_analyzer():
    """The packs run the same server module (policy/shared/server.py, kept in step by vendor.py)."""
    shared = (REPO / "policy" / "shared" / "server.py").read_bytes()
    for copy in ("encryption/encryption_rules/server.py", "residency/residency_rules/server.py"):
        assert (REPO / "policy" / copy).read_bytes() == shared, copy
    for pack in ("encryption", "residency"):
        main = (REPO / "policy" / pack / "__main__.py").read_text()
        assert "server import serve" in main and "serve(" in main, pack

