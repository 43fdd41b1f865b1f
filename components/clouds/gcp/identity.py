"""What the inference pods run as: a Google service account bound to their Kubernetes service account."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_gcp as gcp

from ...contract import WORKLOAD_NAMESPACE, WORKLOAD_SERVICE_ACCOUNT, Piece, PodIdentity
from .bucket import DataBucket
from .cluster import GkeCluster
from .context import GcpContext

WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"
OBJECT_VIEWER = "roles/storage.objectViewer"


@dataclass(frozen=True)
class WorkloadIdentityArgs:
    ctx: GcpContext
    cluster: GkeCluster
    bucket: DataBucket
    depends_on: tuple[pulumi.Resource, ...] = ()   # the IAM API


class WorkloadIdentity(Piece):
    TYPE = "platform:gcp:WorkloadIdentity"

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, depends_on = args.ctx, args.depends_on
        self.account = gcp.serviceaccount.Account(
            f"{name}-gsa", project=ctx.project, account_id=ctx.account_id("inference"),
            display_name=f"Inference workload of cell {ctx.cell}", opts=ctx.opts(self, depends_on=depends_on))
        # Only pods running as `inference/inference` in this project's clusters may act as the GSA.
        # The identity pool `<project>.svc.id.goog` exists once a Workload Identity cluster does.
        # Every cluster of the project shares that pool ("identity sameness"), so one GCP cell per
        # project is what makes this member name this cell's cluster only (settings.check refuses a
        # second GCP cell in the same project).
        self.member = f"serviceAccount:{ctx.project}.svc.id.goog[{WORKLOAD_NAMESPACE}/{WORKLOAD_SERVICE_ACCOUNT}]"
        self.binding = gcp.serviceaccount.IAMMember(
            f"{name}-ksa-binding", service_account_id=self.account.name, role=WORKLOAD_IDENTITY_USER,
            member=self.member, opts=ctx.opts(self, depends_on=[args.cluster.cluster]))
        # Read access to this cell's bucket only (a bucket-level grant, no project-wide role). GCS
        # decrypts CMEK objects as its service agent, so no KMS grant is needed for readers.
        self.bucket_reader = gcp.storage.BucketIAMMember(
            f"{name}-bucket-reader", bucket=args.bucket.bucket.name, role=OBJECT_VIEWER,
            member=pulumi.Output.concat("serviceAccount:", self.account.email), opts=ctx.opts(self))
        self.email = self.account.email
        self.register_outputs({"email": self.email})


def pod_identity(gsa_email: pulumi.Input[str]) -> PodIdentity:
    """GKE Workload Identity: the KSA names the GSA it acts as; pods reach the GKE metadata server
    (169.254.169.254:80, and :988 on 169.254.169.252 where the cluster's dataplane serves it)."""
    return PodIdentity(service_account_annotations={"iam.gke.io/gcp-service-account": gsa_email},
                       credential_endpoints=(("169.254.169.254/32", 80), ("169.254.169.252/32", 988)))
