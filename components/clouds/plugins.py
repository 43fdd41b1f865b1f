"""`PLUGINS`: cloud name -> its `CloudPlugin`. The one list of the clouds every layer reads.

Pure (the plugins import no SDK): the config core, the offline report and the facts generator
(policy/shared/facts.py) read it without loading a cloud SDK; `drivers.DRIVERS` loads each
plugin's driver from it.
"""
from __future__ import annotations

from .aws.plugin import PLUGIN as AWS
from .azure.plugin import PLUGIN as AZURE
from .gcp.plugin import PLUGIN as GCP
from .plugin import NON_CLOUD_PACKAGES, CloudPlugin

PLUGINS: dict[str, CloudPlugin] = {p.cloud: p for p in (AWS, GCP, AZURE)}


def plugin_of_package(package: str) -> "CloudPlugin | None":
    """The plugin whose resources a package's are, or None (a non-cloud or unknown package)."""
    return next((p for p in PLUGINS.values() if package in p.packages), None)


def cloud_of_package(package: str) -> "str | None":
    p = plugin_of_package(package)
    return p.cloud if p is not None else None


def cloud_packages() -> tuple[str, ...]:
    return tuple(pkg for p in PLUGINS.values() for pkg in p.packages)


__all__ = ["PLUGINS", "NON_CLOUD_PACKAGES", "CloudPlugin", "plugin_of_package", "cloud_of_package", "cloud_packages"]
