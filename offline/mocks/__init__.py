"""Mock provider behaviour for the offline engine; importing this registers every cloud's mocks."""
import importlib

from .registry import INVOKES, RESOURCES, MockContext, default_resource  # noqa: F401

for _module in ("core", "aws", "aws_global", "gcp", "azure", "kubernetes"):
    try:
        importlib.import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as _e:  # a cloud whose mocks have not landed yet
        if _e.name != f"{__name__}.{_module}":
            raise
