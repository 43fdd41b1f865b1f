"""`DRIVERS`: cloud name -> its `CloudDriver`. The one registry the assembly and the tests read.

Not in `clouds/__init__.py` on purpose: `core/config.py` reaches a cloud's pure `settings.py`
through the `components.clouds` package, which must therefore import nothing (the drivers import
the cells, and the cells the cloud SDKs).
"""
from __future__ import annotations

from .aws.driver import DRIVER as AWS
from .azure.driver import DRIVER as AZURE
from .driver import CloudDriver
from .gcp.driver import DRIVER as GCP

DRIVERS: dict[str, CloudDriver] = {d.cloud: d for d in (AWS, GCP, AZURE)}
