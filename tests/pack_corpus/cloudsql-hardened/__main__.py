"""Cloud SQL with a customer key, private IP and TLS only."""
import pulumi
import pulumi_gcp as gcp

LABELS = {"residency": "eu", "team": "data"}
ring = gcp.kms.KeyRing("ring", location="europe-west1")
key = gcp.kms.CryptoKey("key", key_ring=ring.id, rotation_period="7776000s", labels=LABELS)

db = gcp.sql.DatabaseInstance("orders", database_version="POSTGRES_16", region="europe-west1",
                              deletion_protection=False, encryption_key_name=key.id,
                              settings={"tier": "db-f1-micro", "user_labels": LABELS,
                                        "ip_configuration": {"ipv4_enabled": False, "ssl_mode": "ENCRYPTED_ONLY",
                                                             "private_network": "projects/acme-data/global/networks/default"}})
