"""Cross-cloud apply rules (Kubernetes labels, global namespaces, deployer reach, DNS delegation), and
the walks several clouds' rules share (a wait for a grant to propagate)."""
from __future__ import annotations

import ipaddress
import re
from typing import Callable, Iterable

from . import Graph, known, rule

_K8S_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_K8S_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _k8s_label_problem(k: str, v) -> str | None:
    prefix, _, name = k.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS1123_SUB.match(prefix)):
        return f"label key prefix {prefix!r}: a DNS subdomain (253)"
    if len(name) > 63 or not _K8S_NAME.match(name):
        return f"label key name {name!r}: 63 chars of [A-Za-z0-9-_.], alphanumeric at both ends"
    if known(v) and (len(str(v)) > 63 or not _K8S_VALUE.match(str(v))):
        return f"label {k}={v!r}: values are empty or 63 chars of [A-Za-z0-9-_.], alphanumeric at both ends"
    return None


@rule("k8s-label-syntax",
      "Kubernetes label keys and values: 63 chars of [A-Za-z0-9-_.], alphanumeric at both ends",
      "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set")
def k8s_labels(g: Graph):
    for r in g.resources:
        if not r["type"].startswith("kubernetes:") or r["type"].startswith("kubernetes:helm"):
            continue
        inputs = r["inputs"] or {}
        metas = [inputs.get("metadata") or {}, ((inputs.get("spec") or {}).get("template") or {}).get("metadata") or {}]
        for meta in metas:
            for k, v in (meta.get("labels") or {}).items() if isinstance(meta, dict) else ():
                problem = _k8s_label_problem(k, v)
                if problem:
                    yield r["urn"], problem


# Types whose name lives in a global namespace: (input path, namespace).
GLOBAL_NAMES = {
    "aws:s3/bucket:Bucket": (("bucket",), "S3 bucket names (global across all AWS accounts)"),
    "aws:s3/bucketV2:BucketV2": (("bucket",), "S3 bucket names (global across all AWS accounts)"),
    "gcp:storage/bucket:Bucket": (("name",), "GCS bucket names (global)"),
    "azure-native:storage:StorageAccount": (("accountName",), "storage account names (<name>.blob.core.windows.net)"),
    "azure-native:keyvault:Vault": (("vaultName",), "key vault names (<name>.vault.azure.net; kept 90 days after delete)"),
    "azure-native:network:PublicIPAddress": (("dnsSettings", "domainNameLabel"),
                                             "public IP DNS labels (<label>.<region>.cloudapp.azure.com)"),
}
_DIGEST = re.compile(r"[0-9a-f]{6,}")


def _get(d, path):
    for p in path:
        d = d.get(p) if isinstance(d, dict) else None
    return d


def _cloud_rules() -> list:
    """Every cloud's apply module (its plugin's `apply_module`): some say what makes a name their own."""
    from .. import clouds

    return clouds.load("apply_module")


def stack_tokens(g: Graph) -> list[str]:
    """Values that differ between stacks of the project: a fixed global name must carry one (the stack, its
    environment, and the config keys a cloud names, `STACK_CONFIG_TOKENS`: GCP's project)."""
    toks = [g.stack, g.environment, *(g.cfg(k) for m in _cloud_rules() for k in getattr(m, "STACK_CONFIG_TOKENS", ()))]
    return [t.lower() for t in toks if isinstance(t, str) and t]


def global_names(g: Graph) -> list[tuple[dict, str, str]]:
    """(resource, fixed name, namespace) of every explicitly named resource in a global namespace."""
    out = []
    for type_, (path, namespace) in GLOBAL_NAMES.items():
        for r in g.of_type(type_):
            name = _get(r["inputs"] or {}, path)
            if known(name) and isinstance(name, str):
                out.append((r, name, namespace))
    return out


# pulumi_random resources whose value is a fresh draw kept in each stack's own state
# (https://www.pulumi.com/registry/packages/random/): a name carrying one differs per stack. RandomInteger
# and RandomShuffle are left out: their values come from a range or a list the program gives, which
# every stack may share (a shuffle of one item, an integer in 1..3).
PER_STACK_DRAWS = ("random:index/randomPet:RandomPet", "random:index/randomId:RandomId",
                   "random:index/randomString:RandomString", "random:index/randomUuid:RandomUuid",
                   "random:index/randomBytes:RandomBytes", "random:index/randomPassword:RandomPassword")


def _drawn_values(r: dict) -> set[str]:
    """Every string a random resource drew (its id and string outputs), lower-cased."""
    out = {str(r.get("id") or "")}
    out |= {v for v in (r.get("outputs") or {}).values() if isinstance(v, str)}
    inputs = r.get("inputs") or {}
    # What the program gave (a prefix, a separator) is not the draw.
    return {v.lower() for v in out if v and known(v) and v not in inputs.values() and len(v) >= 4}


