"""The gcp plugin's driver (see components/clouds/driver.py)."""
from __future__ import annotations

from ...contract import Address
from ..driver import CloudDriver
from . import settings
from .identity import pod_identity
from .cell import GcpCell

DRIVER = CloudDriver(
    cloud="gcp", cell=GcpCell, cell_type="platform:gcp:Cell", endpoint_kind=Address.kind,
    package="gcp", label_properties=("labels", "resource_labels"),
    # Certificate-validation records go through the stack's DnsValidator (Route 53: aws_global).
    mock_modules=("offline.mocks.gcp", "offline.mocks.aws_global"),
    check=settings.check, pod_identity=pod_identity,
)
