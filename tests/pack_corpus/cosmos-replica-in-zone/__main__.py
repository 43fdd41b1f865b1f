"""The same account replicated inside the EU."""
import pulumi
import pulumi_azure_native as azure_native

TAGS = {"residency": "eu", "team": "data"}
rg = azure_native.resources.ResourceGroup("data", location="westeurope", tags=TAGS)
account = azure_native.cosmosdb.DatabaseAccount(
    "orders", resource_group_name=rg.name, database_account_offer_type="Standard", tags=TAGS,
    key_vault_key_uri="https://kv-data.vault.azure.net/keys/cosmos", minimal_tls_version="Tls12",
    locations=[{"location_name": "westeurope", "failover_priority": 0},
               {"location_name": "northeurope", "failover_priority": 1}])
