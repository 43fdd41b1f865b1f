"""The region catalog is the plugins' (each cloud declares its regions in `<cloud>/regions.py`), and
`components/` outside the cloud folders names no cloud."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.clouds.plugins import PLUGINS

REPO = Path(__file__).resolve().parent.parent


def test_the_catalog_is_built_from_every_plugin_and_only_from_them():
    from components.core import catalog

    assert set(catalog.REGIONS) == set(PLUGINS) and catalog.CLOUDS == tuple(PLUGINS)
    for cloud, plugin in PLUGINS.items():
        rows = [line.split()[0] for line in plugin.regions().ROWS.strip().splitlines()]
        assert list(catalog.REGIONS[cloud]) == rows, cloud
        assert getattr(catalog, cloud.upper()) is catalog.REGIONS[cloud]
    # Names never collide across clouds: find_region and the latency-region lookups rely on it.
    names = [r for regions in catalog.REGIONS.values() for r in regions]
    assert len(names) == len(set(names))


def test_every_latency_region_of_the_catalog_is_a_placed_region_with_coordinates():
    # The routing tree ranks latency regions by distance and by their zone (find_region(r).zone).
    from components.core import catalog

    for regions in catalog.REGIONS.values():
        for r in regions.values():
            assert r.nearest_aws in catalog.AWS_REGION_COORDINATES, r
            assert catalog.find_region(r.nearest_aws) is not None, r


def test_the_catalog_export_is_the_residency_packs_copy():
    import json

    from components.core import catalog

    shipped = json.loads((REPO / "policy" / "residency" / "catalog.json").read_text())
    assert catalog.export() == shipped


PENDING: set[str] = {
    # Files still naming a cloud outside components/clouds/, each with the work that removes it.
}


def test_no_cloud_name_in_components_outside_the_cloud_folders():
    pattern = re.compile(r"""["'](aws|gcp|azure)["']""")
    found = []
    for path in sorted((REPO / "components").rglob("*.py")):
        rel = str(path.relative_to(REPO))
        if rel.startswith("components/clouds/") or rel in PENDING:
            continue
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                found.append(f"{rel}:{i}: {line.strip()}")
    assert not found, "a cloud named outside components/clouds/:\n" + "\n".join(found)


def test_what_is_pending_still_names_a_cloud():
    # Remove an entry from PENDING once its file names none (so the list never outlives the work).
    pattern = re.compile(r"""["'](aws|gcp|azure)["']""")
    stale = [path for path in sorted(PENDING) if not pattern.search((REPO / path).read_text())]
    assert not stale, f"{stale} name no cloud: remove them from PENDING"


def test_each_clouds_regions_need_the_data_protection_review():
    # The rows decide where a cell's data may be: the same owners as the catalog and its pack copy.
    from test_workflows import _owners

    for cloud, plugin in PLUGINS.items():
        path = plugin.regions_module.replace(".", "/") + ".py"
        assert (REPO / path).exists(), path
        assert "@acme/data-protection" in _owners(path), path
