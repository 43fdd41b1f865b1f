"""The aws plugin's driver (see components/clouds/driver.py)."""
from __future__ import annotations

from ...contract import AliasTarget
from ..driver import CloudDriver
from . import settings
from .plugin import PLUGIN
from .identity import pod_identity
from .cell import AwsCell

DRIVER = CloudDriver(
    cloud="aws", cell=AwsCell, cell_type="platform:aws:Cell", endpoint_kind=AliasTarget.kind,
    package=PLUGIN.package, label_properties=PLUGIN.label_properties, mock_modules=PLUGIN.mock_modules,
    check=settings.check, pod_identity=pod_identity,
)
