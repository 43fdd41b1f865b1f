"""The plugin interface a cloud implements: one `CloudDriver` per folder of `components/clouds/`.

Everything outside `components/clouds/` that must differ by cloud asks the driver (or reads a
value of the contract the cell returned), never `if cloud == ...`: a fourth cloud is one folder
with `settings.py` (pure config checks and CellSpec fields), `driver.py` (this record) and its pieces, plus what
`tests/test_structure.py::test_conformance` names (catalog regions, mocks, policy rows).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from ..contract import CellComponent, PodIdentity


@dataclass(frozen=True)
class CloudDriver:
    cloud: str                              # the catalog's and the config's name of the cloud
    cell: "type[CellComponent]"             # builds a cell from a CellSpec
    cell_type: str                          # its component type token (part of every child's URN)
    endpoint_kind: str                      # contract.AliasTarget.kind or contract.Address.kind
    package: str                            # the Pulumi package of its resources ("aws", "azure-native")
    label_properties: tuple[str, ...]       # where that package's resources carry labels (tags.py)
    mock_modules: tuple[str, ...]           # offline/mocks modules that answer its resource types
    check: Callable[[int, Any, Any], list[str]]   # settings.check: config problems of one cell
    pod_identity: Callable[[Any], "PodIdentity"]  # the workload identity's value -> what pods need
