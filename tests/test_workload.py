"""The inference workload (components/workload.py) on one cell of each cloud, under the offline engine.

One program builds a cell-like component per cloud from literal CellOutputs /
WorkloadExposure (the shapes the AWS, GCP and Azure cells hand over) and runs
`InferenceService` on each; every assertion reads the captured inputs by wire
name. The workload's manifests are then rendered to YAML and validated against
the Kubernetes OpenAPI schema (kubernetes-validate, strict: unknown fields fail).
"""
from __future__ import annotations

import kubernetes_validate
import pydantic
import pytest
import yaml

from components.core import config as cfgmod
from components.contract import CellSpec, WorkloadExposure
from components.clouds.azure.loadbalancer import internal_lb_annotations
from components.clouds.drivers import DRIVERS
from components.workload import validate_exposure
from offline_helpers import Run, preview_config

IMAGE = "ghcr.io/acme/inference@sha256:" + "ab" * 32
KUBERNETES_VERSION = "1.33"
WORKLOAD_TYPE = "platform:workload:InferenceService"
K8S_PROVIDER = "pulumi:providers:kubernetes"

# name -> (cloud, region, residency, identity, bucket uri, exposure kwargs)
CELLS = {
    "aws-us-west-2": ("aws", "us-west-2", "us", "arn:aws:iam::123456789012:role/aws-us-west-2-inference",
                      "s3://aws-us-west-2-models-1a2b3c",
                      dict(service_type="NodePort", node_port=30080,
                           ingress_cidrs=("10.10.0.0/24", "10.10.1.0/24"))),
    "gcp-europe-west1": ("gcp", "europe-west1", "eu",
                         "gcp-europe-west1-inference@acme-platform-dev.iam.gserviceaccount.com",
                         "gs://gcp-europe-west1-models-1a2b3c",
                         dict(service_type="NodePort", node_port=30081,
                              ingress_cidrs=("10.20.8.0/23", "35.191.0.0/16", "130.211.0.0/22"))),
    "azure-centralindia": ("azure", "centralindia", "in", "5b1f7a3e-2c4d-4e6f-8a9b-0c1d2e3f4a5b",
                           "https://azcinmodels1a2b.blob.core.windows.net/models",
                           dict(service_type="LoadBalancer", load_balancer_ip="10.30.0.200",
                                ingress_cidrs=("10.30.4.0/24",),
                                annotations={"service.beta.kubernetes.io/azure-load-balancer-internal-subnet":
                                             "aks-nodes"},
                                internal_lb_annotations=internal_lb_annotations("10.30.0.200"))),
}

PROGRAM = f"""
import pulumi
from components import tags
from components.clouds.drivers import DRIVERS
from components.contract import Address, CellComponent, CellOutputs, CellSpec, WorkloadExposure
from components.core.config import WorkloadOptions
from components.workload import InferenceService, InferenceServiceArgs

CELLS = {CELLS!r}
KUBECONFIG = '''apiVersion: v1
kind: Config
clusters: [{{name: c, cluster: {{server: "https://10.0.0.1", certificate-authority-data: "TFMwdExTMUNSVWQ="}}}}]
contexts: [{{name: c, context: {{cluster: c, user: u}}}}]
current-context: c
users: [{{name: u, user: {{exec: {{apiVersion: client.authentication.k8s.io/v1beta1, command: auth-plugin}}}}}}]
'''


class LiteralCell(CellComponent):
    # Stands in for AwsCell / GcpCell / AzureCell: same base, same contract, literal outputs.
    def __init__(self, spec, identity, bucket, exposure):
        super().__init__(f"platform:{{spec.cloud}}:Cell", spec)
        self.finish(CellOutputs(
            endpoint=Address(ip=pulumi.Output.from_input("203.0.113.10"),
                             hostname=pulumi.Output.from_input(f"{{spec.name}}.lb.example.net")),
            health_path=spec.health_path,
            bucket_uri=pulumi.Output.from_input(bucket),
            cluster_name=pulumi.Output.from_input(f"{{spec.name}}-cluster"),
            kubeconfig=pulumi.Output.secret(KUBECONFIG), workload_identity=pulumi.Output.from_input(identity),
            residency=spec.residency, region=spec.region, cloud=spec.cloud, name=spec.name,
        ), exposure, DRIVERS[spec.cloud].pod_identity(pulumi.Output.from_input(identity)))


tags.register_stack_labels("dev")
workload = WorkloadOptions(image={IMAGE!r}, replicas=2, port=8080, health_path="/healthz")
for name, (cloud, region, residency, identity, bucket, exposure) in CELLS.items():
    spec = CellSpec(name=name, cloud=cloud, region=region, residency=residency, environment="dev",
                    role="active", weight=100, network_cidr="10.0.0.0/16", min_nodes=2, max_nodes=4,
                    kubernetes_version={KUBERNETES_VERSION!r}, api_allowed_cidrs=(), noncurrent_version_days=30,
                    geo_redundant=False, workload=workload)
    cell = LiteralCell(spec, identity, bucket, WorkloadExposure(**exposure))
    InferenceService(f"{{name}}-inference", InferenceServiceArgs(spec, cell.outputs, cell.exposure),
                     opts=pulumi.ResourceOptions(parent=cell))
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    result = preview_config({"platform:environment": "dev"}, tmp_path_factory.mktemp("workload"), program=PROGRAM)
    assert result.returncode == 0, result.stderr + result.stdout
    return result


def workload_of(run: Run, cell: str) -> dict:
    return run.one(WORKLOAD_TYPE, f"{cell}-inference")


def objects(run: Run, cell: str) -> dict[str, dict]:
    """The cell's Kubernetes objects by `<Kind>/<metadata.name>`."""
    parent = workload_of(run, cell)["urn"]
    return {f"{r['inputs']['kind']}/{r['inputs']['metadata']['name']}": r
            for r in run.children_of(parent) if r["type"].startswith("kubernetes:")}


