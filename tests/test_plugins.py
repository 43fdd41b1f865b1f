"""The cloud plugins (components/clouds/<cloud>/plugin.py), by iterating the registry: every plugin
has every facet, is shipped in a stack, and its facts make the packs judge its resources, which is
shown by behaviour through the analyzer protocol (an out-of-zone store, an unencrypted store, an
unguarded public load balancer each fail), never by reading the packs' code. A scripted fourth
cloud built from an installed SDK's types shows what a new cloud still lacks, in words, and that
its unencrypted bucket fails both packs.
"""
from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from components.clouds.plugin import FACETS, NON_CLOUD_PACKAGES, CloudPlugin, Location, missing_facets
from components.clouds.plugins import PLUGINS
from components.core import catalog
from offline.analyzer import PolicyResource, analyze

REPO = Path(__file__).resolve().parent.parent
POLICY = REPO / "policy"
LOCATED = REPO / "tests" / "schemas" / "located"
ROLES = ("data_types", "key_types", "cluster_types", "load_balancer_types", "telemetry_types", "stateful_types")


@lru_cache(maxsize=None)
def package_types(package: str) -> frozenset[str]:
    """Every resource type of a package, from its provider schema (tests/schemas/located)."""
    with gzip.open(LOCATED / f"{package}.json.gz") as f:
        return frozenset(json.load(f)["resources"])


# ---- the registry -----------------------------------------------------------------------------

def test_the_registry_is_the_catalog_and_the_drivers():
    from components.clouds.drivers import DRIVERS

    assert set(PLUGINS) == set(catalog.REGIONS) == set(DRIVERS)
    for cloud, plugin in PLUGINS.items():
        driver = DRIVERS[cloud]
        assert plugin.cloud == driver.cloud == cloud
        assert (driver.package, driver.label_properties, driver.mock_modules) == (
            plugin.package, plugin.label_properties, plugin.mock_modules)


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_every_plugin_has_every_facet(cloud):
    import importlib

    from components.core.config import DeployerOptions, cloud_settings
    from offline.pricing.catalog import load_catalog

    plugin = PLUGINS[cloud]
    assert missing_facets(plugin) == []
    assert plugin.driver().check is plugin.settings().check is cloud_settings(cloud).check
    assert plugin.deployer_identity in DeployerOptions.model_fields
    # Its offline modules load as the engine loads them (offline/clouds: from its folder, not via `components`).
    from offline import clouds
    clouds.load("mock_modules"), clouds.load("apply_module"), clouds.load("migrations_module")
    for facet in ("mock_modules", "apply_module", "migrations_module"):
        assert clouds.modules_of(cloud, facet), (cloud, facet)
        for name in clouds.modules_of(cloud, facet):
            assert importlib.import_module(name).__file__.startswith(str(REPO / "components" / "clouds" / cloud)), name
    release = plugin.release()
    assert release.METRICS_AUTH and release.STORE_URI and callable(release.store_for)
    assert load_catalog().doc["prices"].get(plugin.pricing_cloud), f"{cloud}: no prices"
    # Facts are checked against the provider schema: every type named exists in the package.
    for role in ROLES:
        for t in getattr(plugin, role):
            assert t.split(":")[0] in plugin.packages and t in package_types(t.split(":")[0]), (cloud, role, t)
    for t in plugin.no_customer_key:
        assert t in plugin.data_types, (cloud, t)
    # The create-only inputs of its types live in offline/force_new.py; the plugin's types are there.
    from offline.force_new import CREATE_ONLY
    assert plugin.stateful_types <= set(CREATE_ONLY), plugin.stateful_types - set(CREATE_ONLY)


def test_every_plugin_appears_in_a_shipped_stack():
    shipped = set()
    for f in (REPO / "stacks").glob("Pulumi.*.yaml"):
        cells = yaml.safe_load(f.read_text())["config"].get("platform:cells") or []
        shipped |= {c["cloud"] for c in cells}
    assert shipped == set(PLUGINS)


def test_packages_are_a_plugins_or_declared_non_cloud_with_a_reason():
    cloud_pkgs = [pkg for p in PLUGINS.values() for pkg in p.packages]
    assert len(cloud_pkgs) == len(set(cloud_pkgs)), "a package belongs to one cloud"
    assert not set(cloud_pkgs) & set(NON_CLOUD_PACKAGES)
    for pkg, (kind, reason) in NON_CLOUD_PACKAGES.items():
        assert kind in ("engine", "component", "cluster", "local") and len(reason) > 20, pkg


# ---- generated facts ---------------------------------------------------------------------------

