"""An app on the cluster of the current kubeconfig (the default Kubernetes provider)."""
import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

ns = k8s.core.v1.Namespace("app")
password = random.RandomPassword("db", length=24, special=False)
secret = k8s.core.v1.Secret("db", metadata={"namespace": ns.metadata.name},
                            string_data={"password": password.result})
config = k8s.core.v1.ConfigMap("app", metadata={"namespace": ns.metadata.name},
                               data={"GREETING": pulumi.Output.concat("hello from ", ns.metadata.name)})
labels = {"app": "web"}
deployment = k8s.apps.v1.Deployment(
    "web",
    metadata={"namespace": ns.metadata.name},
    spec={"selector": {"match_labels": labels}, "replicas": 1,
          "template": {"metadata": {"labels": labels},
                       "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                "env_from": [{"config_map_ref": {"name": config.metadata.name}}]}]}}},
)
service = k8s.core.v1.Service("web", metadata={"namespace": ns.metadata.name},
                              spec={"selector": labels, "ports": [{"port": 80, "target_port": 80}]})
pulumi.export("namespace", ns.metadata.name)
pulumi.export("service", pulumi.Output.format("{0}.{1}.svc", service.metadata.name, ns.metadata.name))
pulumi.export("cluster_ip", service.spec.apply(lambda s: s.cluster_ip))
pulumi.export("ready", deployment.status.apply(lambda s: s.ready_replicas if s else 0))