def carries_per_stack_draw(g: Graph, r: dict, path: tuple[str, ...], name: str) -> bool:
    """The name input came from a per-stack random resource (the graph: a resource the input depends
    on is a random draw) and contains the value it drew."""
    deps = (r.get("propertyDependencies") or {}).get(path[0])
    deps = deps if deps is not None else r.get("dependencies") or []
    low = name.lower()
    return any(g.by_urn[u]["type"] in PER_STACK_DRAWS and any(v in low for v in _drawn_values(g.by_urn[u]))
               for u in deps if u in g.by_urn)


@rule("global-name-fixed",
      "Fixed names in global namespaces carry the stack/environment/project (or a digest of them)",
      "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html")
def fixed_global_names(g: Graph):
    toks = stack_tokens(g)
    for r, name, namespace in global_names(g):
        low = name.lower()
        if any(t in low or re.sub(r"[^a-z0-9]", "", t) in low for t in toks) or _DIGEST.search(low):
            continue
        # A name carrying the id of a globally unique scope the resource lives in (a cloud's `own_scope`:
        # a GCP resource's own project) is unique too.
        own = next((v for m in _cloud_rules() if hasattr(m, "own_scope") for v in [m.own_scope(r)] if v), None)
        if known(own) and isinstance(own, str) and own and own.lower() in low:
            continue
        if carries_per_stack_draw(g, r, GLOBAL_NAMES[r["type"]][0], name):
            continue
        yield r["urn"], (f"{name!r} is one of the {namespace} and does not vary with the stack "
                         f"(no {', '.join(toks)} nor a digest in it): every stack of the project asks for the "
                         f"same name and the second apply fails (already taken); derive it from the environment")


def collisions(graphs: list[Graph]) -> list[tuple[str, str, str]]:
    """Across stacks: (stack, urn, message) for every global name two stacks both ask for."""
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    out = []
    for g in graphs:
        for r, name, namespace in global_names(g):
            key = (namespace, name.lower())
            if key in seen and seen[key][0] != g.stack:
                out.append((g.stack, r["urn"], f"{name!r} ({namespace}) is also asked for by stack "
                                               f"{seen[key][0]!r} ({seen[key][1].split('::')[-1]})"))
            seen.setdefault(key, (g.stack, r["urn"]))
    return out


# ---------------------------------------------------------------------------------------------
# Deployer reach: Kubernetes objects go through the cluster's API endpoint.

