"""What became of the AWS cell's old URNs (the plugin's `migrations_module`).

`RETIRED`: (a regular expression over a URN, why it may go). A URN of a stack's baseline
(tests/fixtures/urns) that the program no longer produces must be produced under an alias (pieces
declare those in their options, `pulumi.Alias(parent=...)`) or match one of these; each held no state
and nothing was aliased to it. Read by `offline.diff.retired` (the URN baseline tests import it).
Pure data: the offline engine loads this module from the folder (offline/clouds).
"""
from __future__ import annotations

RETIRED: tuple[tuple[str, str], ...] = (
    (r"urn:pulumi:[^:]+::platform::platform:aws:Cell\$pulumi:providers:aws::[a-z0-9-]+-dns",
     "each cell had its own us-east-1 provider for certificate-validation records; the stack's one DnsValidator "
     "uses the stack's global provider instead. The records keep their URNs (same parent and name); only their "
     "provider reference changes, which the engine settles with the provider's DiffConfig (same region: no "
     "replacement, pulumi/pulumi#18509)"),
    (r"urn:pulumi:[^:]+::platform::platform:aws:Cell\$aws:eks/accessEntry:AccessEntry::[a-z0-9-]+-scraper-access",
     "AMP creates the scraper's EKS access entry itself (API authentication mode); ours collided with it "
     "(ResourceInUseException). It held no state; the next `up` deletes it"),
)
