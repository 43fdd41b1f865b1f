"""The aws plugin's driver (see components/clouds/driver.py)."""
from __future__ import annotations

from ...contract import AliasTarget
from ..driver import CloudDriver
from . import settings
from .identity import pod_identity
from .cell import AwsCell

DRIVER = CloudDriver(
    cloud="aws", cell=AwsCell, cell_type="platform:aws:Cell", endpoint_kind=AliasTarget.kind,
    package="aws", label_properties=("tags",),
    # Certificate-validation records go through the stack's DnsValidator (Route 53: aws_global).
    mock_modules=("offline.mocks.aws", "offline.mocks.aws_global"),
    check=settings.check, pod_identity=pod_identity,
)