def _facts_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("policy_facts", POLICY / "shared" / "facts.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_vendored_facts_are_current():
    facts = _facts_module()
    assert facts.stale() == [], "run python policy/shared/facts.py"
    data = json.loads((POLICY / "residency" / "facts.json").read_text())
    assert set(data["clouds"]) == set(PLUGINS)
    for cloud, plugin in PLUGINS.items():
        assert data["clouds"][cloud]["data_types"] == sorted(plugin.data_types)


def test_the_facts_check_finds_a_stale_copy_and_refresh_fixes_it(tmp_path, monkeypatch):
    facts = _facts_module()
    copies = []
    for target in facts.TARGETS:
        copy = tmp_path / target.relative_to(REPO)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(target, copy)
        copies.append(copy)
    monkeypatch.setattr(facts, "TARGETS", tuple(copies))
    copies[1].write_text(copies[1].read_text().replace("aws:s3/bucket:Bucket", "aws:s3/bucket:Bukkit"))
    assert facts.stale() == [copies[1]]
    assert facts.refresh() == [copies[1]] and facts.stale() == []
    # The command line says which copy is stale, and exits 1.
    proc = subprocess.run([sys.executable, str(POLICY / "shared" / "facts.py"), "--check"], capture_output=True,
                          text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout


# ---- behaviour, per plugin, through the analyzer protocol --------------------------------------

def _urn(type_: str, name: str) -> str:
    return f"urn:pulumi:test::plugins::{type_}::{name}"


def _label_input(plugin: CloudPlugin, zone: str, cell: str = "cell-a", type_: str = "") -> dict:
    """The type's labels where its plugin says they go (a dotted property nests: settings.userLabels)."""
    path = _facts_module().wire((plugin.label_properties_by_type.get(type_) or plugin.label_properties)[0])
    value: dict = {"residency": zone, "cell": cell, "managed-by": "pulumi", "environment": "test"}
    for part in reversed(path.split(".")):
        value = {part: value}
    return value


def _regions(cloud: str) -> dict[str, str]:
    """region -> zone of the cloud's catalog regions."""
    return {name: r.zone for name, r in catalog.REGIONS[cloud].items()}


def _in_and_out(cloud: str) -> tuple[str, str, str]:
    """(zone, a region of it, a region of another zone) from the catalog."""
    regions = _regions(cloud)
    zone = "eu" if "eu" in regions.values() else sorted(regions.values())[0]
    inside = sorted(r for r, z in regions.items() if z == zone)[0]
    outside = sorted(r for r, z in regions.items() if z != zone)[0]
    return zone, inside, outside


def _store(plugin: CloudPlugin, type_: str, name: str, region: str, zone: str) -> PolicyResource:
    """A data store with only its place and its labels: no key, no encryption setting."""
    inputs = {plugin.location.inputs[0]: region, **_label_input(plugin, zone, type_=type_)}
    return PolicyResource(urn=_urn(type_, name), type=type_, name=name, inputs=inputs)


def _stores(plugin: CloudPlugin) -> list[str]:
    return sorted(plugin.data_types - set(plugin.no_customer_key))


def _placed_stores(plugin: CloudPlugin) -> list[str]:
    """The stores placed by their own location input (a key lives where its ring or vault is)."""
    return [t for t in _stores(plugin) if t not in plugin.key_types]


@pytest.fixture(scope="module")
def per_plugin_runs():
    """Per plugin: every data type of it as a bare store outside its zone, analyzed by both packs."""
    out = {}
    for cloud, plugin in PLUGINS.items():
        zone, _inside, outside = _in_and_out(cloud)
        resources = [_store(plugin, t, f"{cloud}-{i}", outside, zone) for i, t in enumerate(_stores(plugin))]
        out[cloud] = (resources, analyze(POLICY / "encryption", resources), analyze(POLICY / "residency", resources))
        placed = set(_placed_stores(plugin))
        out[cloud] += ([r for r in resources if r.type in placed],)
    return out


def _mandatory(result, urn: str, policy: str | None = None) -> list:
    return [d for d in result.diagnostics if d.urn == urn and d.level == "mandatory"
            and (policy is None or d.policy == policy)]


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_every_unencrypted_store_of_a_plugin_fails_the_encryption_pack(cloud, per_plugin_runs):
    resources, encryption, _, _ = per_plugin_runs[cloud]
    assert resources
    passed = [r.type for r in resources if not _mandatory(encryption, r.urn)]
    assert not passed, f"{cloud}: unencrypted stores no encryption rule refuses: {passed}"


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_every_store_of_a_plugin_outside_its_zone_fails_the_residency_pack(cloud, per_plugin_runs):
    _, _, residency, resources = per_plugin_runs[cloud]
    assert resources
    passed = [r.type for r in resources if not _mandatory(residency, r.urn, "residency-location-in-zone")]
    assert not passed, f"{cloud}: stores outside their zone the residency pack lets pass: {passed}"


def test_a_store_inside_its_zone_passes_residency():
    # The converse, so that the failures above are about the place: the same stores in their zone.
    for cloud, plugin in PLUGINS.items():
        zone, inside, _ = _in_and_out(cloud)
        resources = [_store(plugin, t, f"{cloud}-{i}", inside, zone) for i, t in enumerate(_placed_stores(plugin))]
        result = analyze(POLICY / "residency", resources)
        assert not [d for r in resources for d in _mandatory(result, r.urn, "residency-location-in-zone")], cloud


# How each load-balancer type of a plugin is made internet-facing (its schema's inputs). A new plugin's
# load balancer must be added here, which the test says.
PUBLIC_INPUTS = {
    "aws:lb/loadBalancer:LoadBalancer": {"loadBalancerType": "application", "internal": False},
    "gcp:compute/regionBackendService:RegionBackendService": {"loadBalancingScheme": "EXTERNAL_MANAGED"},
    "azure-native:network:ApplicationGateway": {"frontendIPConfigurations": [
        {"name": "public", "publicIPAddress": {"id": "/subscriptions/s/resourceGroups/rg/providers/"
                                                     "Microsoft.Network/publicIPAddresses/pip"}}]},
}


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_an_unguarded_public_load_balancer_of_a_plugin_fails_residency(cloud):
    plugin = PLUGINS[cloud]
    zone, inside, _ = _in_and_out(cloud)
    lbs = []
    for i, t in enumerate(sorted(plugin.load_balancer_types)):
        assert t in PUBLIC_INPUTS, f"{cloud}: say how a public {t} looks (PUBLIC_INPUTS)"
        inputs = {plugin.location.inputs[0]: inside, **_label_input(plugin, zone, type_=t), **PUBLIC_INPUTS[t]}
        lbs.append(PolicyResource(urn=_urn(t, f"lb-{i}"), type=t, name=f"lb-{i}", inputs=inputs))
    other = next(z for z in ("in", "eu") if z != zone)
    result = analyze(POLICY / "residency", lbs, config={"residency-edge-guard": {"served_zones": [other]}})
    for lb in lbs:
        assert _mandatory(result, lb.urn, "residency-edge-guard"), (cloud, lb.type, result.diagnostics)


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_a_type_the_schema_does_not_know_fails_closed_in_residency(cloud):
    # A known package, a type its provider schema lacks (a newer provider): where it lives is unknown.
    plugin = PLUGINS[cloud]
    zone, inside, _ = _in_and_out(cloud)
    made_up = f"{plugin.package}:madeup/store:Store"
    assert made_up not in package_types(plugin.package)
    known = sorted(plugin.data_types - plugin.key_types)[0]
    resources = [_store(plugin, made_up, "new", inside, zone), _store(plugin, known, "old", inside, zone)]
    result = analyze(POLICY / "residency", resources)
    (d,) = _mandatory(result, resources[0].urn, "residency-location-in-zone")
    assert "locations.json" in d.message, d.message
    assert not _mandatory(result, resources[1].urn, "residency-location-in-zone")


# ---- unknown packages fail closed ---------------------------------------------------------------

def _alone(pack: str, tmp_path: Path) -> Path:
    dst = tmp_path / pack
    shutil.copytree(POLICY / pack, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


@lru_cache(maxsize=None)
def _digitalocean_types() -> frozenset[str]:
    """Every resource type the installed DigitalOcean SDK registers (its own declaration)."""
    import pulumi_digitalocean  # noqa: F401  (registers its resource modules on import)
    from pulumi.runtime import rpc

    return frozenset(t for mods in rpc._RESOURCE_MODULES.values() for m in mods
                     for t in getattr(m, "mod_info", {}).get("classes", {}) if t.startswith("digitalocean:"))


def _stub_plugin() -> CloudPlugin:
    """A fourth cloud as a newcomer would start it: its package and the types its SDK has, nothing else."""
    types = _digitalocean_types()
    return CloudPlugin(
        cloud="digitalocean", packages=("digitalocean",), label_properties=(), label_properties_by_type={},
        location=Location(inputs=("region",), unlocated="global", provider_keys=("region",), locator="digitalocean"),
        data_types=frozenset(t for t in types if t.endswith(("/spacesBucket:SpacesBucket", "/volume:Volume"))),
        key_types=frozenset(), cluster_types=frozenset(t for t in types if t.endswith("/kubernetesCluster:KubernetesCluster")),
        load_balancer_types=frozenset(t for t in types if t.endswith("/loadBalancer:LoadBalancer")),
        telemetry_types=frozenset(), stateful_types=frozenset(), no_customer_key={},
        driver_module="", settings_module="", deployer_identity="", mock_modules=(), apply_module="",
        pricing_cloud="", default_region_key="", migrations_module="", release_module="",
    )


def _stub_stack() -> list[PolicyResource]:
    bucket, lb = "digitalocean:index/spacesBucket:SpacesBucket", "digitalocean:index/loadBalancer:LoadBalancer"
    assert {bucket, lb} <= _digitalocean_types(), "the SDK declares the types the stub uses"
    return [PolicyResource(urn=_urn(bucket, "do-bucket"), type=bucket, name="do-bucket",
                           inputs={"region": "fra1", "name": "do-bucket", "acl": "private"}),
            PolicyResource(urn=_urn(lb, "do-lb"), type=lb, name="do-lb",
                           inputs={"region": "fra1", "forwardingRules": [{"entryPort": 443, "entryProtocol": "https"}]})]


def test_a_fourth_cloud_stub_is_told_every_missing_facet_in_words():
    stub = _stub_plugin()
    missing = missing_facets(stub)
    named = {line.split(": no ")[1].split(":")[0] for line in missing}
    assert named == {"label_properties", "key_types", "telemetry_types", "stateful_types", "driver_module",
                     "settings_module", "deployer_identity", "mock_modules", "apply_module", "pricing_cloud",
                     "default_region_key", "migrations_module", "release_module",
                     "regions_module", "pricing_module"}
    # In words a newcomer reads: mocks, apply rules, migrations and pricing among them.
    text = "\n".join(missing)
    for words in ("offline mocks", "apply rules", "old URNs", "prices", "object store"):
        assert words in text, (words, text)
    for line in missing:
        facet = line.split(": no ")[1].split(":")[0]
        assert line.endswith(FACETS[facet]) and " " in FACETS[facet], line


def test_a_fourth_cloud_unknown_to_the_packs_fails_both(tmp_path):
    """The shipped packs (each copied alone) have never heard of the package: every resource of it fails."""
    resources = _stub_stack()
    enc = analyze(_alone("encryption", tmp_path), resources)
    res = analyze(_alone("residency", tmp_path), resources)
    for r in resources:
        assert [d for d in _mandatory(enc, r.urn, "encryption-package-known") if r.type in d.message], r.type
        assert [d for d in _mandatory(res, r.urn, "residency-package-known") if r.type in d.message], r.type


def test_a_fourth_cloud_with_its_facts_still_fails_where_the_packs_cannot_judge_it(tmp_path):
    """With the stub registered (its facts generated into copies of the packs), the package is known, and
    what the packs have no rule for fails closed: its unencrypted bucket (no encryption rule judges the
    type), its place (no locator), its public load balancer (no edge-guard reader)."""
    facts = _facts_module()
    generated = facts.render(facts.build({**PLUGINS, "digitalocean": _stub_plugin()}, NON_CLOUD_PACKAGES))
    packs = {}
    for pack in ("encryption", "residency"):
        packs[pack] = _alone(pack, tmp_path)
        (packs[pack] / "facts.json").write_text(generated)
    bucket, lb = _stub_stack()
    enc = analyze(packs["encryption"], [bucket, lb])
    res = analyze(packs["residency"], [bucket, lb], config={"residency-edge-guard": {"served_zones": ["eu", "in"]}})
    assert not _mandatory(enc, bucket.urn, "encryption-package-known")
    assert _mandatory(enc, bucket.urn, "encryption-data-type-judged")
    assert not _mandatory(res, bucket.urn, "residency-package-known")
    located = _mandatory(res, bucket.urn, "residency-location-in-zone") + _mandatory(res, bucket.urn, "residency-zone-known")
    assert located, res.diagnostics
    assert _mandatory(res, lb.urn, "residency-edge-guard") or _mandatory(res, lb.urn, "residency-zone-known")


def test_plugin_fields_are_the_facets():
    # Every field of CloudPlugin a new cloud must fill is described to it (FACETS), and nothing else is.
    fields = {f.name for f in dataclasses.fields(CloudPlugin)}
    assert set(FACETS) <= fields
    # Optional facts (a cloud may have none): per-type label places, no-key data types, label form, extras,
    # the modules of a global DNS layer it hosts.
    assert fields - set(FACETS) == {"cloud", "label_properties_by_type", "no_customer_key", "extras", "label_form",
                                    "dns_modules"}


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # the DigitalOcean SDK's renames
