"""The project-level prerequisites of a cell: its APIs, and the Google service agents that use the key.

Several cells may share one project (dev). Each cell enables the APIs it needs with
`disableOnDestroy: false`, so destroying one cell never switches an API off under another.
The service agents are Google-managed identities that exist once their API is enabled;
they, not our own accounts, call Cloud KMS for CMEK, so they are the ones granted on the key.
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
}


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
        # The Cloud Storage agent comes from its own API call, which also creates it if the project
        # never used CMEK before. GKE's and Compute's agents are named after the project number.
        storage = gcp.storage.get_project_service_account_output(
            project=ctx.project, opts=ctx.invoke_opts([self.services["storage"]])).email_address
        number = gcp.organizations.get_project_output(
            project_id=ctx.project, opts=ctx.invoke_opts([self.services["container"]])).number
        self.agents = ServiceAgents(
            storage=storage,
            container=number.apply(lambda n: f"service-{n}@container-engine-robot.iam.gserviceaccount.com"),
            compute=number.apply(lambda n: f"service-{n}@compute-system.iam.gserviceaccount.com"),
        )
        self.register_outputs({"storage_agent": storage})

    def __getitem__(self, key: str) -> gcp.projects.Service:
        return self.services[key]
