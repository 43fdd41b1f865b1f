"""What became of the GCP cell's old URNs (the plugin's `migrations_module`; see aws/migrations.py for the form).

Pure data: the offline engine loads this module from the folder (offline/clouds).
"""
from __future__ import annotations

RETIRED: tuple[tuple[str, str], ...] = (
    (r"urn:pulumi:[^:]+::platform::platform:gcp:Cell\$pulumi:providers:aws::[a-z0-9-]+-dns",
     "each cell had its own us-east-1 Route 53 provider for certificate-validation records; the stack's one "
     "DnsValidator uses the stack's global provider instead (the records keep their URNs)"),
    (r"urn:pulumi:[^:]+::platform::platform:gcp:Cell\$gcp:compute/regionSecurityPolicy:RegionSecurityPolicy"
     r"::[a-z0-9-]+-edge",
     "the edge guard's policy with inline rules, replaced by a new policy whose rules are RegionSecurityPolicyRule "
     "resources (an alias would keep the inline rules on the server, and the rule resources would collide with "
     "them). A policy holds no data; `up` moves the backend to the new one first"),
    (r"urn:pulumi:[^:]+::platform::platform:gcp:Cell\$platform:gcp:ProjectApis"
     r"\$gcp:projects/serviceIdentity:ServiceIdentity::[a-z0-9-]+-apis-compute-agent",
     "the Compute Engine agent's ServiceIdentity: generateServiceIdentity refuses compute (INVALID_ARGUMENT), so "
     "no stack ever created it; the agent exists once the Compute API is on and its address is built instead"),
)

MOVED: tuple[tuple[str, str, str], ...] = (
    (r"platform:gcp:SloAlerts", r".*",
     "the SLO email channels and alert policies were the cell's own children before the piece existed; the "
     "alias keeps the deployed channels and policies"),
    (r"platform:gcp:ProjectApis", r"gcp:projects/service:Service::.*-monitoring",
     "the cell enabled the Monitoring API itself (for SLO alerts only) before the piece existed; the other "
     "APIs and the agents came with the piece"),
)
