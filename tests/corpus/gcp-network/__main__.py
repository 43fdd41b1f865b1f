"""A custom VPC, a subnet per region from config, a bucket with a random suffix and a service account."""
import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

gcp_config = pulumi.Config("gcp")
region = gcp_config.require("region")
project = gcp.organizations.get_project()
zones = gcp.compute.get_zones(region=region)

network = gcp.compute.Network("net", auto_create_subnetworks=False)
subnet = gcp.compute.Subnetwork("net", network=network.id, ip_cidr_range="10.10.0.0/20", region=region,
                                private_ip_google_access=True)
suffix = random.RandomId("bucket", byte_length=4)
bucket = gcp.storage.Bucket("assets", name=suffix.hex.apply(lambda h: f"assets-{h}"), location="EU",
                            uniform_bucket_level_access=True)
account = gcp.serviceaccount.Account("reader", account_id="reader", display_name="reader")
gcp.storage.BucketIAMMember("reader", bucket=bucket.name, role="roles/storage.objectViewer",
                            member=account.email.apply(lambda e: f"serviceAccount:{e}"))
gcp.compute.Firewall("ssh", network=network.self_link, source_ranges=["35.235.240.0/20"],
                     allows=[{"protocol": "tcp", "ports": ["22"]}])
vm = gcp.compute.Instance("vm", machine_type="e2-small", zone=zones.names[0],
                          boot_disk={"initialize_params": {"image": "debian-cloud/debian-12"}},
                          network_interfaces=[{"subnetwork": subnet.id, "access_configs": [{}]}])
pulumi.export("project_number", project.number)
pulumi.export("subnet", subnet.self_link)
pulumi.export("bucket_url", bucket.url)
pulumi.export("vm_ip", vm.network_interfaces.apply(lambda n: n[0].access_configs[0].nat_ip if n and n[0].access_configs else None))
