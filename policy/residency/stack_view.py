"""The stack as the residency rules see it: plain properties, zones and locations.

Built once per AnalyzeStack call from `StackValidationArgs.resources`. Per-resource Analyze
only sees the resource itself (no parent, no other resource), so every residency decision is
taken here, where the zone of an unlabelled resource can come from its ancestors.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any, Iterable, Optional

from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE, UNKNOWN_ARCHIVE_VALUE, \
    UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

import cloud_facts
from zones import (GLOBAL_ZONE, LOCATED_TYPES, REGIONS, UNKNOWN, UNLOCATED_TYPES, Location, is_unknown,
                   parse_location)

_UNKNOWN_SENTINELS = frozenset({UNKNOWN_STRING_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_ARRAY_VALUE,
                                UNKNOWN_ASSET_VALUE, UNKNOWN_ARCHIVE_VALUE, UNKNOWN_OBJECT_VALUE})

# Per-cloud tables come from the cloud plugins (cloud_facts.py, generated): data-bearing types
# must belong to a real residency zone, never to `global`, and never live in a `global` location.
DATA_TYPES = cloud_facts.DATA_TYPES
CLUSTER_TYPES = cloud_facts.CLUSTER_TYPES


# Properties that name a cell's public endpoint (DNS targets are matched against them).
ENDPOINT_PROPS = ("dnsName", "ipAddress", "address", "fqdn", "hostname", "domainName", "endpoint")


def plain(value: Any) -> Any:
    """pulumi_policy's unknown-checking proxies -> plain data, unknowns as `UNKNOWN`.

    The proxies raise on the first unknown value they meet, which would abort a whole stack
    policy; the rules want to report "cannot verify" for exactly the values that are unknown."""
    if type(value).__name__ in ("_DictProxy", "_ListProxy"):
        value = value["__target"]  # the proxies' own escape hatch (pulumi_policy.proxy)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str) and value in _UNKNOWN_SENTINELS:
        return UNKNOWN
    return value


def dig(props: Any, *path: str) -> Any:
    """props[a][b]... with lists fanned out: returns a list of every value found (UNKNOWN included)."""
    values = [props]
    for key in path:
        nxt = []
        for v in values:
            if is_unknown(v):
                nxt.append(UNKNOWN)
            elif isinstance(v, dict) and key in v and v[key] is not None:
                item = v[key]
                nxt.extend(item if isinstance(item, list) else [item])
        values = nxt
    return values


@dataclass
class Res:
    urn: str
    type: str
    name: str
    props: dict
    parent_urn: Optional[str]
    provider_urn: Optional[str]
    provider_type: Optional[str]
    provider_props: dict
    deps: list[str]
    prop_deps: dict[str, list[str]]
    parent: Optional["Res"] = None
    children: list["Res"] = field(default_factory=list)

    @property
    def package(self) -> str:
        return self.type.split(":", 1)[0]

    @property
    def is_component(self) -> bool:
        """Groups others or lives nowhere (this project's components; local resources such as a TLS
        key): judged by what is in it. An unknown package is not one: it fails closed."""
        return cloud_facts.kind(self.package) in ("component", "local")

    def ancestors(self) -> Iterable["Res"]:
        cur = self.parent
        while cur is not None:
            yield cur
            cur = cur.parent


def _at(props: Any, path: str) -> Any:
    cur = props
    for part in path.split("."):
        if is_unknown(cur) or not isinstance(cur, dict):
            return cur if is_unknown(cur) else None
        cur = cur.get(part)
    return cur


def _own_labels(r: Res) -> Any:
    """The label map of a resource per the labelling rule, or None (UNKNOWN if unknown)."""
    p = r.props
    props = cloud_facts.LABEL_PROPS_BY_TYPE.get(r.type)
    if props is None:
        facts = cloud_facts.cloud(r.package)
        props = facts["label_properties"] if facts else None
    if props is not None:
        # The first of the cloud's label properties the resource sets (a GKE cluster: resourceLabels).
        # A dotted property (Cloud SQL's settings.userLabels) is followed into its object.
        return next((v for k in props if (v := _at(p, k)) is not None), None)
    if cloud_facts.kind(r.package) == "cluster":
        meta = p.get("metadata")
        return meta.get("labels") if isinstance(meta, dict) else meta
    return None


@dataclass(frozen=True)
class ZoneOf:
    zone: Optional[str]  # None: undecidable
    source: str  # where it came from, for messages
    unknown: bool = False  # undecidable only because a label is unknown at preview


class StackView:
    _last: Optional[tuple] = None  # (key, the objects its identities name, view)

    @classmethod
    def of(cls, resources: Iterable[Any]) -> "StackView":
        """The view of `resources`, shared by every policy of one AnalyzeStack call.

        The pack's analyzer (residency_rules/server.py) gives every stack policy of a call the same
        properties object for the same resource, so the 15 policies would build 15 equal views; the
        view depends on the resources alone (not on a policy's config) and the rules only read it.
        The key is the identity of each resource's properties (with its URN and type): one object is
        one resource of one request, whose parent, provider and dependencies come with it. The keyed
        objects are held with the view, so an identity seen again is the same object; anything else
        (the stock analyzer, the next call) builds a new view."""
        resources = list(resources)
        held = [r.props for r in resources]
        key = tuple((r.urn, r.resource_type, id(p)) for r, p in zip(resources, held))
        last = cls._last
        if last is not None and last[0] == key:
            return last[2]
        view = cls(resources)
        cls._last = (key, held, view)
        return view

    def __init__(self, resources: Iterable[Any]):
        self.resources: list[Res] = []
        for r in resources:
            prov = r.provider
            self.resources.append(Res(
                urn=r.urn, type=r.resource_type, name=r.name, props=plain(r.props) or {},
                parent_urn=r.parent.urn if r.parent is not None else None,
                provider_urn=prov.urn if prov is not None else None,
                provider_type=prov.resource_type if prov is not None else None,
                provider_props=plain(prov.props) if prov is not None else {},
                deps=[d.urn for d in r.dependencies],
                prop_deps={k: [d.urn for d in v] for k, v in r.property_dependencies.items()},
            ))
        self.by_urn = {r.urn: r for r in self.resources}
        # The stack under judgement, from the URNs the engine assigns (urn:pulumi:<stack>::<project>::...):
        # not something a resource's author names.
        self.stack: Optional[str] = next((r.urn.split("::", 1)[0].split(":", 2)[2] for r in self.resources
                                          if r.urn.startswith("urn:pulumi:") and "::" in r.urn), None)
        for r in self.resources:
            r.parent = self.by_urn.get(r.parent_urn) if r.parent_urn else None
            if r.parent is not None:
                r.parent.children.append(r)
        self._zone_cache: dict[str, ZoneOf] = {}
        self._loc_cache: dict[str, Optional[Location]] = {}

    # ---- zones -------------------------------------------------------------------------------

    def label_zone(self, r: Res) -> ZoneOf | None:
        """The zone a resource states itself: its `residency` label (or, for a component, a
        `residency` property/output such as a cell's contract). None when it states none."""
        if r.is_component:
            z = r.props.get("residency")
            if isinstance(z, str) and z:
                return ZoneOf(z, f"{r.name} (component residency)")
            return None
        labels = _own_labels(r)
        # A residency declaration is configuration: one computed at preview cannot be reviewed, so it is
        # not taken on trust (fail closed), unlike other unknown values, which only defer a decision.
        if is_unknown(labels):
            return ZoneOf(None, f"the labels of {r.name} are computed (unknown at preview); a residency label "
                                "must be a known value from config")
        if isinstance(labels, dict):
            z = labels.get("residency")
            if is_unknown(z):
                return ZoneOf(None, f"the residency label of {r.name} is computed (unknown at preview); it must be "
                                    "a known value from config")
            if isinstance(z, str) and z:
                return ZoneOf(z, "its residency label")
        return None

    def _consensus(self, comp: Res) -> Optional[str]:
        """A component without a stated zone takes the one zone its labelled descendants agree on
        (the cell's transformation labels every labelable child with the cell's residency)."""
        zones = set()
        stack = list(comp.children)
        while stack:
            c = stack.pop()
            z = self.label_zone(c) if not c.is_component else None
            if z is not None and z.zone is not None:
                zones.add(z.zone)
            stack.extend(c.children)
        if len(zones) > 1:
            zones.discard(GLOBAL_ZONE)
        return zones.pop() if len(zones) == 1 else None

    def zone_of(self, r: Res) -> ZoneOf:
        if r.urn in self._zone_cache:
            return self._zone_cache[r.urn]
        result = self.label_zone(r)
        if result is None:
            result = ZoneOf(None, "no residency label on it or any ancestor")
            for a in r.ancestors():
                if a.type == "pulumi:pulumi:Stack":
                    break
                z = self.label_zone(a)
                if z is None and a.is_component:
                    c = self._consensus(a)
                    if c:
                        z = ZoneOf(c, f"ancestor {a.name} (the zone its labelled resources share)")
                elif z is not None and z.zone is not None:
                    z = ZoneOf(z.zone, f"ancestor {a.name}")
                if z is not None:
                    result = z
                    break
        if result.zone is None and not result.unknown:
            attached = self._attached_zone(r)
            if attached is not None:
                result = attached
        self._zone_cache[r.urn] = result
        return result

    def _attached_zone(self, r: Res) -> ZoneOf | None:
        """A resource that cannot carry a label (bucket policy, key ring, SSL policy, subscription filter)
        belongs to the zone of the labelled resources its inputs refer to, when they agree on one."""
        zones: dict[str, str] = {}
        for prop, urns in r.prop_deps.items():
            for urn in urns:
                dep = self.by_urn.get(urn)
                if dep is None or dep.type.startswith("pulumi:") or dep.is_component:
                    continue
                z = self.label_zone(dep)
                if z is not None and z.zone is not None:
                    zones.setdefault(z.zone, f"{dep.name}, which its {prop} refers to")
        if not zones:
            # Nothing it refers to is labelled: a container that cannot carry a label (a key ring) takes the
            # zone of the labelled resources that refer to it, when they agree.
            for other in self.resources:
                if any(r.urn in urns for urns in other.prop_deps.values()) and not other.is_component:
                    z = self.label_zone(other)
                    if z is not None and z.zone is not None:
                        zones.setdefault(z.zone, f"{other.name}, which refers to it")
        if len(zones) > 1:
            zones.pop(GLOBAL_ZONE, None)
        if len(zones) == 1:
            zone, how = zones.popitem()
            return ZoneOf(zone, how)
        return None

    # ---- locations ---------------------------------------------------------------------------

    def location_of(self, r: Res) -> Optional[Location]:
        """Where a resource lives, or None when it is not location-bearing (global services,
        components, providers): those are judged by what they point at, not by where they live."""
        if r.urn not in self._loc_cache:
            self._loc_cache[r.urn] = None  # cycle guard
            self._loc_cache[r.urn] = self._locate(r)
        return self._loc_cache[r.urn]

    def _provider_value(self, r: Res, key: str) -> Any:
        if r.provider_urn is None:
            return None
        return r.provider_props.get(key)

    def _locate(self, r: Res) -> Optional[Location]:
        if r.type.startswith("pulumi:") or r.is_component:
            # Components group; local resources (a TLS key pair, a time.Sleep, an ACME account) live in
            # the state or at the CA, in no cloud region (a certificate's copy in a vault is a vault
            # secret, placed with its vault).
            return None
        if cloud_facts.kind(r.package) == "cluster":
            return self._locate_cluster_object(r)
        facts = cloud_facts.cloud(r.package)
        if facts is None:
            return Location("unrecognized", f"<package {r.package}>",
                            source=f"package {r.package!r} is no cloud plugin's: where it lives is unknown")
        locator = _LOCATORS.get(facts["location"]["locator"])
        if locator is None:
            return Location("unrecognized", f"<package {r.package}>",
                            source=f"the pack has no locator {facts['location']['locator']!r} for {r.package!r}")
        if r.type not in LOCATED_TYPES.get(r.package, ()) and r.type not in UNLOCATED_TYPES.get(r.package, ()):
            # Not in the provider schema the pack was built from (a newer provider, a misspelt token):
            # whether and where it is placed is unknown.
            return Location("unrecognized", f"<type {r.type}>",
                            source="a type the pack's location index (locations.json) does not know")
        return locator(self, r, facts)

    def _locate_aws(self, r: Res, facts: dict) -> Optional[Location]:
        p = r.props
        # IAM, Route 53, CloudFront...: global services, no region input (provider schema).
        if r.type in UNLOCATED_TYPES[r.package]:
            return None
        if p.get("region") is not None:
            return parse_location(p["region"], "region")
        if r.provider_urn is None:
            return Location("unknown", "<no provider>", source="no provider region was sent")
        return parse_location(self._provider_value(r, "region") or UNKNOWN, "provider region")

    def _locate_gcp(self, r: Res, facts: dict) -> Optional[Location]:
        p = r.props
        if r.type == "gcp:kms/cryptoKey:CryptoKey":
            return self._gcp_key_location(p.get("keyRing"), r, "keyRing")
        for key in ("location", "region", "zone"):
            if p.get(key) is not None:
                return parse_location(p[key], key)
        if r.type not in LOCATED_TYPES[r.package]:
            return None  # global GCP resource (network, firewall, service account, IAM)
        value = self._provider_value(r, "region") or self._provider_value(r, "zone")
        if r.provider_urn is None:
            return Location("unknown", "<no provider>", source="no provider region was sent")
        return parse_location(value or UNKNOWN, "provider region")

    def _locate_azure(self, r: Res, facts: dict) -> Optional[Location]:
        p = r.props
        if r.type.split(":")[1] == "authorization":
            return None  # role assignments/definitions: IAM, judged by what they grant on, not placed
        if p.get("location") is not None:
            return parse_location(p["location"], "location")
        if r.type not in LOCATED_TYPES[r.package]:
            # A child resource (vault key, blob container) lives where its parent does.
            for prop, urns in r.prop_deps.items():
                if prop == "resourceGroupName":
                    continue
                for urn in urns:
                    dep = self.by_urn.get(urn)
                    if dep is not None and dep.package in facts["packages"]:
                        loc = self.location_of(dep)
                        if loc is not None:
                            return Location(loc.kind, loc.value, loc.regions, f"its parent {dep.name}")
            return None
        for urn in r.prop_deps.get("resourceGroupName", []):
            rg = self.by_urn.get(urn)
            if rg is not None and rg.props.get("location") is not None:
                return parse_location(rg.props["location"], f"resource group {rg.name}")
        if r.provider_urn is None:
            return Location("unknown", "<no provider>", source="no provider location was sent")
        return parse_location(self._provider_value(r, "location") or UNKNOWN, "provider location")

    def _locate_cluster_object(self, r: Res) -> Optional[Location]:
        # A Kubernetes object lives on the cluster its provider targets.
        if r.type.count(":") != 2 or "/" not in r.type.split(":")[1]:
            return None
        cluster = self.cluster_of_provider(r.provider_urn)
        if cluster is None:
            return None
        loc = self.location_of(cluster)
        return Location(loc.kind, loc.value, loc.regions, f"cluster {cluster.name}") if loc else None

    def cluster_of_provider(self, provider_urn: Optional[str]) -> Optional[Res]:
        prov = self.by_urn.get(provider_urn or "")
        if prov is None:
            return None
        urns = [u for us in prov.prop_deps.values() for u in us] + prov.deps
        for urn in urns:
            dep = self.by_urn.get(urn)
            if dep is not None and dep.type in CLUSTER_TYPES:
                return dep
        return None

    def _gcp_key_location(self, value: Any, r: Res, source: str) -> Location:
        if is_unknown(value):
            # The key ring is in this stack: its location is known even if its id is not.
            for urn in r.prop_deps.get(source, []):
                dep = self.by_urn.get(urn)
                if dep is not None and dep.type == "gcp:kms/keyRing:KeyRing":
                    return self.location_of(dep) or Location("unknown", "<unknown>", source=source)
            return Location("unknown", "<unknown>", source=source)
        m = re.search(r"locations/([^/]+)", str(value))
        if m:
            return parse_location(m.group(1), source)
        return Location("unrecognized", str(value), source=source)

    # ---- helpers -----------------------------------------------------------------------------

    def deps_of(self, r: Res, prop: str) -> list[Res]:
        return [self.by_urn[u] for u in r.prop_deps.get(prop, []) if u in self.by_urn]

    def cell_name(self, r: Res) -> Optional[str]:
        for x in (r, *r.ancestors()):
            labels = _own_labels(x) if not x.is_component else None
            if isinstance(labels, dict) and isinstance(labels.get("cell"), str):
                return labels["cell"]
            if x.is_component and x.props.get("cell"):
                return str(x.props["cell"])
        return None


def what(r: Res) -> str:
    """How a finding names a resource: its type's last segment and its name."""
    return f"{r.type.split(':')[-1]} {r.name!r}"


def region_in_hostname(host: str) -> Optional[str]:
    """The catalog region a provider-generated hostname names (`x.eu-central-1.elb.amazonaws.com`,
    `x.centralindia.cloudapp.azure.com`), if any."""
    for label in str(host).lower().split("."):
        if label in REGIONS:
            return label
    return None


# The locator a cloud's facts name -> how the pack reads that placement (named by the id shapes it reads:
# `region` inputs and ARNs; self links, key rings and zones; ARM ids, resource groups and parents).
_LOCATORS = {"arn-region": StackView._locate_aws, "self-link": StackView._locate_gcp,
             "arm-id": StackView._locate_azure}
