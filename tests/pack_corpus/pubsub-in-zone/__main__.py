"""The same topic confined to the zone."""
import pulumi
import pulumi_gcp as gcp

LABELS = {"residency": "eu", "team": "data"}
ring = gcp.kms.KeyRing("ring", location="europe-west1")
key = gcp.kms.CryptoKey("key", key_ring=ring.id, rotation_period="7776000s", labels=LABELS)

topic = gcp.pubsub.Topic("events", kms_key_name=key.id, labels=LABELS,
                         message_storage_policy={"allowed_persistence_regions": ["europe-west1", "europe-west4"]})