DOC_RANGES = [ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")]
CLUSTERS = ("aws:eks/cluster:Cluster", "gcp:container/cluster:Cluster", "azure-native:containerservice:ManagedCluster")


def _api_access(r: dict) -> tuple[bool, list[str]]:
    """(private only, allowed CIDRs or ['0.0.0.0/0'] when open) of a cluster's API endpoint."""
    i = r["inputs"] or {}
    if r["type"] == CLUSTERS[0]:
        vpc = i.get("vpcConfig") or {}
        if vpc.get("endpointPublicAccess") is False:
            return True, []
        return False, list(vpc.get("publicAccessCidrs") or ["0.0.0.0/0"])
    if r["type"] == CLUSTERS[1]:
        if (i.get("privateClusterConfig") or {}).get("enablePrivateEndpoint"):
            return True, []
        blocks = (i.get("masterAuthorizedNetworksConfig") or {}).get("cidrBlocks")
        return False, [b.get("cidrBlock") for b in blocks] if blocks else ["0.0.0.0/0"]
    prof = i.get("apiServerAccessProfile") or {}
    if prof.get("enablePrivateCluster"):
        return True, []
    return False, list(prof.get("authorizedIPRanges") or ["0.0.0.0/0"])


def _doc_only(cidrs: list[str]) -> bool:
    nets = []
    for c in cidrs:
        try:
            nets.append(ipaddress.ip_network(str(c), strict=False))
        except ValueError:
            return False
    return bool(nets) and all(any(n.subnet_of(d) for d in DOC_RANGES) for n in nets if n.version == 4)


def _deployer_reaches(deployer: dict, cidrs: list[str]) -> bool:
    try:
        mine = [ipaddress.ip_network(c, strict=False) for c in deployer.get("cidrs") or []]
        allowed = [ipaddress.ip_network(c, strict=False) for c in cidrs]
    except ValueError:
        return False
    return bool(mine) and all(any(m.version == a.version and m.subnet_of(a) for a in allowed) for m in mine)


@rule("k8s-api-unreachable",
      "Kubernetes objects need a cluster API endpoint the deployer can reach (platform:deployer)",
      "https://kubernetes.io/docs/concepts/security/controlling-access/",
      fix="set platform:deployer.cidrs to the runner's egress CIDRs (or platform:deployer.in_network: true for a "
          "runner inside the cell's network)")
def k8s_reach(g: Graph):
    deployer = g.cfg("platform:deployer")
    clusters = {r["urn"]: r for r in g.of_type(*CLUSTERS)}
    for p in g.of_type("pulumi:providers:kubernetes"):
        behind = [clusters[u] for u in sorted(g.deps(p["urn"])) if u in clusters]
        users = [r for r in g.resources if r["type"].startswith("kubernetes:")
                 and (r.get("provider") or "").split("::" + (r.get("id") or "-"))[0].startswith(p["urn"])]
        if not behind or not users:
            continue
        for c in behind:
            finding = _reach_problem(deployer, c)
            if finding:
                message, level = finding
                yield p["urn"], f"{len(users)} Kubernetes object(s) go through cluster {c['name']}, but {message}", level


def _reach_problem(deployer, cluster: dict):
    """(message, level) when the deployer cannot (or may not) reach `cluster`'s API, else None."""
    private, cidrs = _api_access(cluster)
    if isinstance(deployer, dict) and deployer.get("in_network") is True:
        return None  # the runner sits in the cluster's network (private endpoint or not)
    if not private and "0.0.0.0/0" in cidrs:
        return None
    if not private and isinstance(deployer, dict) and _deployer_reaches(deployer, cidrs):
        return None
    why = ("its API endpoint is private only" if private else
           f"its API allow-list {cidrs} holds only documentation ranges (RFC 5737)" if _doc_only(cidrs)
           else f"its API allow-list {cidrs} does not cover the deployer")
    if deployer is None:
        level = "error" if private or _doc_only(cidrs) else "warning"
        return (f"{why}; the deployer is unknown: set platform:deployer (cidrs, or in_network: true for a "
                f"runner inside the network), else the apply hangs until it times out", level)
    return (f"{why} (platform:deployer.cidrs {deployer.get('cidrs') if isinstance(deployer, dict) else deployer}): "
            f"the apply hangs until it times out; allow the deployer's cidrs or set "
            f"platform:deployer.in_network: true", "error")


# ---------------------------------------------------------------------------------------------
# DNS delegation: certificates validated in a created zone need the zone to be resolvable.

def _zone_refs(g: Graph, zone: dict) -> set[str]:
    outs = zone.get("outputs") or {}
    return {v for v in (outs.get("zoneId"), outs.get("id"), zone.get("id")) if known(v)}


@rule("dns-zone-undelegated",
      "A created Route 53 zone holding certificate validation records is delegated (NS in a parent zone)",
      "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/CreatingNewSubdomain.html",
      fix="set platform:dns.parent_zone_id to the parent zone's id (the stack writes the NS delegation), or "
          "platform:dns.zone_id to an existing delegated zone")
def undelegated(g: Graph):
    dns = g.cfg("platform:dns") or {}
    if isinstance(dns, dict) and dns.get("parent_zone_id"):
        return
    zones = g.of_type("aws:route53/zone:Zone")
    records = g.of_type("aws:route53/record:Record")
    for z in zones:
        zname = str((z["inputs"] or {}).get("name") or "").rstrip(".").lower()
        refs = _zone_refs(g, z)
        inside = [r for r in records if (r["inputs"] or {}).get("zoneId") in refs
                  or z["urn"] in (r.get("propertyDependencies") or {}).get("zoneId", [])]
        validating = [r for r in inside if _is_validation(r)]
        if not validating:
            continue
        delegated = any(
            (r["inputs"] or {}).get("type") == "NS"
            and str((r["inputs"] or {}).get("name") or "").rstrip(".").lower() == zname
            and r not in inside for r in records)
        if not delegated:
            yield z["urn"], (f"zone {zname} holds {len(validating)} certificate validation record(s) but nothing "
                             f"delegates it (no NS record for it in a parent zone of the stack, no "
                             f"platform:dns.parent_zone_id): validation never resolves and the apply waits "
                             f"until it times out")


def _is_validation(r: dict) -> bool:
    i = r["inputs"] or {}
    name = str(i.get("name") or "")
    return (name.startswith(("_acme-challenge", "_")) and i.get("type") in ("CNAME", "TXT")) or \
        "validation" in r["name"] or "dnsauth" in r["name"].lower() or "authorization" in r["name"].lower()


# ---------------------------------------------------------------------------------------------
# Propagation waits: a grant (Azure role assignment, Cloud KMS IAM member) returns before the
# cloud enforces it everywhere, so its first consumer must wait on a pause placed after it.

SLEEP = "time:index/sleep:Sleep"


def propagation_waits(g: Graph) -> Callable[..., bool]:
    """`waited(consumer, grants, every=False)`: whether `consumer` depends on a time Sleep
    (pulumiverse-time; createDuration set, else it does not pause) that itself depends on one of
    `grants` (every=True: on all of them)."""
    sleeps = [s["urn"] for s in g.of_type(SLEEP) if (s["inputs"] or {}).get("createDuration")]

    def waited(consumer: str, grants: Iterable[str], every: bool = False) -> bool:
        grants = list(grants)
        deps = g.deps(consumer)
        after = all if every else any
        return any(s in deps and after(a in g.deps(s) for a in grants) for s in sleeps)

    return waited