def pod_spec(run: Run, cell: str) -> dict:
    return objects(run, cell)["Deployment/inference"]["inputs"]["spec"]["template"]["spec"]


EXPECTED_OBJECTS = {
    "Namespace/inference", "ServiceAccount/inference", "Deployment/inference", "Service/inference",
    "HorizontalPodAutoscaler/inference", "PodDisruptionBudget/inference", "NetworkPolicy/inference-default-deny",
    "NetworkPolicy/inference-allow-load-balancer", "NetworkPolicy/inference-allow-dns-and-cloud-apis",
}
CRD_GROUPS = ("monitoring.googleapis.com", "azmonitoring.coreos.com")
# What each cloud's MetricsScrape adds: the scrape objects and the collector's way in.
METRICS_OBJECTS = {
    # AWS: AMP's own access entry policy lets the collector read pods: no RBAC of ours.
    "aws": {"NetworkPolicy/inference-allow-metrics-scrape"},
    "gcp": {"NetworkPolicy/inference-allow-metrics-scrape", "PodMonitoring/inference-metrics"},
    "azure": {"NetworkPolicy/inference-allow-metrics-scrape", "PodMonitor/inference-metrics"},
}


@pytest.mark.parametrize("cell", CELLS)
def test_objects_use_the_cells_own_provider(run, cell):
    wl = workload_of(run, cell)
    assert run.by_urn(wl["parent"])["type"] == f"platform:{CELLS[cell][0]}:Cell"
    [provider] = [r for r in run.children_of(wl["urn"]) if r["type"] == K8S_PROVIDER]
    assert provider["inputs"]["kubeconfig"] == "[secret]"
    assert provider["inputs"]["clusterIdentifier"] == f"{CELLS[cell][0]}/{CELLS[cell][1]}/{cell}-cluster"
    assert provider["inputs"]["enableServerSideApply"] == "true"  # provider config travels as strings
    objs = objects(run, cell)
    # The scrape objects come with the cell's MetricsScrape (asserted in test_observability.py).
    assert EXPECTED_OBJECTS <= set(objs) <= EXPECTED_OBJECTS | METRICS_OBJECTS[CELLS[cell][0]]
    for obj in objs.values():
        assert obj["provider"] == f"{provider['urn']}::{provider['id']}", obj["name"]
        if obj["inputs"]["kind"] != "Namespace":
            assert obj["inputs"]["metadata"]["namespace"] == "inference"


@pytest.mark.parametrize("cell", CELLS)
def test_every_object_carries_standard_and_app_labels(run, cell):
    _, _, residency, *_ = CELLS[cell]
    for key, obj in objects(run, cell).items():
        labels = obj["inputs"]["metadata"]["labels"]
        assert {k: labels.get(k) for k in ("residency", "cell", "environment", "managed-by")} == {
            "residency": residency, "cell": cell, "environment": "dev", "managed-by": "pulumi"}, key
        assert labels["app.kubernetes.io/name"] == "inference" and labels["app.kubernetes.io/instance"] == cell
    pod_labels = objects(run, cell)["Deployment/inference"]["inputs"]["spec"]["template"]["metadata"]["labels"]
    assert pod_labels["residency"] == residency and pod_labels["cell"] == cell


