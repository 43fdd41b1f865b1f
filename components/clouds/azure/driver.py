"""The azure plugin's driver (see components/clouds/driver.py)."""
from __future__ import annotations

from ...contract import Address
from ..driver import CloudDriver
from . import settings
from .identity import pod_identity
from .cell import AzureCell

DRIVER = CloudDriver(
    cloud="azure", cell=AzureCell, cell_type="platform:azure:Cell", endpoint_kind=Address.kind,
    package="azure-native", label_properties=("tags",),
    # Certificate-validation records go through the stack's DnsValidator (Route 53: aws_global).
    mock_modules=("offline.mocks.azure", "offline.mocks.aws_global"),
    check=settings.check, pod_identity=pod_identity,
)
