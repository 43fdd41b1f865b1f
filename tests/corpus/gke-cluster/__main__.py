"""A GKE cluster with an explicit Google provider and a kubeconfig built from its outputs."""
import pulumi
import pulumi_gcp as gcp
import pulumi_kubernetes as k8s

google = gcp.Provider("google", project="corpus-gke", region="us-central1")
opts = pulumi.ResourceOptions(provider=google)
client = gcp.organizations.get_client_config(opts=pulumi.InvokeOptions(provider=google))
cluster = gcp.container.Cluster("gke", location="us-central1", initial_node_count=1, deletion_protection=False,
                                remove_default_node_pool=True, opts=opts)
gcp.container.NodePool("pool", cluster=cluster.name, location="us-central1", node_count=1,
                       node_config={"machine_type": "e2-standard-4", "oauth_scopes": [
                           "https://www.googleapis.com/auth/cloud-platform"]}, opts=opts)


def kubeconfig(args):
    name, endpoint, ca = args
    return f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: https://{endpoint}
  name: {name}
contexts:
- context: {{cluster: {name}, user: {name}}}
  name: {name}
current-context: {name}
kind: Config
users:
- name: {name}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: gke-gcloud-auth-plugin
      provideClusterInfo: true
"""


config = pulumi.Output.all(cluster.name, cluster.endpoint, cluster.master_auth.cluster_ca_certificate).apply(kubeconfig)
k8s_provider = k8s.Provider("gke", kubeconfig=config)
k8s.core.v1.Namespace("apps", opts=pulumi.ResourceOptions(provider=k8s_provider))
pulumi.export("endpoint", cluster.endpoint)
pulumi.export("caller_project", client.project)
