"""What an AWS cell accepts in config, and what it derives from it into its `CellSpec`.

Pure (no pulumi, a test scans it with `components/core/`): `config.load` runs `check()` for
every aws cell before any resource is registered; the driver's `spec_fields()` runs when the
cell is built.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ...core import catalog
from ...core.placement import PROJECT


def no_replica_region(region: str, zone: str, narrowed: bool) -> str:
    """Why an aws cell in `region` cannot be geo-redundant: its zone has no second AWS region."""
    where = f" as narrowed by {PROJECT}:zones.{zone}.regions" if narrowed else ""
    with_two = [z for z in catalog.known_zones() if len(catalog.zone_regions(z, "aws")) >= 2]
    return (f"an aws cell replicates its bucket to another AWS region of its zone, and zone {zone!r}{where} has "
            f"no AWS region besides {region}; allowed: false here (true only for aws cells in zone "
            f"{', '.join(with_two)})")


# Sizes of `network_cidr` the cell's address plan fits (a VPC is /16 at most; the plan cuts 4 quarters (2 AZs x private/public) with room for nodes and pods (VPC CNI) down to /20).
NETWORK_PREFIXES = range(16, 21)


# EKS add-on versions, pinned per Kubernetes minor (an add-on follows its cluster's version; `aws eks
# describe-addon-versions --kubernetes-version <v> --addon-name <name>` lists what EKS offers). A pinned
# version changes only in a reviewed commit, never by EKS picking "latest" during an unrelated `up`.
ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.33": {
        "vpc-cni": "v1.19.6-eksbuild.7",
        "kube-proxy": "v1.33.0-eksbuild.2",
        "coredns": "v1.12.1-eksbuild.2",
        "eks-pod-identity-agent": "v1.3.7-eksbuild.2",
        "metrics-server": "v0.7.2-eksbuild.3",
    },
}
# Cluster Autoscaler: Helm chart version and the image of the same Kubernetes minor (the autoscaler's
# minor must match the cluster's).
AUTOSCALER_RELEASES: dict[str, tuple[str, str]] = {
    "1.33": ("9.47.0", "v1.33.0"),
}


def addon_versions(kubernetes_version: str) -> dict[str, str]:
    return ADDON_VERSIONS[kubernetes_version]


def autoscaler_release(kubernetes_version: str) -> tuple[str, str]:
    return AUTOSCALER_RELEASES[kubernetes_version]


_ROLE_ARN = r"^arn:aws:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$"


class AwsCellSettings(BaseModel):
    """`platform:cells[i].aws`: the AWS plugin's settings of one cell (all optional)."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    autoscaling_service_role: Literal["create", "existing"] = Field(
        "create", description="`create`: the stack's first aws cell creates the account's EC2 Auto Scaling "
        "service-linked role (AWSServiceRoleForAutoScaling, one per account); `existing`: the account has it "
        "already (another stack or an earlier Auto Scaling group made it), so no cell creates it.")


# What the config schema mounts from this plugin (components/core/config/schema.py).
CellSettings = AwsCellSettings
DEPLOYER_FIELDS = {"aws_role_arn": (Optional[str], Field(
    None, pattern=_ROLE_ARN, description="The IAM role `pulumi up` runs as on AWS; granted cluster-admin on every "
    "EKS cluster (access entry)."))}
ACCESS_FIELDS = {
    "aws_operators_role_arn": (Optional[str], Field(None, pattern=_ROLE_ARN, description="The operators' IAM "
                               "role: EKS cluster-admin (incident response, upgrades).")),
    "aws_readonly_role_arn": (Optional[str], Field(None, pattern=_ROLE_ARN, description="The IAM role of the "
                              "credentialed PR preview: EKS read-only, no Secrets.")),
}


def autoscaling_role_exists(cfg: Any) -> bool:
    """Whether any aws cell of the stack declares the account's Auto Scaling service-linked role existing."""
    return any(c.aws is not None and c.aws.autoscaling_service_role == "existing" for c in cfg.cells if c.cloud == "aws")


def check(index: int, cell: Any, cfg: Any) -> list[str]:
    """Problems of `platform:cells[index]` (an aws cell) as `platform:<key> ...: <why>` lines."""
    problems = []  # `cells[i].aws` itself is validated by its model (AwsCellSettings)
    version = cell.cluster.kubernetes_version
    if version not in ADDON_VERSIONS or version not in AUTOSCALER_RELEASES:
        problems.append(
            f"{PROJECT}:cells[{index}].cluster.kubernetes_version = {version!r} (cell {cell.name!r}): an aws cell "
            f"pins its EKS add-on and Cluster Autoscaler versions per Kubernetes version; allowed: "
            f"{', '.join(sorted(set(ADDON_VERSIONS) & set(AUTOSCALER_RELEASES)))}")
    if cell.bucket.geo_redundant:
        narrowed = cfg.zone(cell.residency).regions
        if catalog.aws_replica_region(cell.region, cell.residency, narrowed) is None:
            key = f"{PROJECT}:cells[{index}].bucket.geo_redundant = true (cell {cell.name!r})"
            problems.append(f"{key}: {no_replica_region(cell.region, cell.residency, narrowed is not None)}")
    return problems


def spec_fields(cell: Any, cfg: Any) -> dict:
    """With `bucket.geo_redundant`: where the replica lives (nearest other AWS region of the zone,
    within `platform:zones.<zone>.regions`; `check()` has rejected a zone without one).

    `aws_account_roles`: the stack's first aws cell creates the account's EC2 Auto Scaling service-linked
    role (one per account; the others' keys name the same role), unless a cell's
    `aws.autoscaling_service_role` is `existing` (a second stack in the account)."""
    first_aws = next(c.name for c in cfg.cells if c.cloud == "aws")
    fields: dict = {"aws_account_roles": cell.name == first_aws and not autoscaling_role_exists(cfg)}
    if cell.bucket.geo_redundant:
        fields["replica_region"] = catalog.aws_replica_region(cell.region, cell.residency,
                                                              cfg.zone(cell.residency).regions)
    return fields
