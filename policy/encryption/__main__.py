"""CrossGuard pack: encryption at rest and in transit (AWS, GCP, Azure, Kubernetes).

    pulumi preview --policy-pack policy/encryption
    python -m offline preview STACK --policy-pack policy/encryption

Every rule is mandatory by default (k8s-secret-no-literal-data is advisory). Per rule, the policy
config takes `enforcementLevel`, `exemptions` ([{resource, reason, expires}]) and the rule's own
options (`allowedTlsPolicies`, `maxRotationDays`). Values unknown at preview are reported as
advisory "cannot verify at preview" and decided at update.
"""
from pulumi_policy import EnforcementLevel

from encryption_rules import policies, types_by_policy
from encryption_rules.server import serve

serve(
    types_by_policy(),
    plain_env="ENCRYPTION_PACK_PLAIN_ANALYZER",
    name="encryption",
    description="Encryption at rest (customer-managed keys, rotation, cluster secrets, volumes and node disks) and in transit "
                "(TLS 1.2+ listeners, proxies and gateways; HTTP only as a redirect; TLS-only storage).",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies(),
)
