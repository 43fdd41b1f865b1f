"""The gcp plugin: what every layer knows about Google Cloud (see components/clouds/plugin.py)."""
from __future__ import annotations

from ..plugin import CloudPlugin, LabelForm, Location

PLUGIN = CloudPlugin(
    cloud="gcp",
    packages=("gcp",),
    # `resource_labels` is where a GKE cluster keeps its labels (`labels` is not an input there).
    label_properties=("labels", "resource_labels"),
    # GCP label keys and values: lower case letters, digits, `_` and `-`, at most 63 characters.
    label_form=LabelForm(allowed="a-z0-9_-", max_len=63, lower=True),
    # Cloud Monitoring's objects carry their labels in `user_labels`; a notification channel's `labels`
    # are its configuration (e.g. `email_address`), never labels.
    label_properties_by_type={"gcp:monitoring/notificationChannel:NotificationChannel": ("user_labels",),
                              "gcp:monitoring/alertPolicy:AlertPolicy": ("user_labels",),
                              # Cloud SQL has no top-level labels: they sit in its settings (provider schema).
                              "gcp:sql/databaseInstance:DatabaseInstance": ("settings.user_labels",)},
    # A type with `location`, `region` or `zone` is regional or zonal (the provider's region when unset);
    # one with none is global (networks, firewalls, service accounts, IAM): from the provider schema.
    location=Location(inputs=("location", "region", "zone"), unlocated="global", provider_keys=("region", "zone"),
                      locator="self-link"),
    # Judgement: the stores a customer's objects, disks, rows or datasets land in, and the keys to them.
    data_types=frozenset({
        "gcp:storage/bucket:Bucket", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey",
        "gcp:container/cluster:Cluster", "gcp:compute/disk:Disk", "gcp:compute/regionDisk:RegionDisk",
        "gcp:sql/databaseInstance:DatabaseInstance", "gcp:bigquery/dataset:Dataset",
    }),
    key_types=frozenset({"gcp:kms/cryptoKey:CryptoKey", "gcp:kms/keyRing:KeyRing"}),
    cluster_types=frozenset({"gcp:container/cluster:Cluster"}),
    # The regional external backend service carries the Cloud Armor policy of the cell's public entry.
    load_balancer_types=frozenset({"gcp:compute/regionBackendService:RegionBackendService"}),
    telemetry_types=frozenset({"gcp:logging/projectBucketConfig:ProjectBucketConfig"}),
    stateful_types=frozenset({"gcp:storage/bucket:Bucket", "gcp:kms/keyRing:KeyRing", "gcp:kms/cryptoKey:CryptoKey",
                              "gcp:container/cluster:Cluster"}),
    # A key ring holds keys, not data: the encryption pack judges the CryptoKeys in it (rotation).
    no_customer_key={"gcp:kms/keyRing:KeyRing": "a key ring has no encryption setting; its CryptoKeys are judged"},
    driver_module="components.clouds.gcp.driver",
    settings_module="components.clouds.gcp.settings",
    deployer_identity="gcp_service_account",
    mock_modules=("components.clouds.gcp.mocks",),
    apply_module="components.clouds.gcp.apply",
    migrations_module="components.clouds.gcp.migrations",
    release_module="components.clouds.gcp.release",
    pricing_cloud="gcp",
    regions_module="components.clouds.gcp.regions",
    default_region_key="gcp:region",
    pricing_module="components.clouds.gcp.pricing",
)