@pytest.mark.parametrize("cell", CELLS)
def test_namespace_enforces_restricted_pod_security(run, cell):
    labels = objects(run, cell)["Namespace/inference"]["inputs"]["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == f"v{KUBERNETES_VERSION}"


@pytest.mark.parametrize("cell", CELLS)
def test_pod_is_hardened(run, cell):
    spec = pod_spec(run, cell)
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] > 0
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["automountServiceAccountToken"] is False
    assert spec["serviceAccountName"] == "inference"
    [container] = spec["containers"]
    sc = container["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
    assert sc["runAsNonRoot"] is True and sc["privileged"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["image"] == IMAGE
    assert container["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    # The read-only root keeps a writable /tmp only.
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert spec["volumes"][0]["emptyDir"]["sizeLimit"]


@pytest.mark.parametrize("cell", CELLS)
def test_probes_target_the_cells_health_path(run, cell):
    [container] = pod_spec(run, cell)["containers"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http", "scheme": "HTTP"}, probe


@pytest.mark.parametrize("cell", CELLS)
def test_bucket_and_cell_identity_in_env(run, cell):
    cloud, region, residency, identity, bucket, _ = CELLS[cell]
    [container] = pod_spec(run, cell)["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["BUCKET_URI"] == bucket and env["WORKLOAD_IDENTITY"] == identity
    assert (env["CELL_NAME"], env["CELL_CLOUD"], env["CELL_REGION"], env["CELL_RESIDENCY"]) == (
        cell, cloud, region, residency)


@pytest.mark.parametrize("cell", CELLS)
def test_spread_across_zones(run, cell):
    constraints = pod_spec(run, cell)["topologySpreadConstraints"]
    zone = next(c for c in constraints if c["topologyKey"] == "topology.kubernetes.io/zone")
    assert zone["maxSkew"] == 1
    assert zone["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": "inference",
                                                    "app.kubernetes.io/instance": cell}


def test_service_account_is_bound_to_the_cells_identity(run):
    aws, gcp, azure = (objects(run, c)["ServiceAccount/inference"]["inputs"] for c in CELLS)
    # EKS: the cell's pod identity association binds the SA; an IRSA annotation would shadow it.
    assert "eks.amazonaws.com/role-arn" not in (aws["metadata"].get("annotations") or {})
    assert gcp["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": CELLS["gcp-europe-west1"][3]}
    assert azure["metadata"]["annotations"] == {
        "azure.workload.identity/client-id": CELLS["azure-centralindia"][3]}
    azure_pod = objects(run, "azure-centralindia")["Deployment/inference"]["inputs"]["spec"]["template"]
    assert azure_pod["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    for sa in (aws, gcp, azure):
        assert sa["automountServiceAccountToken"] is False


def test_service_matches_the_exposure(run):
    for cell in ("aws-us-west-2", "gcp-europe-west1"):
        svc = objects(run, cell)["Service/inference"]["inputs"]
        assert svc["spec"]["type"] == "NodePort"
        assert svc["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP",
                                         "nodePort": CELLS[cell][5]["node_port"]}]
        assert svc["spec"]["externalTrafficPolicy"] == "Local"
    azure = objects(run, "azure-centralindia")["Service/inference"]
    spec, annotations = azure["inputs"]["spec"], azure["inputs"]["metadata"]["annotations"]
    assert spec["type"] == "LoadBalancer" and "nodePort" not in spec["ports"][0]
    assert annotations == {
        "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
        "service.beta.kubernetes.io/azure-load-balancer-ipv4": "10.30.0.200",
        "service.beta.kubernetes.io/azure-load-balancer-internal-subnet": "aks-nodes",
    }
    # The mock API server reports the internal address the Application Gateway targets.
    assert azure["outputs"]["status"]["loadBalancer"]["ingress"][0]["ip"] == "10.30.0.200"


@pytest.mark.parametrize("cell", CELLS)
def test_autoscaler_and_disruption_budget(run, cell):
    objs = objects(run, cell)
    hpa = objs["HorizontalPodAutoscaler/inference"]["inputs"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "inference"}
    assert hpa["minReplicas"] == 2 and hpa["maxReplicas"] >= 2
    assert hpa["metrics"][0]["resource"]["name"] == "cpu"
    # The HPA owns the replica count; a fixed count on the Deployment would fight it on every update.
    assert "replicas" not in objs["Deployment/inference"]["inputs"]["spec"]
    pdb = objs["PodDisruptionBudget/inference"]["inputs"]["spec"]
    assert pdb["maxUnavailable"] == 1
    assert pdb["selector"] == objs["Deployment/inference"]["inputs"]["spec"]["selector"]


@pytest.mark.parametrize("cell", CELLS)
def test_network_policy_default_deny_and_narrow_allows(run, cell):
    cloud, *_, exposure = CELLS[cell]
    objs = objects(run, cell)
    deny = objs["NetworkPolicy/inference-default-deny"]["inputs"]["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}

    ingress = objs["NetworkPolicy/inference-allow-load-balancer"]["inputs"]["spec"]
    assert ingress["policyTypes"] == ["Ingress"]
    [rule] = ingress["ingress"]
    assert [p["ipBlock"]["cidr"] for p in rule["from"]] == list(exposure["ingress_cidrs"])
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]

    egress = objs["NetworkPolicy/inference-allow-dns-and-cloud-apis"]["inputs"]["spec"]
    assert egress["policyTypes"] == ["Egress"] and "ingress" not in egress
    dns, https, *credentials = egress["egress"]
    assert dns["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
    assert dns["to"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "kube-system"}
    assert sorted(p["protocol"] for p in dns["ports"]) == ["TCP", "UDP"] and {p["port"] for p in dns["ports"]} == {53}
    assert https["ports"] == [{"protocol": "TCP", "port": 443}]
    assert https["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0"
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"} <= set(
        https["to"][0]["ipBlock"]["except"])
    assert [(r["to"][0]["ipBlock"]["cidr"], r["ports"][0]["port"]) for r in credentials] == list(DRIVERS[cloud].pod_identity("x").credential_endpoints)
    # Nothing else is opened: no rule without a peer or without a port.
    for rule in egress["egress"]:
        assert rule["to"] and rule["ports"]


def test_cloud_credential_endpoints():
    # Each cell's PodIdentity names the node-local endpoint its pods get credentials from.
    def endpoints(cloud):
        return list(DRIVERS[cloud].pod_identity("x").credential_endpoints)

    assert endpoints("aws") == [("169.254.170.23/32", 80)]
    assert ("169.254.169.254/32", 80) in endpoints("gcp")
    assert endpoints("azure") == []


# --- manifests: render the captured inputs to YAML and validate them against the OpenAPI schema ---------------


def _wire_numbers(value):
    """The engine's wire format (protobuf Struct) carries every number as a double; the API wants integers."""
    if isinstance(value, dict):
        return {k: _wire_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def manifests(run: Run, cell: str) -> list[dict]:
    """The cell's workload as the Kubernetes manifests the provider applies (captured wire-named inputs)."""
    out = []
    for obj in objects(run, cell).values():
        manifest = _wire_numbers({k: v for k, v in obj["inputs"].items() if v is not None})
        assert "[secret]" not in yaml.safe_dump(manifest) and "[unknown]" not in yaml.safe_dump(manifest)
        out.append(manifest)
    return out


def render_yaml(docs: list[dict]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False)


@pytest.mark.parametrize("cell", CELLS)
def test_manifests_validate_against_the_kubernetes_schema(run, cell, tmp_path):
    text = render_yaml(manifests(run, cell))
    (tmp_path / f"{cell}.yaml").write_text(text)
    docs = list(yaml.safe_load_all(text))
    assert len(docs) == len(EXPECTED_OBJECTS)
    assert "8080.0" not in text  # integers stay integers (a Go decoder rejects 8080.0 for an int32)
    for doc in docs:
        # strict: additionalProperties are rejected, so a misspelt field fails here.
        assert kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True) == KUBERNETES_VERSION


def test_validator_rejects_a_broken_manifest(run):
    """The schema check has teeth: a misspelt field and a wrong type both fail."""
    deployment = next(m for m in manifests(run, "aws-us-west-2") if m["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    del container["securityContext"]["readOnlyRootFileSystem"]
    container["ports"][0]["containerPort"] = "8080"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


# --- pure checks of the exposure contract (no engine) ---------------------------------------------------------


def _spec(cloud: str = "aws") -> CellSpec:
    workload = cfgmod.WorkloadOptions(image=IMAGE)
    return CellSpec(name=f"{cloud}-x", cloud=cloud, region="r", residency="z", environment="dev", role="active",
                    weight=1, network_cidr="10.0.0.0/16", min_nodes=1, max_nodes=2, kubernetes_version="1.33",
                    api_allowed_cidrs=(), noncurrent_version_days=30, geo_redundant=False, workload=workload)


@pytest.mark.parametrize("exposure, message", [
    (WorkloadExposure("NodePort", ("10.0.0.0/24",), node_port=80), "node_port = 80; allowed: 30000..32767"),
    (WorkloadExposure("NodePort", ("10.0.0.0/24",)), "node_port = None"),
    (WorkloadExposure("NodePort", (), node_port=30080), "ingress_cidrs is empty"),
    (WorkloadExposure("LoadBalancer", ("10.0.0.0/24",)), "not supported on aws"),
])
def test_bad_exposure_is_rejected_with_the_field_named(exposure, message):
    with pytest.raises(ValueError, match="cell 'aws-x': WorkloadExposure") as err:
        validate_exposure(_spec(), exposure)
    assert message in str(err.value)


def test_internal_load_balancer_needs_its_address():
    with pytest.raises(ValueError, match="load_balancer_ip is missing"):
        validate_exposure(_spec("azure"), WorkloadExposure("LoadBalancer", ("10.0.0.0/24",),
                                                           internal_lb_annotations=internal_lb_annotations("")))
    validate_exposure(_spec("azure"), WorkloadExposure("LoadBalancer", ("10.0.0.0/24",), load_balancer_ip="10.0.0.9",
                                                       internal_lb_annotations=internal_lb_annotations("10.0.0.9")))


def test_load_balancer_exposure_without_internal_annotations_is_refused_on_every_cloud():
    # The workload names no cloud: an internal LB is what the cell's annotations make it, and without
    # them a LoadBalancer Service would be public, whatever the cloud.
    for cloud in DRIVERS:
        with pytest.raises(ValueError, match="without internal_lb_annotations"):
            validate_exposure(_spec(cloud), WorkloadExposure("LoadBalancer", ("10.0.0.0/24",), load_balancer_ip="10.0.0.9"))


def test_latest_tag_is_rejected_by_config():
    with pytest.raises(pydantic.ValidationError, match="not pinned by digest"):
        cfgmod.WorkloadOptions(image="ghcr.io/acme/inference:latest")


# --- the dev stack: every cell the build has gets the workload through components/assemble.py -----------------

STACK_PACKS = ("policy/encryption", "policy/residency")  # same key as tests/test_stacks.py: one cached run


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Run:
    from offline_helpers import preview_stack

    result = preview_stack("dev", tmp_path_factory.mktemp("dev"), packs=STACK_PACKS)
    assert result.report is not None, result.stderr[-3000:]
    return result


def test_dev_stack_runs_the_workload_on_every_cell(dev):
    cells = [r for r in dev.resources if r["type"].startswith("platform:") and r["type"].endswith(":Cell")]
    if not cells:
        pytest.skip("no cell component has landed in this build")
    for cell in cells:
        [wl] = [r for r in dev.children_of(cell["urn"]) if r["type"] == WORKLOAD_TYPE]
        assert wl["name"] == f"{cell['name']}-inference"
        [provider] = [r for r in dev.children_of(wl["urn"]) if r["type"] == K8S_PROVIDER]
        assert provider["inputs"]["kubeconfig"] == "[secret]"
        objs = objects(dev, cell["name"])
        cloud = cell["type"].split(":")[1]
        assert EXPECTED_OBJECTS <= set(objs) <= EXPECTED_OBJECTS | METRICS_OBJECTS[cloud], cell["name"]
        assert {o["provider"] for o in objs.values()} == {f"{provider['urn']}::{provider['id']}"}
        svc = objs["Service/inference"]["inputs"]["spec"]
        assert svc["type"] in ("NodePort", "LoadBalancer") and svc["externalTrafficPolicy"] == "Local"
        [rule] = objs["NetworkPolicy/inference-allow-load-balancer"]["inputs"]["spec"]["ingress"]
        cidrs = [p["ipBlock"]["cidr"] for p in rule["from"]]
        assert cidrs and "0.0.0.0/0" not in cidrs, cell["name"]
        for doc in manifests(dev, cell["name"]):
            if doc["apiVersion"].split("/")[0] in CRD_GROUPS:
                continue  # a managed collector's CRD, not a built-in schema (asserted in test_observability.py)
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
