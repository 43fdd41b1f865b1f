"""What became of the Azure cell's old URNs (the plugin's `migrations_module`; see aws/migrations.py for the form).

Pure data: the offline engine loads this module from the folder (offline/clouds).
"""
from __future__ import annotations

RETIRED: tuple[tuple[str, str], ...] = (
    (r"urn:pulumi:[^:]+::platform::platform:azure:Cell\$pulumi:providers:aws::[a-z0-9-]+-dns",
     "each cell had its own us-east-1 Route 53 provider for certificate-validation records; the stack's one "
     "DnsValidator uses the stack's global provider instead (the records keep their URNs)"),
    (r"urn:pulumi:[^:]+::platform::platform:azure:Cell\$(aws:route53/record:Record::[a-z0-9-]+-cert-validation"
     r"(-public)?|azure-native:authorization:RoleAssignment::[a-z0-9-]+-cert-registration-secrets|"
     r"azure-native:certificateregistration:AppServiceCertificateOrder(Certificate)?::[a-z0-9-]+)",
     "App Service certificate orders (validated at the root domain, asynchronous, never issued by a first `up`), "
     "their TXT records and the registrar's vault grant, replaced by an ACME certificate in the vault. Nothing "
     "refers to them; the next `up` deletes them"),
)

MOVED: tuple[tuple[str, str, str], ...] = (
    (r"platform:azure:(?!Cell$)\w+", r".*",
     "every Azure resource was the cell's own child before the cell was split into pieces; each keeps its "
     "name and type and an alias to its URN under the cell (the vault, keys, storage and cluster hold state). "
     "A resource added to a piece later aliases a URN that never existed, which the engine ignores"),
)
