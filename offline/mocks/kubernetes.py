"""Kubernetes objects as the API server returns them after a server-side apply.

The provider's id is `<namespace>/<name>` for namespaced objects and `<name>` for
cluster-scoped ones; its outputs are the live object: the applied manifest plus
server-set metadata (uid, resourceVersion, generation, creationTimestamp), the
defaults the workload relies on, and a status.
"""
from __future__ import annotations

import copy
import ipaddress

from .registry import MockContext, resource, stable_hex, stable_uuid

CREATION_TIMESTAMP = "2026-01-01T00:00:00Z"
# Cluster-scoped kinds among those this project creates (everything else is namespaced).
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}
# Where mock ClusterIPs come from: the service CIDR of a kubeadm-style cluster.
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")


def _kind(type_: str) -> str:
    return type_.rsplit(":", 1)[-1]


def _live_object(ctx: MockContext, name: str, inputs: dict) -> tuple[str, dict]:
    obj = copy.deepcopy(inputs)
    kind = _kind(ctx.type_)
    meta = obj.setdefault("metadata", {})
    # The provider auto-names an object without metadata.name from its logical name.
    meta.setdefault("name", f"{name}-{stable_hex(ctx.type_, name, n=8)}")
    if kind not in CLUSTER_SCOPED:
        meta.setdefault("namespace", "default")
    key = f"{meta['namespace']}/{meta['name']}" if kind not in CLUSTER_SCOPED else meta["name"]
    meta.update({
        "uid": stable_uuid(ctx.type_, key, ctx.provider_ref or ""),
        "resourceVersion": str(int(stable_hex(ctx.type_, key, n=6), 16)),
        "generation": 1,
        "creationTimestamp": CREATION_TIMESTAMP,
    })
    return key, obj


def _cluster_ip(key: str) -> str:
    offset = int(stable_hex("service", key, n=6), 16) % (SERVICE_CIDR.num_addresses - 2) + 1
    return str(SERVICE_CIDR.network_address + offset)


@resource("kubernetes:core/v1:Namespace")
def namespace(ctx: MockContext, name: str, inputs: dict):
    key, obj = _live_object(ctx, name, inputs)
    labels = obj["metadata"].setdefault("labels", {})
    labels.setdefault("kubernetes.io/metadata.name", obj["metadata"]["name"])  # set by the API server
    obj["spec"] = {"finalizers": ["kubernetes"]}
    obj["status"] = {"phase": "Active"}
    return key, obj


@resource("kubernetes:core/v1:ServiceAccount")
def service_account(ctx: MockContext, name: str, inputs: dict):
    return _live_object(ctx, name, inputs)


@resource("kubernetes:core/v1:Service")
def service(ctx: MockContext, name: str, inputs: dict):
    key, obj = _live_object(ctx, name, inputs)
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    ip = _cluster_ip(key)
    spec.update({"clusterIP": ip, "clusterIPs": [ip], "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                 "sessionAffinity": spec.get("sessionAffinity", "None")})
    ingress = []
    if spec["type"] == "LoadBalancer":
        annotations = obj["metadata"].get("annotations") or {}
        address = (annotations.get("service.beta.kubernetes.io/azure-load-balancer-ipv4")
                   or spec.get("loadBalancerIP"))
        # pulumi-kubernetes waits at create until the cloud's load-balancer controller has published
        # the Service's ingress address, so after `up` it is there: the one the program asked for, else
        # one the cloud picked (an IP, as GKE, AKS and DigitalOcean give; TEST-NET-3, RFC 5737).
        address = address or f"203.0.113.{int(stable_hex('lb', key, n=4), 16) % 250 + 1}"
        ingress = [{"ip": address, "ipMode": "VIP"}]
        if spec.get("externalTrafficPolicy") == "Local":
            spec["healthCheckNodePort"] = 30000 + int(stable_hex("hc", key, n=4), 16) % 2768
    obj["status"] = {"loadBalancer": {"ingress": ingress} if ingress else {}}
    return key, obj


@resource("kubernetes:apps/v1:Deployment")
def deployment(ctx: MockContext, name: str, inputs: dict):
    key, obj = _live_object(ctx, name, inputs)
    spec = obj.setdefault("spec", {})
    replicas = spec.setdefault("replicas", 1)  # API default when the HPA owns the count
    spec.setdefault("strategy", {"type": "RollingUpdate",
                                 "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    obj["status"] = {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                     "readyReplicas": replicas, "availableReplicas": replicas,
                     "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                    {"type": "Progressing", "status": "True",
                                     "reason": "NewReplicaSetAvailable"}]}
    return key, obj


@resource("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
def horizontal_pod_autoscaler(ctx: MockContext, name: str, inputs: dict):
    key, obj = _live_object(ctx, name, inputs)
    replicas = (obj.get("spec") or {}).get("minReplicas", 1)
    obj["status"] = {"currentReplicas": replicas, "desiredReplicas": replicas}
    return key, obj


@resource("kubernetes:policy/v1:PodDisruptionBudget")
def pod_disruption_budget(ctx: MockContext, name: str, inputs: dict):
    key, obj = _live_object(ctx, name, inputs)
    obj["status"] = {"observedGeneration": 1, "currentHealthy": 0, "desiredHealthy": 0,
                     "disruptionsAllowed": 0, "expectedPods": 0}
    return key, obj


@resource("kubernetes:networking.k8s.io/v1:NetworkPolicy")
def network_policy(ctx: MockContext, name: str, inputs: dict):
    return _live_object(ctx, name, inputs)


@resource("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
          "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding")
def rbac_object(ctx: MockContext, name: str, inputs: dict):
    return _live_object(ctx, name, inputs)


@resource("kubernetes:monitoring.googleapis.com/v1:PodMonitoring", "kubernetes:azmonitoring.coreos.com/v1:PodMonitor")
def pod_monitoring(ctx: MockContext, name: str, inputs: dict):
    """The managed collectors' scrape objects (GKE managed Prometheus, AKS ama-metrics): namespaced custom
    resources; GMP reports its status conditions once the collector has picked the object up."""
    key, obj = _live_object(ctx, name, inputs)
    if obj.get("apiVersion", "").startswith("monitoring.googleapis.com"):
        obj["status"] = {"observedGeneration": 1, "conditions": [
            {"type": "ConfigurationCreateSuccess", "status": "True", "lastUpdateTime": CREATION_TIMESTAMP}]}
    return key, obj
