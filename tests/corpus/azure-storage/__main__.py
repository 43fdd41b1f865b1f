"""A storage account and its keys (listStorageAccountKeys) turned into a connection string."""
import pulumi
from pulumi_azure_native import keyvault, resources, storage
import pulumi_azure_native as azure_native

group = resources.ResourceGroup("rg")
account = storage.StorageAccount("sa", resource_group_name=group.name, kind=storage.Kind.STORAGE_V2,
                                 sku={"name": storage.SkuName.STANDARD_LRS},
                                 minimum_tls_version="TLS1_2", allow_blob_public_access=False)
container = storage.BlobContainer("files", account_name=account.name, resource_group_name=group.name)
keys = storage.list_storage_account_keys_output(resource_group_name=group.name, account_name=account.name)
primary = keys.keys[0].value
connection = pulumi.Output.secret(pulumi.Output.format(
    "DefaultEndpointsProtocol=https;AccountName={0};AccountKey={1};EndpointSuffix=core.windows.net",
    account.name, primary))
client = azure_native.authorization.get_client_config()
vault = keyvault.Vault("kv", resource_group_name=group.name, properties={
    "tenant_id": client.tenant_id, "sku": {"family": "A", "name": "standard"},
    "enable_rbac_authorization": True, "enable_purge_protection": True})
keyvault.Secret("conn", resource_group_name=group.name, vault_name=vault.name,
                properties={"value": connection})
pulumi.export("connection", connection)
pulumi.export("blob_endpoint", account.primary_endpoints.apply(lambda e: e.blob))
pulumi.export("vault_uri", vault.properties.apply(lambda p: p.vault_uri))
pulumi.export("container", container.name)
