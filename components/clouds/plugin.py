"""`CloudPlugin`: everything the project knows about one cloud, declared in its folder
(`components/clouds/<cloud>/plugin.py`) and read by every layer: the program (through its driver),
the offline engine (mocks, apply rules, pricing, diff) and the policy packs (through the facts
generated into each pack by `policy/shared/facts.py`).

Pure: no pulumi import, so the config core, the facts generator and the offline report can read a
plugin without loading a cloud SDK. What needs the SDK (the cell, its driver) is named by module
path and loaded on demand (`CloudPlugin.driver()`).

A new cloud is its folder plus one line in `plugins.py`; `missing_facets` names, in words, what a
plugin still lacks, and the tests run it over the registry.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field, fields
from typing import Any, Mapping


@dataclass(frozen=True)
class Location:
    """How a resource of the cloud's package is placed, as the provider schema says.

    - `inputs`: the inputs that name a region/location, read in this order;
    - `unlocated`: what a type without any of those inputs is: "global" (a global service: AWS IAM,
      Route 53; GCP networks, firewalls, service accounts) or "parent" (a child that lives where the
      resource it belongs to does: an Azure vault key, a storage container);
    - `provider_keys`: where the provider configuration holds the default location;
    - `locator`: which locator of the residency pack reads it (the shapes of ids and references
      differ by cloud: a Cloud KMS key's ring, an Azure resource group). A package with no locator
      the pack knows fails closed there.
    """

    inputs: tuple[str, ...]
    unlocated: str
    provider_keys: tuple[str, ...]
    locator: str


@dataclass(frozen=True)
class LabelForm:
    """A package's label rule: characters outside `allowed` (a regex class) become `-`, keys and values
    lower-cased when `lower`, cut to `max_len`."""

    allowed: str
    max_len: int
    lower: bool = True


@dataclass(frozen=True)
class CloudPlugin:
    cloud: str                              # the catalog's and the config's name of the cloud
    packages: tuple[str, ...]               # the Pulumi packages whose resources are this cloud's
    label_properties: tuple[str, ...]       # Python arg names that carry labels (components/tags.py)
    label_properties_by_type: Mapping[str, tuple[str, ...]]  # types whose labels live elsewhere
    location: Location
    # Types by role. Each is a judgement about the service (what holds customer data, what is a key),
    # checked against the provider schema: every type named must exist in the package
    # (tests/test_plugins.py reads tests/schemas/located/<package>.json.gz, every type of the SDK).
    data_types: frozenset[str]              # hold customer data or the keys to it: never in `global`
    key_types: frozenset[str]               # encryption keys and their containers
    cluster_types: frozenset[str]           # Kubernetes clusters (their objects live where they do)
    load_balancer_types: frozenset[str]     # internet-facing entry points an edge guard must protect
    telemetry_types: frozenset[str]         # stores of metrics and logs
    stateful_types: frozenset[str]          # deleting or replacing one loses data, keys or identity
    no_customer_key: Mapping[str, str]      # data types no encryption rule can judge -> why
    # References to the cloud's other pieces, by module path (loaded on demand).
    driver_module: str                      # holds DRIVER: the cell class, endpoint kind, pod identity
    settings_module: str                    # the cell's settings: pure checks and CellSpec fields
    deployer_identity: str                  # the DeployerOptions field naming the deploying identity
    mock_modules: tuple[str, ...]           # its folder's mocks.py (+ siblings): what the offline engine answers
    apply_module: str                       # its folder's apply.py: its provider's apply-time rules
    pricing_cloud: str                      # its key in offline/pricing's catalog
    default_region_key: str                 # the stack config key of its default provider's region
    pricing_module: str = ""                # its offline pricing rules (components/clouds/<cloud>/pricing.py)
    # Its folder's migrations.py: what became of its old URNs (retired ones, pieces moved under a new
    # parent), read by the URN checks and the offline engine (offline/clouds, offline/diff).
    migrations_module: str = ""
    # Its folder's release.py: the object store its cells' release files go to (`store_for`, `STORE_URI`)
    # and how the release gate's SLO query authenticates to its metrics (`METRICS_AUTH`), read by ops/release.
    release_module: str = ""
    extras: Mapping[str, Any] = field(default_factory=dict)
    # Its regions in the catalog (components/core/catalog.py reads them): a pure module holding ROWS
    # ("name country nearest-route53-latency-region [pair]" per line) and optional COUNTERPARTS (another
    # cloud's region name -> what it likely meant here) and MULTI_REGIONS (location -> regions it spans).
    regions_module: str = ""
    # The modules of its package that make up a global DNS layer (`aws:route53`), if it hosts one: their
    # resources are the name, not an endpoint, and the residency pack reads them as such.
    dns_modules: tuple[str, ...] = ()
    # How its label values must look where the package restricts them (None: as they are).
    label_form: "LabelForm | None" = None

    def regions(self):
        return importlib.import_module(self.regions_module)

    def driver(self):
        return importlib.import_module(self.driver_module).DRIVER

    def settings(self):
        return importlib.import_module(self.settings_module)

    def release(self):
        return importlib.import_module(self.release_module)

    @property
    def package(self) -> str:
        """The main package (the one its cells' resources come from)."""
        return self.packages[0]


# What each facet is, in words (what a new cloud is told it lacks).
FACETS: dict[str, str] = {
    "packages": "the Pulumi package(s) whose resources are the cloud's",
    "label_properties": "where that package's resources carry labels (residency, cell, environment)",
    "location": "how a resource of the package is placed (location inputs, provider keys, locator)",
    "data_types": "which resource types hold customer data (they must be encrypted and stay in zone)",
    "key_types": "which resource types are encryption keys",
    "cluster_types": "which resource types are Kubernetes clusters",
    "load_balancer_types": "which resource types are internet-facing load balancers (edge guard)",
    "telemetry_types": "which resource types store metrics and logs",
    "stateful_types": "which resource types lose data when deleted or replaced",
    "driver_module": "a driver module with the cell component",
    "settings_module": "a settings module with the cell's config checks",
    "deployer_identity": "the deployer identity field of platform:deployer",
    "mock_modules": "offline mocks that answer its resource types (mocks.py in its folder)",
    "apply_module": "offline apply rules of its provider (apply.py in its folder)",
    "migrations_module": "what became of its old URNs: retired ones and moved pieces (migrations.py in its folder)",
    "release_module": "how releases reach its cells: the object store and the SLO query's authentication (release.py in its folder)",
    "pricing_cloud": "prices in the offline pricing catalog",
    "default_region_key": "the stack config key of its default region",
    "regions_module": "its regions in the catalog (country, residency zone, nearest latency region)",
    "pricing_module": "pricing rules (the bill lines of its resource types) in components/clouds/<cloud>/pricing.py",
}


def missing_facets(plugin: Any) -> list[str]:
    """What `plugin` lacks, one sentence per facet ([] when complete)."""
    have = {f.name for f in fields(CloudPlugin)}
    out = []
    for name, what in FACETS.items():
        value = getattr(plugin, name, None) if name in have else None
        if value is None or value == "" or value == () or (hasattr(value, "__len__") and len(value) == 0):
            out.append(f"{getattr(plugin, 'cloud', '?')}: no {name}: {what}")
    return out


# Packages that are not a cloud, and why each needs no plugin. A resource of a package that is
# neither a plugin's nor listed here fails closed in both packs: nobody has said where it lives or
# whether it holds data.
NON_CLOUD_PACKAGES: dict[str, tuple[str, str]] = {
    # package: (kind, reason). kind: "engine" (Pulumi's own), "component" (this project's component
    # resources), "cluster" (objects inside a cluster, placed with it), "local" (no cloud object).
    "pulumi": ("engine", "Pulumi's own resources: the stack, providers, stack references"),
    "platform": ("component", "this project's component resources: they group, the resources in them are judged"),
    "kubernetes": ("cluster", "objects in a cluster: placed where the cluster their provider targets is"),
    "random": ("local", "random values kept in the state only"),
    "tls": ("local", "keys and certificates computed locally and kept in the state"),
    "time": ("local", "waits and timestamps kept in the state (pulumiverse-time)"),
    "acme": ("local", "an ACME account and certificate at the CA; the copy in a vault is placed with the vault"),
    "command": ("local", "commands run on the deploying machine"),
}
