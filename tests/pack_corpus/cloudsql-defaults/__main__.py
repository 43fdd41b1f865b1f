"""Cloud SQL with its defaults: Google-managed key, public IP, unencrypted connections allowed."""
import pulumi
import pulumi_gcp as gcp

LABELS = {"residency": "eu", "team": "data"}
ring = gcp.kms.KeyRing("ring", location="europe-west1")
key = gcp.kms.CryptoKey("key", key_ring=ring.id, rotation_period="7776000s", labels=LABELS)

db = gcp.sql.DatabaseInstance("orders", database_version="POSTGRES_16", region="europe-west1",
                              deletion_protection=False,
                              settings={"tier": "db-f1-micro", "user_labels": LABELS})
