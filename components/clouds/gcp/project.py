"""The project-level prerequisites of a cell: its APIs, and the Google service agents that use the key.

Several cells may share one project across stacks (each stack refuses two GCP cells in one project:
settings.check). Each cell enables the APIs it needs with `disableOnDestroy: false`, so destroying
one cell never switches an API off under another.

The service agents are Google-managed identities that, not our own accounts, call Cloud KMS for
CMEK, so they are the ones granted on the key. How each agent comes to exist differs by service
(https://cloud.google.com/iam/docs/service-agents#service-agent-creation):

- GKE (`container-engine-robot`): not at once on enabling the API; `projects.ServiceIdentity`
  (serviceusage generateServiceIdentity) creates it and returns its email, so the grant waits for it.
- Compute Engine (`compute-system`): created when compute.googleapis.com is enabled, and NOT creatable
  through generateServiceIdentity (the call answers INVALID_ARGUMENT:
  github.com/terraform-google-modules/terraform-google-project-factory/pull/628,
  github.com/hashicorp/terraform-provider-google/issues/18649). Its address is the documented pattern
  `service-<number>@compute-system`
  (https://cloud.google.com/compute/docs/access/service-accounts#compute_engine_service_agent), built
  from the project number and the compute Service, so the grant waits for the API to be enabled.
- Cloud Storage: its own API call (`storage.get_project_service_account`) creates it.

components/clouds/gcp/apply.py (`gcp-service-identity-creatable`, `gcp-service-agent-identity`) holds which
agents come from which of these, with the sources.
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
# Cloud Monitoring: the cluster writes its system metrics and managed Prometheus series there and the
# SLO alerts live there. A project created through the API (not the console) does not have it on, so
# every cell enables it and the cluster waits for it (it never disables it).
MONITORING = ("monitoring", "monitoring.googleapis.com")
# Agents created with projects.ServiceIdentity (it returns the GKE agent's email; the pattern is the
# fallback should it return none), and agents that exist once their API is enabled, by address.
IDENTITY_AGENTS = {"container": "container-engine-robot.iam.gserviceaccount.com"}
API_AGENTS = {"compute": "compute-system.iam.gserviceaccount.com"}


@dataclass(frozen=True)
class ServiceAgents:
    storage: pulumi.Output[str]    # service-<n>@gs-project-accounts.iam.gserviceaccount.com
    container: pulumi.Output[str]  # service-<n>@container-engine-robot.iam.gserviceaccount.com
    compute: pulumi.Output[str]    # service-<n>@compute-system.iam.gserviceaccount.com


@dataclass(frozen=True)
class ProjectApisArgs:
    ctx: GcpContext


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
        key, api = MONITORING
        # The cell built it directly, for SLO alerts only, before: same name and arguments
        # (disable_dependent_services stays unset, adding it would be a diff), and an alias to its old
        # parent, the cell.
        self.services[key] = gcp.projects.Service(
            f"{name}-{key}", project=ctx.project, service=api, disable_on_destroy=False,
            opts=ctx.opts(self, moved_from=opts.parent if opts else None))
        storage = gcp.storage.get_project_service_account_output(
            project=ctx.project, opts=ctx.invoke_opts([self.services["storage"]])).email_address
        number = gcp.organizations.get_project_output(
            project_id=ctx.project, opts=ctx.invoke_opts([self.services["container"]])).number
        # One identity per agent generateServiceIdentity can create, after its own API.
        self.identities = {
            key: gcp.projects.ServiceIdentity(
                f"{name}-{key}-agent", project=ctx.project, service=APIS[key],
                opts=ctx.opts(self, depends_on=[self.services[key]]))
            for key in IDENTITY_AGENTS
        }

        def created(key: str) -> pulumi.Output[str]:
            return pulumi.Output.all(self.identities[key].email, number).apply(
                lambda a: a[0] or f"service-{a[1]}@{IDENTITY_AGENTS[key]}")

        def enabled(key: str) -> pulumi.Output[str]:
            # The Service's id joins the output, so whatever names the agent waits for the API.
            return pulumi.Output.all(self.services[key].id, number).apply(
                lambda a: f"service-{a[1]}@{API_AGENTS[key]}")

        self.agents = ServiceAgents(storage=storage, container=created("container"), compute=enabled("compute"))
        self.register_outputs({"storage_agent": storage})

    def __getitem__(self, key: str) -> gcp.projects.Service:
        return self.services[key]
