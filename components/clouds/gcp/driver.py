"""The gcp plugin's driver (see components/clouds/driver.py)."""
from __future__ import annotations

from ...contract import Address
from ..driver import CloudDriver
from . import settings
from .plugin import PLUGIN
from .identity import pod_identity
from .cell import GcpCell

DRIVER = CloudDriver(
    cloud="gcp", cell=GcpCell, cell_type="platform:gcp:Cell", endpoint_kind=Address.kind,
    package=PLUGIN.package, label_properties=PLUGIN.label_properties, mock_modules=PLUGIN.mock_modules,
    check=settings.check, pod_identity=pod_identity,
)
