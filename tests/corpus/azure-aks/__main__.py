"""An AKS cluster, its admin kubeconfig (listManagedClusterAdminCredentials) and an app on it."""
import base64

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import containerservice, resources

group = resources.ResourceGroup("aks")
cluster = containerservice.ManagedCluster(
    "aks",
    resource_group_name=group.name,
    dns_prefix="corpus",
    identity={"type": "SystemAssigned"},
    agent_pool_profiles=[{"name": "system", "mode": "System", "count": 2, "vm_size": "Standard_D2s_v5",
                          "os_type": "Linux"}],
)
creds = containerservice.list_managed_cluster_admin_credentials_output(resource_group_name=group.name,
                                                                        resource_name=cluster.name)
kubeconfig = creds.kubeconfigs[0].value.apply(lambda v: base64.b64decode(v).decode())
provider = k8s.Provider("aks", kubeconfig=kubeconfig)
labels = {"app": "hello"}
deployment = k8s.apps.v1.Deployment(
    "hello",
    spec={"selector": {"match_labels": labels}, "replicas": 2,
          "template": {"metadata": {"labels": labels},
                       "spec": {"containers": [{"name": "hello", "image": "nginx:1.27"}]}}},
    opts=pulumi.ResourceOptions(provider=provider),
)
service = k8s.core.v1.Service("hello", spec={"type": "LoadBalancer", "selector": labels,
                                             "ports": [{"port": 80}]},
                              opts=pulumi.ResourceOptions(provider=provider))
pulumi.export("kubeconfig", pulumi.Output.secret(kubeconfig))
pulumi.export("fqdn", cluster.fqdn)
pulumi.export("ip", service.status.apply(lambda s: s.load_balancer.ingress[0].ip if s and s.load_balancer and s.load_balancer.ingress else None))
