"""The aws plugin: what every layer knows about AWS (see components/clouds/plugin.py)."""
from __future__ import annotations

from ..plugin import CloudPlugin, Location

PLUGIN = CloudPlugin(
    cloud="aws",
    packages=("aws",),
    label_properties=("tags",),
    label_properties_by_type={},
    # Every regional AWS resource has a `region` input (provider v7); the types without one are global
    # services (IAM, Route 53, CloudFront): policy/residency/gen_locations.py reads the schema.
    location=Location(inputs=("region",), unlocated="global", provider_keys=("region",), locator="arn-region"),
    # Judgement: the stores a customer's objects, volumes, rows or metrics land in, and the keys to them.
    data_types=frozenset({
        "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:ebs/volume:Volume", "aws:eks/cluster:Cluster",
        "aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey", "aws:dynamodb/table:Table", "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster", "aws:efs/fileSystem:FileSystem",
        # Metrics stores: label-only aggregates, still the cell's data.
        "aws:amp/workspace:Workspace",
    }),
    key_types=frozenset({"aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey"}),
    cluster_types=frozenset({"aws:eks/cluster:Cluster"}),
    # An ALB is the cell's public entry (an NLB has no WAF association: the cells never expose one).
    load_balancer_types=frozenset({"aws:lb/loadBalancer:LoadBalancer"}),
    telemetry_types=frozenset({"aws:amp/workspace:Workspace", "aws:cloudwatch/logGroup:LogGroup"}),
    # A hosted zone is stateful too: a new one has new name servers, which the parent must delegate again.
    stateful_types=frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2", "aws:kms/key:Key",
                              "aws:route53/zone:Zone", "aws:eks/cluster:Cluster"}),
    no_customer_key={},
    driver_module="components.clouds.aws.driver",
    settings_module="components.clouds.aws.settings",
    deployer_identity="aws_role_arn",
    mock_modules=("components.clouds.aws.mocks", "components.clouds.aws.mocks_global"),
    apply_module="components.clouds.aws.apply",
    migrations_module="components.clouds.aws.migrations",
    release_module="components.clouds.aws.release",
    pricing_cloud="aws",
    regions_module="components.clouds.aws.regions",
    default_region_key="aws:region",
    pricing_module="components.clouds.aws.pricing",
    dns_modules=("aws:route53",),
)
