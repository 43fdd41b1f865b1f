"""What exists already, looked up: the shared VPC, the latest image of a family, a key ring and key of
the security team; a VM in a component parented under an explicit provider; a CMEK bucket."""
import pulumi
import pulumi_gcp as gcp

config = pulumi.Config()
region = pulumi.Config("gcp").require("region")
key_id = config.require("key")
_, key_project, _, key_location, _, ring_name, _, key_name = key_id.split("/")

shared = gcp.compute.get_network(name="shared-vpc", project="network-host")
subnet = gcp.compute.get_subnetwork(name="apps", region=region, project="network-host")
image = gcp.compute.get_image(family="debian-12", project="debian-cloud")
ring = gcp.kms.get_kms_key_ring(name=ring_name, location=key_location, project=key_project)
key = gcp.kms.get_kms_crypto_key(name=key_name, key_ring=ring.id)


class WebServer(pulumi.ComponentResource):
    def __init__(self, name: str, subnetwork: str, opts=None):
        super().__init__("corpus:gcp:WebServer", name, None, opts)
        self.address = gcp.compute.Address(name, region=region, opts=pulumi.ResourceOptions(parent=self))
        self.vm = gcp.compute.Instance(
            name, machine_type="e2-small", zone=f"{region}-b",
            boot_disk={"initialize_params": {"image": image.self_link}, "kms_key_self_link": key.id},
            network_interfaces=[{"subnetwork": subnetwork,
                                 "access_configs": [{"nat_ip": self.address.address}]}],
            metadata_startup_script="#!/bin/sh\napt-get install -y nginx\n",
            opts=pulumi.ResourceOptions(parent=self))
        self.url = pulumi.Output.concat("http://", self.address.address, "/")
        self.register_outputs({"url": self.url})


google = gcp.Provider("google", project=config.get("project") or "corpus-lookups-apps", region=region)
web = WebServer("web", subnet.self_link, opts=pulumi.ResourceOptions(provider=google))
bucket = gcp.storage.Bucket("uploads", location=region.upper(), uniform_bucket_level_access=True,
                            encryption={"default_kms_key_name": key.id})

pulumi.export("network", f"{shared.name} ({shared.self_link})")
pulumi.export("image", image.self_link)
pulumi.export("url", web.url)
pulumi.export("bucket", bucket.url)
pulumi.export("key", f"{ring.name}/{key.name} rotates every {key.rotation_period or 'never'}")
