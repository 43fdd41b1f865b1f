"""The azure plugin: what every layer knows about Azure (see components/clouds/plugin.py)."""
from __future__ import annotations

from ..plugin import CloudPlugin, Location

PLUGIN = CloudPlugin(
    cloud="azure",
    packages=("azure-native",),
    label_properties=("tags",),
    label_properties_by_type={},
    # A type with `location` is placed (its resource group's location when unset); one without is a
    # child of something that is (a vault's key, an account's container): from the ARM schema.
    location=Location(inputs=("location",), unlocated="parent", provider_keys=("location",), locator="arm-id"),
    # Judgement: the stores a customer's objects, disks, rows or metrics land in, and the keys to them.
    data_types=frozenset({
        "azure-native:storage:StorageAccount", "azure-native:keyvault:Vault", "azure-native:keyvault:Key",
        "azure-native:containerservice:ManagedCluster", "azure-native:compute:Disk",
        # Cosmos DB accounts: the `cosmosdb` module of azure-native v3 (`documentdb` is v1's name).
        "azure-native:sql:Server", "azure-native:cosmosdb:DatabaseAccount",
        # Metrics stores: label-only aggregates, still the cell's data.
        "azure-native:monitor:AzureMonitorWorkspace",
    }),
    key_types=frozenset({"azure-native:keyvault:Vault", "azure-native:keyvault:Key"}),
    cluster_types=frozenset({"azure-native:containerservice:ManagedCluster"}),
    # The Application Gateway (WAF_v2) is the cell's public entry and carries its WAF policy.
    load_balancer_types=frozenset({"azure-native:network:ApplicationGateway"}),
    telemetry_types=frozenset({"azure-native:monitor:AzureMonitorWorkspace",
                               "azure-native:operationalinsights:Workspace"}),
    stateful_types=frozenset({"azure-native:keyvault:Vault", "azure-native:keyvault:Key",
                              "azure-native:storage:StorageAccount", "azure-native:containerservice:ManagedCluster",
                              "azure-native:compute:DiskEncryptionSet"}),
    no_customer_key={"azure-native:monitor:AzureMonitorWorkspace": (
        "Azure Monitor workspaces take no customer-managed key (Microsoft-managed encryption only; the ARM "
        "schema has no key property)")},
    driver_module="components.clouds.azure.driver",
    settings_module="components.clouds.azure.settings",
    deployer_identity="azure_object_id",
    mock_modules=("components.clouds.azure.mocks",),
    apply_module="components.clouds.azure.apply",
    migrations_module="components.clouds.azure.migrations",
    release_module="components.clouds.azure.release",
    pricing_cloud="azure",
    regions_module="components.clouds.azure.regions",
    default_region_key="azure-native:location",
    pricing_module="components.clouds.azure.pricing",
)
