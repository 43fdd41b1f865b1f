"""The azure plugin's driver (see components/clouds/driver.py)."""
from __future__ import annotations

from ...contract import Address
from ..driver import CloudDriver
from . import settings
from .plugin import PLUGIN
from .identity import pod_identity
from .cell import AzureCell

DRIVER = CloudDriver(
    cloud="azure", cell=AzureCell, cell_type="platform:azure:Cell", endpoint_kind=Address.kind,
    package=PLUGIN.package, label_properties=PLUGIN.label_properties, mock_modules=PLUGIN.mock_modules,
    check=settings.check, pod_identity=pod_identity,
)
