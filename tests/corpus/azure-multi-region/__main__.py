"""The same storage component in two regions: the default provider (azure-native:location) and an
explicit provider handed to the component; account names get a random suffix (they are global);
the hub VNet someone else owns is looked up and its address space read into strings."""
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native as azure_native
import pulumi_random as random
from pulumi_azure_native import network, resources, storage

config = pulumi.Config()
hub = config.require_object("hub")


@dataclass
class StoreArgs:
    short: str
    containers: tuple = ("models", "logs")
    tags: Optional[dict] = None


class RegionalStore(pulumi.ComponentResource):
    def __init__(self, name: str, args: StoreArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("corpus:azure:RegionalStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.group = resources.ResourceGroup(f"{name}-rg", tags=args.tags, opts=child)
        suffix = random.RandomString(f"{name}-suffix", length=8, special=False, upper=False, opts=child)
        self.account = storage.StorageAccount(
            f"{name}-sa",
            account_name=suffix.result.apply(lambda s: f"st{args.short}{s}"),
            resource_group_name=self.group.name,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=storage.SkuName.STANDARD_ZRS),
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            allow_blob_public_access=False,
            opts=child)
        for c in args.containers:
            storage.BlobContainer(f"{name}-{c}", account_name=self.account.name,
                                  resource_group_name=self.group.name, container_name=c,
                                  opts=pulumi.ResourceOptions(parent=self.account))
        self.blob_endpoint = self.account.primary_endpoints.apply(lambda e: e.blob)
        self.register_outputs({"blob_endpoint": self.blob_endpoint})


secondary = azure_native.Provider("secondary", location=config.require("secondary"))
primary = RegionalStore("primary", StoreArgs(short="pri", tags={"role": "primary"}))
standby = RegionalStore("standby", StoreArgs(short="sby", containers=("models",)),
                        opts=pulumi.ResourceOptions(providers=[secondary]))

vnet = network.get_virtual_network_output(resource_group_name=hub["resource_group"],
                                          virtual_network_name=hub["vnet"])
pulumi.export("hub", pulumi.Output.all(vnet.id, vnet.address_space.address_prefixes).apply(
    lambda args: f"{args[0]} ({', '.join(args[1] or [])})"))
pulumi.export("endpoints", pulumi.Output.format("{0} | {1}", primary.blob_endpoint, standby.blob_endpoint))
pulumi.export("standby_location", standby.group.location)
