"""Rules of the residency pack, in the shared rule shape (rule_shape.py, vendored from policy/shared/),
grouped by resource domain. Every rule is a stack rule: `check(view, zones, today) -> [Finding]`.

    common.py       pack defaults, what "inside a zone" means, the fail-closed judgement of a store
    location.py     residency-package-known, residency-zone-known, residency-location-in-zone
    keys.py         residency-key-in-zone (key references: ../key_refs.py)
    replication.py  residency-replication-in-zone
    dns.py          residency-dns-in-zone, the exceptions it relies on (owners: ../endpoints.py)
    edges.py        residency-no-global-tls-edge
    edge_guard.py   residency-edge-guard
    logs.py         residency-log-bucket-in-zone, residency-logs-in-zone
    telemetry.py    residency-telemetry-in-zone
    paths.py        residency-data-path-in-zone (Cosmos DB replicas, Pub/Sub storage, log subscriptions, Aurora global)
    models.py       residency-model-in-own-cell
    crossguard.py   rules -> CrossGuard policies (config, cannot-verify notes)
"""
from __future__ import annotations

from . import dns, edge_guard, edges, keys, location, logs, models, paths, replication, telemetry
from .common import GDPR_CHAPTER_V, rule
from .rule_shape import Finding, Rule, unique, violation

RULES: list[Rule] = unique([
    rule(id="residency-zone-known", check=location.check_zone_known,
         description="Every location-bearing resource has a residency zone: its own residency label or its nearest ancestor's.",
         remediation="Create the resource inside a cell (its labels are inherited) or set its `residency` tag/label to a known zone."),
    rule(id="residency-location-in-zone", framework=GDPR_CHAPTER_V, check=location.check_location,
         description="Every location-bearing resource lies in an allowed region of its residency zone.",
         remediation="Move the resource to a region of its zone (see the allowed regions in the message) or fix its residency label."),
    rule(id="residency-key-in-zone", framework=GDPR_CHAPTER_V, check=keys.check_keys,
         description="The key that encrypts a bucket, disk or cluster lies in the resource's residency zone.",
         remediation="Use the cell's own key (created in the cell's region), never a key of another region or zone."),
    rule(id="residency-replication-in-zone", framework=GDPR_CHAPTER_V, check=replication.check_replication,
         description="Replication stays in the zone: S3 replication destinations, GCS dual-region placement, Azure geo-redundant pairs.",
         remediation="Replicate to a bucket of the same zone, place dual-regions inside the zone, or use LRS/ZRS where the Azure "
                     "pair leaves the zone."),
    rule(id="residency-dns-in-zone", framework=GDPR_CHAPTER_V, check=dns.check_dns,
         description="DNS failover and geolocation never send a strict zone's countries to another zone's cell, Route 53 fallback included.",
         remediation="Point a strict zone's countries at a record set that contains only that zone's cells, and do not evaluate its "
                     "health at the geolocation level; or configure an exception (zone, fallback_cell, reason, approver, expires)."),
    rule(id="residency-telemetry-in-zone", framework=GDPR_CHAPTER_V, check=telemetry.check_telemetry,
         description="Every metrics workspace, log bucket and log sink lies in its cell's zone, unless it is the declared global "
                     "dashboard data source.",
         remediation="Create the workspace, log group or log bucket in the cell's region (never 'global'), and route sinks to "
                     "a bucket of the zone; tag the one global dashboard data source `telemetry: global-dashboard`."),
    rule(id="residency-no-global-tls-edge", framework=GDPR_CHAPTER_V, check=edges.check_edges,
         description="No global edge (CloudFront, GCP global external HTTPS LB, Front Door) terminates TLS in front of a strict zone.",
         remediation="Use the cell's regional load balancer (TLS ends in-region) and point DNS at it."),
    rule(id="residency-log-bucket-in-zone", framework=GDPR_CHAPTER_V, check=logs.check_log_buckets,
         description="Cloud Logging buckets, and the log buckets sinks route to, lie in the residency zone (never `global`).",
         remediation="Route the cell's logs to a regional log bucket (ProjectBucketConfig with the cell's region) and exclude them "
                     "from the global `_Default` sink."),
    rule(id="residency-logs-in-zone", framework=GDPR_CHAPTER_V, check=logs.check_logs,
         description="Diagnostic settings and AKS monitoring send a cell's logs (audit, firewall, access) only to a Log Analytics "
                     "workspace in the cell's residency zone.",
         remediation="Send the logs to the cell's own workspace (created in the cell's region), never to a workspace of another "
                     "region or zone or outside the stack."),
    rule(id="residency-edge-guard", framework=GDPR_CHAPTER_V, check=edge_guard.check_edge_guard,
         description="Every internet-facing load balancer of a cell refuses, at its edge (WAF geo rule), the countries of every other "
                     "strict zone served, so residency holds when DNS is bypassed; no guard refuses its own zone's countries.",
         remediation="Attach the cell's edge guard (AWS WAFv2 web ACL, GCP Cloud Armor policy, Azure WAF policy GeoMatch rule) with "
                     "the refused countries from the routing plan; list other stacks' zones in the pack config's served_zones."),
    rule(id="residency-package-known", check=location.check_package_known,
         description="Every resource belongs to a package the pack knows: a cloud plugin's, or one declared non-cloud "
                     "(Pulumi, components, Kubernetes, local resources). An unknown package fails closed.",
         remediation="Add the cloud's plugin (components/clouds/<cloud>/plugin.py, one line in plugins.py) or declare "
                     "the package in NON_CLOUD_PACKAGES with why, then run python policy/shared/facts.py."),
    rule(id="residency-data-path-in-zone", framework=GDPR_CHAPTER_V, check=paths.check_paths,
         description="Data a store copies or routes elsewhere stays in its zone: Cosmos DB replica locations, Pub/Sub message "
                     "storage regions, CloudWatch Logs subscription destinations, Aurora global database members.",
         remediation="Keep every replica location, allowed persistence region, subscription destination and global-database "
                     "member in a region of the zone; set Pub/Sub messageStoragePolicy.allowedPersistenceRegions explicitly."),
    rule(id="residency-model-in-own-cell", framework=GDPR_CHAPTER_V, check=models.check_models,
         description="A workload loads its model (MODEL_URI) only from a bucket of its own cell, in its zone, held by the stack.",
         remediation="Point MODEL_URI at the cell's own bucket (the platform sets <bucket_uri>/models/<name>/<version>/model) "
                     "and publish the release there with `python -m ops release publish`."),
])


