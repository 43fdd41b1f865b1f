"""What became of the AWS cell's old URNs (the plugin's `migrations_module`).

`RETIRED`: (a regular expression over a URN, why it may go). A URN of a stack's baseline
(tests/fixtures/urns) that the program no longer produces must be produced under an alias (a `MOVED`
entry) or match one of these; each held no state and nothing was aliased to it.

`MOVED`: (piece type, pattern over a child's `<type>::<name>`, why): those children of the piece were
built directly under the piece's parent (the cell) before the piece existed and keep an alias to that
URN. `PieceContext.opts` applies them; no piece declares an alias itself (tests/test_migrations.py).
Both are read through one resolver, `offline.migrations` (the program, `offline diff` and the URN tests).
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

MOVED: tuple[tuple[str, str, str], ...] = (
    (r"platform:aws:Observability", r"(?!aws:iam/).*",
     "the AMP workspace, scraper and SLO alerting (key, topic, rules, alert manager) were the cell's own "
     "children before the piece existed; the alias keeps their state (the workspace holds the metrics, the key "
     "is protected in prod). The scraper's IAM roles came with the piece (role configuration) and never were"),
)
