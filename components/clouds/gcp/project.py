"""The project-level prerequisites of a cell: its APIs, and the Google service agents that use the key.

Several cells may share one project across stacks (each stack refuses two GCP cells in one project:
settings.check). Each cell enables the APIs it needs with `disableOnDestroy: false`, so destroying
one cell never switches an API off under another.

The service agents are Google-managed identities that, not our own accounts, call Cloud KMS for
CMEK, so they are the ones granted on the key. Enabling an API does not create its agent at once
(Google creates it asynchronously, on first use): an IAM grant naming it fails with "does not
exist" on a fresh project. `projects.ServiceIdentity` (serviceusage generateServiceIdentity) creates
the agent and returns its email; the grants use that email, so they wait for it in the graph
(https://cloud.google.com/iam/docs/service-agents#service-agent-creation). The Cloud Storage agent
comes from its own API call (`storage.get_project_service_account`), which creates it too.
"""
from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .context import GcpContext

APIS = {
    "compute": "compute.googleapis.com",
    "container": "container.googleapis.com",
    "cloudkms": "cloudkms.googleapis.com",
    "storage": "storage.googleapis.com",
    "certificatemanager": "certificatemanager.googleapis.com",
    "iam": "iam.googleapis.com",
    "logging": "logging.googleapis.com",
    # GKE security posture (workload configuration auditing) reports through the Container Security API.
    "containersecurity": "containersecurity.googleapis.com",
}
# The agents' documented addresses, used when generateServiceIdentity returns no email (it
# returns one for the GKE agent; for Compute Engine the call creates the agent but the address
# is the fixed pattern: https://cloud.google.com/compute/docs/access/service-accounts#service_agents).
AGENT_DOMAINS = {"container": "container-engine-robot.iam.gserviceaccount.com",
                 "compute": "compute-system.iam.gserviceaccount.com"}


@dataclass(frozen=True)
class ServiceAgents:
    storage: pulumi.Output[str]    # service-<n>@gs-project-accounts.iam.gserviceaccount.com
    container: pulumi.Output[str]  # service-<n>@container-engine-robot.iam.gserviceaccount.com
    compute: pulumi.Output[str]    # service-<n>@compute-system.iam.gserviceaccount.com


class ProjectApis(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: GcpContext, opts: pulumi.ResourceOptions):
        super().__init__("platform:gcp:ProjectApis", name, None, opts)
        self.services = {
            key: gcp.projects.Service(
                f"{name}-{key}", project=ctx.project, service=api,
                disable_on_destroy=False, disable_dependent_services=False,
                opts=ctx.opts(self),
            )
            for key, api in APIS.items()
        }
        storage = gcp.storage.get_project_service_account_output(
            project=ctx.project, opts=ctx.invoke_opts([self.services["storage"]])).email_address
        number = gcp.organizations.get_project_output(
            project_id=ctx.project, opts=ctx.invoke_opts([self.services["container"]])).number
        # One identity per agent, each after its own API (the Compute agent after compute.googleapis.com).
        self.identities = {
            key: gcp.projects.ServiceIdentity(
                f"{name}-{key}-agent", project=ctx.project, service=APIS[key],
                opts=ctx.opts(self, depends_on=[self.services[key]]))
            for key in AGENT_DOMAINS
        }

        def agent(key: str) -> pulumi.Output[str]:
            return pulumi.Output.all(self.identities[key].email, number).apply(
                lambda a: a[0] or f"service-{a[1]}@{AGENT_DOMAINS[key]}")

        self.agents = ServiceAgents(storage=storage, container=agent("container"), compute=agent("compute"))
        self.register_outputs({"storage_agent": storage})

    def __getitem__(self, key: str) -> gcp.projects.Service:
        return self.services[key]
