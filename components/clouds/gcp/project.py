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
from typing import Optional

import pulumi
import pulumi_gcp as gcp

from ...contract import Piece
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
# Cloud Monitoring, enabled only by a cell with SLO alerts (new projects have it on; enabling it makes
# the order explicit, and never disables it).
MONITORING = ("monitoring", "monitoring.googleapis.com")
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


@dataclass(frozen=True)
class ProjectApisArgs:
    ctx: GcpContext
    monitoring: bool = False   # the cell has SLO alerts: enable Cloud Monitoring too


class ProjectApis(Piece):
    TYPE = "platform:gcp:ProjectApis"

    def __init__(self, name: str, args: ProjectApisArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx = args.ctx
        self.services = {
            key: gcp.projects.Service(
                f"{name}-{key}", project=ctx.project, service=api,
                disable_on_destroy=False, disable_dependent_services=False,
                opts=ctx.opts(self),
            )
            for key, api in APIS.items()
        }
        if args.monitoring:
            key, api = MONITORING
            # The cell built it directly before (#16): same name and arguments (disable_dependent_services
            # stays unset, adding it would be a diff), and an alias to its old parent, the cell.
            self.services[key] = gcp.projects.Service(
                f"{name}-{key}", project=ctx.project, service=api, disable_on_destroy=False,
                opts=ctx.opts(self, moved_from=opts))
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
