"""The residency rules: small functions over a StackView that return findings.

A finding is a violation (the rule's own enforcement level) or, when a value the decision
needs is unknown during preview, a "cannot verify" note that the advisory
`residency-cannot-verify` policy reports. A value that is known but cannot be placed in any
zone is a violation: the pack fails closed.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, Optional

import telemetry
from route53 import HEALTH_CHECK, DnsModel, Leaf, norm_name
from stack_view import DATA_TYPES, ENDPOINT_PROPS, Res, StackView, dig, region_in_hostname
from zones import (GLOBAL_ZONE, REGIONS, Location, Zones, countries_of_zone, is_unknown, parse_location,
                   region_zone)


@dataclass(frozen=True)
class Finding:
    rule: str
    urn: str
    message: str
    unknown: bool = False  # cannot verify during preview (advisory), not a violation


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    remediation: str
    gdpr_chapter_v: bool
    check: Callable[[StackView, Zones, dt.date], list[Finding]]


def _what(r: Res) -> str:
    return f"{r.type.split(':')[-1]} {r.name!r}"


# ---- residency-zone-known ----------------------------------------------------------------------

def check_zone_known(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    rule, out = "residency-zone-known", []
    for r in view.resources:
        loc = view.location_of(r)
        if loc is None:
            continue  # not location-bearing: global services are judged by what they point at
        z = view.zone_of(r)
        if z.zone is None:
            if z.unknown:
                out.append(Finding(rule, r.urn, f"{_what(r)}: residency zone cannot be verified: {z.source}", True))
            else:
                out.append(Finding(rule, r.urn, (
                    f"{_what(r)} lives in {loc.describe()} but its residency zone cannot be decided "
                    f"({z.source}); an unlabelled location-bearing resource fails closed")))
        elif not zones.known(z.zone):
            out.append(Finding(rule, r.urn, f"{_what(r)}: residency {z.zone!r} (from {z.source}) is not a known zone"))
        elif z.zone == GLOBAL_ZONE and r.type in DATA_TYPES and r.type not in KEY_TYPES:
            # A key may serve global plumbing (an alarm topic); customer data never lives in `global`.
            out.append(Finding(rule, r.urn, (
                f"{_what(r)} holds data but its zone is {GLOBAL_ZONE!r} (from {z.source}); data stores and "
                "keys must belong to a residency zone")))
    return out


# ---- residency-location-in-zone ---------------------------------------------------------------

def _judge(rule: str, r: Res, zone: str, loc: Location, zones: Zones, what: str) -> list[Finding]:
    """One location against one zone: [] when inside, a violation when outside, a note when unknown."""
    if loc.kind == "unknown":
        return [Finding(rule, r.urn, f"{what}: location {loc.describe()} is unknown during preview", True)]
    if loc.kind == "unrecognized":
        return [Finding(rule, r.urn, (
            f"{what}: location {loc.describe()} is not a region of the catalog, so it cannot be shown to lie in "
            f"zone {zone!r} (fail closed)"))]
    if zones.allows(zone, loc):
        return []
    if loc.kind == "global":
        return [Finding(rule, r.urn, f"{what}: location 'global' is not inside zone {zone!r}")]
    outside = [f"{reg} ({region_zone(reg)})" for reg in loc.regions if not zones.allowed_region(zone, reg)]
    return [Finding(rule, r.urn, (
        f"{what} is in {loc.describe()}: {', '.join(outside)} outside zone {zone!r}; "
        f"allowed regions of {zone!r}: {zones.allowed_list(zone)}"))]


def check_location(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    rule, out = "residency-location-in-zone", []
    for r in view.resources:
        loc = view.location_of(r)
        zone = view.zone_of(r).zone
        if loc is None or zone is None or not zones.known(zone):
            continue  # residency-zone-known reports it
        if loc.kind == "global" and r.type not in DATA_TYPES:
            continue  # a global control-plane object (certificate map, pool...) holds no data
        out += _judge(rule, r, zone, loc, zones, f"{_what(r)} (zone {zone!r} from {view.zone_of(r).source})")
    return out


# ---- residency-key-in-zone --------------------------------------------------------------------

KEY_TYPES = ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey", "gcp:kms/cryptoKey:CryptoKey",
             "gcp:kms/keyRing:KeyRing", "azure-native:keyvault:Vault", "azure-native:keyvault:Key")

# type -> (property of the encrypted subject or None for itself, [paths to the key reference])
ENCRYPTION_KEYS: dict[str, tuple[Optional[str], list[tuple[str, ...]]]] = {
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        ("bucket", [("rules", "applyServerSideEncryptionByDefault", "kmsMasterKeyId")]),
    "aws:s3/bucket:Bucket": (None, [("serverSideEncryptionConfiguration", "rule", "applyServerSideEncryptionByDefault",
                                     "kmsMasterKeyId")]),
    "aws:eks/cluster:Cluster": (None, [("encryptionConfig", "provider", "keyArn")]),
    "aws:ebs/volume:Volume": (None, [("kmsKeyId",)]),
    "aws:dynamodb/table:Table": (None, [("serverSideEncryption", "kmsKeyArn")]),
    "gcp:storage/bucket:Bucket": (None, [("encryption", "defaultKmsKeyName")]),
    "gcp:container/cluster:Cluster": (None, [("databaseEncryption", "keyName")]),
    "gcp:compute/disk:Disk": (None, [("diskEncryptionKey", "kmsKeySelfLink")]),
    "gcp:compute/regionDisk:RegionDisk": (None, [("diskEncryptionKey", "kmsKeyName")]),
    "azure-native:storage:StorageAccount": (None, [("encryption", "keyVaultProperties", "keyVaultUri")]),
    "azure-native:containerservice:ManagedCluster": (None, [("securityProfile", "azureKeyVaultKms", "keyId"),
                                                            ("securityProfile", "azureKeyVaultKms", "keyVaultResourceId")]),
    "azure-native:compute:DiskEncryptionSet": (None, [("activeKey", "keyUrl"), ("activeKey", "sourceVault", "id")]),
}

_AWS_KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d*:(key|alias)/")
_AZURE_VAULT = re.compile(r"^https://([a-z0-9-]+)\.vault\.azure\.net|/vaults/([A-Za-z0-9-]+)", re.I)


def _subject(view: StackView, r: Res, prop: Optional[str]) -> Res:
    if prop:
        deps = view.deps_of(r, prop)
        if deps:
            return deps[0]
    return r


def _vault(view: StackView, name: str) -> Optional[Res]:
    for v in view.resources:
        if v.type == "azure-native:keyvault:Vault" and str(v.props.get("vaultName") or v.props.get("name") or "").lower() == name.lower():
            return v
    return None


def key_location(view: StackView, owner: Res, prop: str, value) -> tuple[Optional[Location], Optional[Res]]:
    """Where the key a reference names lives, and the key resource when it is in the stack.

    (None, None) means "same place as `owner`" (an AWS key id or alias without an ARN is
    resolved in the caller's own region)."""
    key_res = next((d for d in view.deps_of(owner, prop) if d.type in KEY_TYPES), None)
    if is_unknown(value):
        if key_res is not None:
            return view.location_of(key_res), key_res
        return Location("unknown", "<unknown>", source=f"{prop} unknown during preview"), None
    text = str(value)
    m = _AWS_KMS_ARN.match(text)
    if m:
        return parse_location(m.group(1), "key ARN"), key_res
    if owner.package == "aws":
        return None, key_res
    m = re.search(r"locations/([^/]+)/keyRings/", text)
    if m:
        return parse_location(m.group(1), "key name"), key_res
    m = _AZURE_VAULT.search(text)
    if m:
        vault = _vault(view, m.group(1) or m.group(2))
        if vault is None and key_res is not None:
            vault = key_res
        if vault is not None:
            return view.location_of(vault), vault
        return Location("unrecognized", text, source=f"vault {m.group(1) or m.group(2)} is not in this stack"), None
    if key_res is not None:
        return view.location_of(key_res), key_res
    return Location("unrecognized", text, source="key reference"), None


def check_keys(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    rule, out = "residency-key-in-zone", []
    for r in view.resources:
        spec = ENCRYPTION_KEYS.get(r.type)
        if spec is None:
            continue
        subject = _subject(view, r, spec[0])
        zone = view.zone_of(subject).zone
        if zone is None or not zones.known(zone):
            continue
        for path in spec[1]:
            for value in dig(r.props, *path):
                loc, key_res = key_location(view, r, path[0], value)
                what = f"key {value if not is_unknown(value) else '<unknown>'} encrypting {_what(subject)} (zone {zone!r})"
                if loc is not None:
                    out += _judge(rule, r, zone, loc, zones, what)
                if key_res is not None:
                    kz = view.zone_of(key_res).zone
                    if kz is not None and kz not in (zone, GLOBAL_ZONE):
                        out.append(Finding(rule, r.urn, f"{what} belongs to zone {kz!r} ({key_res.name})"))
    return out


# ---- residency-replication-in-zone ------------------------------------------------------------

GEO_REDUNDANT_SKUS = ("Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS", "StandardV2_GRS",
                      "StandardV2_GZRS")
_S3_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([^/]+)$")
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def _s3_destination(view: StackView, owner: Res, source: Res, value) -> tuple[Optional[Res], Optional[str]]:
    """The destination bucket resource of a replication rule, or (None, its name)."""
    name = None
    if not is_unknown(value):
        m = _S3_ARN.match(str(value))
        name = m.group(1) if m else str(value)
        for b in view.resources:
            if b.type in BUCKET_TYPES and b is not source and (b.props.get("bucket") == name or b.props.get("arn") == value):
                return b, name
    deps = [d for d in view.deps_of(owner, "rules") + view.deps_of(owner, "replicationConfiguration")
            if d.type in BUCKET_TYPES and d is not source]
    if len(deps) == 1:
        return deps[0], name
    return None, name


def _check_s3_rules(view: StackView, zones: Zones, r: Res, source: Res, zone: str, rules) -> list[Finding]:
    rule, out = "residency-replication-in-zone", []
    for rr in rules:
        if is_unknown(rr) or not isinstance(rr, dict):
            continue
        dest = rr.get("destination") or {}
        if is_unknown(dest):
            out.append(Finding(rule, r.urn, f"replication destination of {_what(source)} is unknown during preview", True))
            continue
        value = dest.get("bucket")
        target, name = _s3_destination(view, r, source, value)
        what = f"replication of {_what(source)} (zone {zone!r}) to bucket {name or '<unknown>'}"
        if target is None:
            if is_unknown(value):
                out.append(Finding(rule, r.urn, f"{what}: destination unknown during preview", True))
            else:
                out.append(Finding(rule, r.urn, (
                    f"{what}: the destination bucket is not in this stack, so its region cannot be shown to lie "
                    f"in zone {zone!r} (fail closed)")))
        else:
            loc = view.location_of(target)
            if loc is not None:
                out += _judge(rule, r, zone, loc, zones, what)
            tz = view.zone_of(target).zone
            if tz is not None and tz != zone and loc is not None and zones.allows(zone, loc):
                out.append(Finding(rule, r.urn, f"{what}: the destination belongs to zone {tz!r}"))
        key = (dest.get("encryptionConfiguration") or {}).get("replicaKmsKeyId") \
            if isinstance(dest.get("encryptionConfiguration"), dict) else None
        if key is None:
            key = dest.get("replicaKmsKeyId")
        if key is not None:
            kloc, _ = key_location(view, r, "rules", key)
            if kloc is not None:
                out += _judge(rule, r, zone, kloc, zones, f"replica key {key} of {_what(source)}")
    return out


def check_replication(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    rule, out = "residency-replication-in-zone", []
    for r in view.resources:
        if r.type == "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
            source = _subject(view, r, "bucket")
            zone = view.zone_of(source).zone
            if zone and zones.known(zone):
                rules = r.props.get("rules")
                if is_unknown(rules):
                    out.append(Finding(rule, r.urn, f"replication rules of {_what(source)} unknown during preview", True))
                else:
                    out += _check_s3_rules(view, zones, r, source, zone, rules or [])
            continue
        zone = view.zone_of(r).zone
        if zone is None or not zones.known(zone):
            continue
        if r.type in BUCKET_TYPES:
            out += _check_s3_rules(view, zones, r, r, zone, dig(r.props, "replicationConfiguration", "rules"))
        elif r.type == "aws:dynamodb/table:Table":
            for region in dig(r.props, "replicas", "regionName"):
                out += _judge(rule, r, zone, parse_location(region, "replica"), zones, f"replica of {_what(r)}")
        elif r.type == "gcp:storage/bucket:Bucket":
            for loc in dig(r.props, "customPlacementConfig", "dataLocations"):
                out += _judge(rule, r, zone, parse_location(loc, "dual-region data location"), zones,
                              f"dual-region placement of {_what(r)}")
        elif r.type == "azure-native:storage:StorageAccount":
            sku = (r.props.get("sku") or {}).get("name") if isinstance(r.props.get("sku"), dict) else r.props.get("sku")
            if is_unknown(sku):
                out.append(Finding(rule, r.urn, f"sku of {_what(r)} unknown during preview", True))
                continue
            if sku not in GEO_REDUNDANT_SKUS:
                continue
            loc = view.location_of(r)
            if loc is None or loc.kind != "region":
                if loc is not None and loc.kind == "unknown":
                    out.append(Finding(rule, r.urn, f"{_what(r)} is {sku} but its location is unknown during preview", True))
                continue
            pair = REGIONS[loc.value][1].get("pair")
            what = f"{_what(r)} is geo-redundant ({sku}) in {loc.value}"
            if pair is None:
                out.append(Finding(rule, r.urn, f"{what}, which has no paired region in the catalog: its secondary "
                                                f"cannot be shown to lie in zone {zone!r}"))
            elif not zones.allowed_region(zone, pair):
                out.append(Finding(rule, r.urn, (
                    f"{what}: Azure replicates it to the paired region {pair} ({region_zone(pair)}), outside zone "
                    f"{zone!r}")))
    return out


# ---- DNS: residency-dns-in-zone ---------------------------------------------------------------

@dataclass(frozen=True)
class Owner:
    zone: Optional[str]
    cell: Optional[str]
    how: str
    unknown: bool = False


class Endpoints:
    """Who owns an endpoint a record answers with: a resource of the stack, a cell stack's
    exports (StackReference), the record's health check, or the region in a provider hostname."""

    def __init__(self, view: StackView):
        self.view = view
        self.values: dict[str, Owner] = {}
        self.cells: dict[str, str] = {}  # cell name -> zone
        for r in view.resources:
            if r.type.startswith("aws:route53/"):
                continue
            zone = view.zone_of(r).zone
            cell = view.cell_name(r)
            if cell and zone:
                self.cells.setdefault(cell, zone)
            candidates = [r.props.get(k) for k in ENDPOINT_PROPS]
            candidates += dig(r.props, "dnsSettings", "fqdn")
            for v in candidates:
                if isinstance(v, str) and v:
                    self.values.setdefault(norm_name(v), Owner(zone, cell, f"{_what(r)}"))
            if r.type == "pulumi:pulumi:StackReference":
                exports = r.props.get("outputs")
                for export in (exports.values() if isinstance(exports, dict) else []):
                    if isinstance(export, dict) and isinstance(export.get("residency"), str):
                        cell_name = export.get("name") if isinstance(export.get("name"), str) else None
                        if cell_name:
                            self.cells.setdefault(cell_name, export["residency"])
                        for k in ("endpoint_hostname", "endpoint_ip"):
                            if isinstance(export.get(k), str) and export[k]:
                                self.values.setdefault(norm_name(export[k]), Owner(
                                    export["residency"], cell_name, f"cell {cell_name} exported by stack {r.name}"))

    def _from_resources(self, res: list[Res], how: str) -> Optional[Owner]:
        owners = {(self.view.zone_of(d).zone, self.view.cell_name(d)) for d in res
                  if not d.type.startswith("aws:route53/") and self.view.zone_of(d).zone is not None}
        if len(owners) == 1:
            zone, cell = owners.pop()
            return Owner(zone, cell, how)
        return None

    def _health_check(self, leaf: Leaf) -> Optional[Owner]:
        rec = leaf.record
        for hc in self.view.deps_of(rec.res, "healthCheckId"):
            if hc.type != HEALTH_CHECK:
                continue
            tags = hc.props.get("tags")
            if isinstance(tags, dict) and isinstance(tags.get("residency"), str) and tags["residency"] != GLOBAL_ZONE:
                return Owner(tags["residency"], tags.get("cell"), f"health check {hc.name} tags")
            for k in ("fqdn", "ipAddress"):
                v = hc.props.get(k)
                if isinstance(v, str) and norm_name(v) in self.values:
                    return self.values[norm_name(v)]
                if isinstance(v, str) and region_in_hostname(v):
                    return Owner(region_zone(region_in_hostname(v)), None, f"health check {hc.name} target {v}")
        return None

    def owner(self, leaf: Leaf) -> Owner:
        t, rec = leaf.target, leaf.record
        if not is_unknown(t.value) and t.value is not None and norm_name(t.value) in self.values:
            return self.values[norm_name(t.value)]
        found = self._from_resources(self.view.deps_of(rec.res, t.prop), f"what {rec.res.name}.{t.prop} depends on")
        if found is None:
            found = self._health_check(leaf)
        if found is None and not is_unknown(t.value) and t.value is not None:
            region = region_in_hostname(str(t.value))
            if region:
                found = Owner(region_zone(region), None, f"region {region} in the hostname")
        if found is None and rec.set_id in self.cells:
            found = Owner(self.cells[rec.set_id], rec.set_id, f"set identifier {rec.set_id}")
        if found is not None:
            return found
        return Owner(None, None, "", unknown=is_unknown(t.value))


def _countries(cs: list[str]) -> str:
    shown = ", ".join(cs[:6])
    return f"{len(cs)} countries ({shown}{', ...' if len(cs) > 6 else ''})"


APPROVALS_HINT = ("approve it in the residency pack's config: an `exceptions` entry {zone, fallback_cell, reason, "
                  "approver, expires} (policy/residency/approvals.json, owned by the residency approvers in "
                  ".github/CODEOWNERS); the stack cannot approve itself")


def check_dns(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    return _dns(view, zones, today)[0]


def check_exceptions_in_use(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    """One finding per approved exception this stack's DNS relies on (reported, advisory)."""
    uses = _dns(view, zones, today)[1]
    out = []
    for e, (urns, paths) in uses.items():
        shown = "; ".join(sorted(paths)[:3]) + (" ..." if len(paths) > 3 else "")
        out.append(Finding("residency-exception-approved", sorted(urns)[0],
                           f"approved: zone {e.zone!r} may fall back to {e.fallback_cell!r} until "
                           f"{e.expires.isoformat()} (approved by {e.approver}; reason: {e.reason}) through {shown}"))
    return out


def _dns(view: StackView, zones: Zones, today: dt.date):
    rule, out = "residency-dns-in-zone", []
    uses: dict = {}  # approved exception -> (entry URNs, paths) it allows
    for e in zones.expired_exceptions(today):
        out.append(Finding(rule, "", f"{e.describe()} expired on {e.expires.isoformat()} and no longer applies; "
                                     "renew it (new expiry, approver) or remove it"))
    model = DnsModel.build(view)
    if not model.sets:
        return out, uses
    endpoints = Endpoints(view)
    candidate_zones = set(endpoints.cells.values()) | {o.zone for o in endpoints.values.values() if o.zone}
    strict = sorted(z for z in candidate_zones if zones.strict(z))
    active, expired = zones.active_exceptions(today), zones.expired_exceptions(today)
    for root in model.roots():
        for zone in strict:
            leaks: dict[tuple, list[str]] = {}
            blind: dict[tuple, Finding] = {}
            served = False
            for country in countries_of_zone(zone):
                for leaf in model.reach(root, country):
                    owner = endpoints.owner(leaf)
                    target = leaf.target.value if not is_unknown(leaf.target.value) else "<unknown>"
                    path = leaf.entry.label() + ("" if leaf.record is leaf.entry else f" -> {leaf.record.label()}")
                    if owner.unknown:
                        blind[(leaf.entry.res.urn, path)] = Finding(rule, leaf.entry.res.urn, (
                            f"cannot verify where {path} sends zone {zone!r} traffic: target unknown during preview"), True)
                        continue
                    if owner.zone == zone:
                        served = True
                        continue
                    names = {owner.cell, str(target), leaf.record.set_id, leaf.record.res.name} - {None}
                    approved = [e for e in active if e.zone == zone and e.fallback_cell in names]
                    if approved:
                        urns, paths = uses.setdefault(approved[0], (set(), set()))
                        urns.add(leaf.entry.res.urn)
                        paths.add(path)
                        continue
                    key = (leaf.entry.res.urn, path, owner.zone, owner.cell or str(target), owner.how)
                    leaks.setdefault(key, []).append(country)
            if not served:
                continue  # this name does not serve the zone at all: it is not the zone's route
            out += blind.values()
            for (urn, path, ozone, who, how), countries in leaks.items():
                late = [e for e in expired if e.zone == zone and e.fallback_cell == who]
                if ozone is None:
                    msg = (f"strict zone {zone!r}: {_countries(countries)} can be answered with {who} through {path}, "
                           f"and no cell or zone can be found for it (fail closed)")
                else:
                    msg = (f"strict zone {zone!r}: {_countries(countries)} can be answered with cell {who} of zone "
                           f"{ozone!r} ({how}) through {path}")
                if late:
                    msg += f"; {late[0].describe()} expired on {late[0].expires.isoformat()} and no longer applies"
                msg += f"; unapproved: if this fallback is intended, {APPROVALS_HINT}"
                out.append(Finding(rule, urn, msg))
    return out, uses


# ---- residency-no-global-tls-edge -------------------------------------------------------------

def _edge(r: Res) -> Optional[str]:
    p = r.props
    if r.type == "aws:cloudfront/distribution:Distribution":
        return "a CloudFront distribution terminates TLS at edge locations worldwide"
    if r.type in ("gcp:compute/targetHttpsProxy:TargetHttpsProxy", "gcp:compute/targetSSLProxy:TargetSSLProxy"):
        return "a global target proxy terminates TLS at Google front ends worldwide"
    if r.type == "gcp:compute/globalForwardingRule:GlobalForwardingRule":
        scheme = p.get("loadBalancingScheme")
        if scheme in (None, "EXTERNAL", "EXTERNAL_MANAGED"):
            return "a global external forwarding rule receives traffic at Google front ends worldwide"
    if r.type in ("azure-native:cdn:AFDEndpoint", "azure-native:frontdoor:FrontDoor"):
        return "Azure Front Door terminates TLS at edge locations worldwide"
    return None


def check_edges(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    rule, out = "residency-no-global-tls-edge", []
    endpoints = None
    for r in view.resources:
        why = _edge(r)
        if why is None:
            continue
        z = view.zone_of(r)
        if zones.strict(z.zone):
            out.append(Finding(rule, r.urn, f"{_what(r)} is in front of strict zone {z.zone!r} ({z.source}): {why}"))
            continue
        if r.type == "aws:cloudfront/distribution:Distribution":
            endpoints = endpoints or Endpoints(view)
            for origin in dig(r.props, "origins", "domainName"):
                if is_unknown(origin):
                    out.append(Finding(rule, r.urn, f"{_what(r)}: an origin is unknown during preview", True))
                    continue
                owner = endpoints.values.get(norm_name(origin))
                if owner is None and region_in_hostname(origin):
                    owner = Owner(region_zone(region_in_hostname(origin)), None, "region in the hostname")
                if owner is not None and zones.strict(owner.zone):
                    out.append(Finding(rule, r.urn, (
                        f"{_what(r)} fronts {origin} ({owner.how}) of strict zone {owner.zone!r}: {why}")))
    return out


# ---- residency-log-bucket-in-zone -------------------------------------------------------------

# Cloud Logging buckets hold log entries (client IPs, URLs, pod output): data, even though the
# location rule lets a `global` control-plane object pass. `_Default` and `_Required` are global
# unless the organization's default storage location says otherwise.
LOG_BUCKET_TYPES = ("gcp:logging/projectBucketConfig:ProjectBucketConfig",
                    "gcp:logging/folderBucketConfig:FolderBucketConfig",
                    "gcp:logging/organizationBucketConfig:OrganizationBucketConfig",
                    "gcp:logging/billingAccountBucketConfig:BillingAccountBucketConfig",
                    "gcp:logging/linkedDataset:LinkedDataset")
LOG_SINK_TYPES = ("gcp:logging/projectSink:ProjectSink", "gcp:logging/folderSink:FolderSink",
                  "gcp:logging/organizationSink:OrganizationSink", "gcp:logging/billingAccountSink:BillingAccountSink")
_LOG_BUCKET_DEST = re.compile(r"^logging\.googleapis\.com/.+/locations/([^/]+)/buckets/[^/]+$")


def check_log_buckets(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    rule, out = "residency-log-bucket-in-zone", []
    for r in view.resources:
        zone = view.zone_of(r).zone
        if r.type in LOG_BUCKET_TYPES:
            loc = view.location_of(r) or Location("global", "global", source="no location")
        elif r.type in LOG_SINK_TYPES:
            dest = r.props.get("destination")
            if is_unknown(dest):
                out.append(Finding(rule, r.urn, f"{_what(r)}: destination unknown during preview", True))
                continue
            m = _LOG_BUCKET_DEST.match(str(dest or ""))
            if not m:
                continue  # a GCS/BigQuery/Pub/Sub destination is judged where that resource lives
            loc = parse_location(m.group(1), "destination")
        else:
            continue
        if zone is None or not zones.known(zone):
            continue  # residency-zone-known reports it
        out += _judge(rule, r, zone, loc, zones, f"{_what(r)} (log storage, zone {zone!r})")
    return out


# ---- residency-logs-in-zone ------------------------------------------------------------------

WORKSPACE_TYPE = "azure-native:operationalinsights:Workspace"
# Where a resource names the Log Analytics workspace its logs (audit, firewall, access) go to.
LOG_DESTINATIONS: dict[str, list[tuple[str, ...]]] = {
    "azure-native:monitor:DiagnosticSetting": [("workspaceId",)],
    "azure-native:containerservice:ManagedCluster": [
        ("addonProfiles", "omsagent", "config", "logAnalyticsWorkspaceResourceID"),
        ("securityProfile", "defender", "logAnalyticsWorkspaceResourceId")],
}


def _workspace(view: StackView, owner: Res, prop: str, value) -> Optional[Res]:
    """The workspace resource a destination names: through the property's dependency (ids are unknown
    in preview), else by the workspace's name at the end of a known resource id."""
    for urn in owner.prop_deps.get(prop, []):
        dep = view.by_urn.get(urn)
        if dep is not None and dep.type == WORKSPACE_TYPE:
            return dep
    if isinstance(value, str) and not is_unknown(value):
        name = value.rstrip("/").rsplit("/", 1)[-1].lower()
        for r in view.resources:
            if r.type == WORKSPACE_TYPE and str(r.props.get("workspaceName") or "").lower() == name:
                return r
    return None


def check_logs(view: StackView, zones: Zones, today: dt.date) -> list[Finding]:
    """Logs are data: a diagnostic setting (or AKS's monitoring add-on / Defender) sends them to a
    Log Analytics workspace that must lie in the sender's zone."""
    rule, out = "residency-logs-in-zone", []
    for r in view.resources:
        paths = LOG_DESTINATIONS.get(r.type)
        if not paths:
            continue
        zone = view.zone_of(r).zone
        if zone is None or not zones.known(zone):
            continue  # residency-zone-known reports it
        for path in paths:
            for value in dig(r.props, *path):
                ws = _workspace(view, r, path[0], value)
                what = f"{_what(r)} (zone {zone!r}) sends {'.'.join(path)} to"
                if ws is None:
                    if is_unknown(value):
                        out.append(Finding(rule, r.urn, f"{what} a workspace unknown during preview", True))
                    else:
                        out.append(Finding(rule, r.urn, (
                            f"{what} workspace {value!r}, which is not in this stack: its location cannot be "
                            f"shown to lie in zone {zone!r} (fail closed)")))
                    continue
                loc = view.location_of(ws)
                if loc is None:
                    out.append(Finding(rule, r.urn, f"{what} workspace {ws.name!r}, which has no location", True))
                    continue
                out += _judge(rule, r, zone, loc, zones, f"{what} workspace {ws.name!r}")
    return out


# ---- the rule table ----------------------------------------------------------------------------

RULES = [
    Rule("residency-zone-known",
         "Every location-bearing resource has a residency zone: its own residency label or its nearest ancestor's.",
         "Create the resource inside a cell (its labels are inherited) or set its `residency` tag/label to a known zone.",
         False, check_zone_known),
    Rule("residency-location-in-zone",
         "Every location-bearing resource lies in an allowed region of its residency zone.",
         "Move the resource to a region of its zone (see the allowed regions in the message) or fix its residency label.",
         True, check_location),
    Rule("residency-key-in-zone",
         "The key that encrypts a bucket, disk or cluster lies in the resource's residency zone.",
         "Use the cell's own key (created in the cell's region), never a key of another region or zone.",
         True, check_keys),
    Rule("residency-replication-in-zone",
         "Replication stays in the zone: S3 replication destinations, GCS dual-region placement, Azure geo-redundant pairs.",
         "Replicate to a bucket of the same zone, place dual-regions inside the zone, or use LRS/ZRS where the Azure "
         "pair leaves the zone.",
         True, check_replication),
    Rule("residency-dns-in-zone",
         "DNS failover and geolocation never send a strict zone's countries to another zone's cell, Route 53 fallback included.",
         "Point a strict zone's countries at a record set that contains only that zone's cells, and do not evaluate its "
         "health at the geolocation level; or configure an exception (zone, fallback_cell, reason, approver, expires).",
         True, check_dns),
    Rule("residency-telemetry-in-zone",
         "Every metrics workspace, log bucket and log sink lies in its cell's zone, unless it is the declared global "
         "dashboard data source.",
         "Create the workspace, log group or log bucket in the cell's region (never 'global'), and route sinks to "
         "a bucket of the zone; tag the one global dashboard data source `telemetry: global-dashboard`.",
         True, lambda view, zones, today: telemetry.check_telemetry(view, zones, today, _judge)),
    Rule("residency-no-global-tls-edge",
         "No global edge (CloudFront, GCP global external HTTPS LB, Front Door) terminates TLS in front of a strict zone.",
         "Use the cell's regional load balancer (TLS ends in-region) and point DNS at it.",
         True, check_edges),
    Rule("residency-log-bucket-in-zone",
         "Cloud Logging buckets, and the log buckets sinks route to, lie in the residency zone (never `global`).",
         "Route the cell's logs to a regional log bucket (ProjectBucketConfig with the cell's region) and exclude them "
         "from the global `_Default` sink.",
         True, check_log_buckets),
    Rule("residency-logs-in-zone",
         "Diagnostic settings and AKS monitoring send a cell's logs (audit, firewall, access) only to a Log Analytics "
         "workspace in the cell's residency zone.",
         "Send the logs to the cell's own workspace (created in the cell's region), never to a workspace of another "
         "region or zone or outside the stack.",
         True, check_logs),
]

# Issue #21, its own module: the edge guard of every internet-facing load balancer of a cell.
from edge_guard import check_edge_guard  # noqa: E402

RULES.append(Rule(
    "residency-edge-guard",
    "Every internet-facing load balancer of a cell refuses, at its edge (WAF geo rule), the countries of every other "
    "strict zone served, so residency holds when DNS is bypassed; no guard refuses its own zone's countries.",
    "Attach the cell's edge guard (AWS WAFv2 web ACL, GCP Cloud Armor policy, Azure WAF policy GeoMatch rule) with "
    "the refused countries from the routing plan; list other stacks' zones in the pack config's served_zones.",
    True, lambda view, zones, today: check_edge_guard(view, zones, today, zones.served)))
