"""The same Service on an internal load balancer behind the cell's gateway."""
import pulumi
import pulumi_kubernetes as k8s

labels = {"app": "web", "residency": "eu"}
k8s.core.v1.Service("web", metadata={"labels": labels, "annotations": {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"}},
                    spec={"type": "LoadBalancer", "selector": {"app": "web"},
                          "ports": [{"name": "http", "port": 80, "target_port": 8080}]})
