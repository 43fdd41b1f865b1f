"""Mock provider behaviour for the offline engine; importing this registers every mock: Pulumi's own and
the non-cloud packages' here (core, kubernetes, randomness), each cloud's from its folder as its plugin
names them (`mock_modules`, loaded by offline/clouds)."""
from . import core, kubernetes, randomness  # noqa: F401  (each registers its mocks)
from .. import clouds as _clouds
from .registry import INVOKES, RESOURCES, MockContext, default_invoke, default_resource  # noqa: F401

_clouds.load("mock_modules")
