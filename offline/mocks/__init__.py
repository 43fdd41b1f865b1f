"""Mock provider behaviour for the offline engine; importing this registers every cloud's mocks."""
from . import aws, aws_global, azure, core, gcp, kubernetes, randomness  # noqa: F401  (each registers its mocks)
from .registry import INVOKES, RESOURCES, MockContext, default_invoke, default_resource  # noqa: F401