def _unknowns(view, zones, today) -> list[Finding]:
    """Every rule's cannot-verify notes, each labelled with its rule."""
    return [violation(f"[{r.id}] cannot verify: {f.message}", f.urn)
            for r in RULES for f in r.check(view, zones, today) if f.unknown]


# Advisory: what the rules above could not decide during preview, and the exceptions the DNS relies on.
CANNOT_VERIFY = rule(
    id="residency-cannot-verify", level="advisory", check=_unknowns,
    description="Residency decisions that depend on values unknown during preview (verified again at update).",
    remediation="Nothing to do before the update; the pack judges the known values when they exist.")
EXCEPTION_APPROVED = rule(
    id="residency-exception-approved", level="advisory", check=dns.check_exceptions_in_use,
    description="Lists each residency exception the stack's DNS relies on that the pack config approves "
                "(by whom, until when); an unapproved one is a residency-dns-in-zone violation.",
    remediation="Nothing to do while it is approved; renew or remove it before it expires.")
ALL_RULES: list[Rule] = unique([*RULES, CANNOT_VERIFY, EXCEPTION_APPROVED])


def policies() -> list:
    from .crossguard import to_policy

    return [to_policy(r, labelled=r is CANNOT_VERIFY, reports_config=r in RULES) for r in ALL_RULES]
