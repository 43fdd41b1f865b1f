"""The inference workload on a cell's cluster (pulumi-kubernetes).

`InferenceService` is the same on every cloud and names none: it talks to the cell's
cluster through an explicit `kubernetes.Provider` built from the cell's kubeconfig (so
every object waits for the cluster), and takes what differs per cloud from the cell,
as values of the contract (components/contract.py):

- `PodIdentity`: how the ServiceAccount and pods are bound to the cell's workload
  identity, and which node-local credential endpoint the pods may reach;
- `WorkloadExposure`: how the cell's load balancer reaches the pods (NodePort for
  instance targets, an internal LoadBalancer with the cloud's annotations otherwise).

The cloud-side half of the identity binding (pod identity association, GSA
`workloadIdentityUser`, federated credential) and the load balancer belong to the
cell; this component only creates Kubernetes objects, named after the contract's
constants in components/contract.py so both halves meet.

Labels: the cell's transformation (components/tags.py) puts `residency`, `cell`,
`environment` and `managed-by` on every object's metadata when this component is
a child of the cell; pod templates are not top-level metadata, so the pods get
the same labels here explicitly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.apps.v1 import Deployment, DeploymentSpecArgs
from pulumi_kubernetes.autoscaling.v2 import (
    CrossVersionObjectReferenceArgs,
    HorizontalPodAutoscaler,
    HorizontalPodAutoscalerSpecArgs,
    MetricSpecArgs,
    MetricTargetArgs,
    ResourceMetricSourceArgs,
)
from pulumi_kubernetes.core.v1 import (
    CapabilitiesArgs,
    ContainerArgs,
    ContainerPortArgs,
    EmptyDirVolumeSourceArgs,
    EnvVarArgs,
    HTTPGetActionArgs,
    LifecycleArgs,
    LifecycleHandlerArgs,
    Namespace,
    PodSecurityContextArgs,
    PodSpecArgs,
    PodTemplateSpecArgs,
    ProbeArgs,
    ResourceRequirementsArgs,
    SeccompProfileArgs,
    SecurityContextArgs,
    SleepActionArgs,
    Service,
    ServiceAccount,
    ServicePortArgs,
    ServiceSpecArgs,
    TopologySpreadConstraintArgs,
    VolumeArgs,
    VolumeMountArgs,
)
from pulumi_kubernetes.meta.v1 import LabelSelectorArgs, ObjectMetaArgs
from pulumi_kubernetes.networking.v1 import (
    IPBlockArgs,
    NetworkPolicy,
    NetworkPolicyEgressRuleArgs,
    NetworkPolicyIngressRuleArgs,
    NetworkPolicyPeerArgs,
    NetworkPolicyPortArgs,
    NetworkPolicySpecArgs,
)
from pulumi_kubernetes.policy.v1 import PodDisruptionBudget, PodDisruptionBudgetSpecArgs

from . import tags
from .contract import (
    KEPT_METRICS,
    METRICS_PATH,
    SERVICE_PORT,
    WORKLOAD_NAMESPACE,
    WORKLOAD_SERVICE_ACCOUNT,
    WORKLOAD_SERVICE_NAME,
    CellComponent,
    CellOutputs,
    CellSpec,
    MetricsScrape,
    PodIdentity,
    WorkloadExposure,
)

APP_NAME = "inference"
CONTAINER_NAME = "inference"
PORT_NAME = "http"
# Distroless' `nonroot` user: any numeric non-root id satisfies `runAsNonRoot`
# even when the image declares no USER.
RUN_AS_USER = 65532
# Scale out at this average CPU utilisation of the requests.
TARGET_CPU_UTILIZATION = 70
# Writable scratch space under a read-only root filesystem.
SCRATCH_SIZE = "256Mi"
NODE_PORT_RANGE = range(30000, 32768)

# Cloud APIs (object storage, STS / Entra ID / Google OAuth) are reached at their public
# endpoints (S3 through the VPC gateway endpoint keeps S3's public addresses; Private
# Google Access answers on public addresses too). Private and link-local ranges are
# excluded so that port 443 does not open a path to anything inside the network.
NON_PUBLIC_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")

def release_env(spec: CellSpec, outputs: CellOutputs) -> list[EnvVarArgs]:
    """What the container needs to load the cell's release: the model in the cell's *own* bucket (never
    another cell's: the residency pack checks it) and the sha256 it must match. The image's contract is
    that its health path answers 200 only once the model is loaded and its digest matched, so the
    startup and readiness probes hold traffic until then."""
    rel = spec.release
    if rel is None:
        return []
    return [
        EnvVarArgs(name="RELEASE", value=rel.id),
        EnvVarArgs(name="MODEL_URI", value=pulumi.Output.from_input(outputs.bucket_uri).apply(rel.model_uri)),
        EnvVarArgs(name="MODEL_SHA256", value=rel.model.sha256),
        EnvVarArgs(name="MODEL_SIZE", value=str(rel.model.size)),
    ]


def validate_exposure(spec: CellSpec, exposure: WorkloadExposure) -> None:
    """Reject an exposure the Service could not honour, naming the cell and the field."""
    where = f"cell {spec.name!r}: WorkloadExposure"
    if not exposure.ingress_cidrs:
        raise ValueError(f"{where}.ingress_cidrs is empty; the NetworkPolicy would admit no load balancer "
                         "traffic (give the LB subnets and health-check ranges)")
    if exposure.service_type == "NodePort":
        if exposure.node_port not in NODE_PORT_RANGE:
            raise ValueError(f"{where}.node_port = {exposure.node_port!r}; allowed: "
                             f"{NODE_PORT_RANGE.start}..{NODE_PORT_RANGE.stop - 1} (the cluster's NodePort range)")
    elif exposure.service_type == "LoadBalancer":
        if not exposure.internal_lb_annotations:
            # Without the cloud's internal-LB annotations the Service would get a public load balancer.
            raise ValueError(f"{where}.service_type = 'LoadBalancer' without internal_lb_annotations is not "
                             f"supported on {spec.cloud}: the Service would get a public load balancer; "
                             "allowed: NodePort, or LoadBalancer with the cell's internal-LB annotations")
        if not exposure.load_balancer_ip:
            raise ValueError(f"{where}.load_balancer_ip is missing; an internal LoadBalancer needs the "
                             "static address the cell's load balancer targets")
    else:
        raise ValueError(f"{where}.service_type = {exposure.service_type!r}; allowed: NodePort, LoadBalancer")


def app_labels(cell: str) -> dict[str, str]:
    """Recommended app.kubernetes.io labels; name + instance also select the pods."""
    return {
        "app.kubernetes.io/name": APP_NAME,
        "app.kubernetes.io/instance": cell,
        "app.kubernetes.io/component": "server",
        "app.kubernetes.io/part-of": "platform",
        "app.kubernetes.io/managed-by": "pulumi",
    }


def selector_labels(cell: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": APP_NAME, "app.kubernetes.io/instance": cell}


def max_replicas(spec: CellSpec) -> int:
    # Room for two pods per node at the cluster's largest size, never below the floor.
    return max(spec.workload.replicas, spec.max_nodes * 2)


@dataclass(frozen=True)
class InferenceServiceArgs:
    """What the workload runs on: the cell's spec and contract outputs, how its load balancer reaches
    the pods, the pods' identity (default: the outputs' own) and how its collector scrapes them."""

    spec: CellSpec
    outputs: CellOutputs
    exposure: WorkloadExposure
    identity: Optional[PodIdentity] = None
    scrape: Optional[MetricsScrape] = None

    @classmethod
    def of_cell(cls, cell: CellComponent) -> "InferenceServiceArgs":
        """The workload of a built cell: everything from what the cell registered."""
        return cls(spec=cell.spec, outputs=cell.outputs, exposure=cell.exposure, identity=cell.pod_identity,
                   scrape=cell.metrics_scrape)


class InferenceService(pulumi.ComponentResource):
    """Namespace, identity-bound ServiceAccount, hardened Deployment, Service, HPA, PDB, NetworkPolicies:
    `InferenceService(name, InferenceServiceArgs, opts)`, the shape of every component."""

    def __init__(self, name: str, args: InferenceServiceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:workload:InferenceService", name, None, opts)
        self.args = args
        spec, outputs, exposure, scrape = args.spec, args.outputs, args.exposure, args.scrape
        validate_exposure(spec, exposure)
        identity = args.identity or outputs.pod_identity or PodIdentity()
        self.identity = identity
        self.scrape = scrape
        self.spec = spec
        workload = spec.workload
        labels = app_labels(spec.name)
        selector = selector_labels(spec.name)
        sa_annotations, identity_pod_labels = dict(identity.service_account_annotations), dict(identity.pod_labels)

        # The kubeconfig is an output of the cluster, so every object below waits for it. Kept
        # secret here whatever the cell handed over: it names the cluster and how to get in.
        self.provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=pulumi.Output.secret(outputs.kubeconfig),
            # Replace the provider (and everything on it) only when the cluster itself changes,
            # not when its credentials rotate.
            cluster_identifier=pulumi.Output.concat(spec.cloud, "/", spec.region, "/", outputs.cluster_name),
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_cluster = pulumi.ResourceOptions(parent=self, provider=self.provider)

        def meta(obj_name: str, annotations: Optional[dict] = None) -> ObjectMetaArgs:
            return ObjectMetaArgs(name=obj_name, namespace=WORKLOAD_NAMESPACE, labels=dict(labels),
                                  annotations=annotations or None)

        pss_version = f"v{spec.kubernetes_version}"
        self.namespace = Namespace(
            f"{name}-namespace",
            metadata=ObjectMetaArgs(name=WORKLOAD_NAMESPACE, labels={
                **labels,
                # Pod Security Admission: reject, audit and warn on anything below `restricted`.
                **{f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")},
                **{f"pod-security.kubernetes.io/{mode}-version": pss_version
                   for mode in ("enforce", "audit", "warn")},
            }),
            opts=on_cluster,
        )
        in_namespace = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[self.namespace]))

        self.service_account = ServiceAccount(
            f"{name}-service-account",
            metadata=meta(WORKLOAD_SERVICE_ACCOUNT, sa_annotations),
            # The identity webhooks project their own tokens; the app never calls the Kubernetes API.
            automount_service_account_token=False,
            opts=in_namespace,
        )

        pod_labels = {**labels, **identity_pod_labels,
                      **tags.standard_labels(spec.environment, spec.residency, spec.name)}
        probe = dict(http_get=HTTPGetActionArgs(path=workload.health_path, port=PORT_NAME, scheme="HTTP"))
        self.deployment = Deployment(
            f"{name}-deployment",
            metadata=meta(APP_NAME),
            spec=DeploymentSpecArgs(
                # No `replicas`: the HPA owns the count (a value here would reset it on every update).
                selector=LabelSelectorArgs(match_labels=selector),
                revision_history_limit=5,
                template=PodTemplateSpecArgs(
                    metadata=ObjectMetaArgs(labels=pod_labels, annotations=(
                        {**scrape.pod_annotations, "prometheus.io/port": str(workload.port)}
                        if scrape and scrape.pod_annotations else None)),
                    spec=PodSpecArgs(
                        service_account_name=WORKLOAD_SERVICE_ACCOUNT,
                        automount_service_account_token=False,
                        enable_service_links=False,
                        security_context=PodSecurityContextArgs(
                            run_as_non_root=True, run_as_user=RUN_AS_USER, run_as_group=RUN_AS_USER,
                            fs_group=RUN_AS_USER, seccomp_profile=SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        containers=[ContainerArgs(
                            name=CONTAINER_NAME,
                            image=spec.release.image if spec.release else workload.image,
                            image_pull_policy="IfNotPresent",
                            ports=[ContainerPortArgs(name=PORT_NAME, container_port=workload.port, protocol="TCP")],
                            env=[
                                EnvVarArgs(name="BUCKET_URI", value=outputs.bucket_uri),
                                EnvVarArgs(name="WORKLOAD_IDENTITY", value=outputs.workload_identity),
                                EnvVarArgs(name="CELL_NAME", value=spec.name),
                                EnvVarArgs(name="CELL_CLOUD", value=spec.cloud),
                                EnvVarArgs(name="CELL_REGION", value=spec.region),
                                EnvVarArgs(name="CELL_RESIDENCY", value=spec.residency),
                                EnvVarArgs(name="PORT", value=str(workload.port)),
                                EnvVarArgs(name="TMPDIR", value="/tmp"),
                                *release_env(spec, outputs),
                            ],
                            resources=ResourceRequirementsArgs(
                                requests={"cpu": workload.cpu, "memory": workload.memory},
                                limits={"cpu": workload.cpu, "memory": workload.memory},
                            ),
                            security_context=SecurityContextArgs(
                                run_as_non_root=True, allow_privilege_escalation=False, privileged=False,
                                read_only_root_filesystem=True, capabilities=CapabilitiesArgs(drop=["ALL"]),
                                seccomp_profile=SeccompProfileArgs(type="RuntimeDefault"),
                            ),
                            # A model may take a while to load: the startup probe holds liveness off until then.
                            startup_probe=ProbeArgs(**probe, period_seconds=5, failure_threshold=60),
                            readiness_probe=ProbeArgs(**probe, period_seconds=5, timeout_seconds=2,
                                                      failure_threshold=3),
                            liveness_probe=ProbeArgs(**probe, period_seconds=10, timeout_seconds=2,
                                                     failure_threshold=3),
                            volume_mounts=[VolumeMountArgs(name="tmp", mount_path="/tmp")],
                            # Keep serving while the load balancer notices the pod is going (the
                            # kubelet's own sleep action: the image needs no shell).
                            lifecycle=LifecycleArgs(pre_stop=LifecycleHandlerArgs(
                                sleep=SleepActionArgs(seconds=exposure.drain_seconds))) if exposure.drain_seconds else None,
                        )],
                        volumes=[VolumeArgs(name="tmp", empty_dir=EmptyDirVolumeSourceArgs(size_limit=SCRATCH_SIZE))],
                        # Soft spreading: a hard rule would keep replacement pods pending during a zone outage.
                        topology_spread_constraints=[
                            TopologySpreadConstraintArgs(max_skew=1, topology_key=key,
                                                         when_unsatisfiable="ScheduleAnyway",
                                                         label_selector=LabelSelectorArgs(match_labels=selector))
                            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
                        ],
                        # The drain sleep counts against the grace period: the app still gets 30 s after it.
                        termination_grace_period_seconds=exposure.drain_seconds + 30,
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions.merge(in_namespace, pulumi.ResourceOptions(
                depends_on=[self.service_account, *exposure.wait_for])),
        )

        self.service = self._service(name, spec, exposure, meta, selector, in_namespace)

        self.autoscaler = HorizontalPodAutoscaler(
            f"{name}-autoscaler",
            metadata=meta(APP_NAME),
            spec=HorizontalPodAutoscalerSpecArgs(
                scale_target_ref=CrossVersionObjectReferenceArgs(api_version="apps/v1", kind="Deployment",
                                                                 name=APP_NAME),
                min_replicas=workload.replicas,
                max_replicas=max_replicas(spec),
                metrics=[MetricSpecArgs(type="Resource", resource=ResourceMetricSourceArgs(
                    name="cpu", target=MetricTargetArgs(type="Utilization",
                                                        average_utilization=TARGET_CPU_UTILIZATION)))],
            ),
            opts=pulumi.ResourceOptions.merge(in_namespace, pulumi.ResourceOptions(depends_on=[self.deployment])),
        )

        self.disruption_budget = PodDisruptionBudget(
            f"{name}-disruption-budget",
            metadata=meta(APP_NAME),
            spec=PodDisruptionBudgetSpecArgs(
                # maxUnavailable (not minAvailable) so that a single replica never blocks a node drain.
                max_unavailable=1,
                selector=LabelSelectorArgs(match_labels=selector),
                # Pods that are not ready serve nothing; evicting them must not wait on the budget.
                unhealthy_pod_eviction_policy="AlwaysAllow",
            ),
            opts=in_namespace,
        )

        self.network_policies = self._network_policies(name, spec, exposure, meta, selector, workload.port,
                                                       in_namespace)
        self.metrics_objects = self._metrics(name, spec, scrape, selector, in_namespace, on_cluster)
        self.register_outputs({
            "namespace": WORKLOAD_NAMESPACE,
            "service_account": WORKLOAD_SERVICE_ACCOUNT,
            "service": WORKLOAD_SERVICE_NAME,
        })

    def _service(self, name, spec: CellSpec, exposure: WorkloadExposure, meta, selector,
                 opts: pulumi.ResourceOptions) -> Service:
        port = ServicePortArgs(name=PORT_NAME, port=SERVICE_PORT, target_port=PORT_NAME, protocol="TCP",
                               node_port=exposure.node_port if exposure.service_type == "NodePort" else None)
        # The cell's own annotations (e.g. a GKE NEG or the AKS internal-LB subnet) come first.
        annotations = dict(exposure.annotations)
        if exposure.service_type == "LoadBalancer":
            annotations.update(exposure.internal_lb_annotations)
        return Service(
            f"{name}-service",
            metadata=meta(WORKLOAD_SERVICE_NAME, annotations),
            spec=ServiceSpecArgs(
                type=exposure.service_type,
                selector=selector,
                ports=[port],
                # Local: no SNAT to a node address, so the pods see the load balancer's own source
                # addresses, which is what the ingress NetworkPolicy admits; nodes without a ready pod
                # fail the load balancer's health check instead of forwarding across nodes.
                external_traffic_policy="Local",
            ),
            opts=opts,
        )

    def _network_policies(self, name, spec: CellSpec, exposure: WorkloadExposure, meta, selector, port: int,
                          opts: pulumi.ResourceOptions) -> list[NetworkPolicy]:
        pods = LabelSelectorArgs(match_labels=selector)
        dns_ports = [NetworkPolicyPortArgs(protocol=p, port=53) for p in ("UDP", "TCP")]
        kube_dns = NetworkPolicyPeerArgs(
            namespace_selector=LabelSelectorArgs(match_labels={"kubernetes.io/metadata.name": "kube-system"}),
            # CoreDNS carries this label on EKS, GKE (kube-dns) and AKS alike.
            pod_selector=LabelSelectorArgs(match_labels={"k8s-app": "kube-dns"}),
        )
        egress = [
            NetworkPolicyEgressRuleArgs(to=[kube_dns], ports=dns_ports),
            NetworkPolicyEgressRuleArgs(
                to=[NetworkPolicyPeerArgs(ip_block=IPBlockArgs(cidr="0.0.0.0/0", except_=list(NON_PUBLIC_RANGES)))],
                ports=[NetworkPolicyPortArgs(protocol="TCP", port=443)],
            ),
            *[NetworkPolicyEgressRuleArgs(to=[NetworkPolicyPeerArgs(ip_block=IPBlockArgs(cidr=cidr))],
                                          ports=[NetworkPolicyPortArgs(protocol="TCP", port=p)])
              for cidr, p in self.identity.credential_endpoints],
        ]
        scrape = self.scrape
        scrapers = ([NetworkPolicyPeerArgs(ip_block=IPBlockArgs(cidr=c)) for c in scrape.from_cidrs]
                    + [NetworkPolicyPeerArgs(namespace_selector=LabelSelectorArgs(
                        match_labels={"kubernetes.io/metadata.name": ns})) for ns in scrape.from_namespaces]
                    if scrape else [])
        specs = {
            # Everything in the namespace is denied both ways unless a policy below admits it.
            "default-deny": NetworkPolicySpecArgs(pod_selector=LabelSelectorArgs(),
                                                  policy_types=["Ingress", "Egress"]),
            "allow-load-balancer": NetworkPolicySpecArgs(
                pod_selector=pods, policy_types=["Ingress"],
                ingress=[NetworkPolicyIngressRuleArgs(
                    from_=[NetworkPolicyPeerArgs(ip_block=IPBlockArgs(cidr=c)) for c in exposure.ingress_cidrs],
                    ports=[NetworkPolicyPortArgs(protocol="TCP", port=port)],
                )],
            ),
            "allow-dns-and-cloud-apis": NetworkPolicySpecArgs(pod_selector=pods, policy_types=["Egress"],
                                                              egress=egress),
        }
        if scrapers:
            # The cell's metrics collector reaches the pods' port (where /metrics is served), nothing else.
            specs["allow-metrics-scrape"] = NetworkPolicySpecArgs(
                pod_selector=pods, policy_types=["Ingress"],
                ingress=[NetworkPolicyIngressRuleArgs(from_=scrapers,
                                                      ports=[NetworkPolicyPortArgs(protocol="TCP", port=port)])])
        return [NetworkPolicy(f"{name}-{policy}", metadata=meta(f"{APP_NAME}-{policy}"), spec=s, opts=opts)
                for policy, s in specs.items()]

    def _metrics(self, name, spec: CellSpec, scrape: Optional[MetricsScrape], selector, in_namespace,
                 on_cluster) -> list[pulumi.Resource]:
        """The scrape configuration the cell asked for (contract.MetricsScrape), rendered once here."""
        if scrape is None:
            return []
        interval = f"{scrape.interval_seconds}s"
        keep = "|".join(KEPT_METRICS)
        out: list[pulumi.Resource] = []
        meta = ObjectMetaArgs(name=f"{APP_NAME}-metrics", namespace=WORKLOAD_NAMESPACE, labels=app_labels(spec.name))
        if scrape.kind == "pod_monitoring":
            out.append(k8s.apiextensions.CustomResource(
                f"{name}-pod-monitoring", api_version="monitoring.googleapis.com/v1", kind="PodMonitoring",
                metadata=meta,
                spec={"selector": {"matchLabels": selector},
                      "endpoints": [{"port": PORT_NAME, "path": METRICS_PATH, "interval": interval,
                                     "metricRelabeling": [{"action": "keep", "sourceLabels": ["__name__"],
                                                           "regex": keep}]}],
                      # The cell's name on every series (contract.CELL_LABEL), from the pods' own label.
                      "targetLabels": {"fromPod": [{"from": "cell", "to": "cell"}]}},
                opts=in_namespace))
        elif scrape.kind == "pod_monitor":
            out.append(k8s.apiextensions.CustomResource(
                f"{name}-pod-monitor", api_version="azmonitoring.coreos.com/v1", kind="PodMonitor",
                metadata=meta,
                spec={"selector": {"matchLabels": selector},
                      "podMetricsEndpoints": [{
                          "port": PORT_NAME, "path": METRICS_PATH, "interval": interval,
                          "relabelings": [{"sourceLabels": ["__meta_kubernetes_pod_label_cell"],
                                           "targetLabel": "cell", "action": "replace"}],
                          "metricRelabelings": [{"action": "keep", "sourceLabels": ["__name__"], "regex": keep}]}]},
                opts=in_namespace))
        if scrape.rbac_group:
            from pulumi_kubernetes.rbac.v1 import (ClusterRole, ClusterRoleBinding, PolicyRuleArgs, RoleRefArgs,
                                                   SubjectArgs)
            role_name = f"{APP_NAME}-metrics-reader"
            role = ClusterRole(
                f"{name}-metrics-reader",
                metadata=ObjectMetaArgs(name=role_name, labels=app_labels(spec.name)),
                rules=[PolicyRuleArgs(api_groups=[""], resources=["pods", "endpoints", "services", "nodes",
                                                                  "nodes/metrics"],
                                      verbs=["get", "list", "watch"]),
                       PolicyRuleArgs(non_resource_urls=[METRICS_PATH], verbs=["get"])],
                opts=on_cluster)
            out += [role, ClusterRoleBinding(
                f"{name}-metrics-reader-binding",
                metadata=ObjectMetaArgs(name=role_name, labels=app_labels(spec.name)),
                role_ref=RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role_name),
                subjects=[SubjectArgs(kind="Group", name=scrape.rbac_group, api_group="rbac.authorization.k8s.io")],
                opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[role])))]
        return out
